"""One request, one write transaction: SQLite writers queue for the lock, lost races are redone.

Every view that writes calls ``committed(lambda: service.call(...))``: it never commits or
rolls back itself, nor asks which database it runs on. Whatever the database needs (the
write lock, where the answer's reads go, redoing a lost race) is decided here.

Two writers racing on the same reader can both pass the "no active forecast yet" read and then
collide on the unique index uq_forecasts_active. The loser's work is rolled back and done again
on fresh data, so the client gets its 201 instead of a 500.

On SQLite a write request takes the write lock at its first statement (BEGIN IMMEDIATE): a
deferred transaction that read first and writes later cannot wait for the lock in WAL mode
(SQLITE_BUSY at once), so writers queue instead of failing. The hot write views (a forecast)
are marked ``late_write_lock``: they read and validate outside the lock and take it only in
``committed()``, so the lock is held for the writes alone, not the whole request.

Before the lock, this service's writers queue on a lock file (WriterQueue) instead of in
SQLite's busy handler, which sleeps 1, 2, 5, 10 … up to 100 ms between tries: under a burst of
forecasts a waiting writer so sleeps long after the lock was freed. Here a writer first takes an
exclusive ``flock`` on a file beside the database (tried every half millisecond, for at most the
busy timeout), so the next writer starts within a millisecond of the last commit. A killed
process loses its flock with its file descriptor. Other processes (the CLI, a backup) still
meet SQLite's own busy timeout.
"""

import fcntl
import os
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from flask import Flask, current_app, g, has_app_context, request
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError, OperationalError

from ..extensions import SQLITE_BEGIN_OPTION, db

T = TypeVar("T")
U = TypeVar("U")
V = TypeVar("V")
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
ATTEMPTS = 3
LATE_WRITE_LOCK = "late_write_lock"
EXTENSION = "predictions_sqlite_writers"
POLL_SECONDS = 0.0005


def late_write_lock(view: V) -> V:
    """Mark a view (function or MethodView class) that writes only through committed()."""
    setattr(view, LATE_WRITE_LOCK, True)
    return view


def committed(
    work: Callable[[], T], then: Callable[[T], U] | None = None, attempts: int = ATTEMPTS
) -> T | U:
    """Run work in a write transaction and commit; a unique-index race is rolled back and
    redone (bounded), anything else work raises is rolled back and raised.

    The rows work loaded or wrote stay loaded after the commit, so the answer can be built
    from them outside the transaction. `then` builds it from work's result when that takes
    reads of its own; committed() then returns what `then` returns.
    """
    # Where writers queue for one lock (SQLite) the answer's reads come after the commit, so
    # the lock is held for the writes alone; elsewhere they stay in the transaction, which
    # spares a second connection checkout.
    reads_inside = then is not None and not one_writer_at_a_time()
    for attempt in range(1, attempts + 1):
        try:
            _begin_writes()
            result = work()
            answer = then(result) if reads_inside else None
            _commit_keeping_rows()
        except IntegrityError:
            db.session.rollback()
            if attempt == attempts:
                raise
            current_app.logger.info("Write lost a race (attempt %d); redoing it", attempt)
        except OperationalError as error:
            db.session.rollback()
            if attempt == attempts or not _on_read_only_connection(error):
                raise
            current_app.logger.warning("Connection opened read-only was dropped; redoing the write")
        except Exception:
            # A refusal (a DomainError) leaves nothing half-written, so a page may catch it
            # and render its form again.
            db.session.rollback()
            raise
        else:
            if then is None:
                return result
            return answer if reads_inside else then(result)
    raise AssertionError("unreachable")  # pragma: no cover


def _on_read_only_connection(error: OperationalError) -> bool:
    """SQLite refused a write on a connection it had opened read-only, while its file could
    not be written; extensions.py has dropped it, so a fresh one may succeed. Nothing was
    written, so redoing is safe (a lost connection elsewhere may have committed: no redo)."""
    name = getattr(error.orig, "sqlite_errorname", "") or ""
    return error.connection_invalidated and name.startswith("SQLITE_READONLY")


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
    take_turn()
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
    take_turn()
    db.session.connection(execution_options={SQLITE_BEGIN_OPTION: "IMMEDIATE"})



class WriterQueue:
    """An exclusive flock on ``<database>-writers``, opened once per process and thread."""

    def __init__(self, path: str, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        self._local = threading.local()

    def _file(self) -> int:
        # flock locks belong to an open file: a forked worker must not share its parent's,
        # nor one thread another's (threaded workers), or they would pass as one writer.
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            local.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            local.pid = os.getpid()
        return local.fd

    def acquire(self) -> bool:
        """Wait for the lock up to the timeout; False when it did not come (SQLite then waits
        on its own busy timeout, and answers 503 if that runs out too)."""
        fd = self._file()
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(POLL_SECONDS)

    def release(self) -> None:
        fcntl.flock(self._file(), fcntl.LOCK_UN)


def _queue() -> WriterQueue | None:
    return current_app.extensions.get(EXTENSION)


def take_turn() -> None:
    """Queue for this request's write turn (once; a no-op off file-backed SQLite)."""
    queue = _queue()
    if queue is not None and not g.get("sqlite_write_turn") and queue.acquire():
        g.sqlite_write_turn = True


def end_turn(*_args) -> None:
    """Let the next writer in: when the transaction ends (and at teardown, in case)."""
    if has_app_context() and g.pop("sqlite_write_turn", False):
        _queue().release()


def _init_writer_queue(app: Flask) -> None:
    with app.app_context():
        url = db.engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return
    if url.database.startswith("file:"):
        return  # a URI filename (shared memory in tests): no file of its own to lock beside
    path = os.path.abspath(url.database) + "-writers"
    app.extensions[EXTENSION] = WriterQueue(path, float(app.config["SQLITE_BUSY_TIMEOUT"]))
    with app.app_context():
        for ending in ("commit", "rollback"):
            event.listen(db.engine, ending, end_turn)
    app.teardown_request(end_turn)


def init_app(app: Flask) -> None:
    _init_writer_queue(app)
    app.before_request(begin_immediate_for_writes)
