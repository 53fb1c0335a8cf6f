"""Flask extensions, created unbound and bound to the app in the factory."""

import sqlite3
import time

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
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


def use_wal(connection: sqlite3.Connection, timeout: float = 5.0) -> None:
    """Put the file in WAL mode (it stays so) and relax fsync to commit points.

    Switching to WAL needs the file to itself, and SQLite answers "database is locked" at once,
    without waiting, when two connections first open a new file together; so it is retried for up
    to `timeout` seconds, and skipped when the file is already in WAL mode.
    """
    deadline = time.monotonic() + timeout
    # An in-memory database keeps journal_mode "memory" whatever it is asked: nothing to switch.
    while connection.execute("PRAGMA journal_mode").fetchone()[0].lower() not in {"wal", "memory"}:
        try:
            connection.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)
    connection.execute("PRAGMA synchronous=NORMAL")


# Execution option naming how a SQLite transaction begins: "DEFERRED" (default) or "IMMEDIATE".
SQLITE_BEGIN_OPTION = "sqlite_begin"


@event.listens_for(Engine, "connect")
def _tune_sqlite(dbapi_connection, _record) -> None:
    """WAL lets readers work beside one writer (the busy timeout is SQLITE_BUSY_TIMEOUT)."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
    use_wal(dbapi_connection)
    # pysqlite would BEGIN only before the first write, leaving earlier reads outside the
    # transaction; SQLAlchemy's recipe: no implicit BEGIN, we emit it in _begin_sqlite.
    dbapi_connection.isolation_level = None


@event.listens_for(Engine, "handle_error")
def _drop_read_only_sqlite(context) -> None:
    """A connection that SQLite opened read-only (its file could not be written when it was
    opened) stays read-only after the disk is writable again: drop it, not the whole pool, and
    the next checkout opens the file afresh."""
    error = context.original_exception
    name = getattr(error, "sqlite_errorname", "") or ""
    if isinstance(error, sqlite3.OperationalError) and name.startswith(
        ("SQLITE_READONLY", "SQLITE_CANTOPEN")
    ):
        context.is_disconnect = True
        context.invalidate_pool_on_disconnect = False


@event.listens_for(Engine, "begin")
def _begin_sqlite(connection) -> None:
    """Every SQLAlchemy transaction is a SQLite transaction, IMMEDIATE when asked for."""
    if connection.dialect.name != "sqlite":
        return
    if connection.connection.dbapi_connection.in_transaction:
        return  # one in-memory database shared by two engine connections (tests): already begun
    mode = connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {'IMMEDIATE' if mode == 'IMMEDIATE' else 'DEFERRED'}")
