"""A reader's forecasts through the API: give or update them, read them, withdraw them."""

from flask.views import MethodView
from flask_smorest import abort

from ...core.validation import check_probabilities
from ...models import Question
from ...services import forecasts, scores
from ...services.comments import status_for_author
from ...services.submissions import ForecastSubmission
from .. import crowd
from ..identity import current_reader, embed_token_for, reader_or_401
from ..lookups import question_or_404
from ..newsroom_time import not_open_message
from ..submitting import send_forecast
from ..writes import committed, late_write_lock
from .base import api_blueprint, documents_errors
from .schemas import (
    ForecastInputSchema,
    ForecastQuerySchema,
    ForecastResultSchema,
    MineSchema,
    WithdrawQuerySchema,
)

blp = api_blueprint("forecasts", __name__, "Forecasts: yours, given and withdrawn")


def open_question_or_409(slug: str) -> Question:
    question = question_or_404(slug)
    if not question.is_open():
        abort(409, message=not_open_message(question))
    return question


def mine(question: Question) -> dict:
    reader = current_reader()
    result = {
        "active": forecasts.active_forecasts(reader, question),
        "history": forecasts.history(reader, question),
    }
    if (own := scores.reader_scores(question, reader)) is not None:
        result["scores"] = own
    return result


@blp.route("/questions/<slug>/forecasts")
@late_write_lock
class Forecasts(MethodView):
    @documents_errors(blp, 400, 401, 403, 404, 409, 413, 415, 429)
    @blp.arguments(ForecastQuerySchema, location="query")
    @blp.arguments(ForecastInputSchema)
    @blp.response(201, ForecastResultSchema)
    def post(self, query: dict, data: dict, slug: str):
        """Give or update your forecast.

        Send a whole percent (1–99) for any or all scenarios, optionally with a comment
        and a display name. A new number for a scenario replaces your previous one (the
        history keeps it). The answer compares your numbers with the article's and, on
        scenarios whose crowd you may now see, with the crowd's median. The first call
        without a token or cookie creates a reader and returns its `reader_token` once:
        keep it. A closed question answers 409.

        With `?token=embed` the answer carries, in place of any `reader_token`, an
        `embed_token`: a bearer token that opens only this question's own forecast (this
        call, `GET …/forecasts/mine` and `GET …/aggregate`) and is refused (403)
        everywhere else. The embed keeps that one, where the host page may read it.
        """
        question = open_question_or_409(slug)
        keys = [s.key for s in question.scenarios]
        accepted, errors = check_probabilities(data["probabilities"], keys)
        if errors:
            message = "Some probabilities are not valid."
            abort(422, message=message, errors={"probabilities": errors})

        return send_forecast(
            question,
            accepted,
            data["comment"],
            data["display_name"],
            then=lambda submitted: answer(question, submitted, embed=query["token"] == "embed"),
        )


def answer(question: Question, submitted: ForecastSubmission, embed: bool = False) -> dict:
    """The stored numbers beside the article's and, on each scenario whose crowd the reader
    may now see, the crowd's; the new reader's token, or for the embed its embed token."""
    active = submitted.active
    others = crowd.others_around(question, submitted.reader, active)
    result = {
        "forecast": {
            "probabilities": {k: f.percent for k, f in active.items()},
            "created_at": max(f.created_at for f in active.values()),
        },
        "comparison": comparison(question, active, others),
        "comment": submitted.comment
        and {"id": submitted.comment.id, "status": status_for_author(submitted.comment.status)},
    }
    if embed:
        result["embed_token"] = embed_token_for(submitted.reader, question)
    elif submitted.token:
        result["reader_token"] = submitted.token
    return result


def comparison(question: Question, active: dict, others: dict) -> dict:
    """The reader's numbers beside the article's, in points, and the crowd's on the scenarios
    in `others` (the other readers' counts around the reader's, by scenario id, for those
    scenarios whose crowd the reader may see)."""
    crowd_rows = crowd.comparison(question, active, others)
    return {
        s.key: {
            "you": active[s.key].percent,
            "article": s.baseline,
            "delta_pp": active[s.key].percent - s.baseline,
            **crowd_rows.get(s.key, {}),
        }
        for s in question.scenarios
        if s.key in active
    }


@blp.route("/questions/<slug>/forecasts/mine")
class MyForecasts(MethodView):
    @documents_errors(blp, 401, 404)
    @blp.response(200, MineSchema)
    def get(self, slug: str):
        """Read your forecasts.

        Your active forecast per scenario and your whole history, oldest first.

        Without any identity both lists are empty (a new visitor); an unknown token is a 401.
        """
        return mine(question_or_404(slug))

    @documents_errors(blp, 401, 404, 409)
    @blp.arguments(WithdrawQuerySchema, location="query")
    @blp.response(200, MineSchema)
    def delete(self, args: dict, slug: str):
        """Withdraw your forecasts.

        Withdraws all your standing forecasts on the question, or only one scenario's
        with `?scenario=<key>`. They stop counting in the crowd; your history keeps
        them.
        """
        question = open_question_or_409(slug)
        reader = reader_or_401("withdraw")
        key = args["scenario"]
        if key is not None and question.scenario(key) is None:
            abort(422, message="Unknown scenario.", errors={"scenario": ["Unknown scenario."]})
        if key is not None and question.scenario(key).outcome is not None:
            message = "This scenario has resolved; its forecasts stay as they were scored."
            abort(409, message=message, errors={"scenario": [message]})
        committed(lambda: forecasts.withdraw(question, reader, key))
        return mine(question)
