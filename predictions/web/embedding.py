"""The embed's plumbing: which host pages may hold the form, and the snippet a publisher pastes."""

import re
from urllib.parse import urlsplit

from flask import current_app, request, url_for
from markupsafe import Markup, escape

from ..models import Question
from .security import content_security_policy

THEMES = ("light", "dark", "auto")
# What the publisher may pass for --predictions-accent and --predictions-font: a colour in
# hex or by name, a list of font family names. Nothing else reaches the frame's style.
ACCENT = re.compile(r"^(#[0-9a-fA-F]{3,8}|[a-zA-Z]{3,30})$")
FONT = re.compile(r"^[A-Za-z0-9 ,'\"-]{1,120}$")
OEMBED_WIDTH = 640


def origin_of(url: str) -> str | None:
    """scheme://host[:port] of an http(s) URL, lowercase; None for anything else."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def own_origin() -> str:
    return request.host_url.rstrip("/").lower()


def host_origin() -> str | None:
    """The origin of the page that holds the frame, as the loader reports it (?origin=).

    A Referer, when the browser sends one, must agree; a page that lies about its origin gets
    the form only if it *is* that origin, since frame-ancestors is checked by the browser.
    """
    claimed = origin_of(request.args.get("origin", ""))
    referrer = request.referrer
    if claimed and referrer and origin_of(referrer) not in (claimed, own_origin()):
        return None
    return claimed


def may_embed(origin: str | None) -> bool:
    """Whether a page of this origin may hold the forecast form (EMBED_ORIGINS, or ourselves)."""
    return origin is not None and (
        origin in current_app.config["EMBED_ORIGINS"] or origin == own_origin()
    )


def frame_policy(allowed: bool) -> str:
    """The frame's CSP: the form may be framed only by EMBED_ORIGINS; the notice, anywhere."""
    ancestors = " ".join(("'self'", *current_app.config["EMBED_ORIGINS"])) if allowed else "*"
    return content_security_policy(ancestors)


def style_options(args) -> dict[str, str]:
    """The theme, accent colour and font a host asked for, each checked (else left out)."""
    theme = args.get("theme", "auto")
    options = {"theme": theme if theme in THEMES else "auto"}
    if ACCENT.match(accent := args.get("accent", "").strip()):
        options["accent"] = accent
    if FONT.match(font := args.get("font", "").strip()):
        options["font"] = font
    return options


def snippet(question: Question, theme: str = "auto") -> Markup:
    """The HTML a publisher pastes: a container with a plain link, and the async loader."""
    page = url_for("pages.question", slug=question.slug, _external=True)
    loader = url_for("embed.loader", _external=True)
    height = current_app.config["EMBED_HEIGHT"]
    return Markup(
        '<div class="predictions-embed" data-question="{slug}" data-theme="{theme}" '
        'data-height="{height}">\n'
        '  <a href="{page}">Give your forecast: {closing}</a>\n'
        "</div>\n"
        '<script async src="{loader}"></script>'
    ).format(
        slug=question.slug,
        theme=theme,
        height=height,
        page=page,
        closing=escape(question.closing_question),
        loader=loader,
    )
