"""Rows that a URL names, or 404: one place for every blueprint (pages answer HTML, the API JSON,
as web/errors.py decides by path)."""

from flask import abort

from ..models import Question
from ..services import questions


def question_or_404(slug: str) -> Question:
    """The question with this slug, or a 404."""
    question = questions.get_by_slug(slug)
    if question is None:
        abort(404, f"There is no question with the slug {slug!r}.")
    return question
