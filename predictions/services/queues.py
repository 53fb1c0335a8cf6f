"""The moderation queues and the cards a moderator decides from (read-only)."""

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ..core import moderator_decisions as decisions
from ..extensions import db
from ..models import Comment, CommentRevision, CommentStatus, Flag, Question, Reader
from .audit import AuditEntry, latest_for_comments
from .paging import Page, paginate


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


def comments_of(reader: Reader, limit: int = 100) -> list[Comment]:
    """A reader's latest comments, newest first, deleted ones left out."""
    return list(
        db.session.scalars(
            db.select(Comment)
            .where(Comment.reader_id == reader.id, Comment.status != CommentStatus.DELETED)
            .order_by(Comment.created_at.desc(), Comment.id.desc())
            .limit(limit)
        )
    )


def by_ids(comment_ids: Iterable[int]) -> list[Comment]:
    """These comments, oldest first (unknown ids left out)."""
    return list(
        db.session.scalars(
            db.select(Comment)
            .where(Comment.id.in_(list(comment_ids)))
            .order_by(Comment.created_at, Comment.id)
        )
    )
