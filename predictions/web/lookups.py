"""Rows that a URL names, or 404: one place for every blueprint (pages answer HTML, the API JSON,
as web/errors.py decides by path)."""

from flask import abort

from ..extensions import db
from ..models import Comment, CommentStatus, Question, Reader
from ..services import questions


def question_or_404(slug: str) -> Question:
    """The question with this slug, or a 404."""
    question = questions.get_by_slug(slug)
    if question is None:
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
