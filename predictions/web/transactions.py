"""One request, one transaction: SQLite writers take the lock up front, lost races are redone.

Two writers racing on the same reader can both pass the "no active forecast yet" read and then
collide on the unique index uq_forecasts_active. The loser's work is rolled back and done again
on fresh data, so the client gets its 201 instead of a 500.
"""

from collections.abc import Callable
from typing import TypeVar

from flask import Flask, current_app, request
from sqlalchemy.exc import IntegrityError

from ..extensions import SQLITE_BEGIN_OPTION, db

T = TypeVar("T")
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
ATTEMPTS = 3


def committed(work: Callable[[], T], attempts: int = ATTEMPTS) -> T:
    """Run work and commit; a unique-index race is rolled back and redone (bounded)."""
    for attempt in range(1, attempts + 1):
        if attempt > 1:
            begin_immediate_for_writes()
        try:
            result = work()
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            if attempt == attempts:
                raise
            current_app.logger.info("Write lost a race (attempt %d); redoing it", attempt)
        else:
            return result
    raise AssertionError("unreachable")  # pragma: no cover


def begin_immediate_for_writes() -> None:
    """A SQLite write request takes the write lock at BEGIN (waiting up to the busy timeout).

    A deferred transaction that read first and writes later cannot wait for the lock in WAL
    mode (SQLITE_BUSY at once); taking it up front makes writers queue instead of failing.
    """
    if request.method not in SAFE_METHODS and db.engine.dialect.name == "sqlite":
        db.session.connection(execution_options={SQLITE_BEGIN_OPTION: "IMMEDIATE"})


def init_app(app: Flask) -> None:
    app.before_request(begin_immediate_for_writes)
