"""A reader's forecasts through the API: give or update them, read them, withdraw them."""

from flask.views import MethodView
from flask_smorest import abort

from ...core.rendering import clean_text
from ...core.validation import check_probabilities
from ...extensions import db
from ...models import Question
from ...services import forecasts, readers, scores
from ...services.comments import status_for_author
from .. import crowd, limits
from ..identity import current_reader, request_ip_hash
from ..lookups import question_or_404
from ..writes import committed, late_write_lock, one_writer_at_a_time
from .base import api_blueprint, documents_errors
from .schemas import (
    ForecastInputSchema,
    ForecastResultSchema,
    MineSchema,
    WithdrawQuerySchema,
)

blp = api_blueprint("forecasts", __name__, "Forecasts: yours, given and withdrawn")


def open_question_or_409(slug: str) -> Question:
    question = question_or_404(slug)
    if not question.is_open():
        abort(409, message="This question is closed to new forecasts.")
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
    @documents_errors(blp, 400, 401, 404, 409, 413, 415, 429)
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

        def record():
            reader, token = current_reader(), None
            existing = reader
            if reader is None:
                reader, token = readers.create_reader(request_ip_hash())
            readers.set_display_name(reader, clean_text(data["display_name"] or "").strip())
            body = clean_text(data["comment"] or "").strip()
            active, comment = forecasts.record_submission(
                question,
                reader,
                accepted,
                body or None,
                ip_hash=request_ip_hash(),
                new_reader=existing is None,
            )
            limits.spend_forecast(reader, existing is None, comment is not None)
            # Where writers queue for one lock (SQLite) the comparison reads after the commit;
            # elsewhere in this transaction, which spares a second connection checkout.
            if one_writer_at_a_time():
                return reader, token, active, comment, None
            return reader, token, active, comment, crowd.others_around(question, reader, active)

        reader, token, active, comment, others = committed(record)
        if one_writer_at_a_time():
            others = crowd.others_around(question, reader, active)
        result = {
            "forecast": {
                "probabilities": {k: f.percent for k, f in active.items()},
                "created_at": max(f.created_at for f in active.values()),
            },
            "comparison": comparison(question, active, others),
            "comment": comment and {"id": comment.id, "status": status_for_author(comment.status)},
        }
        if token:
            result["reader_token"] = token
        return result


def comparison(question: Question, active: dict, others: dict | None) -> dict:
    """The reader's numbers beside the article's, in points (and the crowd's, once visible:
    others holds the other readers' counts around them, None while the crowd is hidden)."""
    crowd_rows = crowd.comparison(question, active, others) if others is not None else {}
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
        """The reader's active forecasts and their history, oldest first."""
        return mine(question_or_404(slug))

    @documents_errors(blp, 401, 404, 409)
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
        if key is not None and question.scenario(key).outcome is not None:
            message = "This scenario has resolved; its forecasts stay as they were scored."
            abort(409, message=message, errors={"scenario": [message]})
        forecasts.withdraw(question, reader, key)
        db.session.commit()
        return mine(question)
