"""Forecasts: append-only probabilities, one active per reader and scenario."""

from datetime import datetime

from ..extensions import db
from ..models import Comment, Forecast, Question, Reader, utcnow
from . import counts
from .comments import create_comment


def active_forecasts(reader: Reader | None, question: Question) -> dict[str, Forecast]:
    """The reader's standing forecast per scenario key."""
    if reader is None:
        return {}
    rows = db.session.scalars(
        db.select(Forecast).where(
            Forecast.reader_id == reader.id,
            Forecast.question_id == question.id,
            Forecast.ended_at.is_(None),
        )
    )
    return {f.scenario.key: f for f in rows}


def history(reader: Reader | None, question: Question | None = None) -> list[Forecast]:
    """Every forecast the reader made (on one question or all), oldest first."""
    if reader is None:
        return []
    query = db.select(Forecast).where(Forecast.reader_id == reader.id)
    if question is not None:
        query = query.where(Forecast.question_id == question.id)
    return list(db.session.scalars(query.order_by(Forecast.created_at, Forecast.id)))


def lock_reader(reader: Reader) -> None:
    """Serialise one reader's writers (PostgreSQL row lock; SQLite writers are serial anyway)."""
    db.session.execute(db.select(Reader.id).where(Reader.id == reader.id).with_for_update())


def submit(
    question: Question, reader: Reader, probabilities: dict[str, int], now: datetime | None = None
) -> dict[str, Forecast]:
    """Record the reader's new numbers; an unchanged number keeps its standing forecast."""
    now = now or utcnow()
    lock_reader(reader)
    current = active_forecasts(reader, question)
    for key, percent in probabilities.items():
        previous = current.get(key)
        if previous is not None and previous.percent == percent:
            continue
        if previous is not None:
            _end(previous, now, reader)
        forecast = Forecast(
            reader_id=reader.id,
            question_id=question.id,
            scenario_id=question.scenario(key).id,
            percent=percent,
            created_at=now,
        )
        db.session.add(forecast)
        if reader.banned_at is None:
            counts.shift(forecast.scenario_id, percent, +1)
        current[key] = forecast
    db.session.flush()
    return current


def withdraw(
    question: Question, reader: Reader, scenario_key: str | None = None, now: datetime | None = None
) -> list[str]:
    """Close the reader's active forecasts (all, or one scenario's); returns the keys closed."""
    now = now or utcnow()
    lock_reader(reader)
    closed = []
    for key, forecast in active_forecasts(reader, question).items():
        if scenario_key in (None, key):
            _end(forecast, now, reader)
            closed.append(key)
    db.session.flush()
    return closed


def _end(forecast: Forecast, now: datetime, reader: Reader) -> None:
    # Guarded: only an active forecast can be ended, so a racing writer cannot end it twice.
    ended = db.session.execute(
        db.update(Forecast)
        .where(Forecast.id == forecast.id, Forecast.ended_at.is_(None))
        .values(ended_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    forecast.ended_at = now
    if ended and reader.banned_at is None:
        counts.shift(forecast.scenario_id, forecast.percent, -1)


def record_submission(
    question: Question,
    reader: Reader,
    probabilities: dict[str, int],
    comment_body: str | None = None,
    ip_hash: str | None = None,
) -> tuple[dict[str, Forecast], Comment | None]:
    """A reader's forecast with an optional comment carrying a snapshot of their numbers."""
    active = submit(question, reader, probabilities)
    comment = None
    if comment_body:
        snapshot = {key: f.percent for key, f in active.items()}
        comment = create_comment(question, reader, comment_body, snapshot, ip_hash=ip_hash)
    return active, comment
