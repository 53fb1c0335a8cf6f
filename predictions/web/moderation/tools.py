"""Moderation pages around the queues: readers (ban, premod), word lists, audit log, accounts."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_user

from ...core import moderator_decisions as decisions
from ...errors import Conflict, Invalid
from ...extensions import db
from ...models import Moderator
from ...services import audit, moderation, moderators, queues
from ..lookups import reader_or_404
from ..writes import committed
from .auth import admin_required, page_moderator, require_page_moderator, template_context
from .forms import (
    AuditFilterForm,
    BanForm,
    ModeratorCreateForm,
    ModeratorDisableForm,
    ModeratorPasswordForm,
    ModeratorRoleForm,
    PremodForm,
    UnbanForm,
    WordForm,
    WordRemoveForm,
    show_errors,
)

bp = Blueprint("moderation_tools", __name__, url_prefix="/moderation")
bp.before_request(require_page_moderator)
bp.context_processor(template_context)


def flash_all(errors: dict[str, list[str]]) -> None:
    for messages in errors.values():
        for message in messages:
            flash(message, "error")


@bp.get("/readers/<reader_id>")
def reader(reader_id: str):
    """A reader's standing, their comments, and the ban and premoderation switches."""
    subject = reader_or_404(reader_id)
    return render_template(
        "moderation/reader.html",
        subject=subject,
        cards=queues.cards(queues.comments_of(subject)),
        ban_form=BanForm(),
        unban_form=UnbanForm(),
        premod_form=PremodForm(on="0" if subject.premod else "1"),
        sizes=queues.queue_sizes(),
    )


@bp.post("/readers/<reader_id>/ban")
def ban(reader_id: str):
    """Ban a reader; their forecasts leave the aggregates."""
    subject = reader_or_404(reader_id)
    form = BanForm()
    if not form.validate_on_submit():
        flash_all(form.errors)
        return redirect(url_for(".reader", reader_id=reader_id), code=303)
    try:
        rejected = committed(
            lambda: moderation.ban(
                subject,
                page_moderator(),
                form.reason.data,
                note=form.note.data,
                reject_comments=form.reject_comments.data,
            )
        )
    except Invalid as error:
        flash_all(error.errors)
    except Conflict as error:
        flash(str(error), "error")
    else:
        flash(f"Reader banned; {len(rejected)} comments rejected.", "success")
    return redirect(url_for(".reader", reader_id=reader_id), code=303)


@bp.post("/readers/<reader_id>/unban")
def unban(reader_id: str):
    """Lift a reader's ban; their standing forecasts count again."""
    subject = reader_or_404(reader_id)
    form = UnbanForm()
    if form.validate_on_submit():
        try:
            committed(lambda: moderation.unban(subject, page_moderator(), note=form.note.data))
        except Conflict as error:
            flash(str(error), "error")
        else:
            flash("The ban is lifted.", "success")
    return redirect(url_for(".reader", reader_id=reader_id), code=303)


@bp.post("/readers/<reader_id>/premod")
def premod(reader_id: str):
    """Hold all of a reader's comments for review, or stop doing so."""
    subject = reader_or_404(reader_id)
    form = PremodForm()
    if form.validate_on_submit() and form.on.data in ("0", "1"):
        on = form.on.data == "1"
        committed(lambda: moderation.set_premod(subject, on, page_moderator()))
        flash("Premoderation on." if on else "Premoderation off.", "success")
    return redirect(url_for(".reader", reader_id=reader_id), code=303)


@bp.route("/words", methods=["GET", "POST"])
def words():
    """The banned and suspect word lists."""
    form = WordForm()
    status = 200
    if form.validate_on_submit():
        try:
            entry = committed(
                lambda: moderation.add_word(form.kind.data, form.phrase.data, page_moderator())
            )
        except Invalid as error:
            show_errors(form, error.errors)
        else:
            flash(f"Added to the {entry.kind} list.", "success")
            return redirect(url_for(".words"), code=303)
    if form.is_submitted():
        status = 422
    return (
        render_template(
            "moderation/words.html",
            form=form,
            remove_form=WordRemoveForm(),
            lists=moderation.word_lists(),
            sizes=queues.queue_sizes(),
        ),
        status,
    )


@bp.post("/words/<int:entry_id>/remove")
def remove_word(entry_id: int):
    """Take an entry off its list."""
    if WordRemoveForm().validate_on_submit():
        try:
            entry = committed(lambda: moderation.remove_word(entry_id, page_moderator()))
        except Conflict as error:
            flash(str(error), "error")
        else:
            flash(f"Removed from the {entry.kind} list.", "success")
    return redirect(url_for(".words"), code=303)


@bp.get("/audit")
def audit_log():
    """Every decision and change, newest first, filtered by action or moderator."""
    form = AuditFilterForm(request.args)
    everyone = moderators.list_moderators()
    form.validate()  # a filter that breaks its rule is left out, not an error
    action = form.action.data if form.action.data in decisions.AUDIT_ACTIONS else None
    moderator_id = None if form.moderator.errors else form.moderator.data
    page = audit.entries(
        max(form.page.data or 1, 1),
        current_app.config.get("MODERATION_PAGE_SIZE", 20) * 2,
        action=action,
        moderator_id=moderator_id,
    )
    filters = {"action": action, "moderator": moderator_id}
    return render_template(
        "moderation/audit.html",
        form=form,
        page=page,
        everyone=everyone,
        filters={k: v for k, v in filters.items() if v},
        sizes=queues.queue_sizes(),
    )


def password_form(**kwargs) -> ModeratorPasswordForm:
    # Prefixed: the page also holds the new-account form, with fields of the same names.
    form = ModeratorPasswordForm(prefix="pw", **kwargs)
    form.moderator.choices = [(m.id, m.name) for m in moderators.list_moderators()]
    return form


def role_form(moderator: Moderator, **kwargs) -> ModeratorRoleForm:
    """One account's role form; the page holds one per account, so its names carry the id."""
    return ModeratorRoleForm(prefix=f"role-{moderator.id}", **kwargs)


def render_accounts(
    form: ModeratorCreateForm | None = None,
    new_password: ModeratorPasswordForm | None = None,
    status: int = 200,
):
    return (
        render_template(
            "moderation/moderators.html",
            form=form or ModeratorCreateForm(formdata=None),
            password_form=new_password or password_form(formdata=None),
            disable_form=ModeratorDisableForm(),
            role_form=role_form,
            everyone=moderators.list_moderators(),
            sizes=queues.queue_sizes(),
        ),
        status,
    )


@bp.route("/moderators", methods=["GET", "POST"])
@admin_required
def accounts():
    """Admins create, disable and set the passwords of moderator accounts."""
    form = ModeratorCreateForm()
    if form.validate_on_submit():
        try:
            created = committed(
                lambda: moderators.create_moderator(
                    form.name.data, form.password.data, form.role.data, by=page_moderator()
                )
            )
        except Invalid as error:
            show_errors(form, error.errors)
        else:
            flash(f"Moderator {created.name} created.", "success")
            return redirect(url_for(".accounts"), code=303)
    return render_accounts(form=form, status=422 if form.is_submitted() else 200)


@bp.post("/moderators/password")
@admin_required
def change_password():
    """Set an account's password; every session of that account ends (the admin's own stays)."""
    form = password_form()
    if form.validate_on_submit():
        subject = db.get_or_404(Moderator, form.moderator.data, description="No such moderator.")
        me = page_moderator()
        try:
            committed(lambda: moderators.change_password(subject, form.password.data, by=me))
        except Invalid as error:
            show_errors(form, error.errors)
        else:
            if subject.id == me.id:
                login_user(subject)  # this browser carries the new session token
            flash(f"{subject.name}'s password is set; their other sessions ended.", "success")
            return redirect(url_for(".accounts"), code=303)
    return render_accounts(new_password=form, status=422)


def another_moderator_or_404(moderator_id: int, refusal: str) -> Moderator:
    """The account an admin acts on: 404 if there is none, 422 (refusal) if it is their own."""
    subject = db.get_or_404(Moderator, moderator_id, description="There is no such moderator.")
    if subject.id == page_moderator().id:
        abort(422, refusal)
    return subject


@bp.post("/moderators/<int:moderator_id>/disable")
@admin_required
def disable(moderator_id: int):
    """Disable a moderator account (never your own)."""
    subject = another_moderator_or_404(moderator_id, "You cannot disable your own account.")
    if ModeratorDisableForm().validate_on_submit():
        changed = committed(lambda: moderators.disable(subject, by=page_moderator()))
        flash(f"{subject.name} {'disabled' if changed else 'was already disabled'}.", "success")
    return redirect(url_for(".accounts"), code=303)


@bp.post("/moderators/<int:moderator_id>/role")
@admin_required
def set_role(moderator_id: int):
    """Give an account another role (audited; never your own, so an admin always remains)."""
    subject = another_moderator_or_404(moderator_id, "You cannot change your own role.")
    form = role_form(subject)
    if form.validate_on_submit():
        me = page_moderator()
        changed = committed(lambda: moderators.set_role(subject, form.role.data, by=me))
        flash(f"{subject.name} {'is now' if changed else 'already was'} {subject.role}.", "success")
    else:
        flash_all(form.errors)
    return redirect(url_for(".accounts"), code=303)
