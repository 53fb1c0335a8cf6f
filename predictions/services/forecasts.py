"""Forecasts: append-only probabilities, one active per reader and scenario."""

from datetime import datetime

from sqlalchemy.orm.attributes import set_committed_value

from ..errors import Conflict
from ..extensions import db
from ..models import Forecast, Question, Reader, Scenario, utcnow
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


def _outcomes_again(question: Question, state: counts.QuestionState | None) -> bool:
    """Read the scenarios' outcomes again, inside the write transaction, when a resolution
    may have committed since the question was loaded; whether any changed."""
    # The question was loaded before this transaction took its locks (on SQLite before the
    # write lock, on PostgreSQL before counts.moved locked its row). A resolution moves the
    # outcome version in the same row, so the UPDATE's RETURNING tells whether one committed
    # meanwhile: the common case reads nothing more. Without a state (a banned reader's
    # forecast moves no counter) the outcomes are read unconditionally.
    if state is not None and state.outcome_version == question.outcome_version:
        return False
    outcomes = dict(
        db.session.execute(
            db.select(Scenario.id, Scenario.outcome).where(Scenario.question_id == question.id)
        ).all()
    )
    changed = False
    for scenario in question.scenarios:
        if scenario.outcome != outcomes.get(scenario.id):
            set_committed_value(scenario, "outcome", outcomes.get(scenario.id))
            changed = True
    if state is not None:
        set_committed_value(question, "outcome_version", state.outcome_version)
    return changed


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
    state = None
    if reader.banned_at is None and (ended or added):
        counts.shift_many([(f.scenario_id, f.percent) for f in ended], -1)
        counts.shift_many([(f.scenario_id, f.percent) for f in added], +1)
        state = counts.moved(question.id, forecasters=1 if first_standing else 0)
    if rows and _outcomes_again(question, state):
        # A resolution committed after the question was loaded: refuse, and the caller's
        # rollback takes back everything above (409, nothing stored).
        _refuse_resolved(question, probabilities)
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
    state = None
    if reader.banned_at is None and ended:
        counts.shift_many([(f.scenario_id, f.percent) for f in ended], -1)
        state = counts.moved(question.id, forecasters=-1 if len(ended) == len(active) else 0)
    closed = [f.scenario.key for f in ended]
    if ended and _outcomes_again(question, state) and resolved_keys(question, closed):
        # Resolved meanwhile: the rollback keeps the forecasts as they were scored.
        message = "This scenario has resolved; its forecasts stay as they were scored."
        raise Conflict(message, field="scenario")
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
