"""Anti-anchoring: who may see the crowd's numbers for a question (SPEC §4)."""

from dataclasses import dataclass

from ..models import Question, Reader
from . import forecasts, questions


@dataclass(frozen=True)
class CrowdVisibility:
    visible: bool
    # Why the crowd is hidden, in words for the reader (None when visible).
    hidden_reason: str | None
    forecaster_count: int


def crowd_visibility(
    question: Question,
    reader: Reader | None,
    min_crowd: int,
    is_moderator: bool = False,
    standing: dict | None = None,
) -> CrowdVisibility:
    """Whether the crowd shows: always to moderators and on closed questions, else SPEC §4."""
    # A reader sees the crowd once they have a standing forecast on the question and at least
    # min_crowd readers have forecast; `standing` spares the read when the caller holds it.
    count = questions.forecaster_count(question)
    if is_moderator or not question.is_open():
        return CrowdVisibility(True, None, count)
    if standing is None:
        standing = forecasts.active_forecasts(reader, question)
    if not standing:
        return CrowdVisibility(
            False, "Make your own forecast first: the crowd is shown only after.", count
        )
    if count < min_crowd:
        return CrowdVisibility(
            False, f"The crowd is shown once {min_crowd} readers have forecast.", count
        )
    return CrowdVisibility(True, None, count)
