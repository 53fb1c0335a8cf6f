"""Tests for predictions.core.comment_rules: each check, their order, and linear-time matching."""

import dataclasses
import random
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from predictions.core.comment_rules import (
    REASONS,
    CommentStatus,
    PhraseMatcher,
    ReaderRecord,
    Submission,
    Verdict,
    WordLists,
    check_bot_signals,
    check_duplicate,
    check_length,
    check_links,
    check_mode,
    check_new_reader,
    check_question_open,
    check_reader_restrictions,
    check_rejection_rate,
    check_words,
    count_links,
    evaluate,
    fingerprint,
    normalise,
    tokens,
)

TRUSTED = ReaderRecord(approved_count=5, decisions_7d=5, rejections_7d=0)
WORDS = WordLists(banned=("idiot", "go back to russia"), suspect=("stupid", "shut up"))
FAST = settings(max_examples=200, deadline=None, database=None)


def pending(*reasons: str) -> Verdict:
    return Verdict("pending", reasons)


def withheld(reason: str) -> Verdict:
    return Verdict("withheld", (reason,))


def rejected(reason: str) -> Verdict:
    return Verdict("rejected", (reason,))


def invalid(reason: str) -> Verdict:
    return Verdict("invalid", (reason,))


# --- normalisation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello World", "hello world"),
        ("  many   spaces\n\tand lines  ", "many spaces and lines"),
        ("Idiót Ünïcödé café", "idiot unicode cafe"),
        ("STRASSE Straße", "strasse strasse"),
        ("ＦＵＬＬＷＩＤＴＨ ﬁne", "fullwidth fine"),
        ("zero\u200bwidth \u202ebidi\u202c soft\u00adhyphen", "zerowidth bidi softhyphen"),
        ("nul\x00byte", "nulbyte"),
        ("punctuation, kept!", "punctuation, kept!"),
        ("Ωμέγα ИДИОТ 日本", "ωμεγα идиот 日本"),
        ("\U0001f600 emoji", "\U0001f600 emoji"),
        ("", ""),
    ],
)
def test_normalise(text, expected):
    assert normalise(text) == expected


@given(st.text())
@FAST
def test_normalise_is_idempotent(text):
    assert normalise(normalise(text)) == normalise(text)


@given(st.text(alphabet=string.ascii_letters + " \n\t", max_size=60))
@FAST
def test_fingerprint_ignores_case_and_whitespace(text):
    variant = "  " + text.upper().replace(" ", " \n ") + "\t"
    assert fingerprint(variant) == fingerprint(text)


def test_fingerprint_is_sha256_hex_of_normalised_text():
    import hashlib

    assert fingerprint(" Héllo  WORLD ") == hashlib.sha256(b"hello world").hexdigest()
    assert fingerprint("hello world") != fingerprint("hello world!")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("You IDIOT!", ["you", "idiot"]),
        ("i.d.i.o.t id-iot id_iot i'd'i'o't", ["idiot"] * 4),
        ("i d i o t", ["i", "d", "i", "o", "t"]),
        ("idiót ÍDÏÔT", ["idiot", "idiot"]),
        ("1d10t $hit a$$ @ss", ["idiot", "shit", "ass", "ass"]),
        ("$5 1488 100%", ["5", "1488", "100"]),
        ("ІDІОТ", ["idiot"]),  # Cyrillic І, О and Т
        ("id\u200biot i\u00add\u00adiot", ["idiot", "idiot"]),
        ("idi\U0001f4a9ot", ["idiot"]),
        ("...  ---  !!!", []),
        ("go\nback\tto  russia", ["go", "back", "to", "russia"]),
    ],
)
def test_tokens(text, expected):
    assert tokens(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("you,idiot", ["you", "idiot"]),
        ("go-back-to-russia", ["go", "back", "to", "russia"]),
        ("i.d.i.o.t", ["i", "d", "i", "o", "t"]),
        ("a$$-hat", ["ass", "hat"]),
    ],
)
def test_tokens_split_on_punctuation(text, expected):
    assert tokens(text, split_on_punctuation=True) == expected


# --- phrase matching -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entries", "text", "expected"),
    [
        # case, accents, compatibility forms, confusables, leetspeak
        (["idiot"], "You IDIOT!", ["idiot"]),
        (["idiot"], "what an idiót", ["idiot"]),
        (["idiót"], "what an idiot", ["idiót"]),
        (["idiot"], "ＩＤＩＯＴ", ["idiot"]),
        (["idiot"], "ІDІОТ", ["idiot"]),
        (["idiot"], "1d10t", ["idiot"]),
        (["straße"], "STRASSE", ["straße"]),
        (["идиот"], "Идиот!", ["идиот"]),
        (["идиот"], "идиoт", ["идиот"]),  # Latin "o" in a Russian word
        # punctuation and invisible characters inside a word are nothing
        (["idiot"], "i.d.i.o.t", ["idiot"]),
        (["idiot"], "id-iot", ["idiot"]),
        (["idiot"], "i_d_i_o_t!!!", ["idiot"]),
        (["idiot"], "id\u200biot", ["idiot"]),
        (["idiot"], "(idiot)", ["idiot"]),
        # punctuation between words separates them too
        (["idiot"], "you,idiot", ["idiot"]),
        (["ass"], "bad-ass", ["ass"]),
        (["ass"], "a$$", ["ass"]),
        # whitespace separates: letters spread over words do not make the word
        (["idiot"], "i d i o t", []),
        # whole words only: no substrings of other words
        (["ass"], "class passage assassin", []),
        (["cum"], "document cumulative", []),
        (["idiot"], "idiots idiotic", []),
        (["hell"], "hello shell", []),
        # phrases: consecutive whole words, across whitespace and punctuation
        (["go back to russia"], "Go back to Russia!", ["go back to russia"]),
        (["go back to russia"], "go   back\nto\tRUSSIA", ["go back to russia"]),
        (["go back to russia"], "go-back-to-russia", ["go back to russia"]),
        (["go back to russia"], "go back to r.u.s.s.i.a", ["go back to russia"]),
        (["go back to russia"], "just go back, to russia.", ["go back to russia"]),
        (["go back to russia"], "go back to", []),
        (["go back to russia"], "go back to russian", []),
        (["go back to russia"], "go back home to russia", []),
        (["back to"], "go back to russia", ["back to"]),
        # overlaps, suffixes and failure links
        (["a b", "b c"], "a b c", ["a b", "b c"]),
        (["a a b"], "a a a b", ["a a b"]),
        (["b", "a b c"], "a b d", ["b"]),
        (["a b c d", "b c"], "a b c e", ["b c"]),
        # entries reported once, in list order, as typed
        (["zeta", "alpha", "Alpha"], "alpha zeta alpha", ["zeta", "alpha", "Alpha"]),
        # degenerate entries and texts
        (["!!!", ""], "!!! anything", []),
        (["idiot"], "", []),
        ([], "idiot", []),
    ],
)
def test_phrase_matcher(entries, text, expected):
    assert PhraseMatcher(entries).find(text) == expected


def _naive_find(entries: list[str], text: str) -> list[str]:
    """Reference: try every entry at every position of both tokenisations."""
    streams = [tokens(text), tokens(text, split_on_punctuation=True)]
    found = []
    for entry in entries:
        needle = tokens(entry)
        if needle and any(
            stream[i : i + len(needle)] == needle
            for stream in streams
            for i in range(len(stream) - len(needle) + 1)
        ):
            found.append(entry)
    return found


phrases = st.lists(st.sampled_from(["a", "b", "c", "ab"]), min_size=1, max_size=4).map(" ".join)
texts = st.lists(st.sampled_from(["a", "b", "c", "ab", "a.b", "b-c", "A", "á"]), max_size=30).map(
    " ".join
)


@given(st.lists(phrases, max_size=8), texts)
@FAST
def test_phrase_matcher_agrees_with_naive_search(entries, text):
    assert PhraseMatcher(entries).find(text) == _naive_find(entries, text)


def _word_list(size: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 10))) for _ in range(size)]


def test_matching_is_linear_on_adversarial_input():
    """Counted work, not time: a naive matcher would do ~tokens x phrase length steps here."""
    phrases = ["a " * k + "b" for k in range(1, 400)]  # "a a ... a b": never completes
    matcher = PhraseMatcher(phrases + _word_list(20_000))
    text = "a " * 100_000  # 200k characters, 100k tokens
    assert len(text) == 200_000
    scan = matcher.scan(text)
    assert scan.matches == ()
    assert scan.token_count == 200_000  # two tokenisations of 100k tokens
    # Each token costs one transition, plus at most one failure step per earlier transition.
    assert scan.steps <= 2 * scan.token_count
    # Twice the text, twice the work (a naive scan would re-read up to 399 tokens per position).
    doubled = matcher.scan(text * 2)
    assert doubled.token_count == 2 * scan.token_count
    assert doubled.steps <= 2.01 * scan.steps


def test_matching_reports_many_entries_without_rescanning():
    """Entries "a", "a a", ... all end at each position; each is reported once."""
    nested = [" ".join(["a"] * k) for k in range(1, 400)]
    matcher = PhraseMatcher(nested)
    short, long = matcher.scan("a " * 50_000), matcher.scan("a " * 100_000)
    assert short.matches == long.matches == tuple(nested)
    assert long.steps <= 2 * long.token_count + len(nested)
    assert long.steps <= 2.01 * short.steps


def test_word_list_size_does_not_change_the_work_per_token():
    text = " ".join(_word_list(5_000, seed=1))
    small, large = PhraseMatcher(_word_list(100)), PhraseMatcher(_word_list(50_000))
    small_scan, large_scan = small.scan(text), large.scan(text)
    matched = len(large_scan.matches)
    assert large_scan.steps <= 2 * large_scan.token_count + matched
    assert small_scan.steps <= 2 * small_scan.token_count + len(small_scan.matches)


def test_word_lists_build_their_matchers_once():
    words = WordLists(banned=["idiot"], suspect=["stupid"])
    assert words.banned == ("idiot",)
    assert words.banned_matcher is words.banned_matcher
    assert words.suspect_matcher.find("Stupid!") == ["stupid"]


# --- links -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("no links here", 0),
        ("e.g. 3.5 percent, U.S. policy, node.js, Mr.Smith", 0),
        ("write to bob@example.com", 0),
        ("see https://example.com/a?b=c", 1),
        ("(http://example.com).", 1),
        ("HTTPS://EXAMPLE.COM", 1),
        ("ftp://files.example", 1),
        ("hxxp://evil.example", 1),
        ("www.example.org", 1),
        ("example.com", 1),
        ("visit Example.RU/path, now", 1),
        ("t.me/channel", 1),
        ("ｅｘａｍｐｌｅ．ｃｏｍ", 1),
        ("exa\u200bmple.com", 1),
        ("http://a.example http://b.example", 2),
        ("a.com b.net c.org", 3),
        ("http://a.example\nwww.b.example\nc.com/x\nhttps://d.example", 4),
    ],
)
def test_count_links(text, expected):
    assert count_links(text) == expected


# --- the checks, one by one ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question_open", "expected"), [(True, None), (False, invalid("question_closed"))]
)
def test_check_question_open(question_open, expected):
    assert check_question_open(Submission("hi", question_open=question_open)) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("", invalid("empty")),
        ("   \n\t  ", invalid("empty")),
        ("\u200b\u200b\ufeff", invalid("empty")),
        ("\u2800 \u3164", invalid("empty")),
        ("\x00\x01", invalid("empty")),
        ("a", None),
        ("😀", None),
        ("x" * 2000, None),
        ("  " + "x" * 2000 + "\n\n", None),
        ("😀" * 2000, None),
        ("x" * 2001, invalid("too_long")),
    ],
)
def test_check_length(body, expected):
    assert check_length(Submission(body)) == expected


def test_a_closed_question_is_an_input_error_before_the_text_is_looked_at():
    verdict = evaluate(Submission("", question_open=False), TRUSTED, WORDS)
    assert verdict.is_input_error and verdict.reasons == ("question_closed",)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("  hello   WORLD ", rejected("duplicate")),
        ("Hellö world", rejected("duplicate")),
        ("hello\u200b world", rejected("duplicate")),
        ("hello world!", None),
        ("hello there world", None),
    ],
)
def test_check_duplicate(body, expected):
    reader = ReaderRecord(recent_fingerprints=frozenset({fingerprint("Hello world")}))
    assert check_duplicate(Submission(body), reader) == expected


@pytest.mark.parametrize(
    ("honeypot", "fill_seconds", "min_fill", "expected"),
    [
        ("", None, 3.0, None),  # API client: no form, no timing
        ("", 10.0, 3.0, None),
        ("", 3.0, 3.0, None),
        ("", 2.999, 3.0, withheld("too_fast")),
        ("", 0.0, 3.0, withheld("too_fast")),
        ("", -5.0, 3.0, withheld("too_fast")),
        ("", float("nan"), 3.0, withheld("too_fast")),
        ("", 0.5, 0.0, None),
        ("http://spam.example", 10.0, 3.0, withheld("honeypot")),
        ("x", 0.1, 3.0, withheld("honeypot")),
        ("  ", 10.0, 3.0, None),
    ],
)
def test_check_bot_signals(honeypot, fill_seconds, min_fill, expected):
    submission = Submission("hi", honeypot=honeypot, fill_seconds=fill_seconds)
    assert check_bot_signals(submission, min_fill) == expected


@pytest.mark.parametrize(
    ("body", "expected", "matched"),
    [
        ("a thoughtful comment", None, ()),
        ("you I.D.I.O.T", rejected("banned_word"), ("idiot",)),
        ("Go back to Russia!", rejected("banned_word"), ("go back to russia",)),
        ("stupid idiot", rejected("banned_word"), ("idiot",)),
        ("that's STUPÍD", withheld("suspect_word"), ("stupid",)),
        ("shut-up", withheld("suspect_word"), ("shut up",)),
        ("stupidity is not banned", None, ()),
    ],
)
def test_check_words(body, expected, matched):
    verdict = check_words(Submission(body), WORDS)
    assert verdict == expected
    assert (verdict.matched if verdict else ()) == matched


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("no link", None),
        ("see example.com", withheld("contains_link")),
        ("http://a.example http://b.example", withheld("contains_link")),
        ("http://a.example http://b.example www.c.example", rejected("too_many_links")),
    ],
)
def test_check_links(body, expected):
    assert check_links(Submission(body)) == expected


@pytest.mark.parametrize(
    ("reader", "expected"),
    [
        (ReaderRecord(), None),
        (ReaderRecord(premod=True), pending("reader_premod")),
        (ReaderRecord(banned=True), rejected("reader_banned")),
        (ReaderRecord(banned=True, premod=True), rejected("reader_banned")),
    ],
)
def test_check_reader_restrictions(reader, expected):
    assert check_reader_restrictions(reader) == expected


@pytest.mark.parametrize(
    ("approved", "expected"), [(0, pending("new_reader")), (1, pending("new_reader")), (2, None)]
)
def test_check_new_reader(approved, expected):
    assert check_new_reader(ReaderRecord(approved_count=approved)) == expected


@pytest.mark.parametrize(
    ("decisions", "rejections", "expected"),
    [
        (0, 0, None),
        (2, 2, None),  # too few decisions to judge
        (3, 0, None),
        (3, 1, pending("high_rejection_rate")),  # 33 %
        (10, 3, pending("high_rejection_rate")),  # exactly 30 %
        (10, 2, None),
        (100, 29, None),
        (100, 30, pending("high_rejection_rate")),
    ],
)
def test_check_rejection_rate(decisions, rejections, expected):
    reader = ReaderRecord(decisions_7d=decisions, rejections_7d=rejections)
    assert check_rejection_rate(reader) == expected


@pytest.mark.parametrize(
    ("mode", "expected"),
    [("pre", pending("premoderation")), ("post", Verdict("approved", ("postmoderation",)))],
)
def test_check_mode(mode, expected):
    assert check_mode(Submission("hi", mode=mode)) == expected


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="moderation mode"):
        Submission("hi", mode="none")


# --- the pipeline ----------------------------------------------------------------------------

BANNED = ReaderRecord(banned=True, approved_count=5)
DUPE = fingerprint("same again")


@pytest.mark.parametrize(
    ("submission", "reader", "expected"),
    [
        # input errors come first; a closed question before the body
        (Submission("", question_open=False), TRUSTED, invalid("question_closed")),
        (Submission("x" * 2001, question_open=False), TRUSTED, invalid("question_closed")),
        (Submission("  ", honeypot="bot"), BANNED, invalid("empty")),
        (Submission("idiot " * 400), TRUSTED, invalid("too_long")),
        # duplicate before bot signals
        (
            Submission("Same again", honeypot="bot"),
            dataclasses.replace(TRUSTED, recent_fingerprints=frozenset({DUPE})),
            rejected("duplicate"),
        ),
        # bot signals before words, links and the reader
        (Submission("idiot", honeypot="bot"), BANNED, withheld("honeypot")),
        (Submission("idiot http://x.example", fill_seconds=1), BANNED, withheld("too_fast")),
        # banned before suspect words, words before links
        (Submission("stupid idiot"), TRUSTED, rejected("banned_word")),
        (Submission("idiot a.com b.com c.com"), TRUSTED, rejected("banned_word")),
        (Submission("stupid a.com b.com c.com"), TRUSTED, withheld("suspect_word")),
        # links before the reader's restrictions
        (Submission("a.com b.com c.com"), BANNED, rejected("too_many_links")),
        (Submission("see a.com", mode="post"), BANNED, withheld("contains_link")),
        (Submission("hello", mode="post"), BANNED, rejected("reader_banned")),
        # the same reader with a clean, slow comment
        (Submission("hello", fill_seconds=30), BANNED, rejected("reader_banned")),
    ],
)
def test_first_refusing_check_decides(submission, reader, expected):
    assert evaluate(submission, reader, WORDS) == expected


@pytest.mark.parametrize(
    ("reader", "mode", "expected"),
    [
        (TRUSTED, "pre", pending("premoderation")),
        (TRUSTED, "post", Verdict("approved", ("postmoderation",))),
        (ReaderRecord(), "pre", pending("new_reader", "premoderation")),
        (ReaderRecord(), "post", pending("new_reader")),
        (dataclasses.replace(TRUSTED, premod=True), "post", pending("reader_premod")),
        (
            ReaderRecord(premod=True, approved_count=1, decisions_7d=4, rejections_7d=2),
            "pre",
            pending("reader_premod", "new_reader", "high_rejection_rate", "premoderation"),
        ),
        (
            dataclasses.replace(TRUSTED, decisions_7d=3, rejections_7d=1),
            "post",
            pending("high_rejection_rate"),
        ),
    ],
)
def test_pending_reasons_accumulate(reader, mode, expected):
    assert evaluate(Submission("A fair point.", mode=mode), reader, WORDS) == expected


def test_postmoderation_publishes_a_clean_comment_from_an_established_reader():
    submission = Submission(
        "I think the talks will stall before summer.", mode="post", fill_seconds=45.0
    )
    verdict = evaluate(submission, TRUSTED, WORDS)
    assert verdict.status == "approved"


def test_api_clients_skip_the_fill_time_check():
    verdict = evaluate(Submission("hello", mode="post", fill_seconds=None), TRUSTED, WORDS)
    assert verdict.status == "approved"


def test_min_fill_seconds_is_configurable():
    submission = Submission("hello", mode="post", fill_seconds=4.0)
    assert evaluate(submission, TRUSTED, WORDS).status == "approved"
    assert evaluate(submission, TRUSTED, WORDS, min_fill_seconds=5.0) == withheld("too_fast")


def test_verdict_reports_matched_entries_without_changing_equality():
    verdict = evaluate(Submission("you ídiot"), TRUSTED, WORDS)
    assert verdict == rejected("banned_word")
    assert verdict.matched == ("idiot",)


@given(
    body=st.text(max_size=300),
    question_open=st.booleans(),
    mode=st.sampled_from(["pre", "post"]),
    honeypot=st.sampled_from(["", "x"]),
    fill=st.one_of(st.none(), st.floats(allow_nan=True)),
    banned=st.booleans(),
    premod=st.booleans(),
    approved=st.integers(0, 5),
)
@FAST
def test_every_verdict_is_a_known_status_with_known_reasons(
    body, question_open, mode, honeypot, fill, banned, premod, approved
):
    submission = Submission(body, question_open, mode, honeypot, fill)
    reader = ReaderRecord(banned=banned, premod=premod, approved_count=approved)
    verdict = evaluate(submission, reader, WORDS)
    assert verdict.status in (*CommentStatus, "invalid")
    assert verdict.status != "deleted"
    assert verdict.reasons
    assert set(verdict.reasons) <= set(REASONS)
    if verdict.status != "pending":
        assert len(verdict.reasons) == 1
