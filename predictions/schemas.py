"""marshmallow schemas: the API's input and output, declared once, every field explicit."""

from marshmallow import Schema, fields, validate

from .validation import COMMENT_MAX, DISPLAY_NAME_MAX, PERCENT_MAX, PERCENT_MIN

PERCENT_DOC = {"type": "integer", "minimum": PERCENT_MIN, "maximum": PERCENT_MAX}


class ScenarioSchema(Schema):
    key = fields.String(dump_only=True)
    label = fields.String(dump_only=True)
    baseline = fields.Integer(dump_only=True, metadata={"description": "The article's percent"})
    impact = fields.String(dump_only=True)
    resolution = fields.String(dump_only=True, attribute="resolution_criteria")


class SourceSchema(Schema):
    name = fields.String(dump_only=True, attribute="source_name")
    url = fields.String(dump_only=True, attribute="source_url")


class FaqSchema(Schema):
    question = fields.String(dump_only=True)
    answer = fields.String(dump_only=True)


class QuestionSummarySchema(Schema):
    slug = fields.String(dump_only=True)
    title = fields.String(dump_only=True)
    status = fields.String(dump_only=True, attribute="public_status")
    forecaster_count = fields.Integer(dump_only=True)


class QuestionSchema(QuestionSummarySchema):
    summary = fields.String(dump_only=True)
    source = fields.Function(lambda q: SourceSchema().dump(q), dump_only=True)
    closing_question = fields.String(dump_only=True)
    faq = fields.List(fields.Nested(FaqSchema), dump_only=True)
    opens_at = fields.DateTime(dump_only=True, allow_none=True)
    closes_at = fields.DateTime(dump_only=True, allow_none=True)
    scenarios = fields.List(fields.Nested(ScenarioSchema), dump_only=True)


class ForecastInputSchema(Schema):
    # Values are checked by validation.check_probabilities so that every door says the same.
    probabilities = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(allow_none=True, metadata=PERCENT_DOC),
        required=True,
        validate=validate.Length(min=1, error="Give a probability for at least one scenario."),
        metadata={"description": "Scenario key to whole percent (1-99)", "minProperties": 1},
    )
    comment = fields.String(load_default=None, validate=validate.Length(max=COMMENT_MAX))
    display_name = fields.String(load_default=None, validate=validate.Length(max=DISPLAY_NAME_MAX))


class WithdrawQuerySchema(Schema):
    scenario = fields.String(load_default=None, metadata={"description": "Withdraw one scenario"})


class ForecastSchema(Schema):
    probabilities = fields.Dict(keys=fields.String(), values=fields.Integer(), dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class ComparisonSchema(Schema):
    you = fields.Integer(dump_only=True)
    article = fields.Integer(dump_only=True)
    delta_pp = fields.Integer(dump_only=True, metadata={"description": "you - article, points"})


class CommentRefSchema(Schema):
    id = fields.Integer(dump_only=True)
    status = fields.String(dump_only=True)


class ForecastResultSchema(Schema):
    reader_token = fields.String(dump_only=True, metadata={"description": "Shown once"})
    forecast = fields.Nested(ForecastSchema, dump_only=True)
    comparison = fields.Dict(
        keys=fields.String(), values=fields.Nested(ComparisonSchema), dump_only=True
    )
    comment = fields.Nested(CommentRefSchema, dump_only=True, allow_none=True)


class ActiveForecastSchema(Schema):
    probability = fields.Integer(dump_only=True, attribute="percent")
    since = fields.DateTime(dump_only=True, attribute="created_at")


class HistoryItemSchema(Schema):
    scenario = fields.Function(lambda f: f.scenario.key, dump_only=True)
    probability = fields.Integer(dump_only=True, attribute="percent")
    created_at = fields.DateTime(dump_only=True)
    ended_at = fields.DateTime(dump_only=True, allow_none=True)


class MineSchema(Schema):
    active = fields.Dict(
        keys=fields.String(), values=fields.Nested(ActiveForecastSchema), dump_only=True
    )
    history = fields.List(fields.Nested(HistoryItemSchema), dump_only=True)
