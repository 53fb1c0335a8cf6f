"""Rate-limit counters in a SQLite file: the storage web/limits counts in when Redis is not set.

Importing this module registers the `sqlite:///path` scheme with `limits`; the factory imports it
before creating the counters.
"""

import itertools
import os
import sqlite3
import threading
import time

from limits.storage import Storage

from ..extensions import use_wal


class SQLiteLimitStorage(Storage):
    """Rate-limit counters in a SQLite file (`sqlite:///path`), for the fixed-window strategy.

    Every worker process and thread counts in the one file, and the counts outlive them all: a
    limit holds exactly with several workers, and a worker's restart resets nothing. A count is
    one upsert that returns the new value, atomic under SQLite's write lock.
    """

    STORAGE_SCHEME = ["sqlite"]
    PURGE_EVERY = 1000  # counts between sweeps of expired windows

    def __init__(self, uri: str, wrap_exceptions: bool = False, timeout: float = 5.0, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = uri.partition(":///")[2]
        self.timeout = timeout
        self._local = threading.local()
        self._counts = itertools.count(1)

    @property
    def base_exceptions(self) -> type[Exception]:
        return sqlite3.Error

    def _rows(self, sql: str, *params) -> list[tuple]:
        # One connection per process and thread: sqlite3 connections are neither fork- nor
        # thread-safe. Autocommit: each statement is its own transaction.
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            connection = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
            use_wal(connection, self.timeout)
            connection.execute(
                "CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, "
                "count INTEGER NOT NULL, expires_at REAL NOT NULL) WITHOUT ROWID"
            )
            local.connection, local.pid = connection, os.getpid()
        try:
            return local.connection.execute(sql, params).fetchall()
        except sqlite3.OperationalError as error:
            # Opened while the file could not be written, a connection stays read-only: the
            # next call opens it again.
            if (getattr(error, "sqlite_errorname", "") or "").startswith("SQLITE_READONLY"):
                local.connection.close()
                local.pid = None
            raise

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        if next(self._counts) % self.PURGE_EVERY == 0:
            self._rows("DELETE FROM counters WHERE expires_at <= ?", now)
        # A window that has run out starts again at `amount`; a live one adds to its count.
        ((count,),) = self._rows(
            "INSERT INTO counters (key, count, expires_at) VALUES (?1, ?2, ?3 + ?4) "
            "ON CONFLICT (key) DO UPDATE SET "
            "count = CASE WHEN expires_at > ?3 THEN count + ?2 ELSE ?2 END, "
            "expires_at = CASE WHEN expires_at > ?3 THEN expires_at ELSE ?3 + ?4 END "
            "RETURNING count",
            key,
            amount,
            now,
            expiry,
        )
        return count

    def get(self, key: str) -> int:
        rows = self._rows(
            "SELECT count FROM counters WHERE key = ? AND expires_at > ?", key, time.time()
        )
        return rows[0][0] if rows else 0

    def get_expiry(self, key: str) -> float:
        now = time.time()
        rows = self._rows(
            "SELECT expires_at FROM counters WHERE key = ? AND expires_at > ?", key, now
        )
        return rows[0][0] if rows else now

    def check(self) -> bool:
        try:
            self._rows("SELECT 1")
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int:
        return len(self._rows("DELETE FROM counters RETURNING key"))

    def clear(self, key: str) -> None:
        self._rows("DELETE FROM counters WHERE key = ?", key)
