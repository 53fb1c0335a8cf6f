"""Synthetic readers with plausible forecasts, inserted in bulk: for demos and benchmarks."""

import random
import secrets
from bisect import bisect
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from itertools import accumulate

from ..extensions import db
from ..models import AggregateSnapshot, Question, utcnow
from . import counts

CHUNK = 20_000  # rows per executemany: bounded memory, few round trips
CONCENTRATION = 10.0  # of the beta distribution: a crowd that mostly agrees, with tails
TIME_STEPS = 48  # the crowd's centre moves in this many steps over the period
PERCENTS = list(counts.PERCENTS)


@dataclass(frozen=True)
class Populated:
    readers: int
    forecasts: int


def _centres(baseline: int, rng: random.Random) -> tuple[float, float]:
    """Where a scenario's crowd starts and ends, in percent, not far from the article."""
    start = min(90.0, max(10.0, baseline + rng.uniform(-15, 10)))
    end = min(90.0, max(10.0, start + rng.uniform(-10, 10)))
    return start, end


def _cumulative(centre: float) -> list[float]:
    """Cumulative weights of percents 1..99 under a beta distribution around centre."""
    a = centre / 100 * CONCENTRATION
    b = (1 - centre / 100) * CONCENTRATION
    weights = [((p / 100) ** (a - 1)) * ((1 - p / 100) ** (b - 1)) for p in PERCENTS]
    return list(accumulate(weights))


class _Sampler:
    """Draws whole percents for a crowd whose centre moves from first to last over time."""

    def __init__(self, first: float, last: float, rng: random.Random):
        self.tables = [
            _cumulative(first + (last - first) * step / (TIME_STEPS - 1))
            for step in range(TIME_STEPS)
        ]
        self.rng = rng

    def draw(self, share: float) -> int:
        """A percent for a forecast made at this share of the period (0 first, 1 last)."""
        table = self.tables[round(share * (TIME_STEPS - 1))]
        return PERCENTS[bisect(table, self.rng.random() * table[-1])]


def _sql_time(connection):
    """How datetimes go to the driver: SQLAlchemy's SQLite text format, or naive UTC."""
    if connection.dialect.name == "sqlite":
        return lambda moment: moment.isoformat(" ", "microseconds")
    return lambda moment: moment


def populate(
    question: Question,
    readers: int,
    *,
    seed: int = 0,
    days: float = 7.0,
    update_share: float = 0.1,
) -> Populated:
    """Add readers who each forecast every scenario once in the last `days`, some twice."""
    # update_share of them changed their mind once; the counts move by what was added.
    if readers < 0 or days <= 0 or not 0 <= update_share <= 1:
        raise ValueError("readers >= 0, days > 0 and 0 <= update_share <= 1")
    rng = random.Random(seed)
    now = utcnow().replace(tzinfo=None)
    start = now - timedelta(days=days)
    span = (now - start).total_seconds()
    scenarios = [(s.id, _Sampler(*_centres(s.baseline, rng), rng)) for s in question.scenarios]
    tally = {s.id: Counter() for s in question.scenarios}
    connection = db.session.connection()
    sql_time = _sql_time(connection)
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    insert_reader = f"INSERT INTO readers (id, created_at, premod) VALUES ({mark}, {mark}, {mark})"
    insert_forecast = (
        "INSERT INTO forecasts (reader_id, question_id, scenario_id, percent, created_at, "
        f"ended_at) VALUES ({', '.join([mark] * 6)})"
    )
    if connection.dialect.name == "sqlite":
        # A bigger page cache for this connection: the indexes of a million rows stay in memory.
        connection.exec_driver_sql("PRAGMA cache_size=-262144")
    reader_rows: list[tuple] = []
    forecast_rows: list[tuple] = []
    forecasts = 0

    def flush() -> None:
        nonlocal forecasts
        forecasts += len(forecast_rows)
        # Plain executemany of tuples: the ORM's per-row work would dominate at this size.
        if reader_rows:
            connection.exec_driver_sql(insert_reader, reader_rows)
        if forecast_rows:
            connection.exec_driver_sql(insert_forecast, forecast_rows)
        reader_rows.clear()
        forecast_rows.clear()

    # Synthetic readers have no token and no cookie, so their ids need not be secret: a random
    # run prefix and a counter keep the inserts at the end of the indexes, and mark them.
    run = secrets.token_hex(4)
    for number in range(readers):
        reader_id = f"demo-{run}-{number:09d}"
        # Later readers arrive more often than early ones: interest grows with the story.
        share = rng.random() ** 0.7
        at = sql_time(start + timedelta(seconds=span * share))
        reader_rows.append((reader_id, at, False))
        changed = rng.random() < update_share
        if changed:
            changed_share = share + (1 - share) * rng.random()
            changed_at = sql_time(start + timedelta(seconds=span * changed_share))
        for scenario_id, sampler in scenarios:
            percent = sampler.draw(share)
            if changed:
                # The earlier forecast ends when the reader changes their mind.
                forecast_rows.append((reader_id, question.id, scenario_id, percent, at, changed_at))
                percent = sampler.draw(changed_share)
                forecast_rows.append(
                    (reader_id, question.id, scenario_id, percent, changed_at, None)
                )
            else:
                forecast_rows.append((reader_id, question.id, scenario_id, percent, at, None))
            tally[scenario_id][percent] += 1
        if len(forecast_rows) >= CHUNK:
            flush()
    flush()
    # Past days changed under the stored snapshots: drop them, they are computed again.
    ids = list(tally)
    db.session.execute(db.delete(AggregateSnapshot).where(AggregateSnapshot.scenario_id.in_(ids)))
    # The new readers are not banned and had no forecast before: the counts move by the tally.
    for scenario_id, by_percent in tally.items():
        for percent, count in by_percent.items():
            counts.shift(scenario_id, percent, count)
    if readers and scenarios:
        counts.moved(question.id, forecasters=readers)
    if connection.dialect.name == "postgresql":
        # Fresh planner statistics: without them PostgreSQL takes the bulk-loaded tables for
        # nearly empty and joins readers to forecasts by nested loops (`aggregates snapshot`
        # at 10^5 forecasts ran over 5 minutes). Autovacuum would, but only later.
        connection.exec_driver_sql("ANALYZE readers, forecasts")
    return Populated(readers=readers, forecasts=forecasts)
