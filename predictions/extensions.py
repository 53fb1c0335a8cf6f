"""Flask extensions, created unbound and bound to the app in the factory."""

import itertools
import os
import sqlite3
import threading
import time

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from limits.storage import Storage
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

# Named constraints keep Alembic revisions stable and portable across SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True)
csrf = CSRFProtect()
login = LoginManager()
limiter = Limiter(key_func=get_remote_address)


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
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute(
                "CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, "
                "count INTEGER NOT NULL, expires_at REAL NOT NULL) WITHOUT ROWID"
            )
            local.connection, local.pid = connection, os.getpid()
        return local.connection.execute(sql, params).fetchall()

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


# Execution option naming how a SQLite transaction begins: "DEFERRED" (default) or "IMMEDIATE".
SQLITE_BEGIN_OPTION = "sqlite_begin"


@event.listens_for(Engine, "connect")
def _tune_sqlite(dbapi_connection, _record) -> None:
    """WAL lets readers work beside one writer (the busy timeout is SQLITE_BUSY_TIMEOUT)."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    # pysqlite would BEGIN only before the first write, leaving earlier reads outside the
    # transaction; SQLAlchemy's recipe: no implicit BEGIN, we emit it in _begin_sqlite.
    dbapi_connection.isolation_level = None


@event.listens_for(Engine, "begin")
def _begin_sqlite(connection) -> None:
    """Every SQLAlchemy transaction is a SQLite transaction, IMMEDIATE when asked for."""
    if connection.dialect.name != "sqlite":
        return
    if connection.connection.dbapi_connection.in_transaction:
        return  # one in-memory database shared by two engine connections (tests): already begun
    mode = connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {'IMMEDIATE' if mode == 'IMMEDIATE' else 'DEFERRED'}")
