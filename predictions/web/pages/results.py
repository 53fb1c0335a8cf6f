"""The results page: the crowd against the article, with charts, trend, exports and method."""

import csv
import io
from dataclasses import dataclass
from functools import lru_cache

from flask import Blueprint, Response, abort, current_app, render_template, request, session
from markupsafe import Markup

from ...cache import MISSING, MemoryCache
from ...core import charts
from ...core.aggregation import ScenarioAggregate
from ...models import Question, utcnow
from ...services import forecasts, scores
from ...services.aggregates import HistoryPoint, ScenarioCrowd
from ...services.visibility import CrowdVisibility, Hidden
from .. import crowd
from ..identity import bearer_token, current_moderator, current_reader
from ..lookups import question_or_404

bp = Blueprint("results", __name__)
PAGES = "predictions_results_pages"

# Cells that a spreadsheet would run as a formula start with one of these (OWASP).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ScenarioResult:
    """What the page shows for one scenario: its crowd, or why that is hidden."""

    key: str
    label: str
    baseline: int
    aggregate: ScenarioAggregate | None = None  # None while the scenario's crowd is hidden
    trend: tuple[charts.TrendPoint, ...] = ()
    histogram_svg: str = ""
    trend_svg: str = ""
    hidden: Hidden | None = None
    hidden_reason: str | None = None  # a sentence
    hidden_short: str | None = None  # a few words, for a table cell
    outcome: str | None = None  # yes, no or annulled once resolved
    you: int | None = None  # the viewer's own standing forecast, drawn on the charts


# The charts are pure functions of their numbers: the same crowd draws the same SVG, so a
# busy page reuses the markup until a forecast moves the numbers.
histogram_svg = lru_cache(maxsize=128)(charts.histogram_svg)
trend_svg = lru_cache(maxsize=128)(charts.trend_svg)


def _trend(points: list[HistoryPoint], key: str) -> tuple[charts.TrendPoint, ...]:
    result = []
    for point in points:
        aggregate = next(c.aggregate for c in point.scenarios if c.key == key)
        if aggregate.n:
            # The live point is drawn at the minute: the chart (memoised) then stays the same
            # markup between requests until the numbers themselves move.
            at = point.at.replace(second=0, microsecond=0) if point.live else point.at
            result.append(
                charts.TrendPoint(
                    at=at,
                    median=aggregate.median,
                    p25=aggregate.p25,
                    p75=aggregate.p75,
                    n=aggregate.n,
                )
            )
    return tuple(result)


def _scenario_result(
    number: int,
    item: ScenarioCrowd,
    points: list[HistoryPoint],
    outcome: str | None = None,
    you: int | None = None,
):
    aggregate = item.aggregate
    trend = _trend(points, item.key)
    median_text = "no forecasts yet" if aggregate.median is None else f"{aggregate.median:g} %"
    return ScenarioResult(
        key=item.key,
        label=item.label,
        baseline=aggregate.baseline,
        aggregate=aggregate,
        trend=trend,
        outcome=outcome,
        you=you,
        histogram_svg=histogram_svg(
            tuple(aggregate.histogram),
            baseline=aggregate.baseline,
            median=aggregate.median,
            you=you,
            title=f"How readers rate “{item.label}”",
            description=(
                f"Readers' forecasts in bands of 5 points; the article says "
                f"{aggregate.baseline} %, the crowd median is {median_text}."
            ),
            id_prefix=f"hist-{number}",
        ),
        trend_svg=trend_svg(
            trend,
            baseline=aggregate.baseline,
            you=you,
            title=f"The crowd on “{item.label}” over time",
            description=(
                "Crowd median at the end of each day and now, with the middle half of "
                f"readers as a band; the article's {aggregate.baseline} % as a dashed line."
            ),
            id_prefix=f"trend-{number}",
        ),
    )


def _hidden_result(item: ScenarioCrowd, visibility: CrowdVisibility) -> ScenarioResult:
    # Only the scenario's identity travels on: the section says why, with no number.
    return ScenarioResult(
        key=item.key,
        label=item.label,
        baseline=item.aggregate.baseline,
        hidden=visibility.hidden[item.key],
        hidden_reason=visibility.reason_for(item.key),
        hidden_short=visibility.short_reason_for(item.key),
    )


@bp.get("/q/<slug>/results")
def results(slug: str):
    """The crowd against the article: numbers, distributions, trend and method, for each
    scenario whose crowd the viewer may see."""
    question = question_or_404(slug)
    key = _page_key(question) if _nobody_in_particular() else None
    if key is not None and (page := _pages().get(key)) is not MISSING:
        return page
    page = _results_page(question)
    # Only a page whose every number is exact is kept (no lagging recency median), so a kept
    # page says nothing a new rendering would not.
    if key is not None and "recency_as_of" not in crowd.freshness(question):
        _pages().set(key, page, float(current_app.config["CROWD_CACHE_SECONDS"]))
    return page


def _nobody_in_particular() -> bool:
    """A visitor the page says nothing personal to: no token, no session (so no reader, no
    login, no flashed message), no moderator (a remembered login included)."""
    return (
        bearer_token() is None
        and not session
        and current_moderator() is None
        and current_reader() is None
    )


def _page_key(question: Question) -> tuple:
    """What the page of a visitor with nothing of their own shows depends on, besides time
    within a day: the question's versions as this request read them (its texts and outcomes;
    its crowd, whose version moves with every forecast, withdrawal, ban and resolution, and so
    also what is hidden and the scorecard), its phase now, the day (the trend's past days), the
    scorecard's page and the scheme and host (the share metadata's absolute links)."""
    return (
        request.host_url,
        question.id,
        question.edit_version,
        question.outcome_version,
        question.crowd_version,
        question.phase(),
        utcnow().date(),
        request.args.get("page", 1, type=int),
    )


def _pages() -> MemoryCache:
    """This worker's results pages for visitors with nothing of their own (see results)."""
    pages = current_app.extensions.get(PAGES)
    if pages is None:  # threads racing here keep one of their caches: a render is all it costs
        pages = current_app.extensions.setdefault(PAGES, MemoryCache(64, as_json=False))
    return pages


def _results_page(question: Question) -> str:
    visibility = crowd.visibility(question)
    crowd_html = None
    if visibility.any_visible:
        points = crowd.history(question)
        outcomes = {s.key: s.outcome for s in question.scenarios}
        standing = forecasts.active_forecasts(current_reader(), question)
        mine = {key: forecast.percent for key, forecast in standing.items()}
        sections = tuple(
            _scenario_result(number, item, points, outcomes[item.key], mine.get(item.key))
            if visibility.visible_for(item.key)
            else _hidden_result(item, visibility)
            for number, item in enumerate(points[-1].scenarios, start=1)
        )
        crowd_html = _crowd_html(question.slug, question.is_open(), sections)
    resolved = any(s.outcome for s in question.scenarios)
    return render_template(
        "results/results.html",
        question=question,
        visibility=visibility,
        hidden_labels=[s.label for s in question.scenarios if not visibility.visible_for(s.key)],
        crowd_html=crowd_html,
        scorecard=scores.scorecard_for_page(question, request.args.get("page", 1, type=int))
        if resolved
        else None,
        cache_seconds=crowd.cache_seconds(),
        freshness=crowd.freshness(question),
    )


@lru_cache(maxsize=64)
def _crowd_html(slug: str, is_open: bool, sections: tuple[ScenarioResult, ...]) -> Markup:
    # The same crowd (and the same hidden scenarios) renders the same markup for every viewer:
    # render it once per crowd.
    return Markup(
        render_template("results/_crowd.html", slug=slug, is_open=is_open, sections=sections)
    )


@dataclass(frozen=True)
class SummaryLine:
    """One scenario in the question page's crowd box."""

    label: str
    baseline: int
    aggregate: ScenarioAggregate | None  # None while the scenario's crowd is hidden
    hidden_reason: str | None  # a few words, while hidden


@bp.app_template_global("crowd_summary")
def crowd_summary(question: Question) -> list[SummaryLine] | None:
    """The crowd now for the question page's short summary, scenario by scenario; None while
    every scenario's crowd is hidden."""
    visibility = crowd.visibility(question)
    if not visibility.any_visible:
        return None
    return [
        SummaryLine(
            label=item.label,
            baseline=item.aggregate.baseline,
            aggregate=item.aggregate if visibility.visible_for(item.key) else None,
            hidden_reason=visibility.short_reason_for(item.key),
        )
        for item in crowd.current(question)
    ]


def _cell(value: object) -> object:
    """A CSV cell a spreadsheet shows as text: text that could start a formula gets a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _number(value: float | None) -> object:
    return "" if value is None else round(value, 4)


def _csv(filename: str, header: list[str], rows: list[list[object]]) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([[_cell(v) for v in row] for row in rows])
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _visible_or_403(question: Question) -> CrowdVisibility:
    """The viewer's visibility; 403 with the reason while every scenario's crowd is hidden."""
    visibility = crowd.visibility(question)
    if not visibility.any_visible:
        abort(403, visibility.hidden_reason)
    return visibility


def _crowd_cells(item: ScenarioCrowd) -> list[object]:
    aggregate = item.aggregate
    numbers = [getattr(aggregate, name) for name in crowd.CROWD_FIELDS[1:-1]]
    return [aggregate.n, *(_number(v) for v in numbers)]


CROWD_COLUMNS = list(crowd.CROWD_FIELDS[:-1])
HISTOGRAM_COLUMNS = [f"hist_{5 * i:02d}_{min(5 * i + 4, 99):02d}" for i in range(20)]


@bp.get("/q/<slug>/results.csv")
def results_csv(slug: str):
    """The crowd now, one row per scenario whose crowd the viewer may see (hidden like the
    page)."""
    question = question_or_404(slug)
    visibility = _visible_or_403(question)
    generated = utcnow().isoformat()
    rows = [
        [
            question.slug,
            item.key,
            item.label,
            item.aggregate.baseline,
            *_crowd_cells(item),
            *item.aggregate.histogram,
            generated,
        ]
        for item in crowd.current(question)
        if visibility.visible_for(item.key)
    ]
    header = ["question", "key", "label", "baseline", *CROWD_COLUMNS, *HISTOGRAM_COLUMNS, "at"]
    return _csv(f"{question.slug}-results.csv", header, rows)


@bp.get("/q/<slug>/history.csv")
def history_csv(slug: str):
    """The crowd after each past UTC day and now, one row per day and scenario whose crowd the
    viewer may see."""
    question = question_or_404(slug)
    visibility = _visible_or_403(question)
    points = crowd.history(question)
    rows = [
        [
            point.at.isoformat(),
            "yes" if point.live else "no",
            item.key,
            item.aggregate.baseline,
            *_crowd_cells(item),
        ]
        for point in points
        for item in point.scenarios
        if visibility.visible_for(item.key)
    ]
    header = ["at", "live", "key", "baseline", *CROWD_COLUMNS]
    return _csv(f"{question.slug}-history.csv", header, rows)
