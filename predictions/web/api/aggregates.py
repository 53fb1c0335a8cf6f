"""The crowd against the article in the JSON API: the aggregate now, its history, one instant."""

from flask.views import MethodView
from flask_smorest import abort

from ...models import utcnow
from .. import crowd
from ..lookups import question_or_404
from .base import api_blueprint
from .schemas import AggregateSchema, HistoryQuerySchema, HistorySchema

blp = api_blueprint(
    "aggregates",
    __name__,
    "The crowd against the article (hidden until you forecast, SPEC §4)",
)


def _header(visibility) -> dict:
    return {
        "forecaster_count": visibility.forecaster_count,
        "visible": visibility.visible,
        "hidden_reason": visibility.hidden_reason,
    }


@blp.route("/questions/<slug>/aggregate")
class Aggregate(MethodView):
    @blp.response(200, AggregateSchema)
    def get(self, slug: str):
        """The crowd now per scenario; crowd fields are absent while hidden."""
        question = question_or_404(slug)
        visibility = crowd.visibility(question)
        if visibility.visible:
            rows = [crowd.row(c, True) for c in crowd.current(question)]
        else:
            rows = [crowd.identity_row(s) for s in question.scenarios]
        return {**_header(visibility), "scenarios": rows}


@blp.route("/questions/<slug>/aggregate/history")
class AggregateHistory(MethodView):
    @blp.arguments(HistoryQuerySchema, location="query")
    @blp.response(200, HistorySchema)
    def get(self, args: dict, slug: str):
        """The crowd after each past UTC day and now; ?at= for one instant. Hidden like the
        aggregate."""
        question = question_or_404(slug)
        at = args["at"]
        if at is not None and at > utcnow():
            abort(422, message="No crowd yet at that time.", errors={"at": ["Not in the future."]})
        visibility = crowd.visibility(question)
        result = _header(visibility)
        if at is not None:
            result["at"] = at
            if visibility.visible:
                result["scenarios"] = [crowd.row(c, True) for c in crowd.at_time(question, at)]
            else:
                result["scenarios"] = [crowd.identity_row(s) for s in question.scenarios]
            return result
        result["scenarios"] = [crowd.identity_row(s) for s in question.scenarios]
        if visibility.visible:
            points = crowd.history(question)
            result["points"] = [
                {"at": p.at, "live": p.live, "scenarios": [crowd.row(c, True) for c in p.scenarios]}
                for p in points
            ]
        return result
