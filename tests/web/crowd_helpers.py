"""Actions for crowd tests: readers with known forecasts at known times, bans, moderators."""

import secrets
from datetime import UTC, datetime, timedelta

from predictions.core.pseudonyms import token_hash
from predictions.extensions import db
from predictions.models import Moderator, Reader
from predictions.services import counts, forecasts, questions, readers

T0 = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
AGGREGATE = "/api/v1/questions/{slug}/aggregate"


def add_readers(
    app, slug: str, values: list[dict], start: datetime = T0, step=timedelta(minutes=1)
):
    """One reader per {key: percent} dict, oldest first, a step apart; returns their ids."""
    ids = []
    with app.app_context():
        question = questions.get_by_slug(slug)
        for i, probabilities in enumerate(values):
            reader, _token = readers.create_reader(None)
            forecasts.submit(question, reader, probabilities, now=start + i * step)
            ids.append(reader.id)
        db.session.commit()
    return ids


def set_ban(app, reader_id: str, banned: bool) -> None:
    """What the moderation helper does: set banned_at and move the counts."""
    with app.app_context():
        reader = db.session.get(Reader, reader_id)
        if banned and reader.banned_at is None:
            reader.banned_at = datetime.now(UTC)
            counts.shift_reader(reader, -1)
        elif not banned and reader.banned_at is not None:
            reader.banned_at = None
            counts.shift_reader(reader, +1)
        db.session.commit()


def moderator_headers(app) -> dict[str, str]:
    """A moderator with a personal API token; the Authorization header that carries it."""
    token = "mod_" + secrets.token_urlsafe(24)
    with app.app_context():
        db.session.add(
            Moderator(name="editor", password_hash="x", api_token_hash=token_hash(token))
        )
        db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def close(app, slug: str) -> None:
    with app.app_context():
        questions.set_status(questions.get_by_slug(slug), "closed")
        db.session.commit()
