"""What a reader sends: a forecast (perhaps with a comment), a comment, a flag.

A newcomer's first submission creates their reader. Each kind has a check that refuses, before
anything is written, what the write would refuse; the caller spends the abuse limits between
the two, so a refused submission costs nothing and a limited one has written nothing.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ..core.rendering import clean_text
from ..errors import DomainError
from ..models import Comment, Flag, Forecast, Question, Reader
from . import comments, forecasts, readers
from .comments import NO_SIGNALS, BotSignals
from .readers import Visitor


@dataclass(frozen=True)
class ForecastSubmission:
    """A stored forecast (and comment), and the reader's standing on the question after it."""

    reader: Reader
    token: str | None  # a newcomer's bearer token, shown once
    active: dict[str, Forecast]  # the reader's standing forecast per scenario key
    comment: Comment | None


@dataclass(frozen=True)
class CommentSubmission:
    """A stored comment or reply, and its author."""

    reader: Reader
    token: str | None
    comment: Comment


@dataclass(frozen=True)
class FlagSubmission:
    """A stored flag, and the reader who flagged."""

    reader: Reader
    token: str | None
    flag: Flag


def comment_text(text: str | None) -> str | None:
    """The comment sent with a forecast as it is judged: cleaned, None when blank."""
    return clean_text(text or "").strip() or None


@contextmanager
def _about_the_comment() -> Iterator[None]:
    """A refusal of the comment sent with a forecast names the `comment` field."""
    try:
        yield
    except DomainError as refused:
        raise type(refused)(refused.message, field="comment") from refused


def check_forecast(
    question: Question, probabilities: dict[str, int], comment: str | None
) -> None:
    """Refuse, before anything is written, a forecast submit_forecast would refuse."""
    if resolved := forecasts.resolved_keys(question, probabilities):
        raise forecasts.ScenarioResolved(question, resolved)
    if comment:
        with _about_the_comment():
            comments.check_text(question, comment)


def submit_forecast(
    question: Question,
    visitor: Visitor,
    probabilities: dict[str, int],
    comment: str | None,
    display_name: str | None,
    ip_hash: str,
    signals: BotSignals = NO_SIGNALS,
) -> ForecastSubmission:
    """The visitor's forecast, with the comment (`comment_text`) through the pipeline carrying
    a snapshot of their numbers; a refused comment refuses the forecast too."""
    reader, token = readers.reader_for(visitor, ip_hash)
    readers.set_display_name(reader, clean_text(display_name or "").strip())
    if visitor.is_new:
        active = forecasts.submit_first(question, reader, probabilities)
    else:
        active = forecasts.submit(question, reader, probabilities)
    stored = None
    if comment:
        snapshot = {key: f.percent for key, f in active.items()}
        with _about_the_comment():
            stored = comments.create_comment(
                question, reader, comment, snapshot, ip_hash=ip_hash, signals=signals
            )
    return ForecastSubmission(reader, token, active, stored)


def post_comment(
    question: Question,
    visitor: Visitor,
    body: str,
    display_name: str | None,
    ip_hash: str,
    parent_id: int | None = None,
    signals: BotSignals = NO_SIGNALS,
) -> CommentSubmission:
    """The visitor's comment, or reply to `parent_id`, in the status the pipeline gives it."""
    reader, token = readers.reader_for(visitor, ip_hash)
    readers.set_display_name(reader, clean_text(display_name or "").strip())
    comment = comments.create_comment(
        question, reader, body, ip_hash=ip_hash, parent_id=parent_id, signals=signals
    )
    return CommentSubmission(reader, token, comment)


def flag(
    comment: Comment,
    visitor: Visitor,
    reason: str,
    details: str | None,
    threshold: int,
    ip_hash: str,
) -> FlagSubmission:
    """The visitor's flag on a published comment (the threshold-th reports it)."""
    reader, token = readers.reader_for(visitor, ip_hash)
    stored = comments.flag_comment(comment, reader, reason, details, threshold)
    return FlagSubmission(reader, token, stored)
