"""Actions for resolution and scoring tests: readers forecasting at given times, an admin."""

from datetime import UTC, datetime, timedelta

from predictions.extensions import db
from predictions.models import Moderator, Question, Reader
from predictions.services import forecasts, questions, readers

# Far enough in the past that a resolution made now comes after every forecast of a test.
T0 = datetime(2020, 3, 1, 12, 0, tzinfo=UTC)


def at(hours: float) -> datetime:
    """T0 plus some hours."""
    return T0 + timedelta(hours=hours)


def seed_question() -> Question:
    return questions.get_by_slug("us-russia-relations")


def new_reader(name: str | None = None, banned: bool = False) -> Reader:
    """A reader, optionally named and banned (flushed, not committed)."""
    reader, _token = readers.create_reader(None, display_name=name)
    if banned:
        reader.banned_at = T0
    db.session.flush()
    return reader


def forecast(question: Question, reader: Reader, probabilities: dict[str, int], hours: float = 0):
    """The reader's forecast, made at T0 + hours."""
    return forecasts.submit(question, reader, probabilities, now=at(hours))


def admin(name: str = "ada", is_admin: bool = True) -> Moderator:
    role = "admin" if is_admin else "moderator"
    moderator = Moderator(name=name, password_hash="not-a-real-hash", role=role)
    db.session.add(moderator)
    db.session.flush()
    return moderator
