"""The scores API: crowd vs article on resolved scenarios, and the leaderboard."""

from flask.views import MethodView
from flask_smorest import Blueprint

from ..extensions import csrf
from ..schemas import PageQuerySchema, ScoresSchema
from ..services import scores
from .api import check_body_and_csrf
from .lookups import question_or_404

blp = Blueprint(
    "scores", __name__, url_prefix="/api/v1", description="Scores of resolved scenarios"
)
blp.before_request(check_body_and_csrf)
csrf.exempt(blp)


@blp.route("/questions/<slug>/scores")
class Scores(MethodView):
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, ScoresSchema)
    def get(self, args: dict, slug: str):
        """Scorecard per resolved scenario, the headline and the leaderboard (?page=)."""
        return scores.scores_document(question_or_404(slug), args["page"])
