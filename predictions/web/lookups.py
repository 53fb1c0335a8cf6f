"""Rows that a URL names, or 404: one place for every blueprint (pages answer HTML, the API JSON,
as web/errors.py decides by path)."""

from flask import abort, current_app
from flask_login import current_user

from ..core.roles import Role
from ..extensions import db
from ..models import Comment, CommentStatus, Question, Reader
from ..services import questions
from .identity import bearer_token

KEPT_QUESTIONS = "predictions_kept_questions"


def sees_drafts() -> bool:
    """Whether this request may see unpublished questions: only an editor's (or admin's) login
    session; a request with a bearer token is an API client, and the API shows no drafts."""
    if bearer_token() is not None or not current_user.is_authenticated:
        return False
    return current_user.may(Role.EDITOR)


def question_by_slug(slug: str, *, drafts: bool = False) -> Question | None:
    """questions.get_by_slug for a request: from this worker's copy of the question while its
    versions match the row (see KeptQuestions), so a hot path reads one row."""
    kept = current_app.extensions.get(KEPT_QUESTIONS)
    if kept is None:  # threads racing here keep one of their sets: a copy is all it costs
        kept = current_app.extensions.setdefault(KEPT_QUESTIONS, questions.KeptQuestions())
    return kept.get(slug, drafts=drafts)


def question_or_404(slug: str) -> Question:
    """The question with this slug, or a 404 (also for a draft, to anyone but an editor)."""
    question = question_by_slug(slug, drafts=True)
    # Only a draft costs the look at who is asking: published questions skip the login check.
    if question is None or (question.published_at is None and not sees_drafts()):
        abort(404, f"There is no question with the slug {slug!r}.")
    return question


def comment_or_404(comment_id: int, *, hide_deleted: bool = False) -> Comment:
    """The comment with this id, or a 404 (also for a deleted one, when readers ask)."""
    comment = db.get_or_404(Comment, comment_id, description=f"There is no comment {comment_id}.")
    if hide_deleted and comment.status == CommentStatus.DELETED:
        abort(404, f"There is no comment {comment_id}.")
    return comment


def reader_or_404(reader_id: str) -> Reader:
    """The reader with this id, or a 404."""
    return db.get_or_404(Reader, reader_id, description="There is no such reader.")
