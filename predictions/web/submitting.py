"""A reader's submissions from the API and the pages alike: refuse what the write would refuse,
spend the abuse limits, then write in the one regime (so a limited request has written nothing).
"""

from collections.abc import Callable
from typing import TypeVar

from flask import current_app

from ..models import Comment, Question
from ..services import comments, readers, submissions
from ..services.comments import NO_SIGNALS, BotSignals
from ..services.submissions import CommentSubmission, FlagSubmission, ForecastSubmission
from . import limits
from .identity import current_reader, request_ip_hash
from .writes import committed

T = TypeVar("T")


def send_forecast(
    question: Question,
    probabilities: dict[str, int],
    comment: str | None,
    display_name: str | None,
    signals: BotSignals = NO_SIGNALS,
    then: Callable[[ForecastSubmission], T] | None = None,
) -> ForecastSubmission | T:
    """Store the reader's numbers (and comment); `then` builds the answer (see committed)."""
    visitor = readers.visitor(current_reader())
    comment = submissions.comment_text(comment)
    submissions.check_forecast(question, probabilities, comment)
    limits.spend_forecast(visitor, with_comment=comment is not None)
    return committed(
        lambda: submissions.submit_forecast(
            question, visitor, probabilities, comment, display_name, request_ip_hash(), signals
        ),
        then=then,
    )


def send_comment(
    question: Question,
    body: str,
    display_name: str | None,
    parent_id: int | None = None,
    signals: BotSignals = NO_SIGNALS,
) -> CommentSubmission:
    """Store the reader's comment or reply in the status the pipeline gives it."""
    visitor = readers.visitor(current_reader())
    comments.check_comment(question, body, parent_id)
    limits.spend(["comment"], visitor)
    return committed(
        lambda: submissions.post_comment(
            question, visitor, body, display_name, request_ip_hash(), parent_id, signals
        )
    )


def send_flag(comment: Comment, reason: str, details: str | None) -> FlagSubmission:
    """Store the reader's flag on a published comment."""
    visitor = readers.visitor(current_reader())
    comments.check_flag(comment, visitor.reader)
    limits.spend(["flag"], visitor)
    threshold = current_app.config["FLAG_REPORT_THRESHOLD"]
    return committed(
        lambda: submissions.flag(comment, visitor, reason, details, threshold, request_ip_hash())
    )
