"""The crowd against the article in the JSON API: the aggregate now, its history, one instant."""

from flask.views import MethodView
from flask_smorest import abort

from ...models import Question, utcnow
from ...services.aggregates import ScenarioCrowd
from ...services.visibility import CrowdVisibility
from .. import crowd
from ..lookups import question_or_404
from .base import api_blueprint
from .schemas import AggregateSchema, HistoryQuerySchema, HistorySchema

blp = api_blueprint(
    "aggregates",
    __name__,
    "The crowd against the article (each scenario hidden until you forecast it)",
)


def _header(visibility: CrowdVisibility) -> dict:
    # `visible` and `hidden_reason` speak for the whole question: true only when every
    # scenario's crowd shows; each scenario row says the same for itself.
    return {
        "forecaster_count": visibility.forecaster_count,
        "visible": visibility.visible,
        "hidden_reason": visibility.hidden_reason,
    }


def _rows(question: Question, crowds: list[ScenarioCrowd] | None, visibility) -> list[dict]:
    """Every scenario's row, the crowd fields on those the viewer may see."""
    items = crowds if crowds is not None else question.scenarios
    return [crowd.row(item, visibility) for item in items]


@blp.route("/questions/<slug>/aggregate")
class Aggregate(MethodView):
    @blp.response(200, AggregateSchema)
    def get(self, slug: str):
        """Read the crowd's forecast.

        Per scenario: the article's baseline and, where you may see it, the crowd's
        median (the headline), mean, geometric mean of odds, quartiles, recency-weighted
        and extremized aggregates, the difference from the article and the 20-bin
        histogram, all in percent. A scenario's crowd stays hidden until you have
        forecast it and enough readers have (the number of forecasters always shows);
        `hidden_reason` says why. Moderators and closed questions see everything.
        """
        question = question_or_404(slug)
        visibility = crowd.visibility(question)
        crowds = crowd.current(question) if visibility.any_visible else None
        rows = _rows(question, crowds, visibility)
        return {**_header(visibility), "scenarios": rows, **crowd.freshness(question)}


@blp.route("/questions/<slug>/aggregate/history")
class AggregateHistory(MethodView):
    @blp.arguments(HistoryQuerySchema, location="query")
    @blp.response(200, HistorySchema)
    def get(self, args: dict, slug: str):
        """Read the crowd's history.

        The crowd's aggregate at the end of each past UTC day and now, or at one instant
        with `?at=` (ISO 8601). Each scenario is hidden as in the current aggregate;
        `points` is absent while every scenario is.
        """
        question = question_or_404(slug)
        at = args["at"]
        if at is not None and at > utcnow():
            abort(422, message="No crowd yet at that time.", errors={"at": ["Not in the future."]})
        visibility = crowd.visibility(question)
        result = _header(visibility)
        if at is not None:
            result["at"] = at
            crowds = crowd.at_time(question, at) if visibility.any_visible else None
            result["scenarios"] = _rows(question, crowds, visibility)
            return result
        result["scenarios"] = _rows(question, None, visibility)
        if visibility.any_visible:
            result["points"] = [
                {"at": p.at, "live": p.live, "scenarios": _rows(question, p.scenarios, visibility)}
                for p in crowd.history(question)
            ]
        result.update(crowd.freshness(question))  # of the live point
        return result
