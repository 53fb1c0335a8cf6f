"""Editors' pages for questions: preview and publish drafts, open or close them, resolve (or
correct) their scenarios."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from sqlalchemy.orm.attributes import set_committed_value

from ...extensions import db
from ...models import QuestionStatus, utcnow
from ...services import questions as question_service
from ...services import queues, resolution
from .. import embedding
from ..lookups import question_or_404
from ..newsroom_time import question_status, status_once_published
from ..pages.forms import ForecastForm
from ..pages.questions import render_question_page
from ..writes import committed
from .auth import editor_required, page_moderator, require_page_moderator, template_context
from .forms import PublishForm, QuestionStatusForm, ResolveForm

bp = Blueprint("moderation_questions", __name__, url_prefix="/moderation/questions")
bp.before_request(require_page_moderator)
bp.context_processor(template_context)


def resolve_form(slug: str, key: str, **kwargs) -> ResolveForm:
    """One scenario's resolve form; the page holds one per scenario, so its field names and ids
    carry the question's slug and the scenario's key."""
    return ResolveForm(prefix=f"{slug}-{key}", **kwargs)


def render_questions(forms: dict[tuple[str, str], ResolveForm] | None = None, status: int = 200):
    return (
        render_template(
            "moderation/questions.html",
            questions=question_service.list_questions(drafts=True),
            publish_form=PublishForm(),
            status_once_published=status_once_published,
            forms=forms or {},
            resolve_form=resolve_form,
            status_form=QuestionStatusForm(),
            sizes=queues.queue_sizes(),
            embed_snippet=lambda question: str(embedding.snippet(question)),  # shown as text
        ),
        status,
    )


@bp.get("")
@editor_required
def index():
    """Every question with its scenarios, their outcomes and the forms to resolve them."""
    return render_questions()


@bp.post("/<slug>/scenarios/<key>/resolve")
@editor_required
def resolve(slug: str, key: str):
    """Resolve a scenario yes, no or annulled, or correct an earlier resolution (audited)."""
    question = question_or_404(slug)
    scenario = question.scenario(key)
    if scenario is None:
        abort(404, f"{slug} has no scenario {key!r}.")
    form = resolve_form(slug, key)
    if not form.validate_on_submit():
        return render_questions({(slug, key): form}, status=422)
    previous = scenario.outcome
    changed = committed(
        lambda: resolution.resolve(scenario, form.outcome.data, page_moderator(), form.note.data)
    )
    if changed is None:
        flash(f"“{scenario.label}” was already resolved {previous}.", "info")
    elif previous is None:
        flash(f"“{scenario.label}” resolved {scenario.outcome}.", "success")
    else:
        flash(f"“{scenario.label}” corrected: {scenario.outcome} (was {previous}).", "success")
    return redirect(url_for(".index", _anchor=f"q-{slug}"), code=303)


@bp.post("/<slug>/status")
@editor_required
def toggle_status(slug: str):
    """Close an open question, or open a closed one (audited)."""
    question = question_or_404(slug)
    form = QuestionStatusForm()
    valid = form.validate_on_submit()
    if valid and question.status == QuestionStatus.OPEN and form.confirm.data != "yes":
        return render_template(
            "moderation/confirm.html",
            title=f"Close “{question.title}”?",
            explanation=(
                "Readers can no longer forecast or comment, and the crowd is shown to everyone. "
                "You can open it again later."
            ),
            action=url_for(".toggle_status", slug=slug),
            fields={},
            yes="Yes, close it",
            cancel=url_for(".index", _anchor=f"q-{slug}"),
            sizes=queues.queue_sizes(),
        )
    if valid:
        after = committed(lambda: question_service.toggle_status(question, page_moderator()))
        flash(f"{question.title}: {after}.", "success")
    return redirect(url_for(".index", _anchor=f"q-{slug}"), code=303)


@bp.get("/<slug>/preview")
@editor_required
def preview(slug: str):
    """A draft's public page exactly as readers will see it once published now, under a banner."""
    question = question_or_404(slug)
    if question.published_at is not None:
        return redirect(url_for("pages.question", slug=slug), code=303)
    # Published in memory only: a committed value is no change, so no flush can write it, and
    # the attribute is read again from the database afterwards.
    set_committed_value(question, "published_at", utcnow())
    try:
        return render_question_page(
            question, None, ForecastForm.for_question(question), {}, preview=True
        )
    finally:
        db.session.expire(question, ["published_at"])


@bp.post("/<slug>/publish")
@editor_required
def publish(slug: str):
    """Publish a draft (audited): it opens now, or at its opening time."""
    question = question_or_404(slug)
    if not PublishForm().validate_on_submit():
        abort(400, "The form expired: publish again from the questions page.")
    published = committed(lambda: question_service.publish(question, page_moderator()))
    if not published:
        flash(f"“{question.title}” was already published.", "info")
    else:
        flash(f"“{question.title}” is published: {question_status(question).sentence}.", "success")
    return redirect(url_for(".index", _anchor=f"q-{slug}"), code=303)
