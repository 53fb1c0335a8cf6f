"""Comments on the question page: post, reply, edit, delete and flag (forms with CSRF).

Every form posts here and redirects back to /q/<slug>#comments; a form with a mistake is shown
again on its own page (422) with what the reader typed. The question page includes
`comments/_section.html`, which reads its data from `comment_section(question)`.
"""

from dataclasses import dataclass

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm

from ...core.rendering import render_comment
from ...errors import Conflict, Invalid
from ...extensions import db
from ...models import Comment, CommentStatus, Question
from ...services import comments, readers
from ...services.comments import BotSignals, status_for_author
from ...services.visibility import CrowdVisibility
from .. import crowd, limits
from ..identity import current_reader, remember
from ..lookups import comment_or_404, question_or_404
from ..submitting import send_comment, send_flag
from ..writes import committed
from .forms import CommentForm, DeleteCommentForm, EditCommentForm, FlagForm

bp = Blueprint("comments", __name__)

AUTHOR_LABELS = {
    CommentStatus.PENDING: "awaiting review",
    CommentStatus.APPROVED: "published",
    CommentStatus.REJECTED: "not published",
    CommentStatus.DELETED: "deleted",
}
POSTED_MESSAGES = {
    CommentStatus.APPROVED: ("Your comment is published.", "success"),
    CommentStatus.PENDING: ("Your comment will appear once a moderator has approved it.", "info"),
    CommentStatus.REJECTED: ("Your comment cannot be published here.", "error"),
}


def back_to(question_id: int, anchor: str = "comments"):
    question = db.session.get(Question, question_id)
    return redirect(url_for("pages.question", slug=question.slug, _anchor=anchor), code=303)


def retry(form: FlaskForm, action: str, question: Question, title: str, refused=None):
    """The form again, with its messages and the reader's text, on a page of its own."""
    if refused is not None:
        field = getattr(form, "body", None) if "body" in refused.errors else None
        if field is not None:
            field.errors = [*field.errors, refused.message]
        else:
            form.form_errors.append(refused.message)
    page = render_template(
        "comments/retry.html", form=form, action=action, question=question, title=title
    )
    return page, 422


def signals(form: CommentForm) -> BotSignals:
    return BotSignals(
        honeypot=form.website.data or "",
        fill_seconds=form.fill_seconds(),
        min_fill_seconds=current_app.config["COMMENT_MIN_FILL_SECONDS"],
    )


def section_forms(comment: Comment) -> dict[str, FlaskForm]:
    """The forms under one comment, each with its own prefix so ids never clash."""
    edit = EditCommentForm(prefix=f"e{comment.id}", formdata=None, data={"body": comment.body})
    return {
        "reply": CommentForm(prefix=f"r{comment.id}", formdata=None),
        "edit": edit,
        "delete": DeleteCommentForm(prefix=f"d{comment.id}", formdata=None),
        "flag": FlagForm(prefix=f"f{comment.id}", formdata=None),
    }


def comment_section(question: Question) -> dict:
    """Everything the question page's comment section shows, for the current reader."""
    reader = current_reader()
    sort = request.args.get("sort", "newest")
    sort = sort if sort in comments.SORTS else "newest"
    page = request.args.get("page", 1, type=int)
    page = page if page and page >= 1 else 1
    visibility = crowd.visibility(question)
    labels = {s.key: s.label for s in question.scenarios}
    window = current_app.config["COMMENT_EDIT_WINDOW"]
    return {
        "page": comments.public_page(question, page, sort, current_app.config["COMMENT_PAGE_SIZE"]),
        "sort": sort,
        "reader": reader,
        "awaiting": comments.awaiting_review(question, reader),
        "snapshot_for": lambda c: snapshot_view(c, visibility, labels),
        "forms_for": section_forms,
        "can_change": lambda c: comments.can_change(c, reader, window),
        "is_open": question.is_open(),
    }


@dataclass(frozen=True)
class SnapshotView:
    """A comment's forecast when posting, as the viewer may see it."""

    shown: list[tuple[str, int]]  # (scenario label, percent) in the question's order
    withheld: list[str]  # labels of scenarios whose crowd, and so this number, is hidden


def snapshot_view(
    comment: Comment, visibility: CrowdVisibility, labels: dict[str, str]
) -> SnapshotView | None:
    """The numbers of a comment's snapshot on the scenarios whose crowd the viewer may see;
    None when there is nothing to show (no snapshot, or no scenario's crowd shown to them)."""
    shown, withheld = crowd.snapshot(comment.forecast_snapshot or {}, visibility)
    if shown is None or not (shown or withheld):
        return None
    return SnapshotView(
        shown=[(labels[k], shown[k]) for k in labels if k in shown],
        withheld=[labels[k] for k in withheld],
    )


def author_status(status: str) -> str:
    """A comment's status in the words its author sees (never "withheld")."""
    return AUTHOR_LABELS[status_for_author(status)]


@bp.app_context_processor
def comment_helpers() -> dict:
    return {"comment_section": comment_section, "render_comment": render_comment}


bp.add_app_template_filter(author_status, "author_status")


def post(question: Question, form: CommentForm, parent_id: int | None, action: str, title: str):
    """Store a comment or reply from a page form, or show the form again."""
    if not form.validate():
        return retry(form, action, question, title)
    try:
        posted = send_comment(
            question, form.body.data, form.display_name.data, parent_id, signals(form)
        )
    except Conflict as refused:
        flash(refused.message, "error")
        return back_to(question.id)
    except Invalid as refused:
        return retry(form, action, question, title, refused)
    remember(posted.reader)
    comment = posted.comment
    message, category = POSTED_MESSAGES[status_for_author(comment.status)]
    flash(message, category)
    anchor = f"comment-{comment.id}" if comment.status == CommentStatus.APPROVED else "comments"
    return back_to(question.id, anchor)


@bp.post("/q/<slug>/comments")
def create(slug: str):
    """Post a comment without changing one's forecast."""
    question = question_or_404(slug)
    form = CommentForm(prefix="c")
    action = url_for(".create", slug=slug)
    return post(question, form, None, action, "Your comment")


@bp.post("/q/<slug>/comments/<int:parent_id>/replies")
def reply(slug: str, parent_id: int):
    """Reply to a published comment (one level deep)."""
    question = question_or_404(slug)
    form = CommentForm(prefix=f"r{parent_id}")
    action = url_for(".reply", slug=slug, parent_id=parent_id)
    return post(question, form, parent_id, action, "Your reply")


@bp.post("/comments/<int:comment_id>/edit")
def edit(comment_id: int):
    """Change one's own comment within the edit window."""
    comment = comment_or_404(comment_id, hide_deleted=True)
    question = db.session.get(Question, comment.question_id)
    reader = current_reader()  # the service refuses anyone but the author
    window = current_app.config["COMMENT_EDIT_WINDOW"]
    form = EditCommentForm(prefix=f"e{comment_id}")
    action = url_for(".edit", comment_id=comment_id)
    if not form.validate():
        return retry(form, action, question, "Edit your comment")
    try:
        comments.check_edit(comment, reader, form.body.data, window)
        limits.spend(["edit"], readers.visitor(reader))
        committed(lambda: comments.edit_comment(comment, reader, form.body.data, window))
    except Invalid as refused:
        return retry(form, action, question, "Edit your comment", refused)
    if comment.status == CommentStatus.APPROVED:
        flash("Your comment is changed.", "success")
    else:
        message, category = POSTED_MESSAGES[status_for_author(comment.status)]
        flash(f"Your comment is changed. {message}", category)
    return back_to(question.id)


@bp.post("/comments/<int:comment_id>/delete")
def delete(comment_id: int):
    """Delete one's own comment within the edit window."""
    comment = comment_or_404(comment_id, hide_deleted=True)
    reader = current_reader()  # the service refuses anyone but the author
    window = current_app.config["COMMENT_EDIT_WINDOW"]
    form = DeleteCommentForm(prefix=f"d{comment_id}")
    if not form.validate():
        abort(400, "The form was incomplete; reload the page and try again.")
    committed(lambda: comments.delete_comment(comment, reader, window))
    flash("Your comment is deleted.", "success")
    return back_to(comment.question_id)


@bp.post("/comments/<int:comment_id>/flag")
def flag(comment_id: int):
    """Ask the moderators to look at a published comment."""
    comment = comment_or_404(comment_id, hide_deleted=True)
    question = db.session.get(Question, comment.question_id)
    form = FlagForm(prefix=f"f{comment_id}")
    action = url_for(".flag", comment_id=comment_id)
    if not form.validate():
        return retry(form, action, question, "Flag a comment")
    try:
        flagged = send_flag(comment, form.reason.data, form.details.data)
    except Conflict as refused:
        flash(refused.message, "info")
        return back_to(question.id, f"comment-{comment_id}")
    remember(flagged.reader)
    flash("Thank you: a moderator will look at this comment.", "success")
    return back_to(question.id, f"comment-{comment_id}")
