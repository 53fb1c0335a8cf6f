"""The crowd as the web layer shows it: who may see it, and the numbers, cached where allowed.

Shared by the aggregate API, the results page and the question page; not a blueprint.
"""

import time
from datetime import datetime

from flask import current_app

from ..aggregation import ScenarioAggregate
from ..cache import MemoryCache, make_cache
from ..models import Forecast, Question, Reader
from ..services import aggregates, counts, forecasts
from ..services.aggregates import HistoryPoint, ScenarioCrowd
from ..services.visibility import CrowdVisibility, crowd_visibility
from .identity import current_moderator, current_reader

EXTENSION = "predictions_crowd"
# The aggregate's crowd fields (SPEC §7), absent while the crowd is hidden.
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
            # Completed days never change: each worker keeps the ones it has read.
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


def visibility(question: Question, reader: Reader | None = None) -> CrowdVisibility:
    """The anti-anchoring rule for this request (or for a reader just created in it)."""
    reader = reader if reader is not None else current_reader()
    return crowd_visibility(
        question,
        reader,
        current_app.config["MIN_CROWD"],
        is_moderator=current_moderator() is not None,
    )


def current(
    question: Question, reader: Reader | None = None, include_reader: bool = True
) -> list[ScenarioCrowd]:
    """The crowd now, computed at most CROWD_CACHE_SECONDS ago and (unless include_reader is
    False) after the reader's own latest change, so a reader sees their forecast counted."""
    caches, seconds = _caches(), float(current_app.config["CROWD_CACHE_SECONDS"])
    reader = reader if reader is not None else current_reader()
    changed = None
    if include_reader and reader is not None:
        changed = forecasts.latest_change(reader, question)
    key = f"now:{question.id}"
    entry = caches["now"].get(key) if seconds > 0 else None
    if isinstance(entry, dict) and (changed is None or changed.timestamp() < entry["computed"]):
        return entry["crowd"]
    computed = time.time()
    crowd = aggregates.current(question, caches["recency"], cache_seconds())
    if seconds > 0:
        caches["now"].set(key, {"crowd": crowd, "computed": computed}, seconds)
    return crowd


def history(question: Question) -> list[HistoryPoint]:
    """Daily snapshots and the live point."""
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


def identity_row(crowd_or_scenario) -> dict:
    """The fields of a scenario row that are shown whether or not the crowd is visible."""
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


def row(crowd: ScenarioCrowd, visible: bool) -> dict:
    """A scenario's row: identity always, the crowd fields only when visible."""
    result = identity_row(crowd)
    if visible:
        result.update({name: getattr(crowd.aggregate, name) for name in CROWD_FIELDS})
    return result


def _pct(value: float) -> str:
    return f"{round(value):d} %"


def summary_sentence(label: str, you: int, others: dict[int, int], median: float | None) -> str:
    """Where a reader's number stands among the other readers', in words."""
    n = sum(others.values())
    if n == 0 or median is None:
        return f"You are the first reader to forecast “{label}”."
    above = sum(c for p, c in others.items() if p > you)
    below = sum(c for p, c in others.items() if p < you)
    median_text = f"{median:g} %"
    if above > below:
        return (
            f"You rate “{label}” lower than {_pct(100 * above / n)} of other readers do "
            f"(crowd median {median_text})."
        )
    if below > above:
        return (
            f"You rate “{label}” higher than {_pct(100 * below / n)} of other readers do "
            f"(crowd median {median_text})."
        )
    return f"You rate “{label}” right in the middle of the crowd (median {median_text})."


def comparison(question: Question, reader: Reader, active: dict[str, Forecast]) -> dict:
    """Per scenario the crowd's median and a sentence, once the crowd is visible; else {}."""
    if not visibility(question, reader).visible:
        return {}
    # The reader is compared with the others: a crowd computed just before their change serves.
    crowds = {c.key: c for c in current(question, reader, include_reader=False)}
    by_scenario = counts.counts_for(s.id for s in question.scenarios)
    result = {}
    for scenario in question.scenarios:
        forecast = active.get(scenario.key)
        if forecast is None:
            continue
        others = dict(by_scenario[scenario.id])
        if reader.banned_at is None and others.get(forecast.percent):
            others[forecast.percent] -= 1  # the reader themselves
        aggregate: ScenarioAggregate = crowds[scenario.key].aggregate
        result[scenario.key] = {
            "crowd_median": aggregate.median,
            "crowd_summary": summary_sentence(
                scenario.label, forecast.percent, others, aggregate.median
            ),
        }
    return result
