"""The moderation API: queues, decisions, bans, and the moderators' CSV exports."""

from dataclasses import dataclass, field

from flask import Response, current_app, stream_with_context
from flask.views import MethodView

from ...core.csv_export import csv_lines
from ...models import Reader
from ...services import exports, moderation, queues
from ..lookups import comment_or_404, question_or_404, reader_or_404
from ..moderation.auth import api_moderator, require_api_moderator
from ..writes import committed
from .base import api_blueprint
from .moderation_schemas import (
    BanInputSchema,
    DecisionInputSchema,
    QueueItemSchema,
    QueuePageSchema,
    QueueQuerySchema,
    ReaderStandingSchema,
    UnbanInputSchema,
)

# Who asks comes first: anyone but a moderator gets 401 whatever the body.
blp = api_blueprint(
    "moderation_api",
    __name__,
    "Queues, decisions, bans and exports, for moderators (a moderator's token, or their session)",
    first=require_api_moderator,
)


@blp.route("/moderation/comments")
class Queue(MethodView):
    @blp.arguments(QueueQuerySchema, location="query")
    @blp.response(200, QueuePageSchema)
    def get(self, args: dict):
        """Read a moderation queue.

        One queue (`?status=pending|reported|approved|rejected|withheld`), oldest first,
        paged. Each comment carries the reasons the checks held it for, its flags and
        its author's record (pseudonymous reader id, approvals and rejections).
        """
        page = queues.queue(args["status"], args["page"], args["per_page"])
        return page.envelope(queues.cards(page.items))


@blp.route("/moderation/comments/<int:comment_id>/decision")
class Decision(MethodView):
    @blp.arguments(DecisionInputSchema)
    @blp.response(200, QueueItemSchema)
    @blp.alt_response(409, description="The comment is no longer in expected_status")
    def post(self, data: dict, comment_id: int):
        """Decide on a comment.

        Approve, reject or mark as spam one comment. `expected_status` is the state you
        saw it in: if another moderator decided first, the answer is 409 and nothing
        changes. A reason is required to reject or mark as spam. Every decision is
        written to the audit log.
        """
        comment = comment_or_404(comment_id)
        committed(
            lambda: moderation.decide(
                comment,
                data["action"],
                api_moderator(),
                data["expected_status"],
                reason=data["reason"],
                note=data["note"],
            )
        )
        (card,) = queues.cards([comment])
        return card


@dataclass
class Standing:
    reader: Reader
    rejected_comments: list[int] = field(default_factory=list)


@blp.route("/moderation/readers/<reader_id>/ban")
class Ban(MethodView):
    @blp.arguments(BanInputSchema)
    @blp.response(200, ReaderStandingSchema)
    @blp.alt_response(409, description="The reader is already banned")
    def post(self, data: dict, reader_id: str):
        """Ban a reader.

        Bans a reader: they can no longer comment, and their forecasts leave the crowd's
        numbers. With `reject_comments` their waiting and published comments are
        rejected too. Audited.
        """
        reader = reader_or_404(reader_id)
        rejected = committed(
            lambda: moderation.ban(
                reader,
                api_moderator(),
                data["reason"],
                note=data["note"],
                reject_comments=data["reject_comments"],
            )
        )
        return Standing(reader, rejected)


@blp.route("/moderation/readers/<reader_id>/unban")
class Unban(MethodView):
    @blp.arguments(UnbanInputSchema)
    @blp.response(200, ReaderStandingSchema)
    @blp.alt_response(409, description="The reader is not banned")
    def post(self, data: dict, reader_id: str):
        """Lift a reader's ban.

        The reader may comment again and their standing forecasts count in the crowd
        again. Audited.
        """
        reader = reader_or_404(reader_id)
        committed(lambda: moderation.unban(reader, api_moderator(), note=data["note"]))
        return Standing(reader)


def csv_download(slug: str, what: str, header, rows_of) -> Response:
    """A question's rows (readers pseudonymised with the app's key) as a streamed CSV file."""
    question = question_or_404(slug)
    rows = rows_of(question, current_app.config["SECRET_KEY"].encode())
    return Response(
        stream_with_context(csv_lines(header, rows)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{question.slug}-{what}.csv"'},
    )


@blp.route("/questions/<slug>/export.csv")
class ForecastExport(MethodView):
    @blp.response(200, content_type="text/csv", description="One row per forecast")
    def get(self, slug: str):
        """Download the forecasts as CSV.

        Every forecast on the question, withdrawn ones included, with readers under a
        pseudonym. Cells that a spreadsheet would read as formulas are escaped.
        """
        return csv_download(slug, "forecasts", exports.FORECAST_HEADER, exports.forecast_rows)


@blp.route("/questions/<slug>/comments.csv")
class CommentExport(MethodView):
    @blp.response(200, content_type="text/csv", description="One row per comment")
    def get(self, slug: str):
        """Download the comments as CSV.

        Every comment on the question except deleted ones, with its status and readers
        under a pseudonym. Cells that a spreadsheet would read as formulas are escaped.
        """
        return csv_download(slug, "comments", exports.COMMENT_HEADER, exports.comment_rows)
