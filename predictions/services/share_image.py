"""The share preview of a question: a 1200×630 PNG drawn with Pillow (numbers in, bytes out).

It shows the closing question, the article's numbers and how many readers have forecast; the
crowd's numbers only when the caller passes them (once the question is closed), so a preview
never anchors a reader who has not forecast yet.
"""

import hashlib
import io
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 1200, 630
MARGIN = 60
PAPER = (253, 252, 249)
INK = (26, 26, 26)
MUTED = (74, 74, 74)
ACCENT = (11, 79, 138)
CROWD = (30, 107, 52)
RULE = (216, 212, 204)


@dataclass(frozen=True)
class PreviewRow:
    label: str
    article: int
    crowd: float | None = None  # None: not shown (open question, or nobody forecast it)
    outcome: str | None = None


@dataclass(frozen=True)
class Preview:
    site: str
    closing_question: str
    source_name: str
    forecaster_count: int
    closed: bool
    rows: tuple[PreviewRow, ...]

    def etag(self) -> str:
        """A validator that changes exactly when the picture would."""
        return hashlib.sha256(repr(self).encode()).hexdigest()[:32]


def _font(size: int) -> ImageFont.FreeTypeFont:
    # Pillow ≥ 10.1 bundles a scalable font: no system font needed.
    return ImageFont.load_default(size=size)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int, lines: int) -> list[str]:
    """Greedy word wrap to `width` pixels, at most `lines` lines (the last ends with …)."""
    result: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if draw.textlength(candidate, font=font) <= width or not current:
            current = candidate
        else:
            result.append(current)
            current = word
    if current:
        result.append(current)
    if len(result) > lines:
        last = result[lines - 1]
        while last and draw.textlength(last + " …", font=font) > width:
            last = last.rsplit(" ", 1)[0] if " " in last else last[:-1]
        result = [*result[: lines - 1], last + " …"]
    return result


def _percent(value: float) -> str:
    return f"{value:.0f} %" if float(value).is_integer() else f"{value:.1f} %"


@lru_cache(maxsize=64)
def render(preview: Preview) -> bytes:
    """The PNG bytes of the preview (the same preview draws the same bytes, so it is cached)."""
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, WIDTH, 12), fill=ACCENT)
    small, body, title = _font(26), _font(30), _font(48)
    status = "Closed" if preview.closed else "Open"
    readers = "reader has" if preview.forecaster_count == 1 else "readers have"
    kicker = f"READER FORECAST · {status.upper()} · {preview.forecaster_count} {readers} forecast"
    draw.text((MARGIN, 44), kicker, font=small, fill=MUTED)
    y = 92
    for line in _wrap(draw, f"“{preview.closing_question}”", title, WIDTH - 2 * MARGIN, 3):
        draw.text((MARGIN, y), line, font=title, fill=INK)
        y += 60
    draw.text((MARGIN, y + 4), f"Asked by {preview.source_name}", font=small, fill=MUTED)
    y += 58
    rows = preview.rows[:5]
    show_crowd = any(row.crowd is not None for row in rows)
    columns = {"article": WIDTH - MARGIN - (300 if show_crowd else 0), "crowd": WIDTH - MARGIN}
    draw.line((MARGIN, y, WIDTH - MARGIN, y), fill=RULE, width=2)
    draw.text((MARGIN, y + 10), "Scenario", font=small, fill=MUTED)
    draw.text((columns["article"], y + 10), "Article", font=small, fill=MUTED, anchor="ra")
    if show_crowd:
        heading = "Readers (median)"
        draw.text((columns["crowd"], y + 10), heading, font=small, fill=MUTED, anchor="ra")
    y += 48
    label_width = columns["article"] - MARGIN - 160
    row_height = min(58, (HEIGHT - 70 - y) // max(len(rows), 1))
    for row in rows:
        label = _wrap(draw, row.label, body, label_width, 1)[0]
        if row.outcome:
            label = f"{label}: resolved {row.outcome}"
        draw.text((MARGIN, y + 8), label, font=body, fill=INK)
        article = _percent(row.article)
        draw.text((columns["article"], y + 8), article, font=body, fill=ACCENT, anchor="ra")
        if show_crowd:
            crowd = "no forecasts" if row.crowd is None else _percent(row.crowd)
            draw.text((columns["crowd"], y + 8), crowd, font=body, fill=CROWD, anchor="ra")
        y += row_height
        draw.line((MARGIN, y, WIDTH - MARGIN, y), fill=RULE, width=1)
    footer = "Give your own forecast" if not preview.closed else "See how the readers did"
    draw.text((MARGIN, HEIGHT - 50), f"{footer} · {preview.site}", font=small, fill=ACCENT)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
