"""Readers: pseudonymous identities for people who forecast and comment."""

import secrets

from ..core.pseudonyms import token_hash
from ..extensions import db
from ..models import Reader, new_reader_id, utcnow
from .inserts import insert_rows


def create_reader(ip_hash: str | None, display_name: str | None = None) -> tuple[Reader, str]:
    """A new reader and their bearer token (returned once, only its hash is kept)."""
    token = secrets.token_urlsafe(32)
    values = {
        "id": new_reader_id(),
        "token_hash": token_hash(token),
        "display_name": display_name,
        "ip_hash": ip_hash,
        "created_at": utcnow(),
        "banned_at": None,
        "ban_reason": None,
        "premod": False,
        "erased_at": None,
    }
    (reader,) = insert_rows(Reader, [values])
    return reader, token


def by_id(reader_id: str) -> Reader | None:
    """The reader with this id."""
    return db.session.get(Reader, reader_id)


def by_token(token: str) -> Reader | None:
    """The reader a bearer token belongs to."""
    return db.session.scalar(db.select(Reader).filter_by(token_hash=token_hash(token)))


def set_display_name(reader: Reader, display_name: str | None) -> None:
    """Remember the name a reader chose (an empty name leaves the old one)."""
    if display_name:
        reader.display_name = display_name
