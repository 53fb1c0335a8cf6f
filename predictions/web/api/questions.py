"""The questions: a list with forecaster counts, and one question with its scenarios."""

from flask.views import MethodView

from ...services import questions
from ..lookups import question_or_404
from .base import api_blueprint, documents_errors
from .schemas import QuestionSchema, QuestionSummarySchema

blp = api_blueprint("questions", __name__, "Questions and their scenarios")


@blp.route("/questions")
class Questions(MethodView):
    @blp.response(200, QuestionSummarySchema(many=True))
    def get(self):
        """List the questions.

        Every question the site hosts, with its slug, title, status (open or closed) and
        how many readers have forecast it.
        """
        return questions.list_questions()


@blp.route("/questions/<slug>")
class QuestionDetail(MethodView):
    @documents_errors(blp, 404)
    @blp.response(200, QuestionSchema)
    def get(self, slug: str):
        """Read one question.

        The question's summary, its source article, the article's closing question, its
        FAQ and its scenarios, each with the article's likelihood (`baseline`, in
        percent), its potential impact and how it resolves.
        """
        return question_or_404(slug)
