"""Times as the newsroom reads them: stored in UTC, shown and entered in NEWSROOM_TIMEZONE."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app

from ..core import wording
from ..core.question_status import Phase, StatusWords, describe, phase_at

# What a datetime-local input sends and shows (minutes, no zone).
LOCAL_INPUT_FORMAT = "%Y-%m-%dT%H:%M"


def newsroom_zone() -> ZoneInfo:
    """The newsroom's zone from the setting (checked when the app starts)."""
    return ZoneInfo(current_app.config["NEWSROOM_TIMEZONE"])


def to_local_input(moment: datetime | None) -> str:
    """A stored UTC moment as the newsroom's wall-clock time for a datetime-local input."""
    return moment.astimezone(newsroom_zone()).strftime(LOCAL_INPUT_FORMAT) if moment else ""


def from_local_input(text: str) -> datetime | str | None:
    """The newsroom's wall-clock time as an aware UTC moment; None when blank, the text itself
    when it is no time (the question rules then report it, as they do for a file)."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        local = datetime.strptime(text, LOCAL_INPUT_FORMAT)
    except ValueError:
        return text
    return local.replace(tzinfo=newsroom_zone()).astimezone(UTC)



def full_local(moment: datetime) -> str:
    """A moment as the newsroom reads it in full: "12 March 2027, 09:00 CET"."""
    local = moment.astimezone(newsroom_zone())
    month = wording.MONTHS[local.month - 1]
    return f"{local.day} {month} {local.year}, {local:%H:%M} {local.tzname()}"


def question_status(question, now: datetime | None = None) -> StatusWords:
    """Where the question stands now, in words on the newsroom's calendar ("closes in 3 days")."""
    now = now or datetime.now(UTC)
    zone = newsroom_zone()
    return describe(question.phase(now), now, zone, question.opens_at, question.closes_at)


def status_once_published(question, now: datetime | None = None) -> StatusWords:
    """What a draft would say if an editor published it now ("opens in 2 days")."""
    now = now or datetime.now(UTC)
    phase = phase_at(
        now,
        published_at=now,
        opens_at=question.opens_at,
        closes_at=question.closes_at,
        closed_by_hand=question.status == "closed",
    )
    return describe(phase, now, newsroom_zone(), question.opens_at, question.closes_at)


def not_open_message(question) -> str:
    """Why a question takes no forecasts now: not open yet ("opens in 2 hours"), or closed."""
    words = question_status(question)
    if words.phase == Phase.SCHEDULED and words.verb:
        return f"This question opens for forecasts {words.when}."
    return "This question is closed to new forecasts."
