"""The share preview image of a question (Open Graph and Twitter cards point at it)."""

from flask import Blueprint, Response, request

from ...core.question_status import Phase
from ...models import Question
from ...services.share_image import Preview, PreviewRow, render
from .. import crowd
from ..lookups import question_or_404

bp = Blueprint("previews", __name__)

# Link previews are fetched by crawlers that revalidate rarely: a few minutes of freshness,
# then a cheap 304 while the picture is unchanged.
MAX_AGE = 300


def preview_of(question: Question) -> Preview:
    """What the picture shows; the crowd's medians only once the question is closed."""
    closed = question.phase() == Phase.CLOSED  # a scheduled question shows as open, no crowd
    medians = {}
    if closed:
        medians = {item.key: item.aggregate.median for item in crowd.current(question)}
    return Preview(
        site=request.host,
        closing_question=question.closing_question,
        source_name=question.source_name,
        forecaster_count=question.forecaster_count,
        closed=closed,
        rows=tuple(
            PreviewRow(
                label=s.label,
                article=s.baseline,
                crowd=medians.get(s.key),
                outcome=s.outcome,
            )
            for s in question.scenarios
        ),
    )


@bp.get("/q/<slug>/preview.png")
def preview(slug: str):
    """A 1200×630 PNG: the question, the article's numbers, the forecaster count."""
    picture = preview_of(question_or_404(slug))
    response = Response(mimetype="image/png")
    response.set_etag(picture.etag())
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE
    if request.if_none_match.contains(picture.etag()):
        response.status_code = 304
        return response
    response.set_data(render(picture))
    return response
