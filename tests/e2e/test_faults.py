"""Faults: a worker killed mid-load, a restart, a database that goes away and comes back."""

import http.client
import os
import signal
import sqlite3
import subprocess
import threading
import time

import pytest
import redis
from sqlalchemy.engine import make_url

from ..conftest import POSTGRES_URL
from .load import (
    QUESTION,
    counts_agree,
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
from .server import (
    app_env,
    free_port,
    prepare_database,
    start_server,
    stop_server,
    worker_pids,
)
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


# Files of the SQLite deployment that must not be written while the disk is "read-only". The
# WAL index (-shm) is left alone: it is memory-mapped, and a write refused there is a SIGBUS.
READ_ONLY_FILES = ("predictions.db", "predictions.db-wal", "rate-limits.db", "rate-limits.db-wal")


def set_immutable(directory, on: bool) -> None:
    """chattr ±i on the directory and its database files: then even root cannot write them,
    as on a file system remounted read-only after an error."""
    paths = [directory, *(directory / name for name in READ_ONLY_FILES)]
    flag = "+i" if on else "-i"
    subprocess.run(["chattr", flag, *map(str, filter(os.path.exists, paths))], check=True)


@pytest.fixture
def read_only_switch(tmp_path):
    """Turns tmp_path read-only and back; skips where chattr cannot (not root, no ext4)."""
    probe = tmp_path / "probe"
    probe.mkdir()
    try:
        subprocess.run(["chattr", "+i", str(probe)], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError) as error:
        if os.environ.get("REQUIRE_FAULTS"):
            pytest.fail(f"chattr cannot make a directory immutable here: {error}")
        pytest.skip("chattr +i needs root on a file system that supports it")
    subprocess.run(["chattr", "-i", str(probe)], check=True)
    yield lambda on: set_immutable(tmp_path, on)
    set_immutable(tmp_path, False)  # whatever happened, the tmp dir must stay removable


def test_read_only_sqlite_directory_answers_503_and_loses_nothing(tmp_path, read_only_switch):
    path = tmp_path / "predictions.db"
    # Rate limits on, counting in rate-limits.db beside the database: it turns read-only too.
    env = app_env(f"sqlite:///{path}", RATELIMIT_ENABLED="true")
    prepare_database(env)
    process, base_url = start_server(env, workers=2)
    try:
        tokens = [forecast(base_url, probabilities(n)).token for n in range(3)]
        assert all(tokens)
        with database(f"sqlite:///{path}") as engine:
            stored = scalar(engine, "SELECT count(*) FROM forecasts")

        read_only_switch(True)
        refused = [forecast(base_url, probabilities(10))] + [
            forecast(base_url, probabilities(11 + n), token) for n, token in enumerate(tokens)
        ]
        for reply in refused:
            assert_unavailable(reply)
        # Reading needs no write: the site stays up, with the crowd as it was. (The workers
        # open new connections for these reads, which SQLite opens read-only.)
        for _ in range(6):
            assert request(base_url, "GET", QUESTION).body["forecaster_count"] == 3
        assert request(base_url, "GET", QUESTION + "/aggregate").status == 200
        page = request(base_url, "GET", "/q/us-russia-relations")
        assert page.status == 200
        assert request(base_url, "GET", "/healthz").status == 200

        read_only_switch(False)
        # The clients retry what was refused, and it all lands; nothing else was written.
        with database(f"sqlite:///{path}") as engine:
            assert scalar(engine, "SELECT count(*) FROM forecasts") == stored
        assert forecast(base_url, probabilities(10)).status == 201
        for n, token in enumerate(tokens * 3):
            assert forecast(base_url, probabilities(11 + n), token).status == 201
        question = request(base_url, "GET", QUESTION).body
        assert question["forecaster_count"] == 4
        with database(f"sqlite:///{path}") as engine:
            assert missing_tokens(engine, tokens) == []
            assert all(kept == active for kept, active in counts_agree(engine).values())
    finally:
        log = stop_server(process)
        print(log)  # shown when the test fails
    assert "Traceback" not in log, log


@pytest.fixture
def private_redis(tmp_path):
    """A Redis of this test's own on a free port, which the test may stop and start again."""
    port = free_port()
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    command += ["--appendonly", "no", "--dir", str(tmp_path)]
    servers = []

    def start():
        try:
            server = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        except FileNotFoundError:
            if os.environ.get("REQUIRE_REDIS"):
                pytest.fail("redis-server is not installed (REQUIRE_REDIS is set)")
            pytest.skip("redis-server is not installed")
        servers.append(server)
        client = redis.Redis(port=port, socket_timeout=1)
        deadline = time.monotonic() + WAIT
        while True:
            try:
                client.ping()
                return client
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)

    def stop():
        servers[-1].terminate()
        servers[-1].wait(WAIT)

    yield f"redis://127.0.0.1:{port}/0", start, stop
    for server in servers:
        if server.poll() is None:
            server.kill()
            server.wait()


def new_readers(base_url: str, count: int, first: int) -> list[int]:
    return [forecast(base_url, probabilities(first + n)).status for n in range(count)]


def test_redis_stopping_falls_back_to_memory_and_recovers(tmp_path, private_redis):
    redis_url, start_redis, stop_redis = private_redis
    client = start_redis()
    path = tmp_path / "predictions.db"
    env = app_env(
        f"sqlite:///{path}",
        REDIS_URL=redis_url,
        RATELIMIT_ENABLED="true",
        NEW_READER_LIMIT_PER_IP="3 per day",
        FALLBACK_RETRY_SECONDS="1",
    )
    prepare_database(env)
    process, base_url = start_server(env, workers=2)
    try:
        assert new_readers(base_url, 4, 0) == [201, 201, 201, 429]  # counted in Redis
        assert client.keys("*new_reader*")

        stop_redis()
        # Each worker now counts in its own memory, from nothing: between 3 (every request on
        # one worker) and 6 (both workers spend their 3) new readers pass, never more, never 500.
        statuses = new_readers(base_url, 10, 10)
        assert set(statuses) <= {201, 429}, statuses
        assert 3 <= statuses.count(201) <= 6, statuses
        accepted = 3 + statuses.count(201)
        # The crowd is computed without the shared cache, and exact.
        aggregate = request(base_url, "GET", QUESTION + "/aggregate")
        assert aggregate.status == 200
        assert aggregate.body["forecaster_count"] == accepted
        for page in ("/q/us-russia-relations", "/q/us-russia-relations/results", "/"):
            assert request(base_url, "GET", page).status == 200
        login = request(
            base_url,
            "POST",
            "/moderation/login",
            body=b"name=mia&password=x",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert login.status in (400, 401), login.status  # CSRF or bad password, not 500

        client = start_redis()  # empty again: this Redis keeps nothing on disk
        time.sleep(1.5)  # FALLBACK_RETRY_SECONDS: the workers try Redis again
        assert new_readers(base_url, 1, 30) == [201]
        assert client.keys("*new_reader*")  # counted in Redis once more
        aggregate = request(base_url, "GET", QUESTION + "/aggregate").body
        assert aggregate["forecaster_count"] == accepted + 1
        with database(f"sqlite:///{path}") as engine:
            assert all(kept == active for kept, active in counts_agree(engine).values())
    finally:
        log = stop_server(process)
        print(log)  # shown when the test fails
    assert "Traceback" not in log, log
    assert "Rate-limit storage unreachable" in log
