"""Flask-WTF forms of the moderation pages; the rules come from decisions.py and the services."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from ...core import moderator_decisions as decisions
from ...core.roles import DESCRIPTIONS, Role
from ...services.moderation import PHRASE_MAX, WORD_KINDS
from ...services.moderators import NAME_MAX, PASSWORD_MAX, PASSWORD_MIN
from ..converters import MAX_DATABASE_ID

PASSWORD_HINT = f"At least {PASSWORD_MIN} characters, and not easy to guess."
REASON_CHOICES = [SelectChoice("", "Choose a reason…")] + [
    SelectChoice(code, f"{code} — {text}") for code, text in decisions.DECISION_REASONS.items()
]


class LoginForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=NAME_MAX)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=PASSWORD_MAX)])
    next = HiddenField()
    submit = SubmitField("Log in")


class LogoutForm(FlaskForm):
    submit = SubmitField("Log out")


class DecisionForm(FlaskForm):
    """Approve, reject or mark as spam one comment the moderator saw in `expected_status`."""

    action = SelectField("Decision", choices=[SelectChoice(a) for a in decisions.ACTIONS])
    reason = SelectField("Reason", choices=REASON_CHOICES, validators=[Optional()])
    note = TextAreaField("Note (optional)", validators=[Length(max=decisions.NOTE_MAX)])
    expected_status = HiddenField(validators=[InputRequired()])
    queue = HiddenField()
    page = HiddenField()


class BulkForm(FlaskForm):
    """One decision on the comments ticked in a queue; applied only once `confirm` is sent."""

    ids = SelectMultipleField("Comments", coerce=int, validate_choice=False)
    action = SelectField(
        "With the selected comments",
        choices=[
            SelectChoice(decisions.APPROVE, "Approve"),
            SelectChoice(decisions.REJECT, "Reject"),
        ],
    )
    reason = SelectField("Reason", choices=REASON_CHOICES, validators=[Optional()])
    note = TextAreaField("Note (optional)", validators=[Length(max=decisions.NOTE_MAX)])
    queue = HiddenField(validators=[InputRequired()])
    confirm = HiddenField()


class BanForm(FlaskForm):
    reason = SelectField("Reason", choices=REASON_CHOICES, validators=[DataRequired()])
    note = TextAreaField("Note (optional)", validators=[Length(max=decisions.NOTE_MAX)])
    reject_comments = BooleanField("Also reject their pending, withheld and published comments")
    submit = SubmitField("Ban this reader")


class UnbanForm(FlaskForm):
    note = TextAreaField("Note (optional)", validators=[Length(max=decisions.NOTE_MAX)])
    submit = SubmitField("Lift the ban")


class PremodForm(FlaskForm):
    on = HiddenField()
    submit = SubmitField("Switch")


class WordForm(FlaskForm):
    kind = SelectField("List", choices=[SelectChoice(k, k.capitalize()) for k in WORD_KINDS])
    phrase = StringField(
        "Word or phrase",
        validators=[DataRequired(), Length(max=PHRASE_MAX)],
        description="Matched regardless of case, accents and punctuation.",
    )
    submit = SubmitField("Add")


class WordRemoveForm(FlaskForm):
    submit = SubmitField("Remove")


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter changes nothing

    action = SelectField(
        "Action",
        choices=[SelectChoice("", "Any")] + [SelectChoice(a) for a in decisions.AUDIT_ACTIONS],
    )
    moderator = IntegerField(
        "Moderator", validators=[Optional(), NumberRange(min=1, max=MAX_DATABASE_ID)]
    )
    page = IntegerField(validators=[Optional()])


ROLE_CHOICES = [SelectChoice(role.value, f"{role} ({DESCRIPTIONS[role]})") for role in Role]


class ModeratorCreateForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=NAME_MAX)])
    password = PasswordField(
        "Password",
        validators=[DataRequired()],  # the length and strength rules are the service's
        description=PASSWORD_HINT,
    )
    confirm = PasswordField(
        "Password again", validators=[EqualTo("password", message="The passwords differ.")]
    )
    role = SelectField("Role", choices=ROLE_CHOICES, default=Role.MODERATOR.value)
    submit = SubmitField("Create")


class ModeratorRoleForm(FlaskForm):
    """Another role for one account (the page holds one per account, prefixed by its id)."""

    # Bare names: a row of the accounts table has to fit a phone's width.
    role = SelectField("Role", choices=[SelectChoice(role.value) for role in Role])
    submit = SubmitField("Set the role")


class ModeratorDisableForm(FlaskForm):
    submit = SubmitField("Disable")


class ModeratorPasswordForm(FlaskForm):
    """A new password for one account (the choices are the accounts, set by the view)."""

    moderator = SelectField("Account", coerce=int)
    password = PasswordField(
        "New password", validators=[DataRequired()], description=PASSWORD_HINT
    )
    confirm = PasswordField(
        "New password again", validators=[EqualTo("password", message="The passwords differ.")]
    )
    submit = SubmitField("Set the password")


def show_errors(form: FlaskForm, errors: dict[str, list[str]]) -> None:
    """Put a service's per-field messages on the form's fields (or on the form as a whole)."""
    for name, messages in errors.items():
        if name in form._fields:
            form[name].errors = [*form[name].errors, *messages]
        else:
            form.form_errors.extend(messages)


class ResolveForm(FlaskForm):
    outcome = SelectField(
        "Outcome",
        choices=[
            SelectChoice("", "Choose…"),
            SelectChoice("yes", "yes — it happened"),
            SelectChoice("no", "no — it did not"),
            SelectChoice("annulled", "annulled — nobody is scored"),
        ],
        validators=[InputRequired()],
    )
    note = TextAreaField(
        "Note (shown with the scores)",
        validators=[DataRequired(message="Say what decided it."), Length(max=1000)],
    )
    submit = SubmitField("Resolve")


class QuestionStatusForm(FlaskForm):
    # "yes" once the admin has confirmed closing (the confirmation page or dialog).
    confirm = HiddenField()
    submit = SubmitField("Change")


class PublishForm(FlaskForm):
    """Publish a draft: it opens now, or at its opening time."""

    submit = SubmitField("Publish")
