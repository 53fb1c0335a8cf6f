"""Checks of the parts the service stands on: the database, its revision, Redis, the proxy hops."""

import ipaddress
import os
import shlex
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
    """Whether the database answers a trivial query.

    On a pooled connection, not through the ORM session: the check needs no unit of work, and
    load balancers call it often (the session's set-up and teardown cost more than the query).
    """
    try:
        with db.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except SQLAlchemyError as error:
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
        detail = "not configured: rate limits count in a SQLite file this machine's workers share"
        return Check("redis", True, detail)
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


def listen_addresses(binds: tuple[str, ...] = ()) -> tuple[list[str], str]:
    """Where the server listens, and where that was read: doctor's --bind, else the --bind
    options in gunicorn's GUNICORN_CMD_ARGS, else HOST (as `make run` binds), else the
    Makefile's default."""
    if binds:
        return list(binds), "--bind"
    found, args = [], shlex.split(os.environ.get("GUNICORN_CMD_ARGS", ""))
    for index, arg in enumerate(args):
        if arg in ("-b", "--bind") and index + 1 < len(args):
            found.append(args[index + 1])
        elif arg.startswith("--bind="):
            found.append(arg.removeprefix("--bind="))
        elif arg.startswith("-b") and len(arg) > 2:
            found.append(arg[2:])
    if found:
        return found, "GUNICORN_CMD_ARGS"
    if host := os.environ.get("HOST"):
        return [host], "HOST"
    return ["127.0.0.1"], "the default HOST"


def is_loopback(address: str) -> bool:
    """Whether a gunicorn bind address (HOST, HOST:PORT, [IPv6]:PORT, unix:PATH) is reachable
    from this machine only."""
    if address.startswith("unix:"):
        return True
    if address.startswith("["):
        host = address[1 : address.find("]")]
    elif address.count(":") == 1:
        host = address.split(":")[0]
    else:
        host = address  # no port, or a bare IPv6 address
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # any other name, an empty host (all interfaces), fd://


def proxies_check(trusted: int, binds: tuple[str, ...]) -> Check:
    """TRUSTED_PROXIES above 0 is safe only when clients cannot reach the server directly: they
    would write the X-Forwarded-For that is believed (their IP hash, their rate limits)."""
    if trusted <= 0:
        return Check("proxies", True, "TRUSTED_PROXIES=0: X-Forwarded-For is ignored")
    addresses, source = listen_addresses(binds)
    listening = f"listening on {', '.join(addresses)} (from {source})"
    exposed = [address for address in addresses if not is_loopback(address)]
    if not exposed:
        return Check("proxies", True, f"TRUSTED_PROXIES={trusted}, {listening}")
    return Check(
        "proxies",
        False,
        f"TRUSTED_PROXIES={trusted} but {listening}: a client that reaches "
        f"{', '.join(exposed)} directly chooses its own address; bind 127.0.0.1 behind a "
        "proxy on this machine, or let only the proxy reach the port",
    )
