"""The JSON API under /api/v1, documented by OpenAPI from the same schemas."""

from http import HTTPStatus

from flask import Flask, request, session
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint, abort

from ..extensions import csrf, db
from ..models import Question
from ..rendering import clean_text
from ..schemas import (
    ForecastInputSchema,
    ForecastResultSchema,
    MineSchema,
    QuestionSchema,
    QuestionSummarySchema,
    WithdrawQuerySchema,
)
from ..services import forecasts, questions, readers
from ..validation import check_probabilities
from .errors import PredictionsApi
from .identity import SESSION_KEY, bearer_token, current_reader, request_ip_hash
from .limits import limit_forecasts
from .transactions import committed

blp = Blueprint("api", __name__, url_prefix="/api/v1", description="Questions and forecasts")
BODY_METHODS = {"POST", "PUT", "PATCH"}


def check_body_and_csrf() -> None:
    """JSON bodies only; cookie-authenticated writes need the CSRF token, bearer ones do not.

    Every API blueprint registers this as its before_request hook.
    """
    if request.method in BODY_METHODS:
        if not request.get_data(cache=True):
            abort(400, message="A JSON body is required.")
        if not request.is_json:
            abort(415, message="Send the body as application/json.")
    cookie_identity = bearer_token() is None and (
        session.get(SESSION_KEY) or current_user.is_authenticated
    )
    if request.method not in {"GET", "HEAD", "OPTIONS"} and cookie_identity:
        csrf.protect()


blp.before_request(check_body_and_csrf)


def documents_errors(*codes: int):
    """Document the error answers an operation gives, each in the one JSON error shape."""

    def decorate(view):
        for code in codes:
            view = blp.alt_response(code, response=HTTPStatus(code).name)(view)
        return view

    return decorate


def question_or_404(slug: str) -> Question:
    question = questions.get_by_slug(slug)
    if question is None:
        abort(404, message=f"No question with the slug {slug!r}.")
    return question


def open_question_or_409(slug: str) -> Question:
    question = question_or_404(slug)
    if not question.is_open():
        abort(409, message="This question is closed to new forecasts.")
    return question


def mine(question: Question) -> dict:
    reader = current_reader()
    return {
        "active": forecasts.active_forecasts(reader, question),
        "history": forecasts.history(reader, question),
    }


@blp.route("/questions")
class Questions(MethodView):
    @blp.response(200, QuestionSummarySchema(many=True))
    def get(self):
        """List the questions with their forecaster counts."""
        return questions.list_questions()


@blp.route("/questions/<slug>")
class QuestionDetail(MethodView):
    @documents_errors(404)
    @blp.response(200, QuestionSchema)
    def get(self, slug: str):
        """One question with its source, closing question and scenarios."""
        return questions.counted(question_or_404(slug))


@blp.route("/questions/<slug>/forecasts")
class Forecasts(MethodView):
    @limit_forecasts
    @documents_errors(400, 401, 404, 409, 413, 415, 429)
    @blp.arguments(ForecastInputSchema)
    @blp.response(201, ForecastResultSchema)
    def post(self, data: dict, slug: str):
        """Give or update probabilities; the first call without identity creates a reader."""
        question = open_question_or_409(slug)
        keys = [s.key for s in question.scenarios]
        accepted, errors = check_probabilities(data["probabilities"], keys)
        if errors:
            message = "Some probabilities are not valid."
            abort(422, message=message, errors={"probabilities": errors})

        def record() -> dict:
            reader, token = current_reader(), None
            if reader is None:
                reader, token = readers.create_reader(request_ip_hash())
            readers.set_display_name(reader, clean_text(data["display_name"] or "").strip())
            body = clean_text(data["comment"] or "").strip()
            active, comment = forecasts.record_submission(
                question, reader, accepted, body or None, ip_hash=request_ip_hash()
            )
            # Built before the commit, which expires every row: no reloading them afterwards.
            result = {
                "forecast": {
                    "probabilities": {k: f.percent for k, f in active.items()},
                    "created_at": max(f.created_at for f in active.values()),
                },
                "comparison": comparison(question, active),
                "comment": comment and {"id": comment.id, "status": comment.status},
            }
            if token:
                result["reader_token"] = token
            return result

        return committed(record)


def comparison(question: Question, active: dict) -> dict:
    """The reader's numbers beside the article's, in points."""
    return {
        s.key: {
            "you": active[s.key].percent,
            "article": s.baseline,
            "delta_pp": active[s.key].percent - s.baseline,
        }
        for s in question.scenarios
        if s.key in active
    }


@blp.route("/questions/<slug>/forecasts/mine")
class MyForecasts(MethodView):
    @documents_errors(401, 404)
    @blp.response(200, MineSchema)
    def get(self, slug: str):
        """The reader's active forecasts and their history, oldest first."""
        return mine(question_or_404(slug))

    @documents_errors(401, 404, 409)
    @blp.arguments(WithdrawQuerySchema, location="query")
    @blp.response(200, MineSchema)
    def delete(self, args: dict, slug: str):
        """Withdraw the reader's forecasts (all, or ?scenario=<key>)."""
        question = open_question_or_409(slug)
        reader = current_reader()
        if reader is None:
            abort(401, message="Send your reader token (or session cookie) to withdraw.")
        key = args["scenario"]
        if key is not None and question.scenario(key) is None:
            abort(422, message="Unknown scenario.", errors={"scenario": ["Unknown scenario."]})
        forecasts.withdraw(question, reader, key)
        db.session.commit()
        return mine(question)


def init_app(app: Flask) -> None:
    api = PredictionsApi(app)
    app.extensions["predictions_api"] = api
    csrf.exempt(blp)  # checked in check_body_and_csrf, where bearer clients are told apart
    api.register_blueprint(blp)
