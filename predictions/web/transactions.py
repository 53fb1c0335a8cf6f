"""One request, one write transaction: SQLite writers queue for the lock, lost races are redone.

Two writers racing on the same reader can both pass the "no active forecast yet" read and then
collide on the unique index uq_forecasts_active. The loser's work is rolled back and done again
on fresh data, so the client gets its 201 instead of a 500.

On SQLite a write request takes the write lock at its first statement (BEGIN IMMEDIATE): a
deferred transaction that read first and writes later cannot wait for the lock in WAL mode
(SQLITE_BUSY at once), so writers queue instead of failing. The hot write views (a forecast)
are marked ``late_write_lock``: they read and validate outside the lock and take it only in
``committed()``, so the lock is held for the writes alone, not the whole request. Before the
lock, the service's own writers queue on a lock file (sqlite_writers).
"""

from collections.abc import Callable
from typing import TypeVar

from flask import Flask, current_app, request
from sqlalchemy.exc import IntegrityError

from ..extensions import SQLITE_BEGIN_OPTION, db
from . import sqlite_writers

T = TypeVar("T")
V = TypeVar("V")
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
ATTEMPTS = 3
LATE_WRITE_LOCK = "late_write_lock"


def late_write_lock(view: V) -> V:
    """Mark a view (function or MethodView class) that writes only through committed()."""
    setattr(view, LATE_WRITE_LOCK, True)
    return view


def committed(work: Callable[[], T], attempts: int = ATTEMPTS) -> T:
    """Run work in a write transaction and commit; a unique-index race is rolled back and
    redone (bounded).

    The rows work loaded or wrote stay loaded after the commit, so the answer can be built
    from them outside the transaction (on SQLite: without holding the write lock).
    """
    for attempt in range(1, attempts + 1):
        _begin_writes()
        try:
            result = work()
            _commit_keeping_rows()
        except IntegrityError:
            db.session.rollback()
            if attempt == attempts:
                raise
            current_app.logger.info("Write lost a race (attempt %d); redoing it", attempt)
        else:
            return result
    raise AssertionError("unreachable")  # pragma: no cover


def one_writer_at_a_time() -> bool:
    """Whether every write transaction waits for one database-wide lock (SQLite)."""
    return db.engine.dialect.name == "sqlite"


def _begin_writes() -> None:
    """On SQLite, end the request's read transaction (keeping what it loaded) and BEGIN
    IMMEDIATE; elsewhere row locks and the unique index do the work."""
    if not one_writer_at_a_time():
        return
    session = db.session()
    if session.in_transaction():
        if session.connection().get_execution_options().get(SQLITE_BEGIN_OPTION) == "IMMEDIATE":
            return  # the write lock is already held
        # Nothing is written yet: the commit only ends the read snapshot. The rows it read
        # stay loaded; the write part re-reads what it relies on.
        _commit_keeping_rows()
    sqlite_writers.take_turn()
    session.connection(execution_options={SQLITE_BEGIN_OPTION: "IMMEDIATE"})


def _commit_keeping_rows() -> None:
    """Commit without expiring the loaded rows (they hold what this transaction saw or wrote)."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def begin_immediate_for_writes() -> None:
    """A SQLite write request takes the write lock at BEGIN (waiting up to the busy timeout),
    unless its view takes it late."""
    if request.method in SAFE_METHODS or not one_writer_at_a_time():
        return
    view = current_app.view_functions.get(request.endpoint)
    if getattr(getattr(view, "view_class", view), LATE_WRITE_LOCK, False):
        return
    sqlite_writers.take_turn()
    db.session.connection(execution_options={SQLITE_BEGIN_OPTION: "IMMEDIATE"})


def init_app(app: Flask) -> None:
    sqlite_writers.init_app(app)
    app.before_request(begin_immediate_for_writes)
