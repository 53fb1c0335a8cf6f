"""Flask-WTF forms for the pages; the value rules come from validation.py."""

import time

from flask import current_app, request
from flask_wtf import FlaskForm
from itsdangerous import BadData, URLSafeSerializer
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ...core.validation import (
    COMMENT_MAX,
    DISPLAY_NAME_MAX,
    FLAG_DETAILS_MAX,
    FLAG_REASONS,
    PERCENT_MAX,
    PERCENT_MIN,
    percent_problem,
)
from ...models import Question

FORM_STAMP_SALT = "predictions.form-served-at"
NOTHING_GIVEN = "Give a probability for at least one scenario, or write a comment."


def form_stamp(served_at: float | None = None) -> str:
    """The signed time a form was served, for its hidden `issued` field."""
    serializer = URLSafeSerializer(current_app.secret_key, salt=FORM_STAMP_SALT)
    return serializer.dumps(time.time() if served_at is None else served_at)


def seconds_since_stamp(stamp: str | None, now: float | None = None) -> float:
    """Seconds between serving and receiving a form; 0 for a missing or forged stamp."""
    serializer = URLSafeSerializer(current_app.secret_key, salt=FORM_STAMP_SALT)
    try:
        served_at = float(serializer.loads(stamp or ""))
    except (BadData, TypeError, ValueError):
        return 0.0
    return (time.time() if now is None else now) - served_at


def display_name_field() -> StringField:
    """The optional display name, alike on every form that asks for it."""
    return StringField(
        "Display name (optional)",
        validators=[Optional(), Length(max=DISPLAY_NAME_MAX)],
        description="Shown with your comment. Leave empty to stay anonymous.",
    )


def comment_field(label: str, required: str | None = None, hint: str = "") -> TextAreaField:
    """A comment's text, up to COMMENT_MAX characters; `required` is the message when empty."""
    return TextAreaField(
        label,
        validators=[DataRequired(required) if required else Optional(), Length(max=COMMENT_MAX)],
        description=f"Up to {COMMENT_MAX:,} characters. {hint}" if hint else "",
    )


class BotTrapForm(FlaskForm):
    """A honeypot field people never see (hidden by CSS) and the signed time the form was served."""

    website = StringField(
        "Leave this field empty", render_kw={"autocomplete": "off", "tabindex": "-1"}
    )
    issued = HiddenField(default=form_stamp)

    def fill_seconds(self) -> float:
        """How long the sender took to fill the form in."""
        return seconds_since_stamp(self.issued.data)


class PercentField(IntegerField):
    """A whole percent; anything else gets the same message as the API gives."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(percent_problem(None)) from error

    def pre_validate(self, form):
        if self.data is not None and (problem := percent_problem(self.data)):
            raise ValidationError(problem)


def field_name(key: str) -> str:
    """The form field of a scenario (prefixed so no key can clash with other fields)."""
    return "p_" + key.replace("-", "_")


class ForecastForm(BotTrapForm):
    """Probabilities and the reasoning behind them: the reasoning is the reader's comment, so
    the one form also takes a comment alone (from a reader who only wants to comment)."""

    comment = comment_field(
        "Your reasoning (optional)",
        hint="It is published as your comment, after moderation. Be civil and stay on topic.",
    )
    display_name = display_name_field()
    submit = SubmitField("Save my forecast")

    @classmethod
    def for_question(cls, question: Question, **kwargs) -> "ForecastForm":
        """A form with one empty percent input per scenario of the question that is unresolved."""
        fields = {
            field_name(s.key): PercentField(
                s.label,
                validators=[Optional()],
                render_kw={"min": PERCENT_MIN, "max": PERCENT_MAX, "inputmode": "numeric"},
            )
            for s in question.scenarios
            if s.outcome is None
        }
        form_class = type("QuestionForecastForm", (cls,), fields)
        form = form_class(**kwargs)
        form.question = question
        return form

    def scenario_fields(self):
        """(scenario, field) pairs in the question's order; field is None once it resolved."""
        return [
            (s, self[field_name(s.key)] if s.outcome is None else None)
            for s in self.question.scenarios
        ]

    def has_open_scenarios(self) -> bool:
        """Whether any scenario still takes forecasts."""
        return any(f is not None for _s, f in self.scenario_fields())

    def probabilities(self) -> dict[str, int]:
        """The percents the reader gave, by scenario key."""
        return {
            s.key: f.data for s, f in self.scenario_fields() if f is not None and f.data is not None
        }

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # A page loaded before a scenario resolved may still send a number for it: say so.
        for s, f in self.scenario_fields():
            if f is None and request.form.get(field_name(s.key), "").strip():
                self.form_errors.append(
                    f"“{s.label}” has resolved ({s.outcome}); it takes no new forecasts."
                )
                valid = False
        if valid and not self.probabilities() and not (self.comment.data or "").strip():
            self.form_errors.append(NOTHING_GIVEN)
            return False
        return valid

    def problems(self) -> list[tuple[str, str]]:
        """(id of the field to fix, message) for the error summary, in the page's order."""
        # A problem with the whole forecast sends the reader to its first input.
        first = next((f.id for _s, f in self.scenario_fields() if f is not None), self.comment.id)
        found = [(first, error) for error in self.form_errors]
        for _scenario, field in self.scenario_fields():
            if field is not None:
                found += [(field.id, error) for error in field.errors]
        for field in (self.comment, self.display_name):
            found += [(field.id, error) for error in field.errors]
        return found


class WithdrawForm(FlaskForm):
    scenario = HiddenField()
    # "yes" once the reader has confirmed withdrawing all (the confirmation page or dialog).
    confirm = HiddenField()
    submit = SubmitField("Withdraw")


class CommentForm(BotTrapForm):
    """A comment or, with a parent, a reply; every page form has its own prefix."""

    body = comment_field(
        "Your comment", "Write your comment first.", "Links and line breaks are kept as text."
    )
    display_name = display_name_field()
    submit = SubmitField("Post comment")


class EditCommentForm(FlaskForm):
    body = comment_field("Your comment", "A comment cannot be empty.")
    submit = SubmitField("Save changes")


class DeleteCommentForm(FlaskForm):
    submit = SubmitField("Delete")


FLAG_REASON_LABELS = {
    "spam": "Spam or advertising",
    "abuse": "Abuse or harassment",
    "hate": "Hate speech",
    "off-topic": "Off-topic",
    "other": "Something else breaks the rules",
}


class FlagForm(FlaskForm):
    reason = SelectField(
        "Why should a moderator look at this?",
        choices=[SelectChoice(r, FLAG_REASON_LABELS[r]) for r in FLAG_REASONS],
        description="Disagreeing is not a reason to flag: reply instead.",
    )
    details = TextAreaField(
        "Details (optional)", validators=[Optional(), Length(max=FLAG_DETAILS_MAX)]
    )
    submit = SubmitField("Flag for moderators")


class EraseForm(FlaskForm):
    confirm = BooleanField(
        "I understand: my comments, forecasts and name are deleted and cannot be restored.",
        validators=[DataRequired("Tick the box to confirm.")],
    )
    submit = SubmitField("Delete all my data")
