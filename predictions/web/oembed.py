"""GET /oembed: the oEmbed 1.0 provider, so a CMS embeds a question from its address alone."""

import re
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, current_app, request, url_for

from ..models import Question
from ..services import questions
from . import embedding
from .lookups import question_by_slug

bp = Blueprint("oembed", __name__)

QUESTION_PATH = re.compile(r"^/q/(?P<slug>[a-z0-9-]+)(?:/results)?/?$")
MIN_WIDTH = 280


def question_for(url: str) -> Question | None:
    """The question a URL names: its page or results on this service, or its article."""
    parts = urlsplit(url.strip())
    if embedding.origin_of(url) == embedding.own_origin():
        match = QUESTION_PATH.match(parts.path)
        return question_by_slug(match["slug"]) if match else None
    return questions.by_article_url(url) if embedding.origin_of(url) else None


def _dimension(name: str) -> int | None:
    value = request.args.get(name, "")
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        abort(400, f"{name}: a positive whole number of pixels.")
    return int(value)


@bp.get("/oembed")
def oembed():
    """type "rich": the embed's snippet, its size, title and provider (404: no such question)."""
    format_ = request.args.get("format", "json")
    if format_ != "json":
        abort(501, "Only format=json is provided.")
    question = question_for(request.args.get("url", ""))
    if question is None:
        abort(404, "That address names no question of this service.")
    max_width, max_height = _dimension("maxwidth"), _dimension("maxheight")
    width = max(min(embedding.OEMBED_WIDTH, max_width or embedding.OEMBED_WIDTH), MIN_WIDTH)
    height = current_app.config["EMBED_HEIGHT"]
    if max_height is not None:
        height = min(height, max_height)
    answer = {
        "version": "1.0",
        "type": "rich",
        "title": question.title,
        "provider_name": "Predictions",
        "provider_url": url_for("pages.index", _external=True),
        "html": str(embedding.snippet(question)),
        "width": width,
        "height": height,
        "cache_age": 3600,
    }
    thumbnail = (1200, 630)
    if (max_width or 1200) >= thumbnail[0] and (max_height or 630) >= thumbnail[1]:
        answer["thumbnail_url"] = url_for("previews.preview", slug=question.slug, _external=True)
        answer["thumbnail_width"], answer["thumbnail_height"] = thumbnail
    return answer


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
