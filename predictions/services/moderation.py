"""Moderators' work: queues, guarded decisions, bans, premoderation and word lists, all audited.

Pure of Flask. Every change adds its audit row in the same transaction; the caller commits.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from .. import decisions
from ..extensions import db
from ..models import (
    Comment,
    CommentRevision,
    CommentStatus,
    Flag,
    Moderator,
    Question,
    Reader,
    WordListEntry,
    utcnow,
)
from ..rendering import clean_text
from . import counts
from .audit import AuditEntry, latest_for_comments, record
from .paging import Page, paginate


class Conflict(Exception):
    """Someone else changed the subject first: the guarded update matched no row."""

    def __init__(self, message: str, current_status: str | None = None):
        super().__init__(message)
        self.current_status = current_status


class Invalid(ValueError):
    """Well-formed input that breaks a rule, with per-field messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(m for ms in errors.values() for m in ms))
        self.errors = errors


# ---- queues


def queue_query(name: str):
    """The comments of one queue, oldest first (the Reported queue by when it was reported)."""
    query = db.select(Comment)
    if name == decisions.REPORTED:
        return query.where(
            Comment.status == CommentStatus.APPROVED, Comment.reported_at.is_not(None)
        ).order_by(Comment.reported_at, Comment.id)
    return query.where(Comment.status == name).order_by(Comment.created_at, Comment.id)


def queue(name: str, page: int, per_page: int) -> Page:
    """One page of a queue."""
    return paginate(queue_query(name), page, per_page)


def queue_sizes() -> dict[str, int]:
    """How many comments wait in each queue."""
    by_status = dict(
        db.session.execute(
            db.select(Comment.status, db.func.count()).group_by(Comment.status)
        ).all()
    )
    reported = db.session.scalar(
        db.select(db.func.count()).where(
            Comment.status == CommentStatus.APPROVED, Comment.reported_at.is_not(None)
        )
    )
    sizes = {name: by_status.get(name, 0) for name in decisions.QUEUES}
    sizes[decisions.REPORTED] = reported
    return sizes


def expected_state(comment: Comment) -> str:
    """The queue state a moderator sees this comment in (what a decision must still find)."""
    if comment.status == CommentStatus.APPROVED and comment.reported_at is not None:
        return decisions.REPORTED
    return comment.status


@dataclass
class Card:
    """A comment with everything a moderator needs to decide on it."""

    comment: Comment
    reader: Reader
    question: Question
    flags: list[Flag] = field(default_factory=list)
    revisions: list[CommentRevision] = field(default_factory=list)
    approved_count: int = 0
    rejected_count: int = 0
    last_decision: AuditEntry | None = None

    @property
    def state(self) -> str:
        return expected_state(self.comment)

    @property
    def flag_reasons(self) -> dict[str, int]:
        return dict(Counter(f.reason for f in self.flags).most_common())


def cards(comments: Sequence[Comment]) -> list[Card]:
    """Cards for these comments, in a fixed handful of queries whatever their number."""
    ids = [c.id for c in comments]
    reader_ids = {c.reader_id for c in comments}
    if not ids:
        return []
    readers = {
        r.id: r for r in db.session.scalars(db.select(Reader).where(Reader.id.in_(reader_ids)))
    }
    question_ids = {c.question_id for c in comments}
    questions = {
        q.id: q
        for q in db.session.scalars(db.select(Question).where(Question.id.in_(question_ids)))
    }
    flags: dict[int, list[Flag]] = defaultdict(list)
    for flag in db.session.scalars(
        db.select(Flag).where(Flag.comment_id.in_(ids)).order_by(Flag.created_at, Flag.id)
    ):
        flags[flag.comment_id].append(flag)
    revisions: dict[int, list[CommentRevision]] = defaultdict(list)
    for revision in db.session.scalars(
        db.select(CommentRevision)
        .where(CommentRevision.comment_id.in_(ids))
        .order_by(CommentRevision.created_at, CommentRevision.id)
    ):
        revisions[revision.comment_id].append(revision)
    history = author_history(reader_ids)
    latest = latest_for_comments(ids)
    return [
        Card(
            comment=c,
            reader=readers[c.reader_id],
            question=questions[c.question_id],
            flags=flags[c.id],
            revisions=revisions[c.id],
            approved_count=history[c.reader_id][CommentStatus.APPROVED],
            rejected_count=history[c.reader_id][CommentStatus.REJECTED],
            last_decision=latest.get(c.id),
        )
        for c in comments
    ]


def author_history(reader_ids: Iterable[str]) -> dict[str, Counter]:
    """How many of each reader's comments stand in each status."""
    history: dict[str, Counter] = defaultdict(Counter)
    rows = db.session.execute(
        db.select(Comment.reader_id, Comment.status, db.func.count())
        .where(Comment.reader_id.in_(list(reader_ids)))
        .group_by(Comment.reader_id, Comment.status)
    )
    for reader_id, status, count in rows:
        history[reader_id][status] = count
    return history


def comments_of(reader: Reader) -> list[Comment]:
    """A reader's comments, newest first, deleted ones left out."""
    return list(
        db.session.scalars(
            db.select(Comment)
            .where(Comment.reader_id == reader.id, Comment.status != CommentStatus.DELETED)
            .order_by(Comment.created_at.desc(), Comment.id.desc())
        )
    )


# ---- decisions


def _guarded_update(comment_id: int, plan: decisions.Plan) -> bool:
    """UPDATE comments SET status = :to WHERE id = :id AND status = :from; True if it matched."""
    query = db.update(Comment).where(Comment.id == comment_id, Comment.status == plan.from_status)
    if plan.must_be_reported:
        query = query.where(Comment.reported_at.is_not(None))
    # Any decision takes the comment out of the Reported queue.
    query = query.values(status=plan.to_status, reported_at=None)
    result = db.session.execute(query.execution_options(synchronize_session=False))
    return result.rowcount == 1


def _plan(action: str, expected: str, reason: str | None, note: str | None) -> decisions.Plan:
    plan, errors = decisions.plan_decision(action, expected, reason or None, note)
    if errors:
        raise Invalid(errors)
    return plan


def _clean_note(note: str | None) -> str | None:
    return clean_text(note).strip() or None if note else None


def decide(
    comment: Comment,
    action: str,
    moderator: Moderator,
    expected: str,
    reason: str | None = None,
    note: str | None = None,
) -> Comment:
    """Approve, reject or mark as spam a comment still in `expected`; Conflict if it moved."""
    note = _clean_note(note)
    plan = _plan(action, expected, reason, note)
    _apply(comment, plan, moderator, reason or None, note)
    return comment


def _apply(
    comment: Comment, plan: decisions.Plan, moderator: Moderator, reason: str | None, note
) -> None:
    if not _guarded_update(comment.id, plan):
        db.session.refresh(comment)
        raise Conflict(
            "The comment was already handled by someone else: "
            f"it is now {expected_state(comment)}.",
            expected_state(comment),
        )
    db.session.refresh(comment)
    record(
        plan.action,
        moderator,
        comment_id=comment.id,
        reader_id=comment.reader_id,
        from_status=plan.audit_from,
        to_status=plan.to_status,
        reason=reason,
        note=note,
    )


@dataclass(frozen=True)
class BulkResult:
    done: list[int]
    conflicts: list[int]


def bulk_decide(
    comment_ids: Iterable[int],
    action: str,
    moderator: Moderator,
    expected: str,
    reason: str | None = None,
    note: str | None = None,
) -> BulkResult:
    """The same decision on many comments, each guarded and audited on its own."""
    ids = list(dict.fromkeys(comment_ids))
    if not ids:
        raise Invalid({"ids": ["Select at least one comment."]})
    if len(ids) > decisions.BULK_MAX:
        raise Invalid({"ids": [f"Select at most {decisions.BULK_MAX} comments at once."]})
    note = _clean_note(note)
    plan = _plan(action, expected, reason, note)
    found = {c.id: c for c in db.session.scalars(db.select(Comment).where(Comment.id.in_(ids)))}
    done, conflicts = [], []
    for comment_id in ids:
        comment = found.get(comment_id)
        try:
            if comment is None:
                raise Conflict("The comment no longer exists.")
            _apply(comment, plan, moderator, reason or None, note)
        except Conflict:
            conflicts.append(comment_id)
        else:
            done.append(comment_id)
    return BulkResult(done, conflicts)


# ---- readers


def ban(
    reader: Reader,
    moderator: Moderator,
    reason: str,
    note: str | None = None,
    reject_comments: bool = False,
    now: datetime | None = None,
) -> list[int]:
    """Ban a reader: their forecasts leave the aggregates; returns the comments rejected."""
    note = _clean_note(note)
    if errors := decisions.reason_problem(reason, note):
        raise Invalid(errors)
    now = now or utcnow()
    banned = db.session.execute(
        db.update(Reader)
        .where(Reader.id == reader.id, Reader.banned_at.is_(None))
        .values(banned_at=now, ban_reason=reason)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(reader)
    if not banned:
        raise Conflict("The reader is already banned.")
    # Only the moderator whose UPDATE matched gets here, so the counts move exactly once.
    counts.shift_reader(reader, -1)
    record(decisions.BAN, moderator, reader_id=reader.id, reason=reason, note=note)
    rejected = []
    if reject_comments:
        standing = (CommentStatus.PENDING, CommentStatus.WITHHELD, CommentStatus.APPROVED)
        for comment in db.session.scalars(
            db.select(Comment)
            .where(Comment.reader_id == reader.id, Comment.status.in_(standing))
            .order_by(Comment.id)
        ):
            plan = _plan(decisions.REJECT, expected_state(comment), reason, note)
            try:
                _apply(
                    comment,
                    plan,
                    moderator,
                    reason,
                    "Reader banned." + (f" {note}" if note else ""),
                )
            except Conflict:
                continue
            rejected.append(comment.id)
    return rejected


def unban(reader: Reader, moderator: Moderator, note: str | None = None) -> None:
    """Lift a ban: the reader's standing forecasts count again."""
    note = _clean_note(note)
    unbanned = db.session.execute(
        db.update(Reader)
        .where(Reader.id == reader.id, Reader.banned_at.is_not(None))
        .values(banned_at=None, ban_reason=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(reader)
    if not unbanned:
        raise Conflict("The reader is not banned.")
    counts.shift_reader(reader, +1)
    record(decisions.UNBAN, moderator, reader_id=reader.id, note=note)


def set_premod(reader: Reader, on: bool, moderator: Moderator) -> bool:
    """Hold (or stop holding) all of a reader's comments for review; False if nothing changed."""
    if reader.premod == on:
        return False
    reader.premod = on
    db.session.flush()
    action = decisions.PREMOD_ON if on else decisions.PREMOD_OFF
    record(action, moderator, reader_id=reader.id)
    return True


# ---- word lists

WORD_KINDS = ("banned", "suspect")
PHRASE_MAX = 200


def word_lists() -> dict[str, list[WordListEntry]]:
    """The banned and suspect entries, alphabetically."""
    lists: dict[str, list[WordListEntry]] = {kind: [] for kind in WORD_KINDS}
    for entry in db.session.scalars(
        db.select(WordListEntry).order_by(WordListEntry.kind, WordListEntry.phrase)
    ):
        lists[entry.kind].append(entry)
    return lists


def add_word(kind: str, phrase: str, moderator: Moderator) -> WordListEntry:
    """Add a banned or suspect word or phrase (stored as typed, matched tolerantly)."""
    phrase = " ".join(clean_text(phrase or "").split())
    errors = {}
    if kind not in WORD_KINDS:
        errors["kind"] = [f"Choose one of: {', '.join(WORD_KINDS)}."]
    if not phrase:
        errors["phrase"] = ["Enter a word or phrase."]
    elif len(phrase) > PHRASE_MAX:
        errors["phrase"] = [f"Keep it within {PHRASE_MAX} characters."]
    elif db.session.scalar(db.select(WordListEntry.id).filter_by(kind=kind, phrase=phrase)):
        errors["phrase"] = [f"Already on the {kind} list."]
    if errors:
        raise Invalid(errors)
    entry = WordListEntry(kind=kind, phrase=phrase)
    db.session.add(entry)
    db.session.flush()
    record(decisions.WORD_ADD, moderator, reason=kind, note=phrase)
    return entry


def remove_word(entry_id: int, moderator: Moderator) -> WordListEntry:
    """Remove an entry from its list; Conflict if someone else removed it first."""
    entry = db.session.get(WordListEntry, entry_id)
    if entry is None:
        raise Conflict("That entry is no longer on the list.")
    kind, phrase = entry.kind, entry.phrase
    removed = db.session.execute(
        db.delete(WordListEntry)
        .where(WordListEntry.id == entry_id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not removed:
        raise Conflict("That entry is no longer on the list.")
    db.session.expunge(entry)
    record(decisions.WORD_REMOVE, moderator, reason=kind, note=phrase)
    return entry
