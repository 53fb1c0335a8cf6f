"""The crowd as the web layer shows it: who may see it, and the numbers, cached where allowed.

Shared by the aggregate API, the results page and the question page; not a blueprint.
"""

import time
from datetime import datetime

from flask import current_app

from ..cache import MemoryCache, make_cache
from ..core.aggregation import counts_median
from ..models import Forecast, Question, Reader, Scenario
from ..services import aggregates, counts, forecasts
from ..services.aggregates import HistoryPoint, ScenarioCrowd
from ..services.counts import Around
from ..services.visibility import CrowdVisibility, crowd_visibility
from .identity import current_moderator, current_reader

EXTENSION = "predictions_crowd"
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
        config = current_app.config
        caches = {
            "recency": make_cache(config.get("REDIS_URL"), config["AGGREGATE_CACHE_PREFIX"]),
            # Completed days: each worker keeps those it has read (stored, or computed when
            # `aggregates snapshot` has not stored them yet; a read never stores them).
            "past": MemoryCache(max_entries=256, as_json=False),
            # The crowd now, per question: each worker recomputes it at most every
            # CROWD_CACHE_SECONDS, and at once for a reader who changed their forecast since.
            "now": MemoryCache(max_entries=256, as_json=False),
        }
        current_app.extensions[EXTENSION] = caches
    return caches


def clear_caches() -> None:
    """Forget cached recency medians and past days (tests, and after a recount)."""
    for cache in _caches().values():
        cache.clear()


def cache_seconds() -> float:
    """How old a recency median may be (AGGREGATE_CACHE_SECONDS)."""
    return float(current_app.config["AGGREGATE_CACHE_SECONDS"])


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


def _now_key(question: Question) -> str:
    return f"now:{question.id}"


def current(question: Question) -> list[ScenarioCrowd]:
    """The crowd now, computed at most CROWD_CACHE_SECONDS ago and after the requesting
    reader's own latest change, so a reader sees their forecast counted."""
    caches, seconds = _caches(), float(current_app.config["CROWD_CACHE_SECONDS"])
    reader = current_reader()
    changed = forecasts.latest_change(reader, question) if reader is not None else None
    key = _now_key(question)
    entry = caches["now"].get(key) if seconds > 0 else None
    if isinstance(entry, dict) and (changed is None or changed.timestamp() < entry["computed"]):
        return entry["crowd"]
    computed = time.time()
    crowd = aggregates.current(question, caches["recency"], cache_seconds())
    if seconds > 0:
        caches["now"].set(key, {"crowd": crowd, "computed": computed}, seconds)
    return crowd


def history(question: Question) -> list[HistoryPoint]:
    """The crowd at the end of each past day, then the live point."""
    caches = _caches()
    return aggregates.history(
        question,
        cache=caches["recency"],
        cache_seconds=cache_seconds(),
        past=caches["past"],
        live=current(question),
    )


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
    # One read serves both: the counts around the reader's numbers also give each crowd's size.
    standing = counts.around({f.scenario_id: f.percent for f in active.values()})
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


def medians(question: Question) -> dict[str, float | None]:
    """The crowd's median per scenario key: from the cached crowd, else from the counts alone.

    For the answer to a forecast: a crowd computed just before the reader's change serves, and
    a write never waits for a recency median to be recomputed.
    """
    caches, seconds = _caches(), float(current_app.config["CROWD_CACHE_SECONDS"])
    if seconds > 0:
        entry = caches["now"].get(_now_key(question))
        if isinstance(entry, dict):
            return {c.key: c.aggregate.median for c in entry["crowd"]}
        if isinstance(cached := caches["now"].get(f"medians:{question.id}"), dict):
            return cached
    by_scenario = counts.counts_for(s.id for s in question.scenarios)
    result = {s.key: counts_median(by_scenario[s.id]) for s in question.scenarios}
    if seconds > 0:
        caches["now"].set(f"medians:{question.id}", result, seconds)
    return result


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
