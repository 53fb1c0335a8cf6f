"""Times as the newsroom reads them: stored in UTC, shown and entered in NEWSROOM_TIMEZONE."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app

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

