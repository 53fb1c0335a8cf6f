"""A reader's own data: everything we hold about them, to download or to erase."""

from ..extensions import db
from ..models import (
    Comment,
    CommentRevision,
    Flag,
    Forecast,
    Question,
    Reader,
    utcnow,
)
from . import comments, forecasts
from .audit import record


def export(reader: Reader | None) -> dict:
    """The reader's record, forecasts, comments (with earlier texts) and flags."""
    document = {
        "exported_at": utcnow(),
        "reader": None,
        "forecasts": [],
        "comments": [],
        "flags": [],
    }
    if reader is None:
        return document
    slugs = dict(db.session.execute(db.select(Question.id, Question.slug)).all())
    document["reader"] = {
        "id": reader.id,
        "display_name": reader.display_name,
        "created_at": reader.created_at,
        "banned": reader.banned_at is not None,
    }
    document["forecasts"] = [
        {
            "question": slugs[f.question_id],
            "scenario": f.scenario.key,
            "probability": f.percent,
            "created_at": f.created_at,
            "ended_at": f.ended_at,
        }
        for f in forecasts.history(reader)
    ]
    own = db.session.scalars(
        db.select(Comment).filter_by(reader_id=reader.id).order_by(Comment.created_at, Comment.id)
    ).all()
    revisions: dict[int, list[CommentRevision]] = {c.id: [] for c in own}
    for revision in db.session.scalars(
        db.select(CommentRevision)
        .where(CommentRevision.comment_id.in_(revisions))
        .order_by(CommentRevision.created_at, CommentRevision.id)
    ):
        revisions[revision.comment_id].append(revision)
    document["comments"] = [
        {
            "id": c.id,
            "question": slugs[c.question_id],
            "parent_id": c.parent_id,
            "display_name": c.display_name,
            "body": c.body,
            "status": comments.status_for_author(c.status),
            "created_at": c.created_at,
            "edited_at": c.edited_at,
            "forecast_snapshot": c.forecast_snapshot,
            "revisions": [{"body": r.body, "created_at": r.created_at} for r in revisions[c.id]],
        }
        for c in own
    ]
    document["flags"] = list(
        db.session.scalars(
            db.select(Flag).filter_by(reader_id=reader.id).order_by(Flag.created_at, Flag.id)
        )
    )
    return document


def erase(reader: Reader) -> None:
    """Delete what the reader gave us; the row stays as a pseudonymous tombstone."""
    # Standing forecasts are withdrawn so they leave the aggregates; past history stays, with
    # nothing left that could name the reader.
    now = utcnow()
    question_ids = db.session.scalars(
        db.select(Forecast.question_id)
        .where(Forecast.reader_id == reader.id, Forecast.ended_at.is_(None))
        .distinct()
    ).all()
    for question_id in question_ids:
        forecasts.withdraw(db.session.get(Question, question_id), reader, now=now)
    for comment in db.session.scalars(db.select(Comment).filter_by(reader_id=reader.id)):
        comments.erase_comment(comment, "erase", note="the author deleted their data")
    db.session.execute(
        db.update(Flag)
        .where(Flag.reader_id == reader.id)
        .values(details=None)
        .execution_options(synchronize_session=False)
    )
    reader.display_name = None
    reader.token_hash = None
    reader.ip_hash = None
    reader.erased_at = now
    record("erase_reader", None, reader_id=reader.id)
    db.session.flush()
