"""Readers: pseudonymous identities for people who forecast and comment."""

import secrets
from dataclasses import dataclass

from ..core.pseudonyms import token_hash
from ..extensions import db
from ..models import Reader, new_reader_id, utcnow
from .inserts import insert_rows


@dataclass(frozen=True)
class Visitor:
    """Who sends a write: a reader, or a newcomer whom the write will make a reader.

    A newcomer's id is chosen before anything is stored, so the abuse limits can count
    against it before the write (and the reader's next requests count on from there).
    """

    reader: Reader | None
    id: str

    @property
    def is_new(self) -> bool:
        return self.reader is None


def visitor(reader: Reader | None) -> Visitor:
    """The reader as a visitor, or a newcomer with a fresh id."""
    return Visitor(reader, reader.id if reader is not None else new_reader_id())


def reader_for(visitor: Visitor, ip_hash: str | None) -> tuple[Reader, str | None]:
    """The visitor's reader, created (with the bearer token, shown once) for a newcomer."""
    if visitor.reader is not None:
        return visitor.reader, None
    return create_reader(ip_hash, reader_id=visitor.id)


def create_reader(
    ip_hash: str | None, display_name: str | None = None, reader_id: str | None = None
) -> tuple[Reader, str]:
    """A new reader and their bearer token (returned once, only its hash is kept)."""
    token = secrets.token_urlsafe(32)
    values = {
        "id": reader_id or new_reader_id(),
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
