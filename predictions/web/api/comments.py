"""Comments and flags in the JSON API (SPEC §7): /api/v1/questions/{slug}/comments, /comments/{id}.

Lists hold published top-level comments, each with its published `replies` (one level, oldest
first). A comment's `status` is what its author may see ("withheld" reads "pending");
`forecast_snapshot` is crowd data: it holds the author's numbers only on the scenarios whose
crowd the viewer may see, and is absent while the viewer may see no scenario's.
"""

from flask import current_app
from flask.views import MethodView

from ...extensions import db
from ...models import Comment, CommentStatus, Question
from ...services import comments, readers
from ...services.comments import status_for_author
from ...services.visibility import CrowdVisibility
from .. import crowd, limits
from ..identity import reader_or_401
from ..lookups import comment_or_404, question_or_404
from ..submitting import send_comment, send_flag
from ..writes import committed
from .base import api_blueprint
from .schemas import (
    CommentCreatedSchema,
    CommentEditSchema,
    CommentInputSchema,
    CommentListQuerySchema,
    CommentListSchema,
    CommentSchema,
    FlagInputSchema,
    FlagSchema,
)

blp = api_blueprint("comments_api", __name__, "Comments, replies and flags")


def comment_json(comment: Comment, visibility: CrowdVisibility) -> dict:
    data = {
        "id": comment.id,
        "parent_id": comment.parent_id,
        "display_name": comment.display_name,
        "body": comment.body,
        "status": status_for_author(comment.status),
        "created_at": comment.created_at,
        "edited_at": comment.edited_at,
    }
    shown, _withheld = crowd.snapshot(comment.forecast_snapshot or {}, visibility)
    if shown is not None:
        data["forecast_snapshot"] = shown
    return data


@blp.route("/questions/<slug>/comments")
class QuestionComments(MethodView):
    @blp.arguments(CommentListQuerySchema, location="query")
    @blp.response(200, CommentListSchema)
    def get(self, args: dict, slug: str):
        """List the comments.

        Published comments on the question, 20 top-level comments a page (`?page=`,
        `?sort=newest|oldest`), each with its published replies. A comment's snapshot of
        its author's forecasts is crowd data, shown only where you may see the crowd.
        """
        question = question_or_404(slug)
        page = comments.public_page(
            question, args["page"], args["sort"], current_app.config["COMMENT_PAGE_SIZE"]
        )
        visibility = crowd.visibility(question)
        items = []
        for comment in page.items:
            item = comment_json(comment, visibility)
            item["replies"] = [comment_json(r, visibility) for r in page.replies[comment.id]]
            items.append(item)
        return page.envelope(items)

    @blp.arguments(CommentInputSchema)
    @blp.response(201, CommentCreatedSchema, description="Published")
    @blp.alt_response(202, schema=CommentCreatedSchema, description="Awaiting review")
    def post(self, data: dict, slug: str):
        """Post a comment or a reply.

        Plain text up to 2,000 characters, optionally replying to a top-level comment
        (`parent_id`) and with a display name. 201 when it is published at once, 202
        while it waits for a moderator. The first call without a token or cookie creates
        a reader and returns its `reader_token` once.
        """
        question = question_or_404(slug)
        posted = send_comment(question, data["body"], data["display_name"], data["parent_id"])
        result = comment_json(posted.comment, crowd.visibility(question, posted.reader))
        if posted.token:
            result["reader_token"] = posted.token
        return result, 201 if posted.comment.status == CommentStatus.APPROVED else 202


@blp.route("/comments/<int:comment_id>")
class CommentDetail(MethodView):
    @blp.arguments(CommentEditSchema)
    @blp.response(200, CommentSchema)
    def patch(self, data: dict, comment_id: int):
        """Edit your comment.

        Changes the text of your own comment within 10 minutes of posting it. A
        published comment goes back to the moderators for review.
        """
        comment = comment_or_404(comment_id, hide_deleted=True)
        reader = reader_or_401("change a comment")
        window = current_app.config["COMMENT_EDIT_WINDOW"]
        comments.check_edit(comment, reader, data["body"], window)
        limits.spend(["edit"], readers.visitor(reader))
        committed(lambda: comments.edit_comment(comment, reader, data["body"], window))
        question = db.session.get(Question, comment.question_id)
        return comment_json(comment, crowd.visibility(question, reader))

    @blp.response(204)
    def delete(self, comment_id: int):
        """Delete your comment.

        Deletes your own comment within 10 minutes of posting it.
        """
        comment = comment_or_404(comment_id, hide_deleted=True)
        reader = reader_or_401("change a comment")
        window = current_app.config["COMMENT_EDIT_WINDOW"]
        committed(lambda: comments.delete_comment(comment, reader, window))


@blp.route("/comments/<int:comment_id>/flags")
class CommentFlags(MethodView):
    @blp.arguments(FlagInputSchema)
    @blp.response(201, FlagSchema)
    def post(self, data: dict, comment_id: int):
        """Flag a comment.

        Reports a published comment to the moderators with a reason (spam, abuse, hate,
        off-topic or other) and optional details. One flag per reader and comment: a
        second answers 409. Three flags from different readers put the comment in the
        moderators' Reported queue.
        """
        comment = comment_or_404(comment_id, hide_deleted=True)
        flagged = send_flag(comment, data["reason"], data["details"])
        flag = flagged.flag
        result = {
            "id": flag.id,
            "comment_id": flag.comment_id,
            "reason": flag.reason,
            "details": flag.details,
            "created_at": flag.created_at,
        }
        if flagged.token:
            result["reader_token"] = flagged.token
        return result
