"""Forecasts: append-only probabilities, one active per reader and scenario."""

from datetime import datetime

from ..errors import Conflict
from ..extensions import db
from ..models import Forecast, Question, Reader, utcnow
from . import counts
from .inserts import insert_rows


class ScenarioResolved(Conflict):
    """A forecast on a scenario that has resolved: it takes no new forecasts."""

    def __init__(self, question: Question, keys: list[str]):
        per_key = {
            key: [
                f"This scenario has resolved ({question.scenario(key).outcome}); "
                "it takes no new forecasts."
            ]
            for key in keys
        }
        super().__init__("Resolved scenarios take no new forecasts.", {"probabilities": per_key})
        self.keys = keys


def resolved_keys(question: Question, keys) -> list[str]:
    """Those of the keys whose scenario has resolved, in the question's order."""
    wanted = set(keys)
    return [s.key for s in question.scenarios if s.key in wanted and s.outcome is not None]


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


def latest_change(reader: Reader, question: Question) -> datetime | None:
    """When the reader last forecast or withdrew on the question (None: never)."""
    return db.session.scalar(
        db.select(db.func.max(db.func.coalesce(Forecast.ended_at, Forecast.created_at))).where(
            Forecast.reader_id == reader.id, Forecast.question_id == question.id
        )
    )


def history(reader: Reader | None, question: Question | None = None) -> list[Forecast]:
    """Every forecast the reader made (on one question or all), oldest first."""
    if reader is None:
        return []
    query = db.select(Forecast).where(Forecast.reader_id == reader.id)
    if question is not None:
        query = query.where(Forecast.question_id == question.id)
    return list(db.session.scalars(query.order_by(Forecast.created_at, Forecast.id)))


def submit(
    question: Question,
    reader: Reader,
    probabilities: dict[str, int],
    now: datetime | None = None,
) -> dict[str, Forecast]:
    """Record the reader's new numbers; an unchanged number keeps its standing forecast."""
    _refuse_resolved(question, probabilities)
    _lock(reader)
    return _record(question, reader, probabilities, active_forecasts(reader, question), now)


def submit_first(
    question: Question,
    reader: Reader,
    probabilities: dict[str, int],
    now: datetime | None = None,
) -> dict[str, Forecast]:
    """submit() for a reader created in this transaction: they have no forecasts and no other
    request can reach them, so no lock and no lookup (the common case on a busy article)."""
    _refuse_resolved(question, probabilities)
    return _record(question, reader, probabilities, {}, now)


def _refuse_resolved(question: Question, probabilities: dict[str, int]) -> None:
    if resolved := resolved_keys(question, probabilities):
        raise ScenarioResolved(question, resolved)


def _record(
    question: Question,
    reader: Reader,
    probabilities: dict[str, int],
    current: dict[str, Forecast],
    now: datetime | None,
) -> dict[str, Forecast]:
    now = now or utcnow()
    first_standing = not current and bool(probabilities)
    replaced, rows = [], []
    for key, percent in probabilities.items():
        previous = current.get(key)
        if previous is not None and previous.percent == percent:
            continue
        if previous is not None:
            replaced.append(previous)
        rows.append(
            {
                "reader_id": reader.id,
                "question_id": question.id,
                "scenario_id": question.scenario(key).id,
                "percent": percent,
                "created_at": now,
                "ended_at": None,
            }
        )
    # One statement per kind of change, not one per scenario: this is the hot write path.
    ended = _end(replaced, now)
    added = insert_rows(Forecast, rows, match="scenario_id")
    current = {**current, **{f.scenario.key: f for f in added}}
    if reader.banned_at is None:
        counts.shift_many([(f.scenario_id, f.percent) for f in ended], -1)
        counts.shift_many([(f.scenario_id, f.percent) for f in added], +1)
        if first_standing:
            counts.shift_forecasters(question.id, +1)
    return current


def withdraw(
    question: Question, reader: Reader, scenario_key: str | None = None, now: datetime | None = None
) -> list[str]:
    """Close the reader's active forecasts (all, or one scenario's); returns the keys closed.

    Forecasts on resolved scenarios stay: they are what was scored.
    """
    now = now or utcnow()
    _lock(reader)
    active = active_forecasts(reader, question)
    chosen = {
        key: forecast
        for key, forecast in active.items()
        if scenario_key in (None, key) and forecast.scenario.outcome is None
    }
    ended = _end(list(chosen.values()), now)
    if reader.banned_at is None:
        counts.shift_many([(f.scenario_id, f.percent) for f in ended], -1)
        if ended and len(ended) == len(active):
            counts.shift_forecasters(question.id, -1)
    db.session.flush()
    return [key for key, forecast in chosen.items() if forecast in ended]


def _lock(reader: Reader) -> None:
    # One reader's writes (and a ban) take turns: each then sees the others' committed rows,
    # so the forecaster count moves exactly once per reader.  SQLite serialises writers anyway
    # (FOR UPDATE is not rendered there).
    reader.banned_at = db.session.scalar(
        db.select(Reader.banned_at).where(Reader.id == reader.id).with_for_update()
    )


def _end(standing: list[Forecast], now: datetime) -> list[Forecast]:
    """End these forecasts; returns those this call ended."""
    if not standing:
        return []
    # Guarded: only an active forecast can be ended, so a racing writer cannot end it twice.
    ended_ids = set(
        db.session.scalars(
            db.update(Forecast)
            .where(Forecast.id.in_([f.id for f in standing]), Forecast.ended_at.is_(None))
            .values(ended_at=now)
            .returning(Forecast.id)
            .execution_options(synchronize_session=False)
        )
    )
    for forecast in standing:
        forecast.ended_at = now
    return [f for f in standing if f.id in ended_ids]
