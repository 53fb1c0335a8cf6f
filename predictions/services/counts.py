"""Per-percent counts of standing forecasts, kept in step with every forecast change."""

from collections.abc import Iterable
from typing import NamedTuple

from sqlalchemy import Connection
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from ..core.validation import PERCENT_MAX, PERCENT_MIN
from ..extensions import db
from ..models import Forecast, Question, Reader, Scenario, ScenarioCount

PERCENTS = range(PERCENT_MIN, PERCENT_MAX + 1)


def create_rows(scenario: Scenario) -> None:
    """The 99 zero counts of a new scenario."""
    db.session.add_all(ScenarioCount(scenario_id=scenario.id, percent=p, count=0) for p in PERCENTS)


# The hot write path runs these on every forecast: built once, only the values vary (building
# a statement costs more than running it on SQLite). Core, not ORM: no bookkeeping per row.
_COUNTS = ScenarioCount.__table__
_SHIFT = (
    db.update(_COUNTS)
    .where(_COUNTS.c.scenario_id == db.bindparam("s"), _COUNTS.c.percent == db.bindparam("p"))
    .values(count=_COUNTS.c.count + db.bindparam("d"))
)
_QUESTIONS = Question.__table__
_MOVED = (
    db.update(_QUESTIONS)
    .where(_QUESTIONS.c.id == db.bindparam("q"))
    .values(
        forecaster_count=_QUESTIONS.c.forecaster_count + db.bindparam("d"),
        crowd_version=_QUESTIONS.c.crowd_version + 1,
        outcome_version=_QUESTIONS.c.outcome_version + db.bindparam("o"),
    )
    .returning(
        _QUESTIONS.c.forecaster_count, _QUESTIONS.c.crowd_version, _QUESTIONS.c.outcome_version
    )
)


class QuestionState(NamedTuple):
    """A question's counters as a write left them."""

    forecaster_count: int
    crowd_version: int
    outcome_version: int


def shift(scenario_id: int, percent: int, delta: int) -> None:
    """Move one count; an atomic UPDATE, so concurrent writers never lose an increment."""
    db.session.execute(_SHIFT, {"s": scenario_id, "p": percent, "d": delta})


def shift_many(cells: Iterable[tuple[int, int]], delta: int) -> None:
    """Move several (scenario_id, percent) counts by the same delta."""
    # One executemany: a single round trip on PostgreSQL's pipeline.
    params = [{"s": scenario_id, "p": percent, "d": delta} for scenario_id, percent in cells]
    if params:
        db.session.execute(_SHIFT, params)


def moved(question_id: int, forecasters: int = 0, outcomes: int = 0) -> QuestionState:
    """Record that a question's crowd moved: its version goes up by one, its forecaster count
    by `forecasters` (and its outcome version by `outcomes`). Once per transaction and question
    that moves counts, in the same transaction; one atomic UPDATE.

    It also takes the question's row lock until the commit, so writers that check a scenario's
    outcome after it see any resolution committed before (resolution.resolve moves it first).
    """
    row = db.session.execute(_MOVED, {"q": question_id, "d": forecasters, "o": outcomes}).one()
    state = QuestionState(*row)
    # The loaded question follows, so reads later in the request need no query of their own.
    question = db.session.identity_map.get(identity_key(Question, question_id))
    if question is not None:
        set_committed_value(question, "forecaster_count", state.forecaster_count)
        set_committed_value(question, "crowd_version", state.crowd_version)
    return state


def shift_reader(reader: Reader, delta: int) -> None:
    """Take a reader's standing forecasts out of the counts (-1) or put them back (+1)."""
    standing = db.session.execute(
        db.select(Forecast.scenario_id, Forecast.percent, Forecast.question_id).where(
            Forecast.reader_id == reader.id, Forecast.ended_at.is_(None)
        )
    ).all()
    shift_many([(scenario_id, percent) for scenario_id, percent, _ in standing], delta)
    for question_id in sorted({question_id for *_, question_id in standing}):
        moved(question_id, forecasters=delta)


class Counted(NamedTuple):
    """A question's crowd version and forecaster count with its per-percent counts, read by one
    statement, so they belong together: {scenario_id: {percent: count}} (non-zero counts)."""

    crowd_version: int
    forecaster_count: int
    by_scenario: dict[int, dict[int, int]]


# One statement, so one state of the database even at READ COMMITTED: the version names
# exactly these counts. The outer join keeps the question's row when every count is zero.
_COUNTED = (
    db.select(
        _QUESTIONS.c.crowd_version,
        _QUESTIONS.c.forecaster_count,
        _COUNTS.c.scenario_id,
        _COUNTS.c.percent,
        _COUNTS.c.count,
    )
    .select_from(
        _QUESTIONS.outerjoin(
            _COUNTS,
            db.and_(
                _COUNTS.c.scenario_id.in_(db.bindparam("ids", expanding=True)),
                _COUNTS.c.count > 0,
            ),
        )
    )
    .where(_QUESTIONS.c.id == db.bindparam("q"))
)


def counted(question: Question, connection: Connection | None = None) -> Counted:
    """The question's version, forecaster count and counts as they stand (O(99) per scenario)."""
    ids = [s.id for s in question.scenarios]
    rows = (connection or db.session).execute(_COUNTED, {"q": question.id, "ids": ids}).all()
    if not rows:
        raise LookupError(f"no question {question.id}")
    by_scenario: dict[int, dict[int, int]] = {i: {} for i in ids}
    for _, _, scenario_id, percent, count in rows:
        if scenario_id is not None:
            by_scenario[scenario_id][percent] = count
    return Counted(rows[0][0], rows[0][1], by_scenario)


def counts_for(scenario_ids: Iterable[int]) -> dict[int, dict[int, int]]:
    """{scenario_id: {percent: count}} for percents with a non-zero count."""
    ids = list(scenario_ids)
    result: dict[int, dict[int, int]] = {i: {} for i in ids}
    rows = db.session.execute(  # Core rows: up to 99 per scenario, no ORM loading
        db.select(_COUNTS.c.scenario_id, _COUNTS.c.percent, _COUNTS.c.count).where(
            _COUNTS.c.scenario_id.in_(ids), _COUNTS.c.count > 0
        )
    )
    for scenario_id, percent, count in rows:
        result[scenario_id][percent] = count
    return result


class Around(NamedTuple):
    """How many standing forecasts of a scenario lie below, at and above one percent."""

    below: int
    equal: int
    above: int


def around(counted: Counted, cells: dict[int, int]) -> dict[int, Around]:
    """For each {scenario_id: percent}, the standing counts below, at and above that percent
    (O(99) each, from counts read once for every purpose of the answer)."""
    result = {}
    for scenario_id, percent in cells.items():
        by_percent = counted.by_scenario.get(scenario_id, {})
        below = sum(c for p, c in by_percent.items() if p < percent)
        equal = by_percent.get(percent, 0)
        result[scenario_id] = Around(below, equal, sum(by_percent.values()) - below - equal)
    return result


def recount(scenario_ids: Iterable[int]) -> dict[int, dict[int, int]]:
    """The same counts computed from the forecasts themselves (the slow, obvious way)."""
    ids = list(scenario_ids)
    result: dict[int, dict[int, int]] = {i: {} for i in ids}
    rows = db.session.execute(
        db.select(Forecast.scenario_id, Forecast.percent, db.func.count())
        .join(Reader, Reader.id == Forecast.reader_id)
        .where(
            Forecast.scenario_id.in_(ids),
            Forecast.ended_at.is_(None),
            Reader.banned_at.is_(None),
        )
        .group_by(Forecast.scenario_id, Forecast.percent)
    )
    for scenario_id, percent, count in rows:
        result[scenario_id][percent] = count
    return result


def count_forecasters(question_id: int) -> int:
    """Readers with a standing forecast on the question, bans excluded (the slow, obvious way)."""
    return db.session.scalar(
        db.select(db.func.count(db.distinct(Forecast.reader_id)))
        .join(Reader, Reader.id == Forecast.reader_id)
        .where(
            Forecast.question_id == question_id,
            Forecast.ended_at.is_(None),
            Reader.banned_at.is_(None),
        )
    )


def rebuild(question: Question) -> int:
    """Set the question's counts from its forecasts; returns how many stored numbers were off."""
    ids = [s.id for s in question.scenarios]
    before = counts_for(ids)
    after = recount(ids)
    db.session.execute(db.delete(ScenarioCount).where(ScenarioCount.scenario_id.in_(ids)))
    db.session.execute(
        db.insert(ScenarioCount),
        [
            {"scenario_id": i, "percent": p, "count": after[i].get(p, 0)}
            for i in ids
            for p in PERCENTS
        ],
    )
    wrong = sum(before[i].get(p, 0) != after[i].get(p, 0) for i in ids for p in PERCENTS)
    forecasters = count_forecasters(question.id)
    stored = db.session.scalar(
        db.select(Question.forecaster_count).where(Question.id == question.id)
    )
    if stored != forecasters:
        wrong += 1
        db.session.execute(
            db.update(Question)
            .where(Question.id == question.id)
            .values(forecaster_count=forecasters)
            .execution_options(synchronize_session=False)
        )
    moved(question.id)  # whatever was off, caches of the crowd must not outlive the repair
    db.session.flush()
    return wrong
