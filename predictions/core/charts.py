"""Server-rendered inline SVG charts: the crowd's forecasts beside the article's own number.

Standard library and markupsafe only. Each chart is one `<svg role="img">` that is also well-formed
XML, with no script, style or event handler (the page runs under a strict CSP, without JavaScript)
and `class` only as a hook for the stylesheet. Invalid input raises ValueError or TypeError.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from markupsafe import Markup, escape

from .aggregation import HISTOGRAM_BINS, HISTOGRAM_WIDTH
from .wording import count_of

__all__ = ["TrendPoint", "histogram_svg", "trend_svg"]

SVG_NS = "http://www.w3.org/2000/svg"

# AA contrast on white: article 6.0:1, crowd 8.4:1, text 9.5:1, bar outline 5.1:1. The article's
# marker is always dashed and the crowd's solid, so the two differ by more than colour.
ARTICLE_COLOUR = "#a14a00"
CROWD_COLOUR = "#0b4f8a"
YOU_COLOUR = "#1a1a1a"  # the viewer's own number: dotted, in ink (17:1 on white)
YOU_DASH = "2 3"
BAR_FILL = "#c6d4e3"
BAR_STROKE = "#5b7186"
TEXT_COLOUR = "#3d4750"
AXIS_COLOUR = "#5f6b76"
GRID_COLOUR = "#dde2e7"
BAND_OPACITY = 0.2
DASH = "6 4"
# The paint of a histogram bar and of the crowd's interquartile band, legend swatches included.
BAR_PAINT = {"fill": BAR_FILL, "stroke": BAR_STROKE, "stroke-width": 1}
BAND_PAINT = {"fill": CROWD_COLOUR, "fill-opacity": BAND_OPACITY}

# viewBox units. The SVG is width="100%" with no height, so it scales to the column. On a 360 px
# phone the chart is about 310 px wide (scale 0.78): text of 16 units still shows at 12 CSS px.
WIDTH = 400
FONT_SIZE = 16  # axis ticks, legend
LABEL_FONT_SIZE = 16  # marker labels (bold), notes
# Average advance width of a glyph in em, a little generous for system sans-serif fonts: used
# to keep labels inside the viewBox and apart from each other without measuring text.
CHAR_WIDTH_EM = 0.62
LABEL_GAP = 6  # minimum horizontal room between two marker labels on the same row

# Histogram layout (viewBox units).
HIST_HEIGHT = 232
HIST_LEFT = 44
HIST_RIGHT = 372  # room for the centred "100 %" under the last tick
HIST_TOP = 52
HIST_BOTTOM = 174
HIST_LABEL_ROWS = (42, 22)  # text baselines: the usual row, then the row for an offset label
HIST_TICK_LABEL_Y = HIST_BOTTOM + 20
HIST_LEGEND_Y = HIST_HEIGHT - 12

# Trend layout (viewBox units).
TREND_HEIGHT = 236
TREND_LEFT = 56
TREND_RIGHT = 384
TREND_TOP = 12
TREND_BOTTOM = 184
TREND_TICK_LABEL_Y = TREND_BOTTOM + 20
TREND_LEGEND_Y = TREND_HEIGHT - 12
TREND_GRID = (0, 25, 50, 75, 100)
TREND_MAX_HOVER_POINTS = 60  # beyond this many points, no per-point hover circles (size)
MIN_TICK_GAP = 90  # viewBox units between an inner date label and the start/end labels

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Every id starts with the caller's prefix, so several charts can share a page.
_ID_PREFIX = re.compile(r"[a-z0-9-]+")
# Not XML 1.0 characters (C0 controls except tab/LF/CR, surrogates, U+FFFE/U+FFFF), plus DEL
# and the C1 controls, which HTML treats as parse errors.
_NOT_TEXT = re.compile("[^\t\n\r\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _num(value: float) -> str:
    """A coordinate rounded to 2 decimals without trailing zeros ("12.5", "40", "0")."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _text(value: object) -> str:
    """Escaped text for an element or attribute, without the characters XML cannot carry."""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return str(escape(_NOT_TEXT.sub("", text)))


def _attrs(attrs: dict[str, object]) -> str:
    parts = []
    for name, value in attrs.items():
        if value is None:
            continue
        shown = _num(value) if isinstance(value, float) else _text(value)
        parts.append(f' {name}="{shown}"')
    return "".join(parts)


def _el(tag: str, attrs: dict[str, object], content: str | None = None) -> str:
    """One element; `content` is already-escaped markup (use `_text` for plain text)."""
    if content is None:
        return f"<{tag}{_attrs(attrs)}/>"
    return f"<{tag}{_attrs(attrs)}>{content}</{tag}>"


def _text_el(x: float, y: float, label: str, **attrs: object) -> str:
    base: dict[str, object] = {"x": float(x), "y": float(y), "fill": TEXT_COLOUR}
    base["font-size"] = FONT_SIZE
    base.update({key.replace("_", "-"): value for key, value in attrs.items()})
    return _el("text", base, _text(label))


def _halo() -> dict[str, object]:
    """Presentation attributes drawing a white outline behind text over lines or bars."""
    return {
        "stroke": "#ffffff",
        "stroke-width": 3,
        "stroke-linejoin": "round",
        "paint-order": "stroke",
    }


def _empty_note(x: float, y: float, text: str) -> str:
    """The note a chart shows in place of data it does not have yet."""
    return _text_el(
        x,
        y,
        text,
        text_anchor="middle",
        font_size=LABEL_FONT_SIZE,
        **{"class": "empty-note"},
        **_halo(),
    )


def _marker_label(x: float, y: float, text: str, colour: str, anchor: str, **attrs: object) -> str:
    """The bold label of a marker (the article's number, the crowd median) in its colour."""
    return _text_el(
        x,
        y,
        text,
        text_anchor=anchor,
        fill=colour,
        font_size=LABEL_FONT_SIZE,
        font_weight="bold",
        **{"class": "marker-label"},
        **attrs,
    )


def _text_width(label: str, font_size: float) -> float:
    return len(label) * font_size * CHAR_WIDTH_EM


def _check_names(id_prefix: object, title: object, description: object) -> tuple[str, str, str]:
    """The chart's id prefix, title and description, checked."""
    if not isinstance(id_prefix, str) or not _ID_PREFIX.fullmatch(id_prefix):
        raise ValueError(f"id_prefix must match ^[a-z0-9-]+$, got {id_prefix!r}")
    for what, value in (("title", title), ("description", description)):
        if not isinstance(value, str):
            raise TypeError(f"{what} must be a str, got {type(value).__name__}")
    return id_prefix, title, description  # type: ignore[return-value]


def _check_percent(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{what} must be a number, got {type(value).__name__}")
    number = float(value)
    if not (math.isfinite(number) and 0.0 <= number <= 100.0):
        raise ValueError(f"{what} must be a finite percentage in 0..100, got {value!r}")
    return number


def _pct(value: float) -> str:
    """A percentage for people: at most one decimal, "40 %", "55.5 %"."""
    text = f"{value:.1f}".removesuffix(".0")
    return f"{text} %"


def _compact(count: int) -> str:
    if count < 10_000:
        return str(count)
    if count < 1_000_000:
        return f"{count // 1000}k"
    return f"{count / 1_000_000:.1f}".removesuffix(".0") + "M"


def _readers(count: int) -> str:
    return count_of(count, "reader")


def _open_svg(id_prefix: str, kind: str, height: int, title: str, description: str) -> str:
    svg = _el(
        "svg",
        {
            "xmlns": SVG_NS,
            "viewBox": f"0 0 {WIDTH} {height}",
            "width": "100%",
            "preserveAspectRatio": "xMidYMid meet",
            "role": "img",
            "aria-labelledby": f"{id_prefix}-title {id_prefix}-desc",
            "class": f"chart chart-{kind}",
            "font-size": FONT_SIZE,
        },
        "",
    ).removesuffix("</svg>")
    return (
        svg
        + _el("title", {"id": f"{id_prefix}-title"}, _text(title))
        + _el("desc", {"id": f"{id_prefix}-desc"}, _text(description))
    )


def _legend(items: Sequence[tuple[str, str]], y: float) -> str:
    """A one-row legend centred under the chart: (kind, label) with kind in line styles."""
    swatch, gap, spacing = 18, 4, 14
    widths = [swatch + gap + _text_width(label, FONT_SIZE) for _, label in items]
    total = sum(widths) + spacing * (len(items) - 1)
    x = max(2.0, (WIDTH - total) / 2)
    parts = ['<g class="legend">']
    for (kind, label), width in zip(items, widths, strict=True):
        mid = y - FONT_SIZE * 0.35
        if kind == "article":
            parts.append(_line(x, mid, x + swatch, mid, ARTICLE_COLOUR, 2, dashed=True))
        elif kind == "you":
            parts.append(
                _el(
                    "line",
                    {
                        **_you_paint(),
                        "x1": float(x),
                        "y1": float(mid),
                        "x2": float(x + swatch),
                        "y2": float(mid),
                    },
                )
            )
        elif kind == "crowd":
            parts.append(_line(x, mid, x + swatch, mid, CROWD_COLOUR, 2))
        else:  # a bar or the band, as a box inset in the swatch
            inset, paint = (3, BAR_PAINT) if kind == "bar" else (1, BAND_PAINT)
            box = {"x": float(x + inset), "y": float(mid - 5), "width": swatch - 2 * inset}
            parts.append(_el("rect", {**box, "height": 10, **paint}))
        parts.append(_text_el(x + swatch + gap, y, label))
        x += width + spacing
    parts.append("</g>")
    return "".join(parts)


def _line(
    x1: float,
    y1: float,
    x2: float,
    y2: float,
    colour: str,
    width: float,
    *,
    dashed: bool = False,
    cls: str | None = None,
) -> str:
    return _el(
        "line",
        {
            "class": cls,
            "x1": float(x1),
            "y1": float(y1),
            "x2": float(x2),
            "y2": float(y2),
            "stroke": colour,
            "stroke-width": width,
            "stroke-dasharray": DASH if dashed else None,
        },
    )


def _you_paint() -> dict[str, object]:
    return {"stroke": YOU_COLOUR, "stroke-width": 2, "stroke-dasharray": YOU_DASH}


def _you_marker(x: float, top: float, bottom: float, text: str) -> str:
    """The viewer's own forecast: a dotted ink line across the plot, labelled at its foot."""
    line = _el(
        "line",
        {
            "class": "marker-line",
            "x1": float(x),
            "y1": float(top),
            "x2": float(x),
            "y2": float(bottom),
            **_you_paint(),
        },
    )
    label = _place_label(x, text)
    return (
        '<g class="marker marker-you">'
        + line
        + _marker_label(label.x, bottom - 6, text, YOU_COLOUR, "middle", **_halo())
        + "</g>"
    )


def _hist_x(percent: float) -> float:
    return HIST_LEFT + percent / 100 * (HIST_RIGHT - HIST_LEFT)


@dataclass(frozen=True)
class _Label:
    x: float  # centre (text-anchor="middle")
    width: float

    @property
    def left(self) -> float:
        return self.x - self.width / 2

    @property
    def right(self) -> float:
        return self.x + self.width / 2


def _place_label(x: float, text: str) -> _Label:
    """Centre a label on x, shifted just enough to stay inside the viewBox."""
    width = _text_width(text, LABEL_FONT_SIZE)
    half = width / 2
    centre = min(max(x, half + 2), WIDTH - half - 2)
    return _Label(centre, width)


def _labels_overlap(a: _Label, b: _Label) -> bool:
    return a.left < b.right + LABEL_GAP and b.left < a.right + LABEL_GAP


def histogram_svg(
    histogram: Sequence[int],
    *,
    baseline: float,
    median: float | None,
    title: str,
    description: str,
    id_prefix: str,
    you: float | None = None,
) -> Markup:
    """Readers' forecasts in 20 bins of 5 points, with the article's and the crowd's markers
    and, given `you`, the viewer's own forecast."""
    id_prefix, title, description = _check_names(id_prefix, title, description)
    counts = list(histogram)
    if len(counts) != HISTOGRAM_BINS:
        raise ValueError(f"histogram must have {HISTOGRAM_BINS} bins, got {len(counts)}")
    for count in counts:
        if isinstance(count, bool) or not isinstance(count, int):
            raise TypeError(f"histogram counts must be ints, got {count!r}")
        if count < 0:
            raise ValueError(f"histogram counts must be >= 0, got {count}")
    baseline = _check_percent(baseline, "baseline")
    if median is not None:
        median = _check_percent(median, "median")
    if you is not None:
        you = _check_percent(you, "you")

    plot_h = HIST_BOTTOM - HIST_TOP
    parts = [_open_svg(id_prefix, "histogram", HIST_HEIGHT, title, description)]
    top = max(counts)

    if top > 0:
        parts.append(_line(HIST_LEFT, HIST_TOP, HIST_RIGHT, HIST_TOP, GRID_COLOUR, 1, cls="grid"))
        parts.append(
            _text_el(
                HIST_LEFT - 4,
                HIST_TOP + FONT_SIZE * 0.35,
                _compact(top),
                text_anchor="end",
                **{"class": "max-count"},
            )
        )
        bin_w = HISTOGRAM_WIDTH / 100 * (HIST_RIGHT - HIST_LEFT)
        parts.append('<g class="bars">')
        for i, count in enumerate(counts):
            height = count / top * plot_h
            low = i * HISTOGRAM_WIDTH
            high = min(low + HISTOGRAM_WIDTH - 1, 99)
            tooltip = f"{low}–{high} %: {_readers(count)}"
            parts.append(
                _el(
                    "rect",
                    {
                        "class": "bar",
                        "x": float(_hist_x(low) + 1),
                        "y": float(HIST_BOTTOM - height),
                        "width": float(bin_w - 2),
                        "height": float(height),
                        **BAR_PAINT,
                    },
                    _el("title", {}, _text(tooltip)),
                )
            )
        parts.append("</g>")
    else:
        parts.append(
            _empty_note(
                (HIST_LEFT + HIST_RIGHT) / 2, (HIST_TOP + HIST_BOTTOM) / 2, "No forecasts yet"
            )
        )

    # x axis: ticks every 10 points, labels every 20.
    parts.append('<g class="x-axis">')
    parts.append(_line(HIST_LEFT, HIST_BOTTOM, HIST_RIGHT, HIST_BOTTOM, AXIS_COLOUR, 1, cls="axis"))
    for tick in range(0, 101, 10):
        x = _hist_x(tick)
        parts.append(_line(x, HIST_BOTTOM, x, HIST_BOTTOM + 4, AXIS_COLOUR, 1, cls="tick"))
        if tick % 20 == 0:
            parts.append(
                _text_el(
                    x,
                    HIST_TICK_LABEL_Y,
                    _pct(tick),
                    text_anchor="middle",
                    **{"class": "tick-label"},
                )
            )
    parts.append("</g>")

    # Markers: article (dashed) first, then the crowd median (solid) on top.
    markers = [("baseline", baseline, f"Article {_pct(baseline)}", ARTICLE_COLOUR, True)]
    if median is not None:
        markers.append(("median", median, f"Crowd median {_pct(median)}", CROWD_COLOUR, False))
    placed = [_place_label(_hist_x(value), text) for _, value, text, _, _ in markers]
    rows = [HIST_LABEL_ROWS[0]] * len(markers)
    if len(placed) == 2 and _labels_overlap(placed[0], placed[1]):
        rows[1] = HIST_LABEL_ROWS[1]
    for (kind, value, text, colour, dashed), label, row in zip(markers, placed, rows, strict=True):
        x = _hist_x(value)
        parts.append(f'<g class="marker marker-{kind}">')
        parts.append(
            _line(x, HIST_TOP - 4, x, HIST_BOTTOM, colour, 2, dashed=dashed, cls="marker-line")
        )
        parts.append(_marker_label(label.x, row, text, colour, "middle"))
        parts.append("</g>")
    if you is not None:
        parts.append(_you_marker(_hist_x(you), HIST_TOP - 4, HIST_BOTTOM, f"You {_pct(you)}"))

    legend = [("article", "Article"), ("crowd", "Crowd median"), ("bar", "Forecasts")]
    parts.append(_legend(legend + ([("you", "You")] if you is not None else []), HIST_LEGEND_Y))
    parts.append("</svg>")
    return Markup("".join(parts))


@dataclass(frozen=True)
class TrendPoint:
    """The crowd at one moment: median and quartiles in percent, `n` forecasts counted."""

    at: datetime
    median: float
    p25: float
    p75: float
    n: int

    def __post_init__(self) -> None:
        if not isinstance(self.at, datetime):
            raise TypeError(f"at must be a datetime, got {type(self.at).__name__}")
        for name in ("median", "p25", "p75"):
            _check_percent(getattr(self, name), name)
        if isinstance(self.n, bool) or not isinstance(self.n, int):
            raise TypeError(f"n must be an int, got {type(self.n).__name__}")
        if self.n < 0:
            raise ValueError(f"n must be >= 0, got {self.n}")


def _trend_y(percent: float) -> float:
    return TREND_BOTTOM - percent / 100 * (TREND_BOTTOM - TREND_TOP)


def _date_label(at: datetime, *, year: bool = False, clock: bool = False) -> str:
    text = f"{at.day} {_MONTHS[at.month - 1]}"
    if year:
        text += f" {at.year}"
    if clock:
        text += f" {at.hour:02d}:{at.minute:02d}"
    return text


def _nice_day_step(days: float) -> int:
    """A step in days giving at most four steps across `days`."""
    for step in (1, 2, 3, 7, 14, 28, 56, 91, 182, 365):
        if days / step <= 4:
            return step
    return 365 * math.ceil(days / 365 / 4)


def _date_ticks(first: datetime, last: datetime) -> list[tuple[float, str, str]]:
    """(x, label, text-anchor) for the x axis: start and end, and midnights in between."""
    span = (last - first).total_seconds()
    centre = (TREND_LEFT + TREND_RIGHT) / 2
    if span <= 0:
        return [(centre, _date_label(first, year=True), "middle")]
    plot_w = TREND_RIGHT - TREND_LEFT

    def x_of(at: datetime) -> float:
        return TREND_LEFT + (at - first).total_seconds() / span * plot_w

    days = span / 86400
    if days < 2:
        return [
            (TREND_LEFT, _date_label(first, clock=True), "start"),
            (TREND_RIGHT, _date_label(last, clock=True), "end"),
        ]
    year = first.year != last.year
    start, end = _date_label(first, year=year), _date_label(last, year=year)
    # An inner label keeps clear of the start and end labels (and of MIN_TICK_GAP).
    free_left = TREND_LEFT + _text_width(start, FONT_SIZE) + LABEL_GAP
    free_right = TREND_RIGHT - _text_width(end, FONT_SIZE) - LABEL_GAP
    ticks = [(float(TREND_LEFT), start, "start")]
    step = _nice_day_step(days)
    midnight = datetime.combine(first.date() + timedelta(days=1), time(), tzinfo=first.tzinfo)
    while midnight < last:
        x = x_of(midnight)
        label = _date_label(midnight, year=year)
        half = _text_width(label, FONT_SIZE) / 2
        if (
            x - TREND_LEFT >= MIN_TICK_GAP
            and TREND_RIGHT - x >= MIN_TICK_GAP
            and x - half >= free_left
            and x + half <= free_right
        ):
            ticks.append((x, label, "middle"))
        midnight += timedelta(days=step)
    ticks.append((float(TREND_RIGHT), end, "end"))
    return ticks


def _point_tooltip(point: TrendPoint) -> str:
    return (
        f"{_date_label(point.at, year=True, clock=True)}: median {_pct(point.median)}, "
        f"middle half {_pct(point.p25).removesuffix(' %')}–{_pct(point.p75)}, "
        f"{_readers(point.n)}"
    )


def _median_dot(cls: str, x: float, point: TrendPoint, radius: float) -> str:
    """The crowd median at one point as a dot, its numbers in a hover tooltip."""
    return _el(
        "circle",
        {
            "class": cls,
            "cx": float(x),
            "cy": float(_trend_y(point.median)),
            "r": radius,
            "fill": CROWD_COLOUR,
        },
        _el("title", {}, _text(_point_tooltip(point))),
    )


def trend_svg(
    points: Sequence[TrendPoint],
    *,
    baseline: float,
    title: str,
    description: str,
    id_prefix: str,
    you: float | None = None,
) -> Markup:
    """The crowd median over time with its interquartile band and the article's baseline and,
    given `you`, the viewer's own forecast."""
    # Straight segments between snapshots, not steps: the median is one vertex per point. The
    # points may all be naive or all timezone-aware; each is shown in its own timezone.
    id_prefix, title, description = _check_names(id_prefix, title, description)
    baseline = _check_percent(baseline, "baseline")
    if you is not None:
        you = _check_percent(you, "you")
    pts = list(points)
    for point in pts:
        if not isinstance(point, TrendPoint):
            raise TypeError(f"points must be TrendPoint, got {type(point).__name__}")
    if len({point.at.utcoffset() is None for point in pts}) > 1:
        raise ValueError("points mix naive and timezone-aware datetimes")
    pts.sort(key=lambda point: point.at)

    parts = [_open_svg(id_prefix, "trend", TREND_HEIGHT, title, description)]

    # y gridlines and labels.
    parts.append('<g class="y-axis">')
    for value in TREND_GRID:
        y = _trend_y(value)
        parts.append(_line(TREND_LEFT, y, TREND_RIGHT, y, GRID_COLOUR, 1, cls="grid"))
        parts.append(
            _text_el(
                TREND_LEFT - 4,
                y + FONT_SIZE * 0.35,
                _pct(value),
                text_anchor="end",
                **{"class": "grid-label"},
            )
        )
    parts.append("</g>")
    parts.append('<g class="x-axis">')
    parts.append(
        _line(TREND_LEFT, TREND_BOTTOM, TREND_RIGHT, TREND_BOTTOM, AXIS_COLOUR, 1, cls="axis")
    )
    if pts:
        for x, label, anchor in _date_ticks(pts[0].at, pts[-1].at):
            parts.append(_line(x, TREND_BOTTOM, x, TREND_BOTTOM + 4, AXIS_COLOUR, 1, cls="tick"))
            parts.append(
                _text_el(
                    x, TREND_TICK_LABEL_Y, label, text_anchor=anchor, **{"class": "tick-label"}
                )
            )
    parts.append("</g>")

    span = (pts[-1].at - pts[0].at).total_seconds() if pts else 0.0
    centre = (TREND_LEFT + TREND_RIGHT) / 2
    if not pts:
        parts.append(_empty_note(centre, (TREND_TOP + TREND_BOTTOM) / 2 - 8, "No history yet"))
    elif span <= 0:
        last = pts[-1]
        parts.append(
            _el(
                "rect",
                {
                    "class": "band",
                    "x": float(centre - 6),
                    "y": float(_trend_y(max(last.p25, last.p75))),
                    "width": 12,
                    "height": float(abs(_trend_y(last.p25) - _trend_y(last.p75))),
                    **BAND_PAINT,
                },
            )
        )
        parts.append(_median_dot("median-point", centre, last, 4))
    else:
        plot_w = TREND_RIGHT - TREND_LEFT
        xs = [TREND_LEFT + (p.at - pts[0].at).total_seconds() / span * plot_w for p in pts]
        upper = [f"{_num(x)},{_num(_trend_y(p.p75))}" for x, p in zip(xs, pts, strict=True)]
        lower = [f"{_num(x)},{_num(_trend_y(p.p25))}" for x, p in zip(xs, pts, strict=True)]
        line = [f"{_num(x)},{_num(_trend_y(p.median))}" for x, p in zip(xs, pts, strict=True)]
        parts.append(
            _el(
                "polygon",
                {
                    "class": "band",
                    "points": " ".join(upper + lower[::-1]),
                    **BAND_PAINT,
                    "stroke": "none",
                },
            )
        )
        parts.append(
            _el(
                "polyline",
                {
                    "class": "median",
                    "points": " ".join(line),
                    "fill": "none",
                    "stroke": CROWD_COLOUR,
                    "stroke-width": 2,
                    "stroke-linejoin": "round",
                },
            )
        )
        if len(pts) <= TREND_MAX_HOVER_POINTS:
            parts.append('<g class="points">')
            for x, point in zip(xs, pts, strict=True):
                parts.append(_median_dot("point", x, point, 2.5))
            parts.append("</g>")

    # The article's baseline, drawn over the crowd so it is never hidden.
    y = _trend_y(baseline)
    label_y = y - 5 if baseline <= 90 else y + LABEL_FONT_SIZE + 3
    parts.append('<g class="marker marker-baseline">')
    parts.append(
        _line(TREND_LEFT, y, TREND_RIGHT, y, ARTICLE_COLOUR, 2, dashed=True, cls="baseline")
    )
    parts.append(
        _marker_label(
            TREND_RIGHT, label_y, f"Article {_pct(baseline)}", ARTICLE_COLOUR, "end", **_halo()
        )
    )
    parts.append("</g>")
    if you is not None:
        y = _trend_y(you)
        parts.append('<g class="marker marker-you">')
        parts.append(
            _el(
                "line",
                {
                    "class": "you",
                    "x1": float(TREND_LEFT),
                    "y1": float(y),
                    "x2": float(TREND_RIGHT),
                    "y2": float(y),
                    **_you_paint(),
                },
            )
        )
        label_y = y - 5 if you <= 90 else y + LABEL_FONT_SIZE + 3
        parts.append(
            _marker_label(
                TREND_LEFT + 4, label_y, f"You {_pct(you)}", YOU_COLOUR, "start", **_halo()
            )
        )
        parts.append("</g>")

    legend = [("article", "Article"), ("crowd", "Crowd median"), ("band", "Middle 50 %")]
    parts.append(_legend(legend + ([("you", "You")] if you is not None else []), TREND_LEGEND_Y))
    parts.append("</svg>")
    return Markup("".join(parts))
