"""Per-percent counts of standing forecasts, kept in step with every forecast change."""

from collections.abc import Iterable

from ..extensions import db
from ..models import Forecast, Reader, Scenario, ScenarioCount
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


def shift_reader(reader: Reader, delta: int) -> None:
    """Take a reader's standing forecasts out of the counts (-1) or put them back (+1)."""
    for forecast in db.session.scalars(
        db.select(Forecast).where(Forecast.reader_id == reader.id, Forecast.ended_at.is_(None))
    ):
        shift(forecast.scenario_id, forecast.percent, delta)


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
