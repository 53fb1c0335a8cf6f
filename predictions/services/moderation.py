"""Moderators' work: queues, guarded decisions, bans, premoderation and word lists, all audited.

Pure of Flask. Every change adds its audit row in the same transaction; the caller commits.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from ..core import moderator_decisions as decisions
from ..core.rendering import clean_text
from ..errors import Conflict, Invalid
from ..extensions import db
from ..models import Comment, CommentStatus, Moderator, Reader, WordListEntry, utcnow
from . import counts
from .audit import record
from .queues import expected_state

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
        raise Invalid(errors=errors)
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
            field="expected_status",
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
        raise Invalid(errors={"ids": ["Select at least one comment."]})
    if len(ids) > decisions.BULK_MAX:
        raise Invalid(errors={"ids": [f"Select at most {decisions.BULK_MAX} comments at once."]})
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
        raise Invalid(errors=errors)
    if not _set_ban(reader, now or utcnow(), reason):
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


def _set_ban(reader: Reader, banned_at: datetime | None, reason: str | None) -> bool:
    """Ban (banned_at set) or lift a ban, guarded: False when the reader was already so."""
    was = Reader.banned_at.is_(None) if banned_at is not None else Reader.banned_at.is_not(None)
    changed = db.session.execute(
        db.update(Reader)
        .where(Reader.id == reader.id, was)
        .values(banned_at=banned_at, ban_reason=reason)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(reader)
    return changed == 1


def unban(reader: Reader, moderator: Moderator, note: str | None = None) -> None:
    """Lift a ban: the reader's standing forecasts count again."""
    note = _clean_note(note)
    if not _set_ban(reader, None, None):
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
        raise Invalid(errors=errors)
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
