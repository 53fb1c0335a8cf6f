"""Per-percent counts of standing forecasts, kept in step with every forecast change."""

from collections.abc import Iterable

from ..extensions import db
from ..models import Forecast, Question, Reader, Scenario, ScenarioCount
from ..validation import PERCENT_MAX, PERCENT_MIN

PERCENTS = range(PERCENT_MIN, PERCENT_MAX + 1)


def create_rows(scenario: Scenario) -> None:
    """The 99 zero counts of a new scenario."""
    db.session.add_all(ScenarioCount(scenario_id=scenario.id, percent=p, count=0) for p in PERCENTS)


def shift(scenario_id: int, percent: int, delta: int) -> None:
    """Move one count; an atomic UPDATE, so concurrent writers never lose an increment."""
    table = ScenarioCount.__table__  # a Core UPDATE: no ORM bookkeeping on the hot path
    db.session.execute(
        db.update(table)
        .where(table.c.scenario_id == scenario_id, table.c.percent == percent)
        .values(count=table.c.count + delta)
    )


def shift_many(cells: Iterable[tuple[int, int]], delta: int) -> None:
    """Move several (scenario_id, percent) counts by the same delta in one UPDATE."""
    cells = list(cells)
    if not cells:
        return
    table = ScenarioCount.__table__
    db.session.execute(
        db.update(table)
        .where(db.tuple_(table.c.scenario_id, table.c.percent).in_(cells))
        .values(count=table.c.count + delta)
    )


def shift_forecasters(question_id: int, delta: int) -> None:
    """Move a question's forecaster count; atomic like shift."""
    db.session.execute(
        db.update(Question)
        .where(Question.id == question_id)
        .values(forecaster_count=Question.forecaster_count + delta)
        # The loaded question follows, so reads later in the request need no query of their own.
        .execution_options(synchronize_session="evaluate")
    )


def shift_reader(reader: Reader, delta: int) -> None:
    """Take a reader's standing forecasts out of the counts (-1) or put them back (+1)."""
    standing = db.session.execute(
        db.select(Forecast.scenario_id, Forecast.percent, Forecast.question_id).where(
            Forecast.reader_id == reader.id, Forecast.ended_at.is_(None)
        )
    ).all()
    # One standing forecast per scenario: the cells are distinct, so one UPDATE moves them all.
    shift_many([(scenario_id, percent) for scenario_id, percent, _ in standing], delta)
    for question_id in sorted({question_id for *_, question_id in standing}):
        shift_forecasters(question_id, delta)


def counts_for(scenario_ids: Iterable[int]) -> dict[int, dict[int, int]]:
    """{scenario_id: {percent: count}} for percents with a non-zero count."""
    ids = list(scenario_ids)
    result: dict[int, dict[int, int]] = {i: {} for i in ids}
    rows = db.session.execute(
        db.select(ScenarioCount.scenario_id, ScenarioCount.percent, ScenarioCount.count).where(
            ScenarioCount.scenario_id.in_(ids), ScenarioCount.count > 0
        )
    )
    for scenario_id, percent, count in rows:
        result[scenario_id][percent] = count
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
    db.session.flush()
    return wrong
