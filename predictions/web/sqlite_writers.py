"""SQLite writers of this service queue on a lock file instead of in SQLite's busy handler.

SQLite lets one writer in at a time; the others retry in its busy handler, which sleeps 1, 2,
5, 10 … up to 100 ms between tries. Under a burst of forecasts a waiting writer so sleeps long
after the lock was freed and the database idles while requests queue. Here a writer first takes
an exclusive ``flock`` on a file beside the database (tried every half millisecond, for at most
the busy timeout), so the database lock is free when it gets there and the next writer starts
within a millisecond of the last commit. A killed process loses its flock with its file
descriptor. Other processes (the CLI, a backup) still meet SQLite's own busy timeout.
"""

import fcntl
import os
import threading
import time

from flask import Flask, current_app, g, has_app_context
from sqlalchemy import event

from ..extensions import db

EXTENSION = "predictions_sqlite_writers"
POLL_SECONDS = 0.0005


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


def init_app(app: Flask) -> None:
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
