"""The embed: the loader script a publisher includes, and the compact frame it opens."""

from flask import (
    Blueprint,
    current_app,
    make_response,
    render_template,
    request,
    send_from_directory,
)

from ...models import Question
from ...services import questions
from .. import embedding
from ..lookups import question_by_slug

bp = Blueprint("embed", __name__)

LOADER_MAX_AGE = 3600  # an hour: a fixed loader reaches every article within that


@bp.get("/embed.js")
def loader():
    """The loader a publisher includes with one <script async>; cached, the same for everyone."""
    response = send_from_directory(
        current_app.static_folder, "embed.js", max_age=LOADER_MAX_AGE, conditional=True
    )
    response.cache_control.public = True
    return response


@bp.get("/embed")
def by_article_url():
    """The frame for the question of an article page (?url=, the page's canonical address)."""
    url = request.args.get("url", "")
    question = questions.by_article_url(url) if embedding.origin_of(url) else None
    return frame_response(question)


@bp.get("/embed/q/<slug>")
def frame(slug: str):
    """The compact forecast frame of one question."""
    return frame_response(question_by_slug(slug))


def frame_response(question: Question | None):
    host = embedding.host_origin()
    allowed = question is not None and embedding.may_embed(host)
    html = render_template(
        "embed/frame.html",
        question=question,
        allowed=allowed,
        host_origin=host or "",
        style=embedding.style_options(request.args),
        forecaster_count=question.forecaster_count if question else 0,
        min_crowd=current_app.config["MIN_CROWD"],
    )
    response = make_response(html, 200 if question is not None else 404)
    response.headers["Content-Security-Policy"] = embedding.frame_policy(allowed)
    return response
