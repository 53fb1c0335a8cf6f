"""Comments: every new or edited comment goes through the pipeline (SPEC §6) before it is stored.

The pure rules live in `moderation_rules`; here we load what they need (the author's record,
the word lists), store the verdict and write an audit row for every change of status.
"""

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from ..core import comment_rules as rules
from ..core.rendering import clean_text
from ..errors import Conflict, Invalid, NotFound, Refused
from ..extensions import db
from ..models import (
    Comment,
    CommentRevision,
    CommentStatus,
    Flag,
    Forecast,
    ModerationAction,
    Question,
    Reader,
    Scenario,
    WordListEntry,
    utcnow,
)
from .paging import Page, paginate

SORTS = ("newest", "oldest")
# What an author is shown of their own comment's status: the system's hold is never revealed.
AUTHOR_STATUS = {CommentStatus.WITHHELD: CommentStatus.PENDING}
DECISION_STATUSES = (CommentStatus.APPROVED, CommentStatus.REJECTED)
UNREVIEWED = (CommentStatus.PENDING, CommentStatus.WITHHELD)
EDITED = "edited"
ALREADY_FLAGGED = "You have already flagged this comment."


@dataclass(frozen=True)
class BotSignals:
    """What an HTML form tells about its sender; API clients send none (no fill-time check)."""

    honeypot: str = ""
    fill_seconds: float | None = None
    min_fill_seconds: float = rules.DEFAULT_MIN_FILL_SECONDS


# API clients: no honeypot, no fill time.
NO_SIGNALS = BotSignals()


def status_for_author(status: str) -> str:
    """The status the author may see: a comment withheld by the system looks pending."""
    return AUTHOR_STATUS.get(status, status)


# ---------------------------------------------------------------------------------------------
# The pipeline's inputs

_word_lists: tuple[tuple, rules.WordLists] | None = None


def word_lists() -> rules.WordLists:
    """The banned and suspect entries; the matchers are rebuilt only when the lists change."""
    global _word_lists
    rows = db.session.execute(
        db.select(WordListEntry.kind, WordListEntry.phrase).order_by(WordListEntry.id)
    ).all()
    key = tuple(rows)
    if _word_lists is None or _word_lists[0] != key:
        lists = rules.WordLists(
            banned=tuple(p for kind, p in rows if kind == "banned"),
            suspect=tuple(p for kind, p in rows if kind == "suspect"),
        )
        _word_lists = (key, lists)
    return _word_lists[1]


def reader_record(
    reader: Reader, now: datetime | None = None, exclude_comment_id: int | None = None
) -> rules.ReaderRecord:
    """What the pipeline needs to know about an author, read from their comments and the log."""
    now = now or utcnow()
    approved = db.session.scalar(
        db.select(db.func.count())
        .select_from(Comment)
        .where(Comment.reader_id == reader.id, Comment.status == CommentStatus.APPROVED)
    )
    # Decisions on the reader's comments, by moderators or by the pipeline, in the last 7 days.
    own_comments = db.select(Comment.id).where(Comment.reader_id == reader.id)
    decided = db.session.execute(
        db.select(ModerationAction.to_status, db.func.count())
        .where(
            db.or_(
                ModerationAction.reader_id == reader.id,
                ModerationAction.comment_id.in_(own_comments),
            ),
            ModerationAction.to_status.in_(DECISION_STATUSES),
            ModerationAction.created_at >= now - rules.REJECTION_RATE_WINDOW,
        )
        .group_by(ModerationAction.to_status)
    ).all()
    by_status = dict(decided)
    recent = db.select(Comment.body).where(
        Comment.reader_id == reader.id,
        Comment.status != CommentStatus.DELETED,
        Comment.created_at >= now - rules.DUPLICATE_WINDOW,
    )
    if exclude_comment_id is not None:
        recent = recent.where(Comment.id != exclude_comment_id)
    return rules.ReaderRecord(
        banned=reader.banned_at is not None,
        premod=reader.premod,
        approved_count=approved,
        decisions_7d=sum(by_status.values()),
        rejections_7d=by_status.get(CommentStatus.REJECTED, 0),
        recent_fingerprints=frozenset(rules.fingerprint(b) for b in db.session.scalars(recent)),
    )


def judge(
    question: Question,
    reader: Reader,
    body: str,
    signals: BotSignals = NO_SIGNALS,
    now: datetime | None = None,
    exclude_comment_id: int | None = None,
) -> rules.Verdict:
    """Run the pipeline on a cleaned body; input errors are raised (Conflict or Invalid)."""
    submission = rules.Submission(
        body=body,
        question_open=question.is_open(now),
        mode=question.moderation_mode,
        honeypot=signals.honeypot or "",
        fill_seconds=signals.fill_seconds,
    )
    verdict = rules.evaluate(
        submission,
        reader_record(reader, now, exclude_comment_id),
        word_lists(),
        signals.min_fill_seconds,
    )
    if verdict.is_input_error:
        _refuse(verdict)
    return verdict


def _refuse(verdict: rules.Verdict) -> None:
    (reason,) = verdict.reasons
    if reason == rules.QUESTION_CLOSED:
        raise Conflict(rules.REASONS[reason])
    raise Invalid(rules.REASONS[reason], field="body")


def check_text(question: Question, body: str, now: datetime | None = None) -> None:
    """Refuse what the pipeline refuses of any text (a closed question, an empty or too long
    text) before anything is written: the abuse limits are spent in between."""
    submission = rules.Submission(
        body=clean_text(body).strip(),
        question_open=question.is_open(now),
        mode=question.moderation_mode,
    )
    for check in (rules.check_question_open, rules.check_length):
        if (verdict := check(submission)) is not None:
            _refuse(verdict)


def _audit(
    action: str,
    comment: Comment,
    from_status: str | None,
    to_status: str | None,
    reasons: tuple[str, ...] | list[str] = (),
    note: str | None = None,
) -> None:
    db.session.add(
        ModerationAction(
            moderator_id=None,
            action=action,
            comment_id=comment.id,
            reader_id=comment.reader_id,
            from_status=from_status,
            to_status=to_status,
            reason=",".join(reasons)[:64] or None,
            note=note,
        )
    )


def _matched_note(verdict: rules.Verdict) -> str | None:
    return "matched: " + ", ".join(verdict.matched) if verdict.matched else None


# ---------------------------------------------------------------------------------------------
# Posting, editing, deleting


def forecast_snapshot(question: Question, reader: Reader) -> dict[str, int]:
    """The reader's active forecasts on the question, key -> percent."""
    rows = db.session.execute(
        db.select(Scenario.key, Forecast.percent)
        .join(Scenario, Scenario.id == Forecast.scenario_id)
        .where(
            Forecast.reader_id == reader.id,
            Forecast.question_id == question.id,
            Forecast.ended_at.is_(None),
        )
    )
    return dict(rows.all())


def reply_parent(question: Question, parent_id: int | None) -> Comment | None:
    """The comment a reply answers: published, on this question, and not itself a reply."""
    if parent_id is None:
        return None
    parent = db.session.get(Comment, parent_id)
    if (
        parent is None
        or parent.question_id != question.id
        or parent.status != CommentStatus.APPROVED
    ):
        raise Invalid("Reply to a published comment on this question.", field="parent_id")
    if parent.parent_id is not None:
        raise Invalid(
            "Replies go one level deep: answer the comment it replies to.", field="parent_id"
        )
    return parent


def check_comment(question: Question, body: str, parent_id: int | None = None) -> None:
    """Refuse, before anything is written, a comment or reply create_comment would refuse."""
    check_text(question, body)
    reply_parent(question, parent_id)


def create_comment(
    question: Question,
    reader: Reader,
    body: str,
    snapshot: dict[str, int] | None = None,
    ip_hash: str | None = None,
    parent_id: int | None = None,
    signals: BotSignals = NO_SIGNALS,
    now: datetime | None = None,
) -> Comment:
    """Store a comment in the status the pipeline gives it, with an audit row for the verdict."""
    now = now or utcnow()
    body = clean_text(body).strip()
    verdict = judge(question, reader, body, signals, now)
    reply_parent(question, parent_id)
    if snapshot is None:
        snapshot = forecast_snapshot(question, reader)
    comment = Comment(
        question_id=question.id,
        reader_id=reader.id,
        parent_id=parent_id,
        body=body,
        display_name=reader.display_name,
        status=verdict.status,
        reasons=list(verdict.reasons),
        forecast_snapshot=snapshot,
        ip_hash=ip_hash,
        created_at=now,
    )
    db.session.add(comment)
    db.session.flush()
    _audit("pipeline", comment, None, verdict.status, verdict.reasons, _matched_note(verdict))
    db.session.flush()
    return comment


def get_comment(comment_id: int) -> Comment | None:
    """A comment that has not been deleted."""
    comment = db.session.get(Comment, comment_id)
    return None if comment is None or comment.status == CommentStatus.DELETED else comment


def editable_until(comment: Comment, window: timedelta) -> datetime:
    """The end of the author's edit window."""
    return comment.created_at + window


def can_change(
    comment: Comment, reader: Reader | None, window: timedelta, now: datetime | None = None
) -> bool:
    """Whether this reader may still edit or delete the comment."""
    now = now or utcnow()
    return (
        reader is not None
        and comment.reader_id == reader.id
        and comment.status != CommentStatus.DELETED
        and now < editable_until(comment, window)
    )


def check_edit(
    comment: Comment, reader: Reader, body: str, window: timedelta, now: datetime | None = None
) -> None:
    """Refuse, before anything is written, an edit edit_comment would refuse."""
    now = now or utcnow()
    _check_author(comment, reader, window, now)
    if comment.status == CommentStatus.REJECTED:
        raise Conflict("This comment was not published and can no longer be edited.")
    check_text(db.session.get(Question, comment.question_id), body, now)


def _check_author(
    comment: Comment, reader: Reader | None, window: timedelta, now: datetime
) -> None:
    if reader is None or comment.reader_id != reader.id:
        raise Refused("Only the author can change a comment.")
    if now >= editable_until(comment, window):
        minutes = math.ceil(window.total_seconds() / 60)
        raise Conflict(f"Comments can be changed for {minutes} minutes after posting.")


def _move(comment: Comment, to_status: str, **values) -> None:
    """Change the status only if nobody (a moderator) changed it since we read it."""
    moved = db.session.execute(
        db.update(Comment)
        .where(Comment.id == comment.id, Comment.status == comment.status)
        .values(status=to_status, **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not moved:
        raise Conflict("The comment changed meanwhile; reload and try again.")
    comment.status = to_status
    for name, value in values.items():
        setattr(comment, name, value)


def edit_comment(
    comment: Comment,
    reader: Reader,
    body: str,
    window: timedelta,
    now: datetime | None = None,
) -> Comment:
    """Replace the text (the old one is kept as a revision) and run the pipeline again.

    A published comment goes back to `pending`: an edit must not slip past the moderators.
    """
    now = now or utcnow()
    check_edit(comment, reader, body, window, now)
    body = clean_text(body).strip()
    question = db.session.get(Question, comment.question_id)
    verdict = judge(question, reader, body, now=now, exclude_comment_id=comment.id)
    if body == comment.body:
        return comment
    if comment.status == CommentStatus.APPROVED and verdict.status == CommentStatus.APPROVED:
        status, reasons = CommentStatus.PENDING, (EDITED,)
    elif comment.status == CommentStatus.APPROVED:
        status, reasons = verdict.status, (EDITED, *verdict.reasons)
    else:
        status, reasons = verdict.status, verdict.reasons
    previous = comment.status
    db.session.add(CommentRevision(comment_id=comment.id, body=comment.body, created_at=now))
    _move(comment, status, body=body, edited_at=now, reasons=list(reasons))
    _audit("edit", comment, previous, status, reasons, _matched_note(verdict))
    db.session.flush()
    return comment


def delete_comment(
    comment: Comment, reader: Reader, window: timedelta, now: datetime | None = None
) -> Comment:
    """The author takes their comment down (the text stays for the moderators' records)."""
    now = now or utcnow()
    _check_author(comment, reader, window, now)
    previous = comment.status
    _move(comment, CommentStatus.DELETED)
    _audit("author_delete", comment, previous, CommentStatus.DELETED)
    db.session.flush()
    return comment


def erase_comment(comment: Comment, action: str, note: str | None = None) -> None:
    """Delete a comment for good: status `deleted`, text emptied, earlier texts removed."""
    previous = comment.status
    db.session.execute(
        db.delete(CommentRevision)
        .where(CommentRevision.comment_id == comment.id)
        .execution_options(synchronize_session=False)
    )
    comment.status = CommentStatus.DELETED
    comment.body = ""
    comment.display_name = None
    comment.ip_hash = None
    _audit(action, comment, previous, CommentStatus.DELETED, note=note)


def purge_unreviewed(older_than: timedelta, now: datetime | None = None) -> int:
    """Erase comments still waiting for review after `older_than`; returns how many."""
    now = now or utcnow()
    stale = db.session.scalars(
        db.select(Comment)
        .where(Comment.status.in_(UNREVIEWED), Comment.created_at < now - older_than)
        .order_by(Comment.id)
    ).all()
    days = older_than.days
    for comment in stale:
        erase_comment(comment, "purge", note=f"unreviewed for more than {days} days")
    db.session.flush()
    return len(stale)


# ---------------------------------------------------------------------------------------------
# Flags


def check_flag(comment: Comment, reader: Reader | None) -> None:
    """Refuse, before anything is written, a flag flag_comment would refuse (reader None: a
    newcomer, who has flagged nothing and written nothing)."""
    if comment.status != CommentStatus.APPROVED:
        raise NotFound("No published comment with this id.")
    if reader is None:
        return
    if comment.reader_id == reader.id:
        raise Refused("You cannot flag your own comment.")
    if db.session.scalar(db.select(Flag.id).filter_by(comment_id=comment.id, reader_id=reader.id)):
        raise Conflict(ALREADY_FLAGGED)


def flag_comment(
    comment: Comment,
    reader: Reader,
    reason: str,
    details: str | None,
    threshold: int,
    now: datetime | None = None,
) -> Flag:
    """One flag per reader and published comment; the threshold-th puts it in *Reported*."""
    now = now or utcnow()
    check_flag(comment, reader)
    details = clean_text(details or "").strip() or None
    flag = Flag(
        comment_id=comment.id, reader_id=reader.id, reason=reason, details=details, created_at=now
    )
    db.session.add(flag)
    try:
        db.session.flush()
    except IntegrityError as error:  # the same reader flagging twice at once (caller rolls back)
        raise Conflict(ALREADY_FLAGGED) from error
    db.session.execute(
        db.update(Comment)
        .where(Comment.id == comment.id)
        .values(flag_count=Comment.flag_count + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        db.update(Comment)
        .where(
            Comment.id == comment.id,
            Comment.flag_count >= threshold,
            Comment.reported_at.is_(None),
            Comment.status == CommentStatus.APPROVED,
        )
        .values(reported_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(comment)
    return flag


# ---------------------------------------------------------------------------------------------
# Reading


@dataclass(frozen=True)
class CommentPage(Page):
    """One page of a question's published comments, each with its published replies."""

    replies: dict[int, list[Comment]] = field(default_factory=dict)


def public_page(question: Question, page: int, sort: str, per_page: int) -> CommentPage:
    """Published top-level comments, `per_page` at a time, each with its published replies."""
    order = (
        (Comment.created_at.desc(), Comment.id.desc())
        if sort == "newest"
        else (Comment.created_at, Comment.id)
    )
    top_level = (
        db.select(Comment)
        .where(
            Comment.question_id == question.id,
            Comment.status == CommentStatus.APPROVED,
            Comment.parent_id.is_(None),
        )
        .order_by(*order)
    )
    found = paginate(top_level, page, per_page)
    replies: dict[int, list[Comment]] = {c.id: [] for c in found.items}
    if found.items:
        for reply in db.session.scalars(
            db.select(Comment)
            .where(Comment.parent_id.in_(replies), Comment.status == CommentStatus.APPROVED)
            .order_by(Comment.created_at, Comment.id)
        ):
            replies[reply.parent_id].append(reply)
    return CommentPage(found.items, found.page, found.per_page, found.total, replies)


def awaiting_review(question: Question, reader: Reader | None) -> list[Comment]:
    """The reader's own comments on the question that wait for a moderator, oldest first."""
    if reader is None:
        return []
    return list(
        db.session.scalars(
            db.select(Comment)
            .where(
                Comment.question_id == question.id,
                Comment.reader_id == reader.id,
                Comment.status.in_(UNREVIEWED),
            )
            .order_by(Comment.created_at, Comment.id)
        )
    )


def comments_by(reader: Reader | None) -> list[Comment]:
    """The reader's own comments, newest first (any status except deleted)."""
    if reader is None:
        return []
    return list(
        db.session.scalars(
            db.select(Comment)
            .where(Comment.reader_id == reader.id, Comment.status != CommentStatus.DELETED)
            .order_by(Comment.created_at.desc())
        )
    )
