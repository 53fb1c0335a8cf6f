"""Helpers for tests that put a real server under load: databases, HTTP clients, SQL checks.

Traffic goes to loopback only; every loop is bounded by a count and every request by a timeout.
"""

import http.client
import json
import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from predictions.config import database_uri
from predictions.core.pseudonyms import token_hash

from ..conftest import POSTGRES_URL, SEED_SLUG, with_schema

REQUEST_TIMEOUT = 30.0
QUESTION = f"/api/v1/questions/{SEED_SLUG}"
FORECASTS = f"{QUESTION}/forecasts"
SCENARIOS = ("us-russia-cooperation", "us-eu-strain", "global-instability")
E2E_DATABASES = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: dict | None

    @property
    def token(self) -> str | None:
        return (self.body or {}).get("reader_token")


def request(
    base_url: str,
    method: str,
    path: str,
    payload: dict | None = None,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> Reply:
    """One HTTP request on a fresh loopback connection; the reply with its JSON body, if any."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=REQUEST_TIMEOUT)
    sent = dict(headers or {})
    if payload is not None:
        body = json.dumps(payload).encode()
        sent["Content-Type"] = "application/json"
    if token:
        sent["Authorization"] = f"Bearer {token}"
    try:
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        raw = response.read()
        got = {k.lower(): v for k, v in response.getheaders()}
    finally:
        connection.close()
    parsed = json.loads(raw) if got.get("content-type", "").startswith("application/json") else None
    return Reply(response.status, got, parsed)


def probabilities(n: int) -> dict[str, int]:
    """A deterministic, varied forecast for the n-th reader."""
    return {key: 1 + (n * (7 + 13 * i)) % 99 for i, key in enumerate(SCENARIOS)}


def forecast(
    base_url: str,
    percents: dict[str, int],
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    return request(
        base_url, "POST", FORECASTS, {"probabilities": percents}, token=token, headers=headers
    )


def in_parallel(calls, threads: int) -> list:
    """Run the zero-argument calls on a pool of threads; their results, in order."""
    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [pool.submit(call) for call in calls]
        return [future.result(timeout=120) for future in futures]


def postgres_conninfo() -> dict:
    url = make_url(POSTGRES_URL)
    return {
        "host": url.host,
        "port": url.port or 5432,
        "user": url.username,
        "dbname": url.database,
        "password": url.password,
    }


@contextmanager
def postgres_schema_url(prefix: str = "e2e") -> Iterator[str]:
    """A URL whose connections see only a new, private schema, dropped afterwards."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(**postgres_conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield with_schema(POSTGRES_URL, schema)
    finally:
        with psycopg.connect(**postgres_conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@contextmanager
def empty_database(kind: str, directory: Path) -> Iterator[str]:
    """An empty database for a server: a SQLite file, or a private PostgreSQL schema."""
    if kind == "sqlite":
        yield f"sqlite:///{directory / 'predictions.db'}"
        return
    with postgres_schema_url() as url:
        yield url


@pytest.fixture(params=E2E_DATABASES)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database per test, on each database the run has."""
    with empty_database(request.param, tmp_path) as url:
        yield url


@contextmanager
def database(url: str) -> Iterator[Engine]:
    """An engine to look at what the server stored, closed afterwards."""
    engine = create_engine(database_uri(url))
    try:
        yield engine
    finally:
        engine.dispose()


def scalar(engine: Engine, sql: str, **params) -> object:
    with engine.connect() as connection:
        return connection.execute(text(sql), params).scalar()


def stored_token_hashes(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return [row[0] for row in connection.execute(text("SELECT token_hash FROM readers"))]


def missing_tokens(engine: Engine, tokens: list[str]) -> list[str]:
    """The tokens (answered 201) whose reader or active forecasts are not in the database."""
    stored = set(stored_token_hashes(engine))
    with engine.connect() as connection:
        active = {
            row[0]
            for row in connection.execute(
                text(
                    "SELECT r.token_hash FROM readers r JOIN forecasts f ON f.reader_id = r.id "
                    "WHERE f.ended_at IS NULL GROUP BY r.token_hash HAVING count(*) = :n"
                ),
                {"n": len(SCENARIOS)},
            )
        }
    return [t for t in tokens if token_hash(t) not in stored or token_hash(t) not in active]


def counts_agree(engine: Engine) -> dict[str, tuple[int, int]]:
    """Per scenario: (sum of the kept counts, active forecasts of unbanned readers)."""
    result = {}
    with engine.connect() as connection:
        for key in SCENARIOS:
            kept = connection.execute(
                text(
                    "SELECT coalesce(sum(c.count), 0) FROM scenario_counts c "
                    "JOIN scenarios s ON s.id = c.scenario_id WHERE s.key = :key"
                ),
                {"key": key},
            ).scalar()
            active = connection.execute(
                text(
                    "SELECT count(*) FROM forecasts f JOIN scenarios s ON s.id = f.scenario_id "
                    "JOIN readers r ON r.id = f.reader_id "
                    "WHERE s.key = :key AND f.ended_at IS NULL AND r.banned_at IS NULL"
                ),
                {"key": key},
            ).scalar()
            result[key] = (int(kept), int(active))
    return result


def server_settings(**settings: str) -> dict[str, str]:
    """Settings for a load test's server: rate limits off unless the test says otherwise."""
    return {"RATELIMIT_ENABLED": "false", **settings}


DEFAULT_REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="session")
def shared_redis_url() -> str:
    """A Redis that servers can share (REDIS_URL, or the local one); skips when none answers.

    With REQUIRE_REDIS set (as in CI) a missing Redis fails instead.
    """
    import redis

    url = os.environ.get("REDIS_URL") or DEFAULT_REDIS
    try:
        redis.Redis.from_url(url, socket_timeout=2).ping()
    except redis.RedisError as error:
        if os.environ.get("REQUIRE_REDIS"):
            pytest.fail(f"Redis at {url} does not answer: {error} (REQUIRE_REDIS is set)")
        pytest.skip(f"Redis at {url} does not answer")
    return url
