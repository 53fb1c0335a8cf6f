"""Public pages: the questions, one question with its forecast form, and the reader's own page."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    get_flashed_messages,
    redirect,
    render_template,
    url_for,
)

from ...core import wording
from ...errors import DomainError
from ...extensions import db
from ...models import CommentStatus, Forecast, Question, Reader
from ...services import comments, forecasts, questions, scores
from ...services.comments import BotSignals, status_for_author
from .. import crowd
from ..identity import current_reader, remember
from ..lookups import question_or_404
from ..newsroom_time import full_local, not_open_message, question_status
from ..submitting import send_comment, send_forecast
from ..writes import committed, late_write_lock
from .forms import ForecastForm, WithdrawForm

bp = Blueprint("pages", __name__)
# One way to write a number for people, on every page: "2,001 readers", "1 point".
bp.add_app_template_filter(wording.number, "number")
bp.add_app_template_filter(wording.count_of, "count_of")
# "Closes in 3 days" on every page that shows a question, worked out from the clock at each read.
bp.add_app_template_global(question_status, "question_status")
bp.add_app_template_filter(full_local, "full_local")

# Messages about what the reader just did are shown in the confirmation box of the question
# page, where the redirect's anchor lands (not at the top of the page, out of view).
CONFIRM = "confirm-"
CONFIRMATION_ANCHOR = "confirmation"
COMMENT_MESSAGES = {
    CommentStatus.APPROVED: ("Your comment is published.", "success"),
    CommentStatus.PENDING: ("Your comment will appear once a moderator has approved it.", "info"),
    CommentStatus.REJECTED: ("Your comment cannot be published here.", "error"),
}


def confirm(message: str, category: str = "success") -> None:
    """Flash a message for the question page's confirmation box."""
    flash(message, CONFIRM + category)


@bp.app_template_global("confirmations")
def confirmations() -> list[tuple[str, str]]:
    """(category, message) of the confirmation box's flashed messages."""
    return [
        (category.removeprefix(CONFIRM), message)
        for category, message in get_flashed_messages(with_categories=True)
        if category.startswith(CONFIRM)
    ]


@bp.app_template_global("page_flashes")
def page_flashes() -> list[tuple[str, str]]:
    """(category, message) of the flashed messages shown at the top of any page."""
    return [
        (category, message)
        for category, message in get_flashed_messages(with_categories=True)
        if not category.startswith(CONFIRM)
    ]


def where_you_stand(question: Question, reader: Reader | None, active: dict[str, Forecast]):
    """Per scenario key the crowd's median and a sentence on where the reader stands, on the
    scenarios whose crowd the reader may see (the API's comparison, in the same words)."""
    if reader is None or not active:
        return {}
    return crowd.comparison(question, active, crowd.others_around(question, reader, active))


@bp.get("/")
def index():
    """The questions, newest first."""
    return render_template("pages/index.html", questions=questions.list_questions())


@bp.route("/q/<slug>", methods=["GET", "POST"])
@late_write_lock
def question(slug: str):
    """The question, the article's scenarios, the reader's forecast form."""
    question = question_or_404(slug)
    reader = current_reader()
    active = forecasts.active_forecasts(reader, question)
    form = ForecastForm.for_question(question)
    if not form.is_submitted():
        # A returning reader sees their own numbers; a new one sees empty inputs (no anchor).
        for scenario, field in form.scenario_fields():
            if field is not None and scenario.key in active:
                field.data = active[scenario.key].percent
        if reader is not None and reader.display_name:
            form.display_name.data = reader.display_name
    elif not question.is_open():
        flash(not_open_message(question), "error")
    elif form.validate() and (saved := save_forecast(question, reader, form)):
        return saved
    return render_question_page(question, reader, form, active, 422 if form.is_submitted() else 200)


def render_question_page(
    question: Question,
    reader: Reader | None,
    form: ForecastForm,
    active: dict[str, Forecast],
    status: int = 200,
    preview: bool = False,
):
    """The question page as this reader sees it (the editors' preview shows it to nobody's
    reader, under its banner)."""
    return (
        render_template(
            "pages/question.html",
            question=question,
            form=form,
            active=active,
            standing=where_you_stand(question, reader, active),
            withdraw_form=WithdrawForm(),
            forecaster_count=questions.forecaster_count(question),
            preview=preview,
        ),
        status,
    )


def save_forecast(question: Question, reader: Reader | None, form: ForecastForm):
    """Store a valid form: the numbers with their reasoning as a comment, or a comment alone;
    None when the comment is refused (its message then shows on the form)."""
    signals = BotSignals(
        honeypot=form.website.data or "",
        fill_seconds=form.fill_seconds(),
        min_fill_seconds=current_app.config["COMMENT_MIN_FILL_SECONDS"],
    )
    probabilities = form.probabilities()
    try:
        if probabilities:
            submitted = send_forecast(
                question, probabilities, form.comment.data, form.display_name.data, signals
            )
        else:
            submitted = send_comment(
                question, form.comment.data, form.display_name.data, signals=signals
            )
    except DomainError as refused:
        if {"comment", "body"} & set(refused.errors):
            form.comment.errors = [*form.comment.errors, refused.message]
        else:
            form.form_errors.append(refused.message)
        return None
    remember(submitted.reader)
    if probabilities:
        confirm("Your forecast is saved.")
    if submitted.comment is not None:
        confirm(*COMMENT_MESSAGES[status_for_author(submitted.comment.status)])
    return redirect(url_for(".question", slug=question.slug, _anchor=CONFIRMATION_ANCHOR), code=303)


@bp.post("/q/<slug>/withdraw")
def withdraw(slug: str):
    """Withdraw the reader's forecast on one scenario, or on all of them."""
    question = question_or_404(slug)
    reader = current_reader()
    form = WithdrawForm()
    if reader is not None and form.validate_on_submit() and question.is_open():
        key = form.scenario.data or None
        if key is not None and question.scenario(key) is None:
            abort(400, "Unknown scenario.")
        if key is None and form.confirm.data != "yes":
            return render_template(
                "pages/confirm.html",
                title="Withdraw all your forecasts?",
                explanation=(
                    f"Your forecasts on “{question.title}” leave the crowd at once. Your history "
                    "stays, and you can forecast again while the question is open."
                ),
                action=url_for(".withdraw", slug=slug),
                fields={},
                yes="Yes, withdraw all my forecasts",
                cancel=url_for(".question", slug=slug, _anchor="your-forecast"),
            )
        closed = committed(lambda: forecasts.withdraw(question, reader, key))
        confirm("Forecast withdrawn." if closed else "You had nothing to withdraw.")
    elif not question.is_open():
        confirm("This question is closed.", "error")
    return redirect(url_for(".question", slug=slug, _anchor=CONFIRMATION_ANCHOR), code=303)


@bp.get("/me")
def me():
    """The reader's forecasts and comments, for every question."""
    reader = current_reader()
    by_question: dict[int, dict] = {}
    for forecast in forecasts.history(reader):
        entry = by_question.setdefault(
            forecast.question_id, {"question": db.session.get(Question, forecast.question_id)}
        )
        entry.setdefault("history", []).append(forecast)
    for entry in by_question.values():
        entry["active"] = forecasts.active_forecasts(reader, entry["question"])
        entry["scores"] = scores.reader_scores(entry["question"], reader)
        entry["verdict"] = scores.reader_verdict(entry["question"], entry["scores"])
        entry["standing"] = where_you_stand(entry["question"], reader, entry["active"])
    return render_template(
        "pages/me.html",
        reader=reader,
        entries=list(by_question.values()),
        comments=comments.comments_by(reader),
    )
