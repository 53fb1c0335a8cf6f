"""Synthetic readers with plausible forecasts, inserted in bulk: for demos and benchmarks."""

import random
import secrets
from bisect import bisect
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import accumulate

from sqlalchemy import Connection
from sqlalchemy.schema import AddConstraint, DropConstraint

from ..extensions import db
from ..models import AggregateSnapshot, Forecast, Question, utcnow
from . import counts

BATCH = 6_000  # readers per batch (~20,000 forecast rows): bounded memory, few round trips
CONCENTRATION = 10.0  # of the beta distribution: a crowd that mostly agrees, with tails
TIME_STEPS = 48  # the crowd's centre moves in this many steps over the period
PERCENTS = list(counts.PERCENTS)
READER_COLUMNS = ("id", "created_at", "premod")
FORECAST_COLUMNS = ("reader_id", "question_id", "scenario_id", "percent", "created_at", "ended_at")

Batch = tuple[list[tuple], list[tuple]]  # reader rows, forecast rows (in the columns above)


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


def _sql_time(connection: Connection) -> Callable[[datetime], object]:
    """How datetimes go to the driver: SQLAlchemy's SQLite text format, or naive UTC."""
    if connection.dialect.name == "sqlite":
        return lambda moment: moment.isoformat(" ", "microseconds")
    return lambda moment: moment


def _batches(
    question_id: int,
    samplers: list[tuple[int, _Sampler]],
    readers: int,
    rng: random.Random,
    *,
    start: datetime,
    span: float,
    update_share: float,
    sql_time: Callable[[datetime], object],
    standing: Counter,
) -> Iterator[Batch]:
    """The rows of `readers` new readers, BATCH readers at a time; standing counts the active
    forecasts by (scenario_id, percent)."""
    # Synthetic readers have no token and no cookie, so their ids need not be secret: a random
    # run prefix and a counter mark them. The arrival times are drawn first and sorted, so the
    # counter follows time: every index on the forecasts (reader, then scenario and time) then
    # grows at its end instead of at random places (SQLite: a fifth less time per row).
    # Later readers arrive more often than early ones: interest grows with the story.
    arrivals = sorted(rng.random() for _ in range(readers))
    run = secrets.token_hex(4)
    reader_rows: list[tuple] = []
    forecast_rows: list[tuple] = []
    for number, arrival in enumerate(arrivals):
        reader_id = f"demo-{run}-{number:09d}"
        share = arrival**0.7
        at = sql_time(start + timedelta(seconds=span * share))
        reader_rows.append((reader_id, at, False))
        changed = rng.random() < update_share
        if changed:
            changed_share = share + (1 - share) * rng.random()
            changed_at = sql_time(start + timedelta(seconds=span * changed_share))
        for scenario_id, sampler in samplers:
            percent = sampler.draw(share)
            if changed:
                # The earlier forecast ends when the reader changes their mind.
                forecast_rows.append((reader_id, question_id, scenario_id, percent, at, changed_at))
                percent = sampler.draw(changed_share)
                forecast_rows.append(
                    (reader_id, question_id, scenario_id, percent, changed_at, None)
                )
            else:
                forecast_rows.append((reader_id, question_id, scenario_id, percent, at, None))
            standing[scenario_id, percent] += 1
        if len(reader_rows) == BATCH:
            yield reader_rows, forecast_rows
            reader_rows, forecast_rows = [], []
    if reader_rows:
        yield reader_rows, forecast_rows


def _insert(connection: Connection, batches: Iterator[Batch]) -> int:
    """Write the batches by plain executemany of tuples; returns the forecast rows written."""
    # The ORM's per-row work would dominate at this size; SQLite has no faster door than this.
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    insert_reader = (
        f"INSERT INTO readers ({', '.join(READER_COLUMNS)}) VALUES ({mark}, {mark}, {mark})"
    )
    insert_forecast = (
        f"INSERT INTO forecasts ({', '.join(FORECAST_COLUMNS)}) "
        f"VALUES ({', '.join([mark] * len(FORECAST_COLUMNS))})"
    )
    if connection.dialect.name == "sqlite":
        # A bigger page cache for this connection: the indexes of a million rows stay in memory.
        connection.exec_driver_sql("PRAGMA cache_size=-262144")
    written = 0
    for reader_rows, forecast_rows in batches:
        connection.exec_driver_sql(insert_reader, reader_rows)
        if forecast_rows:  # a question may have no scenarios yet
            connection.exec_driver_sql(insert_forecast, forecast_rows)
        written += len(forecast_rows)
    return written


@contextmanager
def _foreign_keys_set_aside(connection: Connection, table) -> Iterator[None]:
    """Drop the table's foreign keys for the block and add them back, checked, after it."""
    # In the caller's transaction: on an error nothing was dropped once it rolls back.
    keys = sorted(table.foreign_key_constraints, key=lambda key: key.name)
    for key in keys:
        connection.execute(DropConstraint(key))
    yield
    for key in keys:
        # isolate_from_table=False: by default the construct would take the key out of the
        # model's CREATE TABLE for the rest of the process (create_all in tests).
        connection.execute(AddConstraint(key, isolate_from_table=False))


def _copy(connection: Connection, batches: Iterator[Batch]) -> int:
    """Write the batches by PostgreSQL's COPY; returns the forecast rows written."""
    # psycopg's COPY on SQLAlchemy's own connection, so in the same transaction. It sends
    # rows as a stream, where executemany pays a statement per row. A foreign key costs a
    # trigger and a row lock per row (3 keys: two thirds of the COPY's time); adding the keys
    # back checks every row at once by a join. It locks the four tables until the commit: a
    # demo or benchmark database only.
    cursor = connection.connection.driver_connection.cursor()
    copy_readers = f"COPY readers ({', '.join(READER_COLUMNS)}) FROM STDIN"
    copy_forecasts = f"COPY forecasts ({', '.join(FORECAST_COLUMNS)}) FROM STDIN"
    written = 0
    with _foreign_keys_set_aside(connection, Forecast.__table__):
        for reader_rows, forecast_rows in batches:
            with cursor.copy(copy_readers) as copy:
                for row in reader_rows:
                    copy.write_row(row)
            with cursor.copy(copy_forecasts) as copy:
                for row in forecast_rows:
                    copy.write_row(row)
            written += len(forecast_rows)
    return written


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
    samplers = [(s.id, _Sampler(*_centres(s.baseline, rng), rng)) for s in question.scenarios]
    connection = db.session.connection()
    standing: Counter = Counter()
    batches = _batches(
        question.id,
        samplers,
        readers,
        rng,
        start=start,
        span=(now - start).total_seconds(),
        update_share=update_share,
        sql_time=_sql_time(connection),
        standing=standing,
    )
    postgresql = connection.dialect.name == "postgresql"
    forecasts = (_copy if postgresql else _insert)(connection, batches)
    # Past days changed under the stored snapshots: drop them, they are computed again.
    ids = [scenario_id for scenario_id, _ in samplers]
    db.session.execute(db.delete(AggregateSnapshot).where(AggregateSnapshot.scenario_id.in_(ids)))
    # The new readers are not banned and had no forecast before: the counts move by the tally.
    for (scenario_id, percent), count in sorted(standing.items()):
        counts.shift(scenario_id, percent, count)
    if readers and samplers:
        counts.moved(question.id, forecasters=readers)
    if postgresql:
        # Fresh planner statistics: without them PostgreSQL takes the bulk-loaded tables for
        # nearly empty and joins readers to forecasts by nested loops (`aggregates snapshot`
        # at 10^5 forecasts ran over 5 minutes). Autovacuum would, but only later.
        connection.exec_driver_sql("ANALYZE readers, forecasts")
    return Populated(readers=readers, forecasts=forecasts)
