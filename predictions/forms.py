"""Flask-WTF forms for the pages; the value rules come from validation.py."""

from flask import request
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional, ValidationError

from .models import Question
from .validation import COMMENT_MAX, DISPLAY_NAME_MAX, PERCENT_MAX, PERCENT_MIN, percent_problem


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


class ForecastForm(FlaskForm):
    comment = TextAreaField(
        "Your reasoning (optional)",
        validators=[Optional(), Length(max=COMMENT_MAX)],
        description=f"Up to {COMMENT_MAX:,} characters. Comments appear after moderation.",
    )
    display_name = StringField(
        "Display name (optional)",
        validators=[Optional(), Length(max=DISPLAY_NAME_MAX)],
        description="Shown with your comment. Leave empty to stay anonymous.",
    )
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
        if valid and not self.probabilities():
            self.form_errors.append("Give a probability for at least one scenario.")
            return False
        return valid


class WithdrawForm(FlaskForm):
    scenario = HiddenField()
    submit = SubmitField("Withdraw")
