"""marshmallow schemas: the API's input and output, declared once, every field explicit."""

from datetime import UTC

from marshmallow import Schema, fields, validate

from ...core.validation import (
    COMMENT_MAX,
    DISPLAY_NAME_MAX,
    FLAG_DETAILS_MAX,
    FLAG_REASON_MESSAGE,
    FLAG_REASONS,
    PERCENT_MAX,
    PERCENT_MIN,
)

PERCENT_DOC = {"type": "integer", "minimum": PERCENT_MIN, "maximum": PERCENT_MAX}


class Rounded(fields.Float):
    """A number rounded for people: 2 decimals, whole numbers without a fraction (40, 42.72)."""

    def __init__(self, places: int = 2, **kwargs):
        super().__init__(**kwargs)
        self.places = places

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        rounded = round(float(value), self.places)
        return int(rounded) if rounded.is_integer() else rounded


def _display_name() -> fields.String:
    return fields.String(load_default=None, validate=validate.Length(max=DISPLAY_NAME_MAX))


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
    display_name = _display_name()


class WithdrawQuerySchema(Schema):
    scenario = fields.String(load_default=None, metadata={"description": "Withdraw one scenario"})


class ForecastQuerySchema(Schema):
    token = fields.String(
        load_default=None,
        validate=validate.OneOf(["embed"]),
        metadata={
            "description": "`embed`: answer an `embed_token` for this question in place of "
            "the `reader_token`"
        },
    )


class ForecastSchema(Schema):
    probabilities = fields.Dict(keys=fields.String(), values=fields.Integer(), dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class ComparisonSchema(Schema):
    you = fields.Integer(dump_only=True)
    article = fields.Integer(dump_only=True)
    delta_pp = fields.Integer(dump_only=True, metadata={"description": "you - article, points"})
    crowd_median = Rounded(dump_only=True, metadata={"description": "Once the crowd is visible"})
    crowd_summary = fields.String(dump_only=True, metadata={"description": "Once visible"})


class CommentRefSchema(Schema):
    id = fields.Integer(dump_only=True)
    status = fields.String(dump_only=True)


class ForecastResultSchema(Schema):
    reader_token = fields.String(dump_only=True, metadata={"description": "Shown once"})
    embed_token = fields.String(
        dump_only=True,
        metadata={"description": "With `?token=embed`: opens only this question's forecast"},
    )
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


class MyScoreSchema(Schema):
    probability = fields.Integer(dump_only=True, metadata={"description": "Standing at resolution"})
    outcome = fields.String(dump_only=True)
    brier = fields.Float(dump_only=True, allow_none=True)
    peer_score = fields.Float(dump_only=True, allow_none=True)


class MineSchema(Schema):
    active = fields.Dict(
        keys=fields.String(), values=fields.Nested(ActiveForecastSchema), dump_only=True
    )
    history = fields.List(fields.Nested(HistoryItemSchema), dump_only=True)
    scores = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(MyScoreSchema),
        dump_only=True,
        metadata={"description": "Once anything resolved: per resolved scenario you forecast"},
    )


# Scores (SPEC §5, §7) and the paging every list shares.


class PageQuerySchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))


class PageSchema(Schema):
    """The envelope of every paged list (Page.envelope); subclasses declare `items`."""

    page = fields.Integer(dump_only=True)
    pages = fields.Integer(dump_only=True)
    total = fields.Integer(dump_only=True)


class ScoreSchema(Schema):
    probability = fields.Float(dump_only=True, metadata={"description": "Percent for yes"})
    brier = fields.Float(dump_only=True)
    log = fields.Float(dump_only=True)
    baseline_score = fields.Float(dump_only=True)


class ReadersScoreSchema(Schema):
    n = fields.Integer(dump_only=True)
    share_beat_article = fields.Float(
        dump_only=True, allow_none=True, metadata={"description": "Percent with lower Brier"}
    )
    peer_scores = fields.List(
        fields.Float(), dump_only=True, metadata={"description": "Best first, anonymous"}
    )


class ScenarioScoresSchema(Schema):
    key = fields.String(dump_only=True)
    label = fields.String(dump_only=True)
    outcome = fields.String(dump_only=True)
    resolved_at = fields.DateTime(dump_only=True)
    note = fields.String(dump_only=True, allow_none=True)
    article = fields.Nested(ScoreSchema, dump_only=True, allow_none=True)
    crowd = fields.Nested(ScoreSchema, dump_only=True, allow_none=True)
    brier_difference = fields.Float(dump_only=True, allow_none=True)
    log_ratio = fields.Float(dump_only=True, allow_none=True)
    readers = fields.Nested(ReadersScoreSchema, dump_only=True)
    excluded_banned = fields.Integer(dump_only=True)


class LeaderboardRowSchema(Schema):
    display_name = fields.String(dump_only=True)
    mean_brier = fields.Float(dump_only=True)
    resolved_count = fields.Integer(dump_only=True)
    peer_score = fields.Float(dump_only=True)


class LeaderboardSchema(PageSchema):
    items = fields.List(fields.Nested(LeaderboardRowSchema), dump_only=True)
    per_page = fields.Integer(dump_only=True)


class ScoresSchema(Schema):
    headline = fields.String(dump_only=True)
    scenarios = fields.List(fields.Nested(ScenarioScoresSchema), dump_only=True)
    leaderboard = fields.Nested(LeaderboardSchema, dump_only=True)
    excluded_banned = fields.Integer(dump_only=True)


# Comments and flags (SPEC §7). A comment's `status` is the one its author may see: "withheld"
# is shown as "pending". `forecast_snapshot` is crowd data, present only when the crowd is.


class CommentEditSchema(Schema):
    body = fields.String(required=True, validate=validate.Length(max=COMMENT_MAX))


class CommentInputSchema(CommentEditSchema):
    parent_id = fields.Integer(
        load_default=None, allow_none=True, metadata={"description": "Reply to this comment"}
    )
    display_name = _display_name()


class CommentListQuerySchema(PageQuerySchema):
    sort = fields.String(load_default="newest", validate=validate.OneOf(("newest", "oldest")))


class CommentSchema(Schema):
    id = fields.Integer(dump_only=True)
    parent_id = fields.Integer(dump_only=True, allow_none=True)
    display_name = fields.String(dump_only=True, allow_none=True)
    body = fields.String(dump_only=True)
    status = fields.String(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    edited_at = fields.DateTime(dump_only=True, allow_none=True)
    forecast_snapshot = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        dump_only=True,
        metadata={"description": "The author's percents when posting; only where crowd is shown"},
    )


class CommentThreadSchema(CommentSchema):
    replies = fields.List(fields.Nested(CommentSchema), dump_only=True)


class CommentListSchema(PageSchema):
    items = fields.List(fields.Nested(CommentThreadSchema), dump_only=True)
    total = fields.Integer(dump_only=True, metadata={"description": "Top-level comments"})


class CommentCreatedSchema(CommentSchema):
    reader_token = fields.String(dump_only=True, metadata={"description": "Shown once"})
    embed_token = fields.String(
        dump_only=True,
        metadata={"description": "With `?token=embed`: opens only this question's forecast"},
    )


class FlagInputSchema(Schema):
    reason = fields.String(
        required=True, validate=validate.OneOf(FLAG_REASONS, error=FLAG_REASON_MESSAGE)
    )
    details = fields.String(load_default=None, validate=validate.Length(max=FLAG_DETAILS_MAX))


class FlagSchema(Schema):
    id = fields.Integer(dump_only=True)
    comment_id = fields.Integer(dump_only=True)
    reason = fields.String(dump_only=True)
    details = fields.String(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)
    reader_token = fields.String(dump_only=True, metadata={"description": "Shown once"})
    embed_token = fields.String(
        dump_only=True,
        metadata={"description": "With `?token=embed`: opens only this question's forecast"},
    )


# A reader's own data (privacy export).
class ExportReaderSchema(Schema):
    id = fields.String(dump_only=True)
    display_name = fields.String(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)
    banned = fields.Boolean(dump_only=True)


class ExportForecastSchema(Schema):
    question = fields.String(dump_only=True)
    scenario = fields.String(dump_only=True)
    probability = fields.Integer(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    ended_at = fields.DateTime(dump_only=True, allow_none=True)


class ExportRevisionSchema(Schema):
    body = fields.String(dump_only=True)
    created_at = fields.DateTime(dump_only=True)


class ExportCommentSchema(CommentSchema):
    question = fields.String(dump_only=True)
    revisions = fields.List(fields.Nested(ExportRevisionSchema), dump_only=True)


class ExportFlagSchema(Schema):
    comment_id = fields.Integer(dump_only=True)
    reason = fields.String(dump_only=True)
    details = fields.String(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)


class ExportSchema(Schema):
    exported_at = fields.DateTime(dump_only=True)
    reader = fields.Nested(ExportReaderSchema, dump_only=True, allow_none=True)
    forecasts = fields.List(fields.Nested(ExportForecastSchema), dump_only=True)
    comments = fields.List(fields.Nested(ExportCommentSchema), dump_only=True)
    flags = fields.List(fields.Nested(ExportFlagSchema), dump_only=True)


# Crowd aggregates (results).


def _crowd_number(description: str, places: int = 2) -> Rounded:
    return Rounded(
        places=places, dump_only=True, allow_none=True, metadata={"description": description}
    )


class CrowdRowSchema(Schema):
    key = fields.String(dump_only=True)
    label = fields.String(dump_only=True)
    baseline = fields.Integer(dump_only=True, metadata={"description": "The article's percent"})
    visible = fields.Boolean(
        dump_only=True,
        metadata={
            "description": "Whether this scenario's crowd shows to you: once you have forecast "
            "it and enough readers have"
        },
    )
    hidden_reason = fields.String(
        dump_only=True,
        allow_none=True,
        metadata={"description": "Why this scenario's crowd is hidden, in words (null: shown)"},
    )
    n = fields.Integer(
        dump_only=True, metadata={"description": "Active forecasts (absent while hidden)"}
    )
    median = _crowd_number("Median percent (headline)")
    mean = _crowd_number("Mean percent")
    gmo = _crowd_number("Geometric mean of odds, in percent")
    p25 = _crowd_number("25th percentile")
    p75 = _crowd_number("75th percentile")
    recency_median = _crowd_number("Recency-weighted median (may lag: see recency_as_of)")
    extremized = _crowd_number("Neyman-extremized geometric mean of odds")
    delta_pp = _crowd_number("median - baseline, in points")
    odds_ratio = _crowd_number("Odds of the median over odds of the baseline", places=4)
    share_above = _crowd_number("Percent of forecasts above the baseline")
    share_equal = _crowd_number("Percent of forecasts equal to the baseline")
    share_below = _crowd_number("Percent of forecasts below the baseline")
    histogram = fields.List(
        fields.Integer(), dump_only=True, metadata={"description": "20 bins of 5 points"}
    )


class AggregateSchema(Schema):
    forecaster_count = fields.Integer(dump_only=True, metadata={"description": "Always shown"})
    visible = fields.Boolean(
        dump_only=True, metadata={"description": "Every scenario's crowd shows to you"}
    )
    hidden_reason = fields.String(
        dump_only=True,
        allow_none=True,
        metadata={"description": "Why some or all of the crowd is hidden (null: all shown)"},
    )
    scenarios = fields.List(fields.Nested(CrowdRowSchema), dump_only=True)
    version = fields.Integer(
        dump_only=True,
        metadata={
            "description": "The crowd's version: every forecast, withdrawal, ban, resolution "
            "and erasure moves it up, and no answer shows an older one than a change that "
            "had committed before the request"
        },
    )
    as_of = fields.DateTime(
        dump_only=True, metadata={"description": "A moment at which these were the numbers"}
    )
    recency_as_of = fields.DateTime(
        dump_only=True,
        metadata={
            "description": "Only while the recency-weighted medians lag behind the other "
            "numbers: the moment they are from (at most AGGREGATE_CACHE_SECONDS before as_of)"
        },
    )


class HistoryPointSchema(Schema):
    at = fields.DateTime(dump_only=True)
    live = fields.Boolean(dump_only=True, metadata={"description": "true for the point now"})
    scenarios = fields.List(fields.Nested(CrowdRowSchema), dump_only=True)


class HistorySchema(AggregateSchema):
    at = fields.DateTime(dump_only=True, metadata={"description": "With ?at=: the instant"})
    points = fields.List(
        fields.Nested(HistoryPointSchema),
        dump_only=True,
        metadata={
            "description": "Without ?at=: the end of each past UTC day, then now (absent while "
            "every scenario is hidden)"
        },
    )


class HistoryQuerySchema(Schema):
    at = fields.AwareDateTime(
        load_default=None,
        default_timezone=UTC,
        metadata={"description": "ISO 8601 time (UTC if no offset): the crowd at that instant"},
    )
