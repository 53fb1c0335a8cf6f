"""Public pages: the questions, one question with its forecast form, and the reader's own page."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for

from ...errors import DomainError
from ...extensions import db
from ...models import CommentStatus, Question, Reader
from ...services import comments, forecasts, questions, scores
from ...services.comments import BotSignals
from ..identity import current_reader, remember
from ..lookups import question_or_404
from ..submitting import send_forecast
from ..writes import committed, late_write_lock
from .forms import ForecastForm, WithdrawForm

bp = Blueprint("pages", __name__)


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
        flash("This question is closed to new forecasts.", "error")
    elif form.validate() and (saved := save_forecast(question, reader, form)):
        return saved
    status = 422 if form.is_submitted() else 200
    return (
        render_template(
            "pages/question.html",
            question=question,
            form=form,
            active=active,
            withdraw_form=WithdrawForm(),
            forecaster_count=questions.forecaster_count(question),
        ),
        status,
    )


def save_forecast(question: Question, reader: Reader | None, form: ForecastForm):
    """Store a valid form (its comment through the pipeline); None when the comment is refused."""
    signals = BotSignals(
        honeypot=form.website.data or "",
        fill_seconds=form.fill_seconds(),
        min_fill_seconds=current_app.config["COMMENT_MIN_FILL_SECONDS"],
    )
    try:
        submitted = send_forecast(
            question, form.probabilities(), form.comment.data, form.display_name.data, signals
        )
    except DomainError as refused:
        if "comment" in refused.errors:
            form.comment.errors = [*form.comment.errors, refused.message]
        else:
            flash(refused.message, "error")
        return None
    remember(submitted.reader)
    flash("Your forecast is saved.", "success")
    if submitted.comment is not None and submitted.comment.status == CommentStatus.APPROVED:
        flash("Your comment is published.", "success")
    elif submitted.comment is not None:
        flash("Your comment will appear once a moderator has approved it.", "info")
    return redirect(url_for(".question", slug=question.slug, _anchor="your-forecast"), code=303)


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
        closed = committed(lambda: forecasts.withdraw(question, reader, key))
        flash("Forecast withdrawn." if closed else "You had nothing to withdraw.", "success")
    elif not question.is_open():
        flash("This question is closed.", "error")
    return redirect(url_for(".question", slug=slug, _anchor="your-forecast"), code=303)


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
    return render_template(
        "pages/me.html",
        reader=reader,
        entries=list(by_question.values()),
        comments=comments.comments_by(reader),
    )
