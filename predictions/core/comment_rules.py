"""Pure comment pipeline (SPEC §6): ordered checks that give a comment its first status.

Standard library only. The services load the reader's record and the word lists, call `evaluate`,
and store `Verdict.status` and `Verdict.reasons`. The first check that refuses (`invalid`),
rejects or withholds decides; `pending` reasons accumulate and are all reported.
"""

from __future__ import annotations

import enum
import hashlib
import unicodedata
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property

from .validation import COMMENT_MAX


class CommentStatus(enum.StrEnum):
    """A comment's stored status: the one vocabulary of the pipeline, the model and the views."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHHELD = "withheld"
    DELETED = "deleted"


# Not a stored status: the submission is refused and the caller answers with an HTTP error.
INVALID = "invalid"
MODES = ("pre", "post")

MIN_BODY_CHARS = 1
DUPLICATE_WINDOW = timedelta(hours=24)
DEFAULT_MIN_FILL_SECONDS = 3.0
MAX_LINKS = 2
MIN_APPROVED_FOR_TRUST = 2
REJECTION_RATE_WINDOW = timedelta(days=7)
# The rate is a fraction: 30 % = 3/10, compared in integers so 3 of 10 is exactly on the line.
REJECTION_RATE_NUMERATOR, REJECTION_RATE_DENOMINATOR = 3, 10
# Below this many decisions one rejection would be 50 % or 100 %: too little to judge a reader.
MIN_DECISIONS_FOR_RATE = 3

REASONS: dict[str, str] = {
    "question_closed": "The question is closed to comments.",
    "empty": "The comment is empty.",
    "too_long": f"The comment is longer than {COMMENT_MAX} characters.",
    "duplicate": "The same reader posted the same text in the last 24 hours.",
    "honeypot": "A hidden form field was filled in (likely a bot).",
    "too_fast": "The form was sent faster than a person can type (likely a bot).",
    "banned_word": "Contains a banned word or phrase.",
    "suspect_word": "Contains a suspect word or phrase.",
    "too_many_links": f"Contains more than {MAX_LINKS} links.",
    "contains_link": "Contains a link.",
    "reader_banned": "The reader is banned.",
    "reader_premod": "The reader's comments are premoderated.",
    "new_reader": f"The reader has fewer than {MIN_APPROVED_FOR_TRUST} approved comments.",
    "high_rejection_rate": "Many of the reader's comments were rejected in the last 7 days.",
    "premoderation": "The question is premoderated.",
    "postmoderation": "The question is postmoderated: published at once.",
    # Not a check: set by the services when an author edits a published comment.
    "edited": "The author edited the published comment: it waits for review again.",
}
# Input errors: the comment is refused, not stored. A closed question is the state's fault, the
# others the text's.
QUESTION_CLOSED = "question_closed"


@dataclass(frozen=True)
class WordLists:
    """Banned and suspect words or phrases, as moderators typed them."""

    banned: tuple[str, ...] = ()
    suspect: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "banned", tuple(self.banned))
        object.__setattr__(self, "suspect", tuple(self.suspect))

    # Built once per WordLists instance: keep one instance per version of the lists.
    @cached_property
    def banned_matcher(self) -> PhraseMatcher:
        """A matcher over the banned entries."""
        return PhraseMatcher(self.banned)

    @cached_property
    def suspect_matcher(self) -> PhraseMatcher:
        """A matcher over the suspect entries."""
        return PhraseMatcher(self.suspect)


@dataclass(frozen=True)
class ReaderRecord:
    """What the pipeline needs to know about the comment's author."""

    banned: bool = False
    premod: bool = False
    approved_count: int = 0
    decisions_7d: int = 0
    rejections_7d: int = 0
    # `fingerprint()` of each comment the reader posted in the last DUPLICATE_WINDOW.
    recent_fingerprints: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "recent_fingerprints", frozenset(self.recent_fingerprints))


@dataclass(frozen=True)
class Submission:
    """A comment as submitted, with the facts about its form and question."""

    body: str
    question_open: bool = True
    mode: str = "pre"
    honeypot: str = ""
    # Seconds between serving the form and receiving it; None (API clients) skips the check.
    fill_seconds: float | None = None

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"unknown moderation mode {self.mode!r}; expected one of {MODES}")


@dataclass(frozen=True)
class Verdict:
    """The status a comment starts in and the reason codes shown to moderators."""

    status: str
    reasons: tuple[str, ...]
    # Word-list entries that matched, for the moderator's view; not part of equality.
    matched: tuple[str, ...] = field(default=(), compare=False)

    @property
    def is_input_error(self) -> bool:
        """True when the caller must refuse the submission instead of storing it."""
        return self.status == INVALID


# Normalisation and tokens

# Blank-looking letters and symbols that spammers use to make an "empty" comment look filled.
_BLANK_LOOKALIKES = frozenset("\u115f\u1160\u2800\u3164\uffa0")

# Cyrillic and Greek letters drawn like Latin ones, in lower or (after casefolding) upper case.
# Applied to entries and text alike, so a Russian entry still matches Russian text.
_CONFUSABLES = str.maketrans(
    "аеорсухіјѕԁԛԝӏтмкнв" + "αορινεβτκχ",
    "aeopcyxijsdqwltmkhb" + "aopivebtkx",
)
# Leetspeak: only inside a word that also has a letter, so "$5" or "1488" keep their digits.
_LEET = str.maketrans("013457@$", "oieastas")


def _fold(text: str) -> str:
    """Unicode compatibility caseless form without accents or invisible format characters."""
    # NFKD(casefold(NFKD(casefold(NFD(x))))) is Unicode's compatibility caseless match (D146).
    text = unicodedata.normalize("NFD", text).casefold()
    text = unicodedata.normalize("NFKD", text).casefold()
    text = unicodedata.normalize("NFKD", text)
    return "".join(
        ch
        for ch in text
        if not unicodedata.combining(ch)
        and unicodedata.category(ch) not in ("Cf", "Cs")
        and not (unicodedata.category(ch) == "Cc" and not ch.isspace())
    )


def normalise(text: str) -> str:
    """Text folded for comparison: no case, accents or invisible characters, single spaces."""
    return " ".join(_fold(text).split())


def fingerprint(text: str) -> str:
    """The sha256 hex digest of the normalised text, for duplicate detection."""
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()


def _is_word_char(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LNM"


def tokens(text: str, *, split_on_punctuation: bool = False) -> list[str]:
    """Words of the normalised text, split at whitespace, punctuation inside a word dropped."""
    # "i.d.i.o.t" and "id-iot" give ["idiot"]; with split_on_punctuation, "you,idiot" gives
    # ["you", "idiot"] instead.
    out: list[str] = []
    for chunk in normalise(text).split():
        chunk = chunk.translate(_CONFUSABLES)
        if any(ch.isalpha() for ch in chunk):
            chunk = chunk.translate(_LEET)
        if split_on_punctuation:
            word: list[str] = []
            for ch in chunk:
                if _is_word_char(ch):
                    word.append(ch)
                elif word:
                    out.append("".join(word))
                    word = []
            if word:
                out.append("".join(word))
        else:
            joined = "".join(ch for ch in chunk if _is_word_char(ch))
            if joined:
                out.append(joined)
    return out


# Phrase matching: Aho-Corasick over token sequences


@dataclass(frozen=True)
class MatchScan:
    """Entries found in a text and the work it took (for tests of linear time)."""

    matches: tuple[str, ...]
    steps: int
    token_count: int


class PhraseMatcher:
    """Finds whole words and phrases from a fixed list in a text, in linear time."""

    # Entries and text go through the same tokens(); an entry matches when its tokens occur
    # consecutively in the text, in either tokenisation. An Aho-Corasick machine over tokens, so
    # a scan costs O(text length + distinct entries found) whatever the size of the list.
    def __init__(self, entries: Iterable[str]) -> None:
        self.entries: tuple[str, ...] = tuple(entries)
        self._goto: list[dict[str, int]] = [{}]
        self._terminal: list[list[int]] = [[]]  # entry indexes that end exactly at a state
        for index, entry in enumerate(self.entries):
            state = 0
            for token in tokens(entry):
                nxt = self._goto[state].get(token)
                if nxt is None:
                    nxt = len(self._goto)
                    self._goto[state][token] = nxt
                    self._goto.append({})
                    self._terminal.append([])
                state = nxt
            if state:  # an entry with no word characters matches nothing
                self._terminal[state].append(index)
        self._fail = [0] * len(self._goto)
        # Nearest proper suffix state where an entry ends (0: none).
        self._out_link = [0] * len(self._goto)
        queue = deque(self._goto[0].values())
        while queue:
            state = queue.popleft()
            for token, child in self._goto[state].items():
                queue.append(child)
                fall = self._fail[state]
                while fall and token not in self._goto[fall]:
                    fall = self._fail[fall]
                target = self._goto[fall].get(token, 0)
                self._fail[child] = target
                self._out_link[child] = target if self._terminal[target] else self._out_link[target]

    def scan(self, text: str) -> MatchScan:
        """Entries found in `text`, in list order, with the number of automaton steps taken."""
        goto, fail, terminal, out_link = self._goto, self._fail, self._terminal, self._out_link
        steps = token_count = 0
        reached: set[int] = set()
        if len(goto) > 1:
            for stream in (tokens(text), tokens(text, split_on_punctuation=True)):
                token_count += len(stream)
                state = 0
                for token in stream:
                    while state and token not in goto[state]:
                        state = fail[state]
                        steps += 1
                    state = goto[state].get(token, 0)
                    steps += 1
                    if state:
                        reached.add(state)
        # Report each entry once: walk the output links, stopping at a state already reported,
        # so the walk costs one step per distinct entry state found.
        reported: set[int] = set()
        for state in reached:
            node = state if terminal[state] else out_link[state]
            while node and node not in reported:
                reported.add(node)
                steps += 1
                node = out_link[node]
        indexes = sorted(i for node in reported for i in terminal[node])
        return MatchScan(tuple(self.entries[i] for i in indexes), steps, token_count)

    def find(self, text: str) -> list[str]:
        """Entries (as given) found in `text`, in list order."""
        return list(self.scan(text).matches)


# Links

# Top-level domains that make a bare "name.tld" count as a link. Kept short: "e.g." or "3.5"
# must not count, and a scheme or "www." catches the rest.
_LINK_TLDS = frozenset(
    ("com", "net", "org", "info", "biz", "io", "co", "me", "tv", "ly", "gl", "to", "be", "ru")
    + ("su", "cn", "uk", "de", "fr", "nl", "eu", "us", "xyz", "top", "site", "online", "club")
    + ("shop", "app", "dev", "link", "live", "news", "click")
)
_EDGE_PUNCTUATION = "()[]{}<>\"'`.,;:!?*"


def _is_link(chunk: str) -> bool:
    if "://" in chunk or chunk.startswith("www.") or "/www." in chunk:
        return True
    host = chunk.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    labels = host.split(".")
    if len(labels) < 2 or labels[-1] not in _LINK_TLDS:
        return False  # also e-mail addresses: "@" is not allowed in a label
    return all(label and all(ch.isalnum() or ch == "-" for ch in label) for label in labels)


def count_links(text: str) -> int:
    """Number of whitespace-separated chunks holding a URL (scheme, "www." or "example.com/x")."""
    # One chunk counts once even if several URLs are glued together; e-mail addresses are not
    # links. Linear in the text length: no backtracking patterns.
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = "".join(ch for ch in folded if unicodedata.category(ch) != "Cf")
    return sum(1 for chunk in folded.split() if _is_link(chunk.strip(_EDGE_PUNCTUATION)))


# The checks, in pipeline order. Each returns None when it has nothing to say.


def check_question_open(submission: Submission) -> Verdict | None:
    """A closed question takes no comments (input error, 409)."""
    return None if submission.question_open else Verdict(INVALID, ("question_closed",))


def _has_visible_text(body: str) -> bool:
    return any(
        not ch.isspace()
        and ch not in _BLANK_LOOKALIKES
        and unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Zs", "Zl", "Zp", "Mn", "Me")
        for ch in body
    )


def check_length(submission: Submission) -> Verdict | None:
    """1 to COMMENT_MAX code points after stripping; invisible-only text is empty (422)."""
    body = submission.body.strip()
    if len(body) < MIN_BODY_CHARS or not _has_visible_text(body):
        return Verdict(INVALID, ("empty",))
    if len(body) > COMMENT_MAX:
        return Verdict(INVALID, ("too_long",))
    return None


def check_duplicate(submission: Submission, reader: ReaderRecord) -> Verdict | None:
    """The reader already posted this normalised text within DUPLICATE_WINDOW."""
    if fingerprint(submission.body) in reader.recent_fingerprints:
        return Verdict(CommentStatus.REJECTED, ("duplicate",))
    return None


def check_bot_signals(
    submission: Submission, min_fill_seconds: float = DEFAULT_MIN_FILL_SECONDS
) -> Verdict | None:
    """Honeypot filled or form sent too fast: withheld, and the sender is not told."""
    if submission.honeypot.strip():
        return Verdict(CommentStatus.WITHHELD, ("honeypot",))
    seconds = submission.fill_seconds
    # Written as "not >=" so NaN (a forged value) counts as too fast.
    if seconds is not None and not seconds >= min_fill_seconds:
        return Verdict(CommentStatus.WITHHELD, ("too_fast",))
    return None


def check_words(submission: Submission, words: WordLists) -> Verdict | None:
    """Banned words reject; suspect words hold the comment for a moderator."""
    banned = words.banned_matcher.find(submission.body)
    if banned:
        return Verdict(CommentStatus.REJECTED, ("banned_word",), matched=tuple(banned))
    suspect = words.suspect_matcher.find(submission.body)
    if suspect:
        return Verdict(CommentStatus.WITHHELD, ("suspect_word",), matched=tuple(suspect))
    return None


def check_links(submission: Submission) -> Verdict | None:
    """More than MAX_LINKS links reject; any link holds the comment."""
    links = count_links(submission.body)
    if links > MAX_LINKS:
        return Verdict(CommentStatus.REJECTED, ("too_many_links",))
    if links:
        return Verdict(CommentStatus.WITHHELD, ("contains_link",))
    return None


def check_reader_restrictions(reader: ReaderRecord) -> Verdict | None:
    """A banned reader's comment is rejected; a premoderated reader's waits."""
    if reader.banned:
        return Verdict(CommentStatus.REJECTED, ("reader_banned",))
    if reader.premod:
        return Verdict(CommentStatus.PENDING, ("reader_premod",))
    return None


def check_new_reader(reader: ReaderRecord) -> Verdict | None:
    """Readers wait for review until MIN_APPROVED_FOR_TRUST of their comments were approved."""
    if reader.approved_count < MIN_APPROVED_FOR_TRUST:
        return Verdict(CommentStatus.PENDING, ("new_reader",))
    return None


def check_rejection_rate(reader: ReaderRecord) -> Verdict | None:
    """At least 30 % of the last 7 days' decisions were rejections (from 3 decisions on)."""
    decisions = reader.decisions_7d
    if decisions < MIN_DECISIONS_FOR_RATE:
        return None
    if reader.rejections_7d * REJECTION_RATE_DENOMINATOR >= decisions * REJECTION_RATE_NUMERATOR:
        return Verdict(CommentStatus.PENDING, ("high_rejection_rate",))
    return None


def check_mode(submission: Submission) -> Verdict:
    """Premoderated questions hold every comment; postmoderated ones publish at once."""
    if submission.mode == "post":
        return Verdict(CommentStatus.APPROVED, ("postmoderation",))
    return Verdict(CommentStatus.PENDING, ("premoderation",))


def evaluate(
    submission: Submission,
    reader: ReaderRecord,
    words: WordLists,
    min_fill_seconds: float = DEFAULT_MIN_FILL_SECONDS,
) -> Verdict:
    """Run the checks in order: the first that refuses, rejects or withholds decides."""
    checks: tuple[Callable[[], Verdict | None], ...] = (
        lambda: check_question_open(submission),
        lambda: check_length(submission),
        lambda: check_duplicate(submission, reader),
        lambda: check_bot_signals(submission, min_fill_seconds),
        lambda: check_words(submission, words),
        lambda: check_links(submission),
        lambda: check_reader_restrictions(reader),
        lambda: check_new_reader(reader),
        lambda: check_rejection_rate(reader),
        lambda: check_mode(submission),
    )
    # A closed question comes first: rewording the comment cannot fix that.
    pending: list[str] = []
    for check in checks:
        verdict = check()
        if verdict is None:
            continue
        if verdict.status == CommentStatus.PENDING:
            pending.extend(verdict.reasons)
        elif verdict.status == CommentStatus.APPROVED:
            return Verdict(CommentStatus.PENDING, tuple(pending)) if pending else verdict
        else:
            return verdict
    return Verdict(CommentStatus.PENDING, tuple(pending))
