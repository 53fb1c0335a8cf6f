"""The crowd of a question: now from the per-percent counts, in the past from daily snapshots
or from the forecasts active at a given time."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from time import time as epoch

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
# A cached recency median is due after the configured seconds, but served (to all but the one
# caller refreshing it) for this many times as long.
STALE_FACTOR = 12


class Cache:
    """What the services need of a cache (predictions.cache implements it)."""

    def get(self, key: str) -> object: ...
    def set(self, key: str, value: object, seconds: float) -> None: ...
    def add(self, key: str, value: object, seconds: float) -> bool: ...


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


def _active_at(t: datetime | None):
    """The condition 'standing at t' (t None: standing now), for readers not banned."""
    if t is None:
        return (Forecast.ended_at.is_(None), Reader.banned_at.is_(None))
    return (
        Forecast.created_at <= t,
        db.or_(Forecast.ended_at.is_(None), Forecast.ended_at > t),
        Reader.banned_at.is_(None),
    )


def recent_percents(scenario_id: int, limit: int, at: datetime | None = None) -> list[int]:
    """The newest `limit` standing percents on a scenario (at a time, or now), oldest first."""
    # Equal timestamps are ordered by id, i.e. by insertion (SPEC §7).
    rows = db.session.scalars(
        db.select(Forecast.percent)
        .join(Reader, Reader.id == Forecast.reader_id)
        .where(Forecast.scenario_id == scenario_id, *_active_at(at))
        .order_by(Forecast.created_at.desc(), Forecast.id.desc())
        .limit(limit)
    ).all()
    return rows[::-1]


def recency_median(scenario_id: int, n: int, at: datetime | None = None) -> float | None:
    """The recency-weighted median over the newest recency_window(n) forecasts."""
    if n == 0:
        return None
    window = recent_percents(scenario_id, recency_window(n, RECENCY_TOLERANCE), at)
    if not window:
        return None
    return window_recency_median(window, max(n, len(window)))


def _crowd(scenario: Scenario, by_percent: dict[int, int], recency: float | None):
    n = sum(by_percent.values())
    if n and recency is None:
        # Only when the forecasts changed between our two reads (PostgreSQL, READ COMMITTED):
        # the plain median stands in until the next read.
        crowd = aggregate_counts_with_recency(by_percent, scenario.baseline, 50)
        aggregate = replace(crowd, recency_median=crowd.median)
    else:
        aggregate = aggregate_counts_with_recency(by_percent, scenario.baseline, recency)
    return ScenarioCrowd(scenario.key, scenario.label, aggregate)


def _cached_recency(scenario_id: int, n: int, cache: Cache, seconds: float) -> float | None:
    """The recency median, at most `seconds` old, recomputed by one caller at a time."""
    # Stale-while-revalidate: an entry stays usable for a while after it is due, and only the
    # caller that wins the claim recomputes it; the others serve the previous value meanwhile,
    # so a busy question never has every worker scanning the newest forecasts at once.
    key = f"recency:{scenario_id}"
    entry = cache.get(key)
    usable = isinstance(entry, dict) and entry.get("value") is not None and n > 0
    if usable and (epoch() < entry["fresh_until"] or not cache.add(key + ":claim", 1, seconds)):
        return entry["value"]
    value = recency_median(scenario_id, n)
    if value is not None:
        entry = {"value": value, "fresh_until": epoch() + seconds}
        cache.set(key, entry, max(seconds * STALE_FACTOR, 60))
    return value


def current(
    question: Question, cache: Cache | None = None, cache_seconds: float = 0
) -> list[ScenarioCrowd]:
    """The crowd now: exact from the counts; the recency median may come from the cache."""
    by_scenario = counts.counts_for(s.id for s in question.scenarios)
    result = []
    for scenario in question.scenarios:
        by_percent = by_scenario[scenario.id]
        n = sum(by_percent.values())
        if cache is not None and cache_seconds > 0:
            recency = _cached_recency(scenario.id, n, cache, cache_seconds)
        else:
            recency = recency_median(scenario.id, n)
        result.append(_crowd(scenario, by_percent, recency))
    return result


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
    cache: Cache | None = None,
    cache_seconds: float = 0,
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
        live = current(question, cache, cache_seconds)
    return [*points, HistoryPoint(now, True, tuple(live))]


def _past_key(question: Question, now: datetime) -> str:
    # The completed days end where today begins, so (question, scenarios' baselines, today)
    # names them all; a day not stored yet keeps the numbers first computed until tomorrow.
    baselines = ",".join(f"{s.id}={s.baseline}" for s in question.scenarios)
    return f"past:{question.id}:{baselines}:{now.astimezone(UTC).date().isoformat()}"
