"""Checks of the parts the service stands on: the database, its revision, Redis."""

from dataclasses import dataclass
from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def database() -> Check:
    """Whether the database answers a trivial query."""
    try:
        db.session.execute(db.text("SELECT 1"))
    except SQLAlchemyError as error:
        db.session.rollback()
        return Check("database", False, f"unreachable: {type(error.orig or error).__name__}")
    return Check("database", True, db.engine.url.render_as_string(hide_password=True))


def revision(migrations_dir: Path) -> Check:
    """Whether the database is at the newest Alembic revision."""
    heads = set(ScriptDirectory.from_config(_alembic_config(migrations_dir)).get_heads())
    try:
        with db.engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError as error:
        return Check("revision", False, f"cannot read: {type(error).__name__}")
    if current == heads:
        return Check("revision", True, f"at head {', '.join(sorted(heads))}")
    at = ", ".join(sorted(current)) or "nothing"
    wanted = ", ".join(sorted(heads))
    detail = f"database at {at}, code at {wanted}: run `flask --app predictions db upgrade`"
    return Check("revision", False, detail)


def redis(url: str | None) -> Check:
    """Whether Redis answers (not needed on one machine: limits then live in memory)."""
    if not url:
        return Check("redis", True, "not configured: rate limits are per process")
    import redis as redis_client

    try:
        redis_client.Redis.from_url(url, socket_timeout=2).ping()
    except redis_client.RedisError as error:
        return Check("redis", False, f"unreachable: {type(error).__name__}")
    return Check("redis", True, "answers")


def _alembic_config(migrations_dir: Path) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    return config
