"""Tests for predictions.charts: server-rendered inline SVG, parsed back as XML and HTML."""

import math
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup, escape

from predictions.core import charts
from predictions.core.charts import TrendPoint, histogram_svg, trend_svg

NS = "http://www.w3.org/2000/svg"
ET.register_namespace("", NS)
Q = {"svg": NS}
PAYLOAD_FILE = Path(__file__).resolve().parents[1] / "xss_payloads.txt"
FAST = settings(max_examples=80, deadline=None)

COUNTS = [0, 1, 2, 3, 5, 8, 12, 9, 7, 4, 3, 2, 1, 0, 0, 0, 0, 0, 1, 0]
START = datetime(2025, 11, 26, 9, 0)


def load_payloads() -> list[str]:
    lines = PAYLOAD_FILE.read_text(encoding="ascii").splitlines()
    return [
        line.encode("ascii").decode("unicode_escape")
        for line in lines
        if line.strip() and not line.startswith("#")
    ]


def xml_safe(text: str) -> str:
    """What a chart may keep of a string: XML 1.0 characters minus DEL/C1, CR(LF) as LF."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(
        ch
        for ch in text
        if ch in "\t\n"
        or "\x20" <= ch <= "\x7e"
        or "\xa0" <= ch <= "\ud7ff"
        or "\ue000" <= ch <= "\ufffd"
        or ch >= "\U00010000"
    )


def parse(markup: Markup) -> ET.Element:
    assert isinstance(markup, Markup)
    root = ET.fromstring(str(markup))
    assert root.tag == f"{{{NS}}}svg"
    return root


def hist(counts=COUNTS, *, baseline=40, median=55.0, title="Scenario A", prefix="s1-hist"):
    return histogram_svg(
        counts,
        baseline=baseline,
        median=median,
        title=title,
        description="How readers' forecasts spread.",
        id_prefix=prefix,
    )


def trend(points, *, baseline=40, title="Scenario A over time", prefix="s1-trend"):
    return trend_svg(
        points,
        baseline=baseline,
        title=title,
        description="The crowd median per day.",
        id_prefix=prefix,
    )


def make_points(medians, *, step=timedelta(days=1), start=START):
    return [
        TrendPoint(at=start + i * step, median=m, p25=max(0, m - 10), p75=min(100, m + 10), n=i)
        for i, m in enumerate(medians)
    ]


def by_class(root: ET.Element, tag: str, cls: str) -> list[ET.Element]:
    return [el for el in root.iter(f"{{{NS}}}{tag}") if cls in el.get("class", "").split()]


def one(root: ET.Element, tag: str, cls: str) -> ET.Element:
    found = by_class(root, tag, cls)
    assert len(found) == 1, (tag, cls, found)
    return found[0]


def marker(root: ET.Element, kind: str) -> ET.Element | None:
    groups = by_class(root, "g", f"marker-{kind}")
    assert len(groups) <= 1
    return groups[0] if groups else None


def child_text(el: ET.Element, tag: str) -> str:
    found = el.find(f"svg:{tag}", Q)
    assert found is not None
    return found.text or ""


def floats(points: str) -> list[tuple[float, float]]:
    pairs = []
    for pair in points.split():
        x, y = pair.split(",")
        pairs.append((float(x), float(y)))
    return pairs


def hist_axis(root: ET.Element) -> tuple[float, float, float]:
    """(x of 0 %, x of 100 %, y of the axis) from the drawn x axis."""
    axis = one(root, "line", "axis")
    return float(axis.get("x1")), float(axis.get("x2")), float(axis.get("y1"))


def trend_grid(root: ET.Element) -> dict[str, float]:
    """{"0 %": y, ..., "100 %": y} from the drawn gridlines and their labels."""
    lines = by_class(root, "line", "grid")
    labels = by_class(root, "text", "grid-label")
    assert len(lines) == len(labels) == 5
    return {label.text: float(line.get("y1")) for line, label in zip(lines, labels, strict=True)}


def assert_safe_svg(markup: Markup, prefix: str) -> ET.Element:
    """Checks every chart must pass: CSP-friendly, accessible, well-formed, prefixed ids."""
    root = parse(markup)
    assert root.get("role") == "img"
    assert root.get("width") == "100%"
    assert root.get("height") is None
    assert re.fullmatch(r"0 0 \d+ \d+", root.get("viewBox"))
    ids = [el.get("id") for el in root.iter() if el.get("id") is not None]
    assert len(ids) == len(set(ids))
    assert all(i.startswith(prefix + "-") for i in ids)
    by_id = {el.get("id"): el for el in root.iter() if el.get("id") is not None}
    labelled_by = root.get("aria-labelledby").split()
    assert [by_id[i].tag for i in labelled_by] == [f"{{{NS}}}title", f"{{{NS}}}desc"]
    assert [child.tag for child in root][:2] == [f"{{{NS}}}title", f"{{{NS}}}desc"]
    for el in root.iter():
        local = el.tag.split("}")[-1]
        assert local not in {"script", "style", "foreignObject", "a", "image", "use"}
        assert "style" not in el.attrib
        assert not any(name.lower().startswith("on") for name in el.attrib)
        assert not any("href" in name for name in el.attrib)
    # Coordinates carry at most 2 decimals.
    for el in root.iter():
        for name in ("x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "width", "height", "points"):
            value = el.get(name)
            if value is not None and value != "100%":
                assert not re.search(r"\.\d{3}", value), (name, value)
    # Parsed as HTML too (how the browser sees it inline): no script/style, no handlers.
    assert_html_clean(str(markup))
    return root


class TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, attrs))


def assert_html_clean(html: str) -> None:
    parser = TagCollector()
    parser.feed(html)
    parser.close()
    for tag, attrs in parser.tags:
        assert tag not in {"script", "style", "img", "iframe", "math"}
        assert not any(name.startswith("on") or name == "style" for name, _ in attrs)


# --------------------------------------------------------------------------- histogram


def test_histogram_root_is_accessible_and_responsive():
    markup = hist()
    root = assert_safe_svg(markup, "s1-hist")
    assert root.get("aria-labelledby") == "s1-hist-title s1-hist-desc"
    assert child_text(root, "title") == "Scenario A"
    assert child_text(root, "desc") == "How readers' forecasts spread."
    assert root.get("preserveAspectRatio") == "xMidYMid meet"
    assert "chart" in root.get("class").split()


def test_histogram_has_20_bars_proportional_to_counts():
    root = parse(hist())
    bars = by_class(root, "rect", "bar")
    assert len(bars) == 20
    _, _, axis_y = hist_axis(root)
    top_grid_y = float(one(root, "line", "grid").get("y1"))
    plot_h = axis_y - top_grid_y
    heights = [float(bar.get("height")) for bar in bars]
    assert max(heights) == pytest.approx(plot_h)
    assert heights.index(max(heights)) == COUNTS.index(max(COUNTS))
    for count, height, bar in zip(COUNTS, heights, bars, strict=True):
        assert height == pytest.approx(count / max(COUNTS) * plot_h, abs=0.01)
        assert float(bar.get("y")) + height == pytest.approx(axis_y, abs=0.01)
    assert one(root, "text", "max-count").text == "12"


def test_histogram_bars_sit_in_their_bins_left_to_right():
    root = parse(hist())
    x0, x100, _ = hist_axis(root)
    per_point = (x100 - x0) / 100
    for i, bar in enumerate(by_class(root, "rect", "bar")):
        left = float(bar.get("x"))
        right = left + float(bar.get("width"))
        assert x0 + 5 * i * per_point <= left < right <= x0 + (5 * i + 5) * per_point + 1e-9


def test_histogram_bar_tooltips():
    root = parse(hist())
    tips = [child_text(bar, "title") for bar in by_class(root, "rect", "bar")]
    assert tips[0] == "0–4 %: 0 readers"
    assert tips[1] == "5–9 %: 1 reader"
    assert tips[9] == "45–49 %: 4 readers"
    assert tips[6] == "30–34 %: 12 readers"
    assert tips[19] == "95–99 %: 0 readers"


@pytest.mark.parametrize("baseline", [0, 1, 40, 62.5, 99, 100])
def test_baseline_marker_maps_percent_onto_the_axis(baseline):
    root = parse(hist(baseline=baseline, median=None))
    x0, x100, axis_y = hist_axis(root)
    group = marker(root, "baseline")
    line = one(group, "line", "marker-line")
    assert float(line.get("x1")) == float(line.get("x2"))
    assert float(line.get("x1")) == pytest.approx(x0 + baseline / 100 * (x100 - x0), abs=0.01)
    assert float(line.get("y2")) == pytest.approx(axis_y)
    assert line.get("stroke") == charts.ARTICLE_COLOUR
    assert line.get("stroke-dasharray")  # the article's marker is always dashed
    label = one(group, "text", "marker-label")
    assert label.text == f"Article {baseline if baseline != 62.5 else '62.5'} %"


def test_baseline_40_sits_on_the_40_tick():
    root = parse(hist(baseline=40))
    line = one(marker(root, "baseline"), "line", "marker-line")
    tick_labels = {t.text: float(t.get("x")) for t in by_class(root, "text", "tick-label")}
    assert set(tick_labels) == {"0 %", "20 %", "40 %", "60 %", "80 %", "100 %"}
    assert float(line.get("x1")) == pytest.approx(tick_labels["40 %"])
    x0, x100, _ = hist_axis(root)
    assert tick_labels["0 %"] == pytest.approx(x0)
    assert tick_labels["100 %"] == pytest.approx(x100)
    assert len(by_class(root, "line", "tick")) == 11  # every 10 points


def test_median_marker_present_and_absent():
    with_median = parse(hist(median=55.0))
    group = marker(with_median, "median")
    assert group is not None
    line = one(group, "line", "marker-line")
    x0, x100, _ = hist_axis(with_median)
    assert float(line.get("x1")) == pytest.approx(x0 + 0.55 * (x100 - x0), abs=0.01)
    assert line.get("stroke") == charts.CROWD_COLOUR
    assert line.get("stroke-dasharray") is None
    assert one(group, "text", "marker-label").text == "Crowd median 55 %"

    without = parse(hist(median=None))
    assert marker(without, "median") is None
    assert marker(without, "baseline") is not None
    assert "Crowd median 55" not in str(hist(median=None))


def label_boxes(root: ET.Element) -> list[tuple[float, float, float]]:
    """(left, right, baseline y) of each marker label, from the module's own width estimate."""
    boxes = []
    for label in by_class(root, "text", "marker-label"):
        assert label.get("text-anchor") == "middle"
        size = float(label.get("font-size"))
        width = len(label.text) * size * charts.CHAR_WIDTH_EM
        x = float(label.get("x"))
        boxes.append((x - width / 2, x + width / 2, float(label.get("y"))))
    return boxes


def assert_labels_apart(root: ET.Element) -> None:
    width = float(root.get("viewBox").split()[2])
    boxes = label_boxes(root)
    for left, right, _ in boxes:
        assert left >= 0 and right <= width
    if len(boxes) == 2:
        (l1, r1, y1), (l2, r2, y2) = boxes
        size = charts.LABEL_FONT_SIZE
        assert abs(y1 - y2) >= size or r1 <= l2 or r2 <= l1


@pytest.mark.parametrize(
    ("baseline", "median"), [(40, 40), (40, 41.5), (41, 40), (0, 1), (99, 100), (100, 96)]
)
def test_close_marker_labels_do_not_overlap(baseline, median):
    root = parse(hist(baseline=baseline, median=median))
    assert_labels_apart(root)
    ys = [y for _, _, y in label_boxes(root)]
    assert ys[0] != ys[1]  # close values: the median's label moved up a row
    assert ys[1] < ys[0]


def test_far_marker_labels_share_a_row():
    root = parse(hist(baseline=10, median=80))
    ys = [y for _, _, y in label_boxes(root)]
    assert ys[0] == ys[1]
    assert_labels_apart(root)


def test_empty_histogram_draws_axis_markers_and_note():
    markup = hist([0] * 20, baseline=40, median=None, prefix="empty")
    root = assert_safe_svg(markup, "empty")
    assert by_class(root, "rect", "bar") == []
    assert one(root, "text", "empty-note").text == "No forecasts yet"
    assert one(root, "line", "axis") is not None
    assert marker(root, "baseline") is not None
    assert marker(root, "median") is None
    # A median can still be shown (e.g. computed elsewhere) with no bars.
    root = parse(hist([0] * 20, baseline=40, median=50, prefix="empty"))
    assert marker(root, "median") is not None


def test_single_nonzero_bin_is_full_height():
    counts = [0] * 20
    counts[19] = 1
    root = parse(hist(counts))
    heights = [float(bar.get("height")) for bar in by_class(root, "rect", "bar")]
    assert heights[:19] == [0.0] * 19
    _, _, axis_y = hist_axis(root)
    assert heights[19] == pytest.approx(axis_y - float(one(root, "line", "grid").get("y1")))


def test_large_counts_are_compact_on_the_axis():
    counts = [0] * 20
    counts[10] = 1_234_567
    root = parse(hist(counts))
    assert one(root, "text", "max-count").text == "1.2M"
    assert child_text(by_class(root, "rect", "bar")[10], "title") == "50–54 %: 1,234,567 readers"


def test_histogram_accepts_a_tuple_and_float_percentages():
    root = parse(hist(tuple(COUNTS), baseline=40.0, median=54.96))
    assert one(marker(root, "median"), "text", "marker-label").text == "Crowd median 55 %"


# --------------------------------------------------------------------------- escaping


def test_script_title_is_escaped():
    evil = "<script>alert(1)</script>"
    markup = hist(title=evil)
    assert "<script" not in str(markup)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in str(markup)
    root = assert_safe_svg(markup, "s1-hist")
    assert child_text(root, "title") == evil
    assert not any(el.tag.endswith("script") for el in root.iter())


@pytest.mark.parametrize("payload", load_payloads())
def test_xss_payloads_stay_text(payload):
    for markup, prefix in (
        (
            histogram_svg(
                COUNTS, baseline=40, median=50, title=payload, description=payload, id_prefix="x"
            ),
            "x",
        ),
        (
            trend_svg(
                make_points([40, 50]),
                baseline=40,
                title=payload,
                description=payload,
                id_prefix="y",
            ),
            "y",
        ),
    ):
        root = assert_safe_svg(markup, prefix)
        assert child_text(root, "title") == xml_safe(payload)
        assert child_text(root, "desc") == xml_safe(payload)
        # The text is in the markup escaped, exactly once.
        assert str(escape(xml_safe(payload))) in str(markup)


def test_control_characters_and_surrogates_are_dropped():
    title = "a\x00b\x08c\x0bd\x7fe\x85f\ud800g\ufffeh\r\ni\tj"
    root = parse(hist(title=title))
    assert child_text(root, "title") == "abcdefgh\ni\tj"


def test_markup_is_not_escaped_twice():
    markup = hist(title="Tom & Jerry")
    assert escape(markup) is markup or escape(markup) == markup
    assert "Tom &amp; Jerry" in str(markup)
    assert "&amp;amp;" not in str(markup)


# --------------------------------------------------------------------------- ids and validation


def test_ids_are_prefixed_and_two_charts_can_share_a_page():
    first = parse(hist(prefix="q7-s1"))
    second = parse(hist(prefix="q7-s2"))
    third = parse(trend(make_points([50, 60]), prefix="q7-s1-trend"))
    ids = [el.get("id") for root in (first, second, third) for el in root.iter() if el.get("id")]
    assert len(ids) == len(set(ids)) == 6


@pytest.mark.parametrize("prefix", ["", "Bad", "a b", "a_b", "a\n", "é", "a.b", "<x>", None, 5])
def test_bad_id_prefix_is_rejected(prefix):
    with pytest.raises(ValueError, match="id_prefix"):
        hist(prefix=prefix)
    with pytest.raises(ValueError, match="id_prefix"):
        trend([], prefix=prefix)


@pytest.mark.parametrize(
    ("counts", "error"),
    [
        ([1] * 19, ValueError),
        ([1] * 21, ValueError),
        ([1] * 19 + [-1], ValueError),
        ([1] * 19 + [1.5], TypeError),
        ([1] * 19 + [True], TypeError),
    ],
)
def test_bad_histogram_is_rejected(counts, error):
    with pytest.raises(error):
        hist(counts)


@pytest.mark.parametrize("value", [-0.1, 100.1, math.nan, math.inf, -math.inf])
def test_bad_percentages_are_rejected(value):
    with pytest.raises(ValueError):
        hist(baseline=value)
    with pytest.raises(ValueError):
        hist(median=value)
    with pytest.raises(ValueError):
        trend([], baseline=value)
    with pytest.raises(ValueError):
        TrendPoint(at=START, median=value, p25=0, p75=100, n=1)


@pytest.mark.parametrize("value", ["40", True, None])
def test_non_numeric_percentages_are_rejected(value):
    with pytest.raises(TypeError):
        hist(baseline=value)


def test_non_string_title_is_rejected():
    with pytest.raises(TypeError):
        hist(title=5)


def test_trend_point_validation():
    with pytest.raises(TypeError):
        TrendPoint(at=START.date(), median=50, p25=40, p75=60, n=1)
    with pytest.raises(ValueError):
        TrendPoint(at=START, median=50, p25=40, p75=60, n=-1)
    with pytest.raises(TypeError):
        TrendPoint(at=START, median=50, p25=40, p75=60, n=1.0)
    with pytest.raises(TypeError):
        trend([(START, 50, 40, 60, 1)])


def test_mixed_naive_and_aware_datetimes_are_rejected():
    points = [
        TrendPoint(at=START, median=50, p25=40, p75=60, n=1),
        TrendPoint(
            at=START.replace(tzinfo=UTC) + timedelta(days=1), median=50, p25=40, p75=60, n=2
        ),
    ]
    with pytest.raises(ValueError, match="naive"):
        trend(points)


# --------------------------------------------------------------------------- trend


def test_trend_root_is_accessible():
    root = assert_safe_svg(trend(make_points([40, 50, 60])), "s1-trend")
    assert root.get("aria-labelledby") == "s1-trend-title s1-trend-desc"
    assert child_text(root, "title") == "Scenario A over time"


def test_trend_gridlines_at_quarters():
    root = parse(trend(make_points([50, 50])))
    grid = trend_grid(root)
    assert list(grid) == ["0 %", "25 %", "50 %", "75 %", "100 %"]
    assert grid["0 %"] > grid["25 %"] > grid["50 %"] > grid["75 %"] > grid["100 %"]
    step = grid["0 %"] - grid["25 %"]
    assert all(
        grid[a] - grid[b] == pytest.approx(step)
        for a, b in [("25 %", "50 %"), ("50 %", "75 %"), ("75 %", "100 %")]
    )


def test_trend_median_polyline_one_vertex_per_point():
    medians = [50, 55, 45, 60, 62.5, 30]
    root = parse(trend(make_points(medians)))
    line = one(root, "polyline", "median")
    assert line.get("fill") == "none"
    assert line.get("stroke") == charts.CROWD_COLOUR
    vertices = floats(line.get("points"))
    assert len(vertices) == len(medians)  # straight segments, not a step line
    grid = trend_grid(root)
    y0, y100 = grid["0 %"], grid["100 %"]
    assert vertices[0][1] == pytest.approx((y0 + y100) / 2)  # 50 % is the middle
    for (_, y), m in zip(vertices, medians, strict=True):
        assert y == pytest.approx(y0 - m / 100 * (y0 - y100), abs=0.01)
    xs = [x for x, _ in vertices]
    assert xs == sorted(xs)
    axis = one(root, "line", "axis")
    assert xs[0] == pytest.approx(float(axis.get("x1")))
    assert xs[-1] == pytest.approx(float(axis.get("x2")))
    # Evenly spaced days are evenly spaced on x.
    gaps = [b - a for a, b in zip(xs, xs[1:], strict=False)]
    assert max(gaps) - min(gaps) < 0.02


def test_trend_x_is_proportional_to_time():
    points = [
        TrendPoint(at=START, median=50, p25=40, p75=60, n=1),
        TrendPoint(at=START + timedelta(days=1), median=50, p25=40, p75=60, n=2),
        TrendPoint(at=START + timedelta(days=4), median=50, p25=40, p75=60, n=3),
    ]
    xs = [x for x, _ in floats(one(parse(trend(points)), "polyline", "median").get("points"))]
    assert (xs[1] - xs[0]) / (xs[2] - xs[0]) == pytest.approx(0.25, abs=0.001)


def test_trend_sorts_points_by_time():
    points = make_points([40, 50, 60, 70])
    assert trend(points[::-1]) == trend(points)


def test_trend_band_polygon_spans_quartiles():
    points = make_points([50, 60, 40])
    root = parse(trend(points))
    band = one(root, "polygon", "band")
    assert float(band.get("fill-opacity")) < 1
    vertices = floats(band.get("points"))
    assert len(vertices) == 2 * len(points)
    grid = trend_grid(root)
    y0, y100 = grid["0 %"], grid["100 %"]

    def y(p):
        return y0 - p / 100 * (y0 - y100)

    upper, lower = vertices[: len(points)], vertices[len(points) :][::-1]
    for (_, uy), (_, ly), point in zip(upper, lower, points, strict=True):
        assert uy == pytest.approx(y(point.p75), abs=0.01)
        assert ly == pytest.approx(y(point.p25), abs=0.01)


@pytest.mark.parametrize("baseline", [0, 40, 50, 95, 100])
def test_trend_baseline_is_dashed_at_the_right_height(baseline):
    root = parse(trend(make_points([50, 60]), baseline=baseline))
    grid = trend_grid(root)
    y0, y100 = grid["0 %"], grid["100 %"]
    group = marker(root, "baseline")
    line = one(group, "line", "baseline")
    assert line.get("stroke-dasharray")
    assert line.get("stroke") == charts.ARTICLE_COLOUR
    assert float(line.get("y1")) == float(line.get("y2"))
    assert float(line.get("y1")) == pytest.approx(y0 - baseline / 100 * (y0 - y100), abs=0.01)
    label = one(group, "text", "marker-label")
    assert label.text == f"Article {baseline} %"
    height = float(root.get("viewBox").split()[3])
    assert charts.LABEL_FONT_SIZE <= float(label.get("y")) <= height


def test_trend_date_labels():
    points = make_points([50] * 8)  # 26 Nov .. 3 Dec
    root = parse(trend(points))
    labels = [t.text for t in by_class(root, "text", "tick-label")]
    assert labels[0] == "26 Nov"
    assert labels[-1] == "3 Dec"
    assert 3 <= len(labels) <= 6
    assert len(labels) == len(set(labels))
    anchors = [t.get("text-anchor") for t in by_class(root, "text", "tick-label")]
    assert anchors[0] == "start" and anchors[-1] == "end"
    xs = [float(t.get("x")) for t in by_class(root, "text", "tick-label")]
    assert xs == sorted(xs)
    assert min(b - a for a, b in zip(xs, xs[1:], strict=False)) >= charts.MIN_TICK_GAP - 0.01


def test_trend_date_labels_across_a_year_and_within_a_day():
    new_year = make_points([50] * 3, start=datetime(2025, 12, 30), step=timedelta(days=2))
    labels = [t.text for t in by_class(parse(trend(new_year)), "text", "tick-label")]
    assert labels[0] == "30 Dec 2025" and labels[-1] == "3 Jan 2026"

    hours = make_points([50] * 4, start=datetime(2025, 11, 26, 8, 5), step=timedelta(hours=3))
    labels = [t.text for t in by_class(parse(trend(hours)), "text", "tick-label")]
    assert labels == ["26 Nov 08:05", "26 Nov 17:05"]

    long = make_points([50] * 40, step=timedelta(days=30))
    labels = [t.text for t in by_class(parse(trend(long)), "text", "tick-label")]
    assert 2 <= len(labels) <= 6


def test_trend_with_aware_datetimes():
    tz = timezone(timedelta(hours=1))
    points = make_points([40, 50, 60], start=datetime(2025, 11, 26, 0, 30, tzinfo=tz))
    root = assert_safe_svg(trend(points), "s1-trend")
    assert [t.text for t in by_class(root, "text", "tick-label")][0] == "26 Nov"


def test_trend_hover_titles_on_points():
    root = parse(trend(make_points([50, 55.5])))
    circles = by_class(root, "circle", "point")
    assert len(circles) == 2
    assert child_text(circles[1], "title") == "27 Nov 2025 09:00: median 55.5 %, " + (
        "middle half 45.5–65.5 %, 1 reader"
    )
    many = parse(trend(make_points([50] * (charts.TREND_MAX_HOVER_POINTS + 1))))
    assert by_class(many, "circle", "point") == []
    assert one(many, "polyline", "median") is not None


def test_trend_single_point_is_a_dot():
    point = TrendPoint(at=START, median=50, p25=40, p75=65, n=12)
    root = assert_safe_svg(trend([point]), "s1-trend")
    assert by_class(root, "polyline", "median") == []
    assert by_class(root, "polygon", "band") == []
    dot = one(root, "circle", "median-point")
    grid = trend_grid(root)
    assert float(dot.get("cy")) == pytest.approx((grid["0 %"] + grid["100 %"]) / 2)
    axis = one(root, "line", "axis")
    assert float(dot.get("cx")) == pytest.approx(
        (float(axis.get("x1")) + float(axis.get("x2"))) / 2
    )
    assert "12 readers" in child_text(dot, "title")
    band = one(root, "rect", "band")
    assert float(band.get("height")) == pytest.approx(0.25 * (grid["0 %"] - grid["100 %"]))
    assert [t.text for t in by_class(root, "text", "tick-label")] == ["26 Nov 2025"]
    assert marker(root, "baseline") is not None


def test_trend_points_at_the_same_moment_do_not_divide_by_zero():
    points = [TrendPoint(at=START, median=m, p25=m, p75=m, n=1) for m in (30, 60)]
    root = parse(trend(points))
    assert one(root, "circle", "median-point") is not None


def test_trend_empty_draws_axis_and_note():
    root = assert_safe_svg(trend([]), "s1-trend")
    assert one(root, "text", "empty-note").text == "No history yet"
    assert len(by_class(root, "line", "grid")) == 5
    assert one(root, "line", "axis") is not None
    for tag in ("polyline", "polygon", "circle"):
        assert list(root.iter(f"{{{NS}}}{tag}")) == []
    assert marker(root, "baseline") is not None
    assert by_class(root, "text", "tick-label") == []


def test_legends_name_article_and_crowd():
    for root in (parse(hist()), parse(trend(make_points([50, 60])))):
        legend = one(root, "g", "legend")
        texts = [t.text for t in legend.iter(f"{{{NS}}}text")]
        assert texts[:2] == ["Article", "Crowd median"]
        strokes = [line.get("stroke") for line in legend.iter(f"{{{NS}}}line")]
        assert strokes == [charts.ARTICLE_COLOUR, charts.CROWD_COLOUR]


# --------------------------------------------------------------------------- properties

percent_values = st.one_of(
    st.integers(min_value=0, max_value=100),
    st.floats(min_value=0, max_value=100, allow_nan=False, allow_infinity=False),
)
prefixes = st.from_regex(r"[a-z0-9-]{1,20}", fullmatch=True)


@FAST
@given(
    counts=st.lists(st.integers(min_value=0, max_value=10**9), min_size=20, max_size=20),
    baseline=percent_values,
    median=st.none() | percent_values,
    title=st.text(max_size=80),
    description=st.text(max_size=200),
    prefix=prefixes,
)
def test_histogram_property(counts, baseline, median, title, description, prefix):
    markup = histogram_svg(
        counts,
        baseline=baseline,
        median=median,
        title=title,
        description=description,
        id_prefix=prefix,
    )
    root = assert_safe_svg(markup, prefix)
    assert child_text(root, "title") == xml_safe(title)
    bars = by_class(root, "rect", "bar")
    assert len(bars) == (20 if any(counts) else 0)
    assert all(float(bar.get("height")) >= 0 for bar in bars)
    assert (marker(root, "median") is None) == (median is None)
    assert_labels_apart(root)


@st.composite
def trend_points(draw):
    n = draw(st.integers(min_value=0, max_value=80))
    start = draw(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1)))
    points = []
    for _ in range(n):
        at = start + timedelta(seconds=draw(st.integers(min_value=0, max_value=3 * 365 * 86400)))
        a, b, c = sorted(draw(st.lists(percent_values, min_size=3, max_size=3)))
        points.append(TrendPoint(at=at, median=b, p25=a, p75=c, n=draw(st.integers(0, 10**6))))
    return points


@FAST
@given(
    points=trend_points(),
    baseline=percent_values,
    title=st.text(max_size=80),
    prefix=prefixes,
)
def test_trend_property(points, baseline, title, prefix):
    markup = trend_svg(points, baseline=baseline, title=title, description="d", id_prefix=prefix)
    root = assert_safe_svg(markup, prefix)
    assert child_text(root, "title") == xml_safe(title)
    moments = {p.at for p in points}
    polylines = by_class(root, "polyline", "median")
    if len(moments) > 1:
        assert len(floats(polylines[0].get("points"))) == len(points)
        assert len(floats(one(root, "polygon", "band").get("points"))) == 2 * len(points)
    else:
        assert polylines == []
    width, height = (float(v) for v in root.get("viewBox").split()[2:])
    for el in root.iter():
        for name in ("x", "x1", "x2", "cx"):
            if el.get(name) is not None:
                assert -0.01 <= float(el.get(name)) <= width
        for name in ("y", "y1", "y2", "cy"):
            if el.get(name) is not None:
                assert -0.01 <= float(el.get(name)) <= height


# ------------------------------------------------------------------------ the viewer's own number


@given(you=st.integers(min_value=1, max_value=99))
@settings(max_examples=30, deadline=None)
def test_you_marker_sits_on_the_viewers_percent_in_both_charts(you):
    root = assert_safe_svg(
        histogram_svg(
            COUNTS, baseline=40, median=55.0, title="A", description="d", id_prefix="h", you=you
        ),
        "h",
    )
    group = marker(root, "you")
    x0, x100, _ = hist_axis(root)
    line = one(group, "line", "marker-line")
    assert float(line.get("x1")) == pytest.approx(x0 + you / 100 * (x100 - x0), abs=0.01)
    assert one(group, "text", "marker-label").text == f"You {you} %"
    at = datetime(2026, 1, 1, tzinfo=UTC)
    points = [TrendPoint(at, 50, 40, 60, 3), TrendPoint(at + timedelta(days=1), 55, 45, 65, 4)]
    trend_root = parse(
        trend_svg(points, baseline=40, title="A", description="d", id_prefix="t", you=you)
    )
    assert one(marker(trend_root, "you"), "text", "marker-label").text == f"You {you} %"


def test_no_you_marker_without_a_forecast():
    assert marker(parse(hist()), "you") is None
    assert "You" not in str(hist())
    with pytest.raises(ValueError):
        histogram_svg(
            COUNTS, baseline=40, median=None, title="A", description="d", id_prefix="h", you=101
        )
