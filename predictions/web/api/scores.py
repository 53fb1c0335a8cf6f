"""The scores API: crowd vs article on resolved scenarios, and the leaderboard."""

from flask.views import MethodView

from ...services import scores
from ..lookups import question_or_404
from .base import api_blueprint
from .schemas import PageQuerySchema, ScoresSchema

blp = api_blueprint("scores", __name__, "Scores of resolved scenarios")


@blp.route("/questions/<slug>/scores")
class Scores(MethodView):
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, ScoresSchema)
    def get(self, args: dict, slug: str):
        """Read the scores.

        Once a scenario resolves: the Brier, log and baseline scores of the article and
        of the crowd's median on each resolved scenario, how many readers beat the
        article, a headline, and the leaderboard of readers who chose a display name
        (paged with `?page=`).
        """
        return scores.scores_document(question_or_404(slug), args["page"])
