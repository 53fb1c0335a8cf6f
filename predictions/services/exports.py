"""Rows for the moderators' CSV exports, read in batches so a large question streams."""

from collections.abc import Iterator

from ..core.csv_export import pseudonym
from ..extensions import db
from ..models import Comment, CommentStatus, Forecast, Question, Reader, Scenario

BATCH = 1000
FORECAST_HEADER = ("reader", "scenario", "percent", "created_at", "ended_at", "reader_banned")
COMMENT_HEADER = (
    "id",
    "parent_id",
    "reader",
    "display_name",
    "status",
    "created_at",
    "edited_at",
    "reasons",
    "flag_count",
    "body",
)


def forecast_rows(question: Question, key: bytes) -> Iterator[tuple]:
    """Every forecast on the question (history included), oldest first, readers pseudonymised."""
    query = (
        db.select(
            Forecast.reader_id,
            Scenario.key,
            Forecast.percent,
            Forecast.created_at,
            Forecast.ended_at,
            Reader.banned_at.is_not(None),
        )
        .join(Scenario, Scenario.id == Forecast.scenario_id)
        .join(Reader, Reader.id == Forecast.reader_id)
        .where(Forecast.question_id == question.id)
        .order_by(Forecast.created_at, Forecast.id)
        .execution_options(yield_per=BATCH)
    )
    for reader_id, scenario, percent, created_at, ended_at, banned in db.session.execute(query):
        yield (pseudonym(reader_id, key), scenario, percent, created_at, ended_at, banned)


def comment_rows(question: Question, key: bytes) -> Iterator[tuple]:
    """Every comment on the question but deleted ones, oldest first, readers pseudonymised."""
    query = (
        db.select(Comment)
        .where(Comment.question_id == question.id, Comment.status != CommentStatus.DELETED)
        .order_by(Comment.created_at, Comment.id)
        .execution_options(yield_per=BATCH)
    )
    for comment in db.session.scalars(query):
        yield (
            comment.id,
            comment.parent_id,
            pseudonym(comment.reader_id, key),
            comment.display_name,
            comment.status,
            comment.created_at,
            comment.edited_at,
            ";".join(comment.reasons or []),
            comment.flag_count,
            comment.body,
        )
