"""The crowd as the web layer shows it: who may see it, and the numbers, cached where allowed.

Shared by the aggregate API, the results page and the question page; not a blueprint.
"""

import threading
from datetime import datetime

from flask import Flask, current_app, g
from sqlalchemy.orm.attributes import set_committed_value

from ..cache import MemoryCache, make_cache
from ..core.aggregation import counts_median
from ..extensions import db
from ..models import Forecast, Question, Reader, Scenario, utcnow
from ..services import aggregates, counts
from ..services.aggregates import HistoryPoint, ScenarioCrowd
from ..services.counts import Around
from ..services.visibility import CrowdVisibility, crowd_visibility
from .identity import current_moderator, current_reader

EXTENSION = "predictions_crowd"
_CREATING = threading.Lock()
# The most a recency refresh may take before another may start (a worker died meanwhile).
REFRESH_LOCK_SECONDS = 60
# The aggregate's crowd fields (SPEC §7), absent from a scenario's row while its crowd is hidden.
CROWD_FIELDS = (
    "n",
    "median",
    "mean",
    "gmo",
    "p25",
    "p75",
    "recency_median",
    "extremized",
    "delta_pp",
    "odds_ratio",
    "share_above",
    "share_equal",
    "share_below",
    "histogram",
)


def _caches() -> dict:
    caches = current_app.extensions.get(EXTENSION)
    if caches is None:
        with _CREATING:  # threaded workers: one set of caches per process
            caches = current_app.extensions.get(EXTENSION) or _create_caches()
    return caches


def _create_caches() -> dict:
    config = current_app.config
    app = current_app._get_current_object()
    caches = {
        # Recency medians per question and version (Redis: shared by every worker).
        "recency": make_cache(
            config.get("REDIS_URL"),
            config["AGGREGATE_CACHE_PREFIX"],
            config["FALLBACK_RETRY_SECONDS"],
        ),
        # Completed days: each worker keeps those it has read (stored, or computed when
        # `aggregates snapshot` has not stored them yet; a read never stores them).
        "past": MemoryCache(max_entries=256, as_json=False),
        # Whole crowds per question and version.
        "now": MemoryCache(max_entries=256, as_json=False),
    }
    caches["refresh_later"] = lambda question_id: _refresh_later(app, caches, question_id)
    current_app.extensions[EXTENSION] = caches
    return caches


def _crowd_cache(app: Flask, caches: dict) -> aggregates.CrowdCache:
    """The caches, with the settings as they are now."""
    return aggregates.CrowdCache(
        shared=caches["recency"],
        max_lag=float(app.config["AGGREGATE_CACHE_SECONDS"]),
        local=caches["now"],
        local_seconds=float(app.config["CROWD_CACHE_SECONDS"]),
        refresh_later=caches["refresh_later"],
    )


def clear_caches() -> None:
    """Forget cached crowds, recency medians and past days (tests, and after a recount)."""
    caches = _caches()
    for name in ("recency", "past", "now"):
        caches[name].clear()


def cache_seconds() -> float:
    """How far a recency median may lag behind the other numbers (AGGREGATE_CACHE_SECONDS)."""
    return float(current_app.config["AGGREGATE_CACHE_SECONDS"])


def _refresh_later(app: Flask, caches: dict, question_id: int) -> None:
    """Recompute a question's recency medians off the request path: in a thread of this
    worker, one at a time per question (across workers and machines too, with Redis)."""
    lock = f"refreshing:{question_id}"
    # Held while the refresh runs; it expires by itself should the worker die meanwhile.
    if not caches["recency"].add(lock, 1, REFRESH_LOCK_SECONDS):
        return
    if not app.config["CROWD_REFRESH_IN_BACKGROUND"]:
        _refresh(app, caches, question_id, lock)  # in-process tests: at once, deterministically
        return
    thread = threading.Thread(
        target=_refresh, args=(app, caches, question_id, lock), name="crowd-refresh", daemon=True
    )
    thread.start()


def _refresh(app: Flask, caches: dict, question_id: int, lock: str) -> None:
    with app.app_context():
        try:
            question = db.session.get(Question, question_id)
            if question is not None:
                aggregates.refresh(question, _crowd_cache(app, caches))
        except Exception:
            # The next reads serve the lagging medians until the bound, then compute them.
            app.logger.exception("Refreshing the recency medians of question %s", question_id)
        finally:
            db.session.remove()
            caches["recency"].delete(lock)


def visibility(
    question: Question,
    reader: Reader | None = None,
    standing: dict | None = None,
    sizes: dict[int, int] | None = None,
) -> CrowdVisibility:
    """The anti-anchoring rule, scenario by scenario, for this request (or for a reader just
    created in it, whose standing forecasts by scenario key, and the crowd's sizes by scenario
    id, the caller may pass)."""
    reader = reader if reader is not None else current_reader()
    return crowd_visibility(
        question,
        reader,
        current_app.config["MIN_CROWD"],
        is_moderator=current_moderator() is not None,
        standing=standing,
        sizes=sizes,
    )


def now(question: Question) -> aggregates.Crowd:
    """The crowd at the question's version or a newer one: never older than a change that
    had committed when the request read the question (any worker, any machine). One per
    request: every part of an answer shows the same crowd."""
    taken = g.setdefault("predictions_crowds", {})
    if question.id in taken:
        return taken[question.id][0]
    crowd = aggregates.current(question, _crowd_cache(current_app, _caches()))
    # The rest of the request (the forecaster count beside the numbers) follows what was read.
    if crowd.version > question.crowd_version:
        set_committed_value(question, "crowd_version", crowd.version)
        set_committed_value(question, "forecaster_count", crowd.forecaster_count)
    taken[question.id] = (crowd, utcnow())
    return crowd


def freshness(question: Question) -> dict:
    """Which crowd an answer shows: its version, forecaster count and `as_of` (a moment at
    which it was the crowd), and `recency_as_of` while the recency medians lag behind."""
    taken = g.get("predictions_crowds", {}).get(question.id)
    if taken is None:  # the crowd is hidden: its count and version from the question's row
        return {
            "version": question.crowd_version,
            "forecaster_count": question.forecaster_count,
            "as_of": utcnow(),
        }
    crowd, as_of = taken
    result = {"version": crowd.version, "forecaster_count": crowd.forecaster_count, "as_of": as_of}
    if not crowd.recency_exact:
        result["recency_as_of"] = crowd.recency_at
    return result


def current(question: Question) -> list[ScenarioCrowd]:
    """The crowd now, scenario by scenario (see now)."""
    return list(now(question).scenarios)


def history(question: Question) -> list[HistoryPoint]:
    """The crowd at the end of each past day, then the live point."""
    return aggregates.history(question, past=_caches()["past"], live=current(question))


def at_time(question: Question, t: datetime) -> list[ScenarioCrowd]:
    """The crowd as it stood at t."""
    return aggregates.at_time(question, t)


def identity_row(crowd_or_scenario: ScenarioCrowd | Scenario) -> dict:
    """The fields of a scenario row that are shown whether or not its crowd is visible."""
    if isinstance(crowd_or_scenario, ScenarioCrowd):
        return {
            "key": crowd_or_scenario.key,
            "label": crowd_or_scenario.label,
            "baseline": crowd_or_scenario.aggregate.baseline,
        }
    return {
        "key": crowd_or_scenario.key,
        "label": crowd_or_scenario.label,
        "baseline": crowd_or_scenario.baseline,
    }


def row(crowd_or_scenario: ScenarioCrowd | Scenario, visibility: CrowdVisibility) -> dict:
    """A scenario's row: identity and whether its crowd shows (and why not), the crowd fields
    only when it does."""
    result = identity_row(crowd_or_scenario)
    key = result["key"]
    shown = visibility.visible_for(key)
    result["visible"] = shown
    result["hidden_reason"] = visibility.reason_for(key)
    if shown and isinstance(crowd_or_scenario, ScenarioCrowd):
        aggregate = crowd_or_scenario.aggregate
        result.update({name: getattr(aggregate, name) for name in CROWD_FIELDS})
    return result


def snapshot(
    forecast_snapshot: dict[str, int], visibility: CrowdVisibility
) -> tuple[dict[str, int] | None, list[str]]:
    """A comment's snapshot as this viewer may see it: the numbers on the scenarios whose crowd
    they may see (None when they may see no scenario's) and the keys held back."""
    keys = [k for k in visibility.keys if k in forecast_snapshot]  # the question's order
    shown = {k: forecast_snapshot[k] for k in keys if visibility.visible_for(k)}
    withheld = [k for k in keys if k not in shown]
    return (shown if visibility.any_visible else None), withheld


def _pct(value: float) -> str:
    return f"{round(value):d} %"


def summary_sentence(label: str, you: int, others: Around, median: float | None) -> str:
    """Where a reader's number stands among the other readers', in words."""
    n = others.below + others.equal + others.above
    if n == 0 or median is None:
        return f"You are the first reader to forecast “{label}”."
    median_text = f"{median:g} %"
    if others.above > others.below:
        return (
            f"You rate “{label}” lower than {_pct(100 * others.above / n)} of other readers do "
            f"(crowd median {median_text})."
        )
    if others.below > others.above:
        return (
            f"You rate “{label}” higher than {_pct(100 * others.below / n)} of other readers do "
            f"(crowd median {median_text})."
        )
    return f"You rate “{label}” right in the middle of the crowd (median {median_text})."


def others_around(
    question: Question, reader: Reader, active: dict[str, Forecast]
) -> dict[int, Around]:
    """Per scenario the other readers' standing forecasts below, at and above the reader's,
    for the scenarios whose crowd the reader may see (by scenario id; the others are absent)."""
    # One read serves all: the counts around the reader's numbers also give each crowd's size
    # (and, in comparison, its median).
    cells = {f.scenario_id: f.percent for f in active.values()}
    standing = counts.around(_counted_once(question), cells)
    sizes = {scenario_id: sum(around) for scenario_id, around in standing.items()}
    shown = visibility(question, reader, standing=active, sizes=sizes)
    visible_ids = {f.scenario_id for key, f in active.items() if shown.visible_for(key)}
    if reader.banned_at is not None:
        # A banned reader's forecasts are not in the counts.
        return {i: around for i, around in standing.items() if i in visible_ids}
    return {
        scenario_id: around._replace(equal=max(around.equal - 1, 0))  # the reader themselves
        for scenario_id, around in standing.items()
        if scenario_id in visible_ids
    }


def _counted_once(question: Question) -> counts.Counted:
    """The question's counts as the answer to a write reads them: once per request, after
    the write (on SQLite after its commit), so they hold the reader's own change."""
    taken = g.setdefault("predictions_counted", {})
    if question.id not in taken:
        taken[question.id] = counts.counted(question)
    return taken[question.id]


def medians(question: Question) -> dict[str, float | None]:
    """The crowd's median per scenario key, from the counts the answer read (O(99) each; a
    write never waits for a recency median)."""
    counted = _counted_once(question)
    return {s.key: counts_median(counted.by_scenario[s.id]) for s in question.scenarios}


def comparison(question: Question, active: dict[str, Forecast], others: dict[int, Around]) -> dict:
    """Per scenario the crowd's median and where the reader stands among the others, for the
    scenarios in `others` (those whose crowd the reader may see)."""
    if not others:
        return {}
    crowd_medians = medians(question)
    result = {}
    for scenario in question.scenarios:
        forecast = active.get(scenario.key)
        if forecast is None or scenario.id not in others:
            continue
        median = crowd_medians[scenario.key]
        result[scenario.key] = {
            "crowd_median": median,
            "crowd_summary": summary_sentence(
                scenario.label, forecast.percent, others[scenario.id], median
            ),
        }
    return result
