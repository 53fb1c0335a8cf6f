"""Editors' pages for questions: create and edit them (form or TOML file), preview and publish
drafts, open or close them, resolve (or correct) their scenarios."""

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm.attributes import set_committed_value

from ...core.question_file import (
    QuestionFileError,
    data_from_spec,
    parse_question,
    spec_from_data,
)
from ...errors import Invalid
from ...extensions import db
from ...models import Question, QuestionStatus, utcnow
from ...services import questions as question_service
from ...services import queues, resolution
from .. import embedding
from ..lookups import question_or_404
from ..newsroom_time import newsroom_zone, question_status, status_once_published
from ..pages.forms import ForecastForm
from ..pages.questions import render_question_page
from ..writes import committed
from .auth import editor_required, page_moderator, require_page_moderator, template_context
from .forms import PublishForm, QuestionStatusForm, ResolveForm
from .question_form import QuestionForm, QuestionUploadForm

bp = Blueprint("moderation_questions", __name__, url_prefix="/moderation/questions")
bp.before_request(require_page_moderator)
bp.context_processor(template_context)


def resolve_form(slug: str, key: str, **kwargs) -> ResolveForm:
    """One scenario's resolve form; the page holds one per scenario, so its field names and ids
    carry the question's slug and the scenario's key."""
    return ResolveForm(prefix=f"{slug}-{key}", **kwargs)


def render_questions(
    forms: dict[tuple[str, str], ResolveForm] | None = None,
    status: int = 200,
    upload_form: QuestionUploadForm | None = None,
    upload_problems: list[str] | None = None,
):
    return (
        render_template(
            "moderation/questions.html",
            questions=question_service.list_questions(drafts=True),
            publish_form=PublishForm(),
            status_once_published=status_once_published,
            forms=forms or {},
            resolve_form=resolve_form,
            status_form=QuestionStatusForm(),
            upload_form=upload_form or QuestionUploadForm(formdata=None),
            upload_problems=upload_problems or [],
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


# ---- creating and editing: the form, or the question's TOML file


def render_editor(form: QuestionForm, question: Question | None, status: int = 200):
    """The question form; for a question readers have forecast on, its keys and baselines are
    shown read-only (the service refuses to change them)."""
    locked_keys = (
        {s.key for s in question.scenarios}
        if question is not None and question_service.has_forecasts(question)
        else set()
    )
    return (
        render_template(
            "moderation/question_form.html",
            form=form,
            question=question,
            locked_keys=locked_keys,
            slug_locked=question is not None and question_service.slug_is_locked(question),
            zone=newsroom_zone().key,
            SCENARIOS_LOCKED=question_service.SCENARIOS_LOCKED,
            SLUG_LOCKED=question_service.SLUG_LOCKED,
            sizes=queues.queue_sizes(),
        ),
        status,
    )


def save_question(form: QuestionForm, question: Question | None):
    """Check the posted form with the file's rules and save it through the service; on any
    problem the form again (422) with every message beside its field, nothing written."""
    if form.row_action(request.form.get("row_action")):
        return render_editor(form, question)
    try:
        spec = spec_from_data(form.to_data())
        saved = committed(
            lambda: question_service.save_from_editor(spec, page_moderator(), question)
        )
    except QuestionFileError as error:
        form.show_problems(error.details)
        return render_editor(form, question, 422)
    except Invalid as error:
        form.show_errors(error.errors)
        return render_editor(form, question, 422)
    flash(f"“{saved.title}” {'saved' if question else 'created'}.", "success")
    return redirect(url_for(".index", _anchor=f"q-{saved.slug}"), code=303)


@bp.route("/new", methods=["GET", "POST"])
@editor_required
def new():
    """A new question from the form."""
    if request.method == "GET":
        return render_editor(QuestionForm.blank(), None)
    return save_question(QuestionForm(), None)


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@editor_required
def edit(slug: str):
    """A question's wording, scenarios, times and settings (audited with what changed)."""
    question = question_or_404(slug)
    if request.method == "GET":
        spec = question_service.spec_of(question)
        return render_editor(QuestionForm.from_data(data_from_spec(spec)), question)
    return save_question(QuestionForm(), question)


@bp.get("/<slug>.toml")
@editor_required
def download(slug: str):
    """The question as its TOML file: to keep, change and upload again, or load with the CLI."""
    question = question_or_404(slug)
    return Response(
        question_service.question_toml(question),
        mimetype="application/toml",
        headers={"Content-Disposition": f'attachment; filename="{question.slug}.toml"'},
    )


@bp.post("/upload")
@editor_required
def upload():
    """Create or update a question from a TOML file: the CLI's loader, audited as an edit."""
    form = QuestionUploadForm()
    if not form.validate_on_submit():
        return render_questions(status=422, upload_form=form)
    try:
        text = form.file.data.read().decode("utf-8")
        spec = parse_question(text)
        existing = question_service.get_by_slug(spec.slug, drafts=True)
        saved = committed(
            lambda: question_service.save_from_editor(spec, page_moderator(), existing)
        )
    except UnicodeDecodeError:
        return render_questions(
            status=422, upload_form=form, upload_problems=["file: not UTF-8 text"]
        )
    except QuestionFileError as error:
        return render_questions(status=422, upload_form=form, upload_problems=error.problems)
    except Invalid as error:
        problems = [f"{name}: {m}" for name, messages in error.errors.items() for m in messages]
        return render_questions(status=422, upload_form=form, upload_problems=problems)
    flash(f"“{saved.title}” {'updated' if existing else 'created'} from the file.", "success")
    return redirect(url_for(".index", _anchor=f"q-{saved.slug}"), code=303)
