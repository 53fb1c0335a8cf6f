"""The crowd of a question: now from the per-percent counts, in the past from daily snapshots
or from the forecasts active at a given time."""

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from time import time as epoch

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite

from ..core.aggregation import (
    ScenarioAggregate,
    aggregate_counts_with_recency,
    recency_window,
    window_recency_median,
)
from ..extensions import db
from ..models import AggregateSnapshot, Forecast, Question, Reader, Scenario, utcnow
from . import counts

# Share of the total recency weight that the newest-forecasts window may leave out.
RECENCY_TOLERANCE = 1e-9
# How long a question's recency medians stay in the shared cache: they are exact for as long
# as the question's version stands, however long that is.
RECENCY_KEEP_SECONDS = 24 * 3600


class Cache:
    """What the services need of a cache (predictions.cache implements it)."""

    def get(self, key: str) -> object: ...
    def set(self, key: str, value: object, seconds: float) -> None: ...
    def add(self, key: str, value: object, seconds: float) -> bool: ...
    def delete(self, key: str) -> None: ...


@dataclass(frozen=True)
class ScenarioCrowd:
    """One scenario's crowd: plain data, safe to keep beyond the request."""

    key: str
    label: str
    aggregate: ScenarioAggregate


@dataclass(frozen=True)
class HistoryPoint:
    """The crowd at one moment: the end of a past UTC day, or now (live)."""

    at: datetime
    live: bool
    scenarios: tuple[ScenarioCrowd, ...]


def _standing_at(t: datetime | None) -> tuple:
    """The condition 'standing at t' (t None: standing now) on a forecast."""
    if t is None:
        return (Forecast.ended_at.is_(None),)
    return (Forecast.created_at <= t, db.or_(Forecast.ended_at.is_(None), Forecast.ended_at > t))


def _active_at(t: datetime | None) -> tuple:
    """The same, for readers not banned (the query joins Reader)."""
    return (*_standing_at(t), Reader.banned_at.is_(None))


def recent_percents(
    scenario_id: int, limit: int, at: datetime | None = None, connection: Connection | None = None
) -> list[int]:
    """The newest `limit` standing percents on a scenario (at a time, or now), oldest first."""
    # Equal timestamps are ordered by id, i.e. by insertion (SPEC §7). The banned readers are
    # left out by a list (few, read once) rather than a join: the window is ~24 k rows at
    # n = 334 k, and a reader lookup per row was most of the time (SQLite: 133 → 75 ms).
    banned = db.select(Reader.id).where(Reader.banned_at.is_not(None))
    executor = connection or db.session
    rows = executor.scalars(
        db.select(Forecast.percent)
        .where(
            Forecast.scenario_id == scenario_id,
            Forecast.reader_id.not_in(banned),
            *_standing_at(at),
        )
        .order_by(Forecast.created_at.desc(), Forecast.id.desc())
        .limit(limit)
    ).all()
    return rows[::-1]


def recency_median(
    scenario_id: int, n: int, at: datetime | None = None, connection: Connection | None = None
) -> float | None:
    """The recency-weighted median over the newest recency_window(n) forecasts."""
    if n == 0:
        return None
    window = recent_percents(scenario_id, recency_window(n, RECENCY_TOLERANCE), at, connection)
    if not window:
        return None
    return window_recency_median(window, max(n, len(window)))


def _crowd(scenario: Scenario, by_percent: dict[int, int], recency: float | None) -> ScenarioCrowd:
    n = sum(by_percent.values())
    if n and recency is None:
        # No recency median to hand (from_counts, before with_recency sets it): the plain
        # median stands in.
        crowd = aggregate_counts_with_recency(by_percent, scenario.baseline, 50)
        aggregate = replace(crowd, recency_median=crowd.median)
    else:
        aggregate = aggregate_counts_with_recency(by_percent, scenario.baseline, recency)
    return ScenarioCrowd(scenario.key, scenario.label, aggregate)


@dataclass(frozen=True)
class Crowd:
    """A question's crowd at one version: plain data, safe to keep beyond the request.

    Every number comes from the counts of `version`, except the recency medians: they come
    from `recency_version`, as it stood at `recency_at` (the same version when exact; an older
    one while they lag behind).
    """

    question_id: int
    version: int
    forecaster_count: int
    scenarios: tuple[ScenarioCrowd, ...]
    recency_version: int
    recency_at: datetime

    @property
    def recency_exact(self) -> bool:
        return self.recency_version == self.version


@dataclass(frozen=True)
class Recency:
    """A question's recency medians as they stood at one version (kept in the shared cache)."""

    version: int
    at: float  # epoch seconds: when the snapshot they come from was taken
    medians: dict[int, float | None]

    def to_json(self) -> dict:
        medians = {str(k): v for k, v in self.medians.items()}
        return {"version": self.version, "at": self.at, "medians": medians}

    @classmethod
    def from_json(cls, value: object) -> "Recency | None":
        try:
            medians = {int(k): v for k, v in value["medians"].items()}  # type: ignore[index]
            return cls(int(value["version"]), float(value["at"]), medians)  # type: ignore[index]
        except (TypeError, KeyError, ValueError, AttributeError):
            return None  # absent, or written by another release


@dataclass(frozen=True)
class CrowdCache:
    """Where crowds are kept, and how far a recency median may lag behind the other numbers.

    Both caches are keyed by the question's crowd version, which every change of the crowd
    moves in its own transaction: a cached number is never older than the version it is
    served for. Only the recency medians may come from an older version, for at most
    `max_lag` seconds, while `refresh_later(question_id)` recomputes them off the request path.
    """

    shared: Cache  # recency medians per question (Redis: every worker and machine)
    max_lag: float = 0  # 0: the recency medians are always exact
    local: Cache | None = None  # whole crowds per (question, version), in this worker
    local_seconds: float = 0
    refresh_later: Callable[[int], None] | None = None


def _aggregates(
    question: Question, counted: counts.Counted, medians: dict[int, float | None]
) -> tuple[ScenarioCrowd, ...]:
    return tuple(
        _crowd(s, counted.by_scenario[s.id], medians.get(s.id)) for s in question.scenarios
    )


def _epoch_time(at: float) -> datetime:
    return datetime.fromtimestamp(at, UTC)


def with_recency(question: Question, crowd: Crowd, recency: Recency) -> Crowd:
    """The same crowd with these recency medians (O(scenarios): the rest is kept)."""
    scenarios = []
    for scenario, item in zip(question.scenarios, crowd.scenarios, strict=True):
        aggregate = item.aggregate
        if aggregate.n:
            value = recency.medians.get(scenario.id)
            # A scenario that had no forecast at that version: its median stands in.
            aggregate = replace(aggregate, recency_median=value or aggregate.median)
        scenarios.append(replace(item, aggregate=aggregate))
    return replace(
        crowd,
        scenarios=tuple(scenarios),
        recency_version=recency.version,
        recency_at=_epoch_time(recency.at),
    )


def from_counts(question: Question, counted: counts.Counted, at: float) -> Crowd:
    """The crowd of the counted version, recency medians not known yet (the plain medians
    stand in; with_recency sets them)."""
    return Crowd(
        question_id=question.id,
        version=counted.crowd_version,
        forecaster_count=counted.forecaster_count,
        scenarios=_aggregates(question, counted, {}),
        recency_version=-1,
        recency_at=_epoch_time(at),
    )


@contextmanager
def _one_snapshot() -> Iterator[Connection]:
    """A connection whose reads all see one state of the database."""
    if db.session.get_bind().dialect.name == "sqlite":
        # A SQLite transaction reads one snapshot (WAL) from its first statement on; the
        # session's own keeps an in-memory database (one connection) usable too.
        yield db.session.connection()
        return
    with db.engine.connect() as connection:
        connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with connection.begin():
            yield connection


def recompute(question: Question) -> tuple[Crowd, Recency]:
    """The whole crowd, recency medians included, from one snapshot of the database: exact
    at the version it reads (the question's, or a newer one)."""
    at = epoch()
    with _one_snapshot() as connection:
        counted = counts.counted(question, connection)
        medians = {
            s.id: recency_median(s.id, sum(counted.by_scenario[s.id].values()), None, connection)
            for s in question.scenarios
        }
    recency = Recency(counted.crowd_version, at, medians)
    crowd = Crowd(
        question_id=question.id,
        version=counted.crowd_version,
        forecaster_count=counted.forecaster_count,
        scenarios=_aggregates(question, counted, medians),
        recency_version=recency.version,
        recency_at=_epoch_time(at),
    )
    return crowd, recency


def _recency_key(question: Question) -> str:
    # With its creation time: two databases sharing a Redis (and prefix) number their
    # questions and versions alike, but do not create them at the same microsecond.
    return f"recency:{question.id}:{question.created_at.timestamp():.6f}"


def _local_key(question_id: int, version: int) -> str:
    return f"crowd:{question_id}:{version}"


def _keep(question: Question, recency: Recency, cache: CrowdCache) -> None:
    """Store recency medians for every worker, unless a newer version's are there already."""
    kept = Recency.from_json(cache.shared.get(_recency_key(question)))
    if kept is None or (kept.version, kept.at) <= (recency.version, recency.at):
        cache.shared.set(_recency_key(question), recency.to_json(), RECENCY_KEEP_SECONDS)


def refresh(question: Question, cache: CrowdCache) -> Crowd:
    """Recompute the question's crowd and keep it (the recency medians for every worker)."""
    crowd, recency = recompute(question)
    _keep(question, recency, cache)
    if cache.local is not None and cache.local_seconds > 0:
        cache.local.set(_local_key(question.id, crowd.version), crowd, cache.local_seconds)
    return crowd


def current(question: Question, cache: CrowdCache | None = None) -> Crowd:
    """The crowd now: at the question's version or a newer one, never an older one.

    Exact from the counts (O(99) per scenario); the recency medians exact too, or, with a
    cache that allows it, from an older version at most `max_lag` seconds old.
    """
    if cache is None:
        return recompute(question)[0]
    crowd = None
    if cache.local is not None and cache.local_seconds > 0:
        found = cache.local.get(_local_key(question.id, question.crowd_version))
        crowd = found if isinstance(found, Crowd) else None
    # An exact crowd kept here needs nothing more, but now and then it tells the shared cache
    # that its recency medians are still exact (see _with_shared_recency).
    if (
        crowd is None
        or not crowd.recency_exact
        or (cache.max_lag > 0 and epoch() - crowd.recency_at.timestamp() > cache.max_lag / 2)
    ):
        crowd = _with_shared_recency(question, crowd, cache)
    return crowd


def _with_shared_recency(
    question: Question, crowd: Crowd | None, cache: CrowdCache, waited: bool = False
) -> Crowd:
    now = epoch()
    recency = Recency.from_json(cache.shared.get(_recency_key(question)))
    if crowd is None or (recency is not None and recency.version > crowd.version):
        # No crowd of this version here yet, or another worker has read a newer one: read
        # the counts (forward only: the version read is the question's or newer).
        crowd = from_counts(question, counts.counted(question), now)
    if recency is None or recency.version > crowd.version:
        # No recency medians, or newer than these counts.
        return _refresh_here(question, crowd, cache, waited)
    if recency.version == crowd.version and 0 < cache.max_lag < 2 * (now - recency.at):
        # The request read this version just now, so the medians are exact as of now: the
        # first change after a quiet spell then finds them recent enough to serve while they
        # are refreshed, instead of computing them on the request.
        recency = replace(recency, at=now)
        _keep(question, recency, cache)
    if recency.version < crowd.version:
        age = now - recency.at
        if cache.max_lag <= 0 or age > cache.max_lag:
            # Too old to serve: exact, on the request path.
            return _refresh_here(question, crowd, cache, waited)
        # Not at every change: at most one refresh per quarter of the bound (and one at a
        # time: the caller's lock), so under a stream of changes the medians stay within
        # the bound while a busy question costs a refresh every few seconds, not all the time.
        if age >= cache.max_lag / 4 and cache.refresh_later is not None:
            cache.refresh_later(question.id)
    crowd = with_recency(question, crowd, recency)
    if cache.local is not None and cache.local_seconds > 0:
        cache.local.set(_local_key(question.id, crowd.version), crowd, cache.local_seconds)
    return crowd


_computing: dict[int, threading.Lock] = {}
_computing_guard = threading.Lock()


def _refresh_here(question: Question, crowd: Crowd, cache: CrowdCache, waited: bool) -> Crowd:
    """refresh() on the request path, by one thread of the process at a time per question:
    the others wait for it, then look again (and most often serve what it kept)."""
    if waited:
        return refresh(question, cache)
    with _computing_guard:
        lock = _computing.setdefault(question.id, threading.Lock())
    with lock:
        return _with_shared_recency(question, crowd, cache, waited=True)


def counts_at(scenario_ids: Iterable[int], t: datetime) -> dict[int, dict[int, int]]:
    """{scenario_id: {percent: count}} of the forecasts standing at t (current bans apply)."""
    ids = list(scenario_ids)
    result: dict[int, dict[int, int]] = {i: {} for i in ids}
    rows = db.session.execute(
        db.select(Forecast.scenario_id, Forecast.percent, db.func.count())
        .join(Reader, Reader.id == Forecast.reader_id)
        .where(Forecast.scenario_id.in_(ids), *_active_at(t))
        .group_by(Forecast.scenario_id, Forecast.percent)
    )
    for scenario_id, percent, count in rows:
        result[scenario_id][percent] = count
    return result


def at_time(question: Question, t: datetime) -> list[ScenarioCrowd]:
    """The crowd as it stood at t: forecasts with created_at <= t < ended_at (or still open)."""
    by_scenario = counts_at((s.id for s in question.scenarios), t)
    return [
        _crowd(
            s,
            by_scenario[s.id],
            recency_median(s.id, sum(by_scenario[s.id].values()), at=t),
        )
        for s in question.scenarios
    ]


def _first_forecast_at(scenario_ids: Sequence[int]) -> datetime | None:
    """When the question's first forecast was made (one index probe per scenario)."""
    firsts = [
        db.session.scalar(
            db.select(db.func.min(Forecast.created_at)).where(Forecast.scenario_id == i)
        )
        for i in scenario_ids
    ]
    # min() on a column of the UTCDateTime type comes back naive on SQLite.
    found = [f if f.tzinfo else f.replace(tzinfo=UTC) for f in firsts if f is not None]
    return min(found, default=None)


def day_ends(first: datetime, now: datetime, closes_at: datetime | None = None) -> list[datetime]:
    """Midnight UTC after each completed day from the first forecast's day (until closing)."""
    end = datetime.combine(first.astimezone(UTC).date() + timedelta(days=1), time(), UTC)
    result = []
    while end <= now and (closes_at is None or end - timedelta(days=1) < closes_at):
        result.append(end)
        end += timedelta(days=1)
    return result


def _insert_ignoring_duplicates(rows: list[dict]) -> None:
    """Store snapshots; one that another worker stored first is left as it is."""
    dialect = db.session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    db.session.execute(module.insert(AggregateSnapshot).on_conflict_do_nothing(), rows)


def past_days(question: Question, now: datetime | None = None) -> list[HistoryPoint]:
    """The crowd at the end of each completed UTC day: stored snapshots, and the days not
    stored yet computed without storing them (a read never writes)."""
    return _days(question, now or utcnow(), store=False)


def store_snapshots(question: Question, now: datetime | None = None) -> list[HistoryPoint]:
    """The same days, storing those not stored yet (the `aggregates snapshot` command)."""
    return _days(question, now or utcnow(), store=True)


def _days(question: Question, now: datetime, store: bool) -> list[HistoryPoint]:
    scenarios = list(question.scenarios)
    ids = [s.id for s in scenarios]
    first = _first_forecast_at(ids)
    if first is None:
        return []
    ends = day_ends(first, now, question.closes_at)
    if not ends:
        return []
    stored = {
        (scenario_id, at): (snapshot_counts, recency)
        for scenario_id, at, snapshot_counts, recency in db.session.execute(
            db.select(
                AggregateSnapshot.scenario_id,
                AggregateSnapshot.at,
                AggregateSnapshot.counts,
                AggregateSnapshot.recency_median,
            ).where(AggregateSnapshot.scenario_id.in_(ids), AggregateSnapshot.at >= ends[0])
        )
    }
    missing = [at for at in ends if any((i, at) not in stored for i in ids)]
    for at in missing:
        by_scenario = counts_at(ids, at)
        rows = []
        for i in ids:
            n = sum(by_scenario[i].values())
            rows.append(
                {
                    "scenario_id": i,
                    "at": at,
                    "counts": [by_scenario[i].get(p, 0) for p in counts.PERCENTS],
                    "recency_median": recency_median(i, n, at=at),
                }
            )
        if store:
            _insert_ignoring_duplicates(rows)
        for row in rows:
            stored.setdefault((row["scenario_id"], at), (row["counts"], row["recency_median"]))
    points = []
    for at in ends:
        crowds = []
        for scenario in scenarios:
            snapshot_counts, recency = stored[(scenario.id, at)]
            by_percent = {p: c for p, c in zip(counts.PERCENTS, snapshot_counts, strict=True) if c}
            crowds.append(_crowd(scenario, by_percent, recency))
        points.append(HistoryPoint(at, False, tuple(crowds)))
    return points


def history(
    question: Question,
    now: datetime | None = None,
    past: Cache | None = None,
    live: Sequence[ScenarioCrowd] | None = None,
) -> list[HistoryPoint]:
    """The past days, then the live point now (`live` when the caller has it); `past` may keep
    the days in memory, so a day not stored yet is computed once per process and day."""
    now = now or utcnow()
    points = None
    if past is not None:
        key = _past_key(question, now)
        cached = past.get(key)
        points = cached if isinstance(cached, list) else None
    if points is None:
        points = past_days(question, now)
        if past is not None:
            past.set(key, points, 24 * 3600)
    if live is None:
        live = current(question).scenarios
    return [*points, HistoryPoint(now, True, tuple(live))]


def _past_key(question: Question, now: datetime) -> str:
    # The completed days end where today begins, so (question, scenarios' baselines, today)
    # names them all; a day not stored yet keeps the numbers first computed until tomorrow.
    baselines = ",".join(f"{s.id}={s.baseline}" for s in question.scenarios)
    return f"past:{question.id}:{baselines}:{now.astimezone(UTC).date().isoformat()}"
