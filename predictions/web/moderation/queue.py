"""Moderation pages: login, the queues, decisions on one comment or many."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import login_user, logout_user

from ...core import moderator_decisions as decisions
from ...errors import Conflict, Invalid
from ...models import Comment, CommentStatus
from ...services import moderation, moderators, queues
from .. import limits
from ..lookups import comment_or_404
from ..writes import committed
from .auth import page_moderator, require_page_moderator, safe_next, template_context
from .forms import BulkForm, DecisionForm, LoginForm, LogoutForm, show_errors

bp = Blueprint("moderation", __name__, url_prefix="/moderation")
bp.before_request(require_page_moderator)
bp.context_processor(template_context)
HANDLED_ELSEWHERE = "This comment was already handled by someone else."


def per_page() -> int:
    return current_app.config.get("MODERATION_PAGE_SIZE", 20)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The moderators' login form."""
    if request.method == "POST":
        limits.spend_login()
    form = LoginForm()
    if request.method == "GET":
        if page_moderator() is not None:
            return redirect(url_for(".queue", name=CommentStatus.PENDING))
        form.next.data = safe_next(request.args.get("next"))
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        # A write: a password hash upgraded to current parameters is kept.
        moderator = committed(lambda: moderators.authenticate(form.name.data, form.password.data))
        if moderator is not None:
            target = safe_next(form.next.data) or url_for(".queue", name=CommentStatus.PENDING)
            # A fresh session: nothing set before the login (reader id, CSRF secret) survives.
            session.clear()
            g.pop("csrf_token", None)
            login_user(moderator, remember=False)
            session.permanent = False
            return redirect(target, code=303)
        form.form_errors.append("The name or the password is wrong.")
        status = 401
    return render_template("moderation/login.html", form=form), status


@bp.post("/logout")
def logout():
    """End the moderator's sessions (in this browser and every other)."""
    if LogoutForm().validate_on_submit():
        # Every session of the account ends, so a copy of this cookie opens nothing either.
        committed(lambda: moderators.end_sessions(page_moderator()))
        logout_user()
        session.clear()
        flash("You are logged out.", "success")
        return redirect(url_for(".login"), code=303)
    abort(400, "The logout form has expired; reload the page and try again.")


@bp.get("/")
def index():
    """The moderators' start page: the pending queue."""
    return redirect(url_for(".queue", name=CommentStatus.PENDING))


def page_number() -> int:
    return max(request.args.get("page", 1, type=int), 1)


@bp.get("/queue/<name>")
def queue(name: str):
    """One queue, oldest first, a page of cards with their actions."""
    if name not in decisions.QUEUES:
        abort(404, f"There is no {name!r} queue.")
    page = queues.queue(name, page_number(), per_page())
    bulk_form = BulkForm(queue=name)
    # Offer only the bulk decisions that can apply to this queue.
    bulk_form.action.choices = [
        choice
        for choice in bulk_form.action.choices
        if decisions.plan_decision(choice.value, name, "other", "-")[0] is not None
    ]
    return render_template(
        "moderation/queue.html",
        name=name,
        page=page,
        cards=queues.cards(page.items),
        sizes=queues.queue_sizes(),
        bulk_form=bulk_form,
        current_queue=name,
        page_number=page.page,
    )


def render_comment_page(comment: Comment, status: int = 200, form: DecisionForm | None = None):
    (card,) = queues.cards([comment])
    return (
        render_template(
            "moderation/comment.html", card=card, form=form, sizes=queues.queue_sizes()
        ),
        status,
    )


@bp.get("/comments/<int:comment_id>")
def comment(comment_id: int):
    """One comment's card, whatever its status."""
    return render_comment_page(comment_or_404(comment_id))


def back_to_queue(queue_name: str | None, page: str | None) -> str:
    name = queue_name if queue_name in decisions.QUEUES else CommentStatus.PENDING
    number = int(page) if page and page.isdigit() and int(page) > 1 else None
    return url_for(".queue", name=name, page=number)


@bp.post("/comments/<int:comment_id>/decision")
def decide(comment_id: int):
    """Approve, reject or mark as spam one comment (a guarded update)."""
    comment = comment_or_404(comment_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        return render_comment_page(comment, 422, form)
    try:
        committed(
            lambda: moderation.decide(
                comment,
                form.action.data,
                page_moderator(),
                form.expected_status.data,
                reason=form.reason.data or None,
                note=form.note.data,
            )
        )
    except Invalid as error:
        show_errors(form, error.errors)
        return render_comment_page(comment, 422, form)
    except Conflict:
        flash(HANDLED_ELSEWHERE, "error")
        return render_comment_page(comment_or_404(comment_id), 409)
    past = {"approve": "approved", "reject": "rejected", "spam": "rejected as spam"}
    flash(f"Comment {comment_id} {past[form.action.data]}.", "success")
    return redirect(back_to_queue(form.queue.data, form.page.data), code=303)


@bp.post("/bulk")
def bulk():
    """Approve or reject the ticked comments, after a confirmation step."""
    form = BulkForm()
    back = back_to_queue(form.queue.data, None)
    if not form.validate_on_submit():
        flash("Choose comments and a decision.", "error")
        return redirect(back, code=303)
    ids = form.ids.data or []
    reason = form.reason.data or None
    expected = form.queue.data
    _plan, errors = decisions.plan_decision(form.action.data, expected, reason, form.note.data)
    if not ids:
        errors = {"ids": ["Select at least one comment."], **errors}
    if errors:
        for messages in errors.values():
            for message in messages:
                flash(message, "error")
        return redirect(back, code=303)
    if form.confirm.data != "yes":
        return render_template(
            "moderation/bulk_confirm.html",
            form=form,
            cards=queues.cards(queues.by_ids(ids)),
            sizes=queues.queue_sizes(),
        )
    try:
        result = committed(
            lambda: moderation.bulk_decide(
                ids, form.action.data, page_moderator(), expected, reason, form.note.data
            )
        )
    except Invalid as error:
        for messages in error.errors.values():
            for message in messages:
                flash(message, "error")
        return redirect(back, code=303)
    verb = "approved" if form.action.data == decisions.APPROVE else "rejected"
    flash(f"{len(result.done)} comments {verb}.", "success")
    if result.conflicts:
        listed = ", ".join(str(i) for i in result.conflicts)
        flash(f"Already handled by someone else, left as they were: {listed}.", "error")
    return redirect(back, code=303)
