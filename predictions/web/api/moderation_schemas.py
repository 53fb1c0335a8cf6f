"""marshmallow schemas of the moderation API (the moderators' part of schemas.py)."""

from marshmallow import Schema, fields, validate

from ...core import moderator_decisions as decisions
from ...core.comment_rules import REASONS, CommentStatus
from .schemas import PageSchema


class QueueQuerySchema(Schema):
    status = fields.String(
        load_default=CommentStatus.PENDING, validate=validate.OneOf(decisions.QUEUES)
    )
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class QueueFlagSchema(Schema):
    reason = fields.String(dump_only=True)
    details = fields.String(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)


class AuthorSchema(Schema):
    approved = fields.Integer(dump_only=True, attribute="approved_count")
    rejected = fields.Integer(dump_only=True, attribute="rejected_count")
    banned = fields.Function(lambda card: card.reader.banned_at is not None, dump_only=True)
    premod = fields.Boolean(dump_only=True, attribute="reader.premod")


def _reason_details(card) -> list[dict]:
    return [{"code": code, "description": REASONS.get(code, "")} for code in card.comment.reasons]


class QueueItemSchema(Schema):
    """A comment as the moderators see it (dumped from a services.queues.Card)."""

    id = fields.Integer(dump_only=True, attribute="comment.id")
    parent_id = fields.Integer(dump_only=True, allow_none=True, attribute="comment.parent_id")
    display_name = fields.String(dump_only=True, allow_none=True, attribute="comment.display_name")
    body = fields.String(dump_only=True, attribute="comment.body")
    status = fields.String(dump_only=True, attribute="comment.status")
    queue = fields.String(dump_only=True, attribute="state")
    created_at = fields.DateTime(dump_only=True, attribute="comment.created_at")
    edited_at = fields.DateTime(dump_only=True, allow_none=True, attribute="comment.edited_at")
    forecast_snapshot = fields.Dict(
        keys=fields.String(), values=fields.Integer(), attribute="comment.forecast_snapshot"
    )
    question = fields.String(dump_only=True, attribute="question.slug")
    reader_id = fields.String(dump_only=True, attribute="comment.reader_id")
    reasons = fields.List(fields.String(), dump_only=True, attribute="comment.reasons")
    reason_details = fields.Function(_reason_details, dump_only=True)
    flag_count = fields.Integer(dump_only=True, attribute="comment.flag_count")
    reported_at = fields.DateTime(dump_only=True, allow_none=True, attribute="comment.reported_at")
    flags = fields.List(fields.Nested(QueueFlagSchema), dump_only=True)
    author = fields.Function(lambda card: AuthorSchema().dump(card), dump_only=True)


class QueuePageSchema(PageSchema):
    items = fields.List(fields.Nested(QueueItemSchema), dump_only=True)


class DecisionInputSchema(Schema):
    action = fields.String(required=True, validate=validate.OneOf(decisions.ACTIONS))
    reason = fields.String(
        load_default=None,
        allow_none=True,
        metadata={"enum": list(decisions.DECISION_REASONS), "description": "Required to reject"},
    )
    expected_status = fields.String(required=True, validate=validate.OneOf(decisions.QUEUES))
    note = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=decisions.NOTE_MAX)
    )


class BanInputSchema(Schema):
    reject_comments = fields.Boolean(load_default=False)
    reason = fields.String(required=True, metadata={"enum": list(decisions.DECISION_REASONS)})
    note = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=decisions.NOTE_MAX)
    )


class UnbanInputSchema(Schema):
    note = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=decisions.NOTE_MAX)
    )


class ReaderStandingSchema(Schema):
    reader_id = fields.String(dump_only=True, attribute="reader.id")
    banned_at = fields.DateTime(dump_only=True, allow_none=True, attribute="reader.banned_at")
    ban_reason = fields.String(dump_only=True, allow_none=True, attribute="reader.ban_reason")
    rejected_comments = fields.List(fields.Integer(), dump_only=True)
