"""Faults: a worker killed mid-load, a restart, a database that goes away and comes back."""

import http.client
import os
import signal
import sqlite3
import threading

import pytest
from sqlalchemy.engine import make_url

from ..conftest import POSTGRES_URL
from .load import (
    QUESTION,
    database,
    forecast,
    in_parallel,
    missing_tokens,
    postgres_schema_url,
    probabilities,
    request,
    scalar,
    server_settings,
)
from .load import empty_database_url as empty_database_url  # noqa: F401 (fixture)
from .server import app_env, prepare_database, start_server, stop_server, worker_pids
from .tcp_proxy import TcpProxy

pytestmark = pytest.mark.e2e

READERS = 120
THREADS = 10
KILL_AFTER = 40  # answered requests before a worker is killed
WAIT = 60.0  # seconds any single wait in these tests may take at most


def safe_forecast(base_url: str, n: int, answered: threading.Semaphore):
    """A new reader's forecast; status 0 when the connection died with its worker."""
    try:
        reply = forecast(base_url, probabilities(n))
    except (OSError, http.client.HTTPException):  # cut off by the killed worker
        return 0, None
    answered.release()
    return reply.status, reply.token


def test_killed_worker_and_restart_lose_no_answered_forecast(empty_database_url):
    env = app_env(empty_database_url, **server_settings())
    prepare_database(env)
    process, base_url = start_server(env, workers=4)
    try:
        workers = worker_pids(process.pid)
        assert len(workers) == 4
        answered = threading.Semaphore(0)
        killer_done = threading.Event()

        def kill_one_worker_mid_load():
            for _ in range(KILL_AFTER):
                assert answered.acquire(timeout=WAIT)
            os.kill(workers[0], signal.SIGKILL)
            killer_done.set()

        killer = threading.Thread(target=kill_one_worker_mid_load)
        killer.start()
        results = in_parallel(
            [lambda n=n: safe_forecast(base_url, n, answered) for n in range(READERS)], THREADS
        )
        killer.join(timeout=WAIT)
        assert killer_done.is_set()
        statuses = {status for status, _ in results}
        assert statuses <= {0, 201}, statuses  # refused connections, never an error answer
        tokens = [token for status, token in results if status == 201]
        assert len(tokens) > KILL_AFTER
        with database(empty_database_url) as engine:
            assert missing_tokens(engine, tokens) == []
            stored_before = scalar(engine, "SELECT count(*) FROM forecasts")
            readers_before = scalar(engine, "SELECT count(*) FROM readers")
        assert readers_before >= len(tokens)
        assert workers[0] not in worker_pids(process.pid)
    finally:
        stop_server(process)

    # The service restarts (a deploy, a reboot): every forecast is still there and counted.
    process, base_url = start_server(env, workers=2)
    try:
        question = request(base_url, "GET", QUESTION).body
        with database(empty_database_url) as engine:
            assert scalar(engine, "SELECT count(*) FROM forecasts") == stored_before
            assert missing_tokens(engine, tokens) == []
        assert question["forecaster_count"] == readers_before
        mine = request(base_url, "GET", QUESTION + "/forecasts/mine", token=tokens[-1])
        assert len(mine.body["active"]) == 3
    finally:
        stop_server(process)


def assert_unavailable(reply) -> None:
    assert reply.status == 503
    assert reply.body["code"] == 503
    assert "try again" in reply.body["message"]
    assert reply.headers["retry-after"] == "2"


@pytest.mark.skipif(POSTGRES_URL is None, reason="needs PostgreSQL")
def test_postgres_going_away_answers_503_and_recovers_by_itself():
    url = make_url(POSTGRES_URL)
    proxy = TcpProxy((url.host, url.port or 5432)).open()
    try:
        with postgres_schema_url("away") as direct_url:
            prepare_database(app_env(direct_url))
            through_proxy = str(make_url(direct_url).set(host="127.0.0.1", port=proxy.port))
            env = app_env(through_proxy, **server_settings())
            process, base_url = start_server(env, workers=2)
            try:
                token = forecast(base_url, probabilities(1)).token
                assert token

                proxy.close()
                assert_unavailable(forecast(base_url, probabilities(2), token))
                assert_unavailable(request(base_url, "GET", QUESTION))
                health = request(base_url, "GET", "/healthz")
                assert health.status == 503
                assert health.body["status"] == "unavailable"

                proxy.open()
                assert request(base_url, "GET", "/healthz").status == 200
                assert forecast(base_url, probabilities(3), token).status == 201
                assert request(base_url, "GET", QUESTION).body["forecaster_count"] == 1
            finally:
                stop_server(process)
    finally:
        proxy.close()


def test_locked_sqlite_answers_503_with_retry_after_and_recovers(tmp_path):
    path = tmp_path / "predictions.db"
    env = app_env(f"sqlite:///{path}", **server_settings(SQLITE_BUSY_TIMEOUT="0.5"))
    prepare_database(env)
    process, base_url = start_server(env, workers=2)
    try:
        token = forecast(base_url, probabilities(1)).token
        holder = sqlite3.connect(path, isolation_level=None)
        try:
            holder.execute("BEGIN EXCLUSIVE")  # another program holds the write lock
            assert_unavailable(forecast(base_url, probabilities(2), token))
            # WAL: readers are not blocked by a writer, so the site stays readable.
            assert request(base_url, "GET", QUESTION).status == 200
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert forecast(base_url, probabilities(3), token).status == 201
    finally:
        stop_server(process)
