"""Abuse limits per reader and per IP hash (SPEC §6), in memory, in a SQLite file and in Redis:
429 with Retry-After and X-RateLimit-*, in the API's error shape or as a page, nothing stored."""

import sqlite3
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path

import pytest
import redis

from predictions import config, create_app
from predictions.extensions import db
from predictions.services import questions, resolution
from predictions.web.limit_storage import SQLiteLimitStorage

from ..conftest import table_counts, write_statements
from .commenting import SLUG, Commenter, add_comment, new_commenter

REDIS_URL = "redis://127.0.0.1:6379/0"


def redis_answers() -> bool:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False
    return True


STORAGES = [
    "memory",
    "sqlite",
    pytest.param(
        "redis", marks=pytest.mark.skipif(not redis_answers(), reason="no local Redis server")
    ),
]
# Wide enough to stay out of the way; each test narrows the limit it is about.
WIDE = "1000 per second"


@pytest.fixture(params=STORAGES)
def storage_config(request, tmp_path):
    prefix = f"test-{uuid.uuid4().hex}"
    storage = {
        "memory": "memory://",
        "sqlite": f"sqlite:///{tmp_path / 'rate-limits.db'}",
        "redis": REDIS_URL,
    }[request.param]
    yield {
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": storage,
        "RATELIMIT_KEY_PREFIX": prefix,
        **{
            name: WIDE
            for name in (
                "COMMENT_LIMIT",
                "COMMENT_LIMIT_PER_IP",
                "COMMENT_EDIT_LIMIT",
                "FORECAST_LIMIT",
                "FORECAST_LIMIT_PER_IP",
                "FLAG_LIMIT",
                "FLAG_LIMIT_PER_IP",
                "NEW_READER_LIMIT_PER_IP",
            )
        },
    }
    if request.param == "redis":
        server = redis.Redis.from_url(REDIS_URL)
        keys = list(server.scan_iter(f"*{prefix}*"))
        if keys:
            server.delete(*keys)


@pytest.fixture
def extra_config() -> dict:
    return {}


@pytest.fixture
def app_config(storage_config, extra_config):
    return {**storage_config, **extra_config}


def assert_429(response, window_seconds: int) -> None:
    assert response.status_code == 429
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= window_seconds
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert int(response.headers["X-RateLimit-Limit"]) >= 1


def test_second_comment_within_fifteen_seconds_is_429_with_retry_after(app, seed):
    app.config["COMMENT_LIMIT"] = "1 per 15 seconds;20 per day"
    author = new_commenter(app)
    assert author.post("first").status_code == 202
    before = table_counts(app)
    response = author.post("second")
    assert_429(response, 15)
    body = response.json
    assert (body["code"], body["status"]) == (429, "Too Many Requests")
    assert "commenting too often" in body["message"]
    assert table_counts(app) == before


def test_daily_comment_limit_counts_every_comment_of_the_day(app, seed):
    app.config["COMMENT_LIMIT"] = "100 per 15 seconds;3 per day"
    author = new_commenter(app)
    for n in range(3):
        assert author.post(f"comment {n}").status_code == 202
    assert_429(author.post("one too many"), 24 * 3600)


def test_a_refused_comment_spends_nothing(app, seed):
    app.config["COMMENT_LIMIT"] = "1 per 15 seconds"
    author = new_commenter(app)
    assert author.post("   ").status_code == 422
    assert author.post("x" * 2001).status_code == 422
    assert author.post("now a real one").status_code == 202


def test_limit_is_per_reader(app, seed):
    app.config["COMMENT_LIMIT"] = "1 per 15 seconds"
    first, second = new_commenter(app), new_commenter(app)
    assert first.post("mine").status_code == 202
    assert second.post("also mine").status_code == 202
    assert first.post("again").status_code == 429


def test_per_ip_limit_catches_readers_who_shed_their_identity(app, seed):
    app.config["COMMENT_LIMIT_PER_IP"] = "2 per minute"
    for n in range(2):
        assert new_commenter(app).post(f"fresh reader {n}").status_code == 202
    assert_429(new_commenter(app).post("yet another identity"), 60)
    elsewhere = new_commenter(app)
    elsewhere.client.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert elsewhere.post("from another network").status_code == 202


def test_forecasts_are_limited_per_hour(app, seed):
    app.config["FORECAST_LIMIT"] = "2 per hour"
    reader = new_commenter(app)
    assert reader.forecast({"us-eu-strain": 50}).status_code == 201
    assert reader.forecast({"us-eu-strain": 55}).status_code == 201
    before = table_counts(app)
    assert_429(reader.forecast({"us-eu-strain": 60}), 3600)
    assert table_counts(app) == before


def test_forecast_with_a_comment_spends_the_comment_limit_too(app, seed):
    app.config["COMMENT_LIMIT"] = "1 per 15 seconds"
    reader = new_commenter(app)
    assert reader.forecast({"us-eu-strain": 50}, comment="why").status_code == 201
    assert reader.forecast({"us-eu-strain": 55}).status_code == 201
    before = table_counts(app)
    assert reader.forecast({"us-eu-strain": 60}, comment="why not").status_code == 429
    assert table_counts(app) == before


def test_flags_are_limited_per_hour(app, seed):
    app.config["FLAG_LIMIT"] = "1 per hour"
    author = new_commenter(app)
    first = add_comment(app, author.reader_id, "one")
    second = add_comment(app, author.reader_id, "two")
    flagger = new_commenter(app)
    assert flagger.flag(first).status_code == 201
    before = table_counts(app)
    assert_429(flagger.flag(second), 3600)
    assert table_counts(app) == before


def test_new_readers_per_ip_hash_per_day(app, client, seed):
    app.config["NEW_READER_LIMIT_PER_IP"] = "2 per day"
    for n in range(2):
        assert Commenter(app, app.test_client()).post(f"new {n}").status_code == 202
    before = table_counts(app)
    assert_429(Commenter(app, app.test_client()).post("third new reader"), 24 * 3600)
    assert table_counts(app) == before
    # A reader who already exists is not a new one.
    assert new_commenter(app).post("an old hand").status_code == 202


def test_page_form_gets_a_429_page_with_retry_after(app, client, seed):
    app.config["COMMENT_LIMIT"] = "1 per 15 seconds"
    client.post(f"/q/{SLUG}/comments", data={"c-body": "first"})
    before = table_counts(app)
    response = client.post(f"/q/{SLUG}/comments", data={"c-body": "second"})
    assert_429(response, 15)
    assert response.content_type.startswith("text/html")
    assert "commenting too often" in response.get_data(as_text=True)
    assert table_counts(app) == before


def test_forecast_page_form_is_limited_too(app, client, seed):
    app.config["FORECAST_LIMIT"] = "1 per hour"
    assert client.post(f"/q/{SLUG}", data={"p_us_eu_strain": "50"}).status_code == 303
    assert_429(client.post(f"/q/{SLUG}", data={"p_us_eu_strain": "60"}), 3600)


def test_limits_are_off_when_disabled(app, seed):
    app.config["COMMENT_LIMIT"] = "1 per hour"
    app.config["RATELIMIT_ENABLED"] = False
    author = new_commenter(app)
    assert author.post("one").status_code == 202
    assert author.post("two").status_code == 202


def new_reader_from(app, remote: str, forwarded: str):
    """A request without identity (so it creates a reader) from `remote`, claiming `forwarded`."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = remote
    return client.post(
        f"/api/v1/questions/{SLUG}/comments",
        json={"body": f"from {forwarded} via {remote}"},
        headers={"X-Forwarded-For": forwarded},
    )


def test_spoofed_forwarded_for_is_ignored_without_trusted_proxies(app, seed):
    app.config["NEW_READER_LIMIT_PER_IP"] = "1 per day"
    assert new_reader_from(app, "203.0.113.5", "192.0.2.1").status_code == 202
    # A different forged address from the same client changes nothing.
    assert new_reader_from(app, "203.0.113.5", "198.51.100.99").status_code == 429


class TestBehindOneProxy:
    @pytest.fixture
    def extra_config(self):
        return {"TRUSTED_PROXIES": 1}

    def test_forwarded_for_from_the_proxy_is_honoured(self, app, seed):
        app.config["NEW_READER_LIMIT_PER_IP"] = "1 per day"
        assert new_reader_from(app, "10.0.0.1", "192.0.2.1").status_code == 202
        # Another client behind the same proxy is another network.
        assert new_reader_from(app, "10.0.0.1", "198.51.100.1").status_code == 202
        # The same client through another proxy address is still the same client.
        assert new_reader_from(app, "10.0.0.2", "192.0.2.77").status_code == 429


@pytest.mark.parametrize("action", ["forecast", "comment", "flag"])
def test_a_limited_request_sends_no_write_to_the_database(app, seed, action):
    """The limits are spent before the write begins: nothing is written and rolled back."""
    for setting in ("FORECAST_LIMIT", "COMMENT_LIMIT", "FLAG_LIMIT"):
        app.config[setting] = "1 per hour"
    reader = new_commenter(app)
    comments = [add_comment(app, new_commenter(app).reader_id, f"c{n}") for n in range(2)]
    send = {
        "forecast": lambda n: reader.forecast({"us-eu-strain": 50 + n}, comment=f"why {n}"),
        "comment": lambda n: reader.post(f"comment {n}"),
        "flag": lambda n: reader.flag(comments[n]),
    }[action]
    assert send(0).status_code in (201, 202)
    with write_statements(app) as writes:
        assert_429(send(1), 3600)
    assert writes == []


def test_a_newcomer_is_counted_under_the_id_their_reader_gets(app, client, seed):
    app.config["COMMENT_LIMIT"] = "1 per 15 seconds"
    newcomer = Commenter(app, client)
    assert newcomer.post("my first words").status_code == 202
    assert_429(newcomer.post("and more at once"), 15)


@pytest.mark.parametrize("storage_config", STORAGES[:2], indirect=True)  # Redis: the next test
def test_a_newcomer_costs_no_test_of_their_own_counters(app, seed, monkeypatch):
    """A newcomer's id is drawn for the request: testing its counters (a round trip each to
    the SQLite file) could never refuse, so only the IP hash's are tested, and all are counted."""
    tested, counted = [], []
    strategy = app.extensions["predictions_limits"].strategy
    test, hit = strategy.test, strategy.hit
    monkeypatch.setattr(strategy, "test", lambda item, *key: tested.append(key) or test(item, *key))
    monkeypatch.setattr(strategy, "hit", lambda item, *key: counted.append(key) or hit(item, *key))
    body = {"probabilities": {"us-russia-cooperation": 40}}
    response = app.test_client().post(f"/api/v1/questions/{SLUG}/forecasts", json=body)
    assert response.status_code == 201
    assert sorted(key[1:3] for key in tested) == [("forecast", "ip"), ("new_reader", "ip")]
    assert sorted(key[1:3] for key in counted) == [
        ("forecast", "ip"), ("forecast", "reader"), ("new_reader", "ip"),
    ]  # fmt: skip


@pytest.mark.parametrize("storage_config", STORAGES[2:], indirect=True)
def test_on_redis_a_requests_limits_cost_one_round_trip(app, seed, monkeypatch):
    client = app.extensions["predictions_limits"].storage.get_connection()
    commands = []
    execute = client.execute_command
    monkeypatch.setattr(
        client,
        "execute_command",
        lambda *args, **kw: commands.append(args[0]) or execute(*args, **kw),
    )
    body = {"probabilities": {"us-russia-cooperation": 40}, "comment": "Talks will stall."}
    response = app.test_client().post(f"/api/v1/questions/{SLUG}/forecasts", json=body)
    assert response.status_code == 201
    assert commands == ["EVALSHA"]  # forecast, comment and new reader: per reader and per IP
    prefix = app.config["RATELIMIT_KEY_PREFIX"]
    counted = {tuple(key.decode().split("/")[2:4]) for key in client.scan_iter(f"*{prefix}/*")}
    assert counted == {
        ("forecast", "reader"), ("forecast", "ip"), ("comment", "reader"), ("comment", "ip"),
        ("new_reader", "ip"),
    }  # fmt: skip


@pytest.mark.parametrize("storage_config", STORAGES[2:], indirect=True)
def test_on_redis_racing_requests_spend_a_limit_exactly(app, seed):
    from limits import parse

    counters = app.extensions["predictions_limits"]
    check = (parse("3 per hour"), (app.config["RATELIMIT_KEY_PREFIX"], "race", "ip", "x"), "no")
    with app.app_context(), ThreadPoolExecutor(8) as pool:
        refusals = list(pool.map(lambda _: counters.spend([check], []), range(24)))
    assert sum(refusal is None for refusal in refusals) == 3
    assert {refusal[0] for refusal in refusals if refusal is not None} == {"no"}


def test_what_the_domain_refuses_spends_nothing(app, seed):
    app.config["FLAG_LIMIT"] = "1 per hour"
    app.config["FORECAST_LIMIT"] = "1 per hour"
    app.config["COMMENT_LIMIT"] = "1 per hour"
    reader = new_commenter(app)
    first, second = (add_comment(app, new_commenter(app).reader_id, f"c{n}") for n in range(2))
    own = add_comment(app, reader.reader_id, "mine")
    assert reader.flag(own).status_code == 403
    assert reader.post("a reply", parent_id=10_000).status_code == 422
    with app.app_context():
        scenario = questions.get_by_slug(seed).scenario("us-eu-strain")
        resolution.resolve(scenario, "yes", None, "It happened.")
        db.session.commit()
    assert reader.forecast({"us-eu-strain": 50}).status_code == 409
    assert reader.forecast({"global-instability": 50}, comment="\u2800").status_code == 422
    # None of the refusals above counted: each limit still has its one unit.
    assert reader.flag(first).status_code == 201
    assert reader.flag(first).status_code == 409  # a duplicate, refused before the limit
    assert reader.forecast({"global-instability": 50}).status_code == 201
    assert reader.post("now a comment").status_code == 202
    assert_429(reader.flag(second), 3600)


def test_a_429_names_the_spent_limit_and_its_reset(app, seed):
    app.config["FORECAST_LIMIT"] = "2 per hour"
    reader = new_commenter(app)
    assert reader.forecast({"us-eu-strain": 50}).status_code == 201
    assert reader.forecast({"us-eu-strain": 55}).status_code == 201
    refused = reader.forecast({"us-eu-strain": 60})
    assert_429(refused, 3600)
    assert refused.headers["X-RateLimit-Limit"] == "2"
    reset_in = int(refused.headers["X-RateLimit-Reset"]) - time.time()
    assert abs(reset_in - int(refused.headers["Retry-After"])) <= 1


def test_an_answer_within_the_limits_carries_no_rate_limit_headers(app, seed):
    response = new_commenter(app).forecast({"us-eu-strain": 50})
    assert response.status_code == 201
    assert not [name for name, _ in response.headers if name.startswith("X-RateLimit")]


# The SQLite storage: what `make run` counts in when REDIS_URL is not set.


def sqlite_app(path: Path, limit: str = "5 per day"):
    """An app counting in the SQLite file at path, as each gunicorn worker would."""
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": "sqlite://",
            "SECRET_KEY": "test-secret",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_STORAGE_URI": f"sqlite:///{path}",
            "NEW_READER_LIMIT_PER_IP": limit,
        }
    )


def new_readers_accepted(app, tries: int) -> int:
    with app.app_context():
        db.create_all()
        questions.load_seed()
        db.session.commit()
    accepted = 0
    for _ in range(tries):
        status = Commenter(app, app.test_client()).forecast({"us-eu-strain": 50}).status_code
        assert status in (201, 429)
        accepted += status == 201
    return accepted


def test_workers_counting_in_one_sqlite_file_share_the_limit_exactly(tmp_path):
    path = tmp_path / "rate-limits.db"
    first, second = sqlite_app(path, "5 per day"), sqlite_app(path, "5 per day")
    assert new_readers_accepted(first, 3) == 3
    assert new_readers_accepted(second, 4) == 2
    # A worker started afresh (a restart) finds the count where it was.
    assert new_readers_accepted(sqlite_app(path, "5 per day"), 2) == 0


def test_limits_count_in_memory_while_their_storage_fails(tmp_path):
    app = sqlite_app(tmp_path / "missing" / "rate-limits.db", "3 per day")  # cannot be opened
    # Counted in the worker's memory instead: never a 500, and the limit still holds.
    assert new_readers_accepted(app, 4) == 3


def test_moderator_logins_counted_by_two_workers_stop_at_five(tmp_path):
    path = tmp_path / "rate-limits.db"
    first, second = sqlite_app(path), sqlite_app(path)
    for app in (first, second):
        with app.app_context():
            db.create_all()
    attempts = [first, second, first, second, first, second]
    responses = [
        app.test_client().post("/moderation/login", data={"name": "mia", "password": "x" * 16})
        for app in attempts
    ]
    assert [response.status_code for response in responses] == [401] * 5 + [429]


def test_sqlite_storage_opens_a_new_window_when_the_last_one_ran_out(tmp_path, clock):
    storage = SQLiteLimitStorage(f"sqlite:///{tmp_path / 'limits.db'}")
    assert [storage.incr("k", 60) for _ in range(3)] == [1, 2, 3]
    assert storage.get("k") == 3
    assert storage.get_expiry("k") == pytest.approx(time.time() + 60)
    clock.shift(61)
    assert storage.get("k") == 0
    assert storage.incr("k", 60, amount=2) == 2
    assert storage.get_expiry("k") == pytest.approx(time.time() + 60)
    storage.clear("k")
    assert storage.get("k") == 0
    assert storage.check()


# Run in processes of their own: they keep real time, which the stopped clock here does not.
COUNT_IN = """
import sys, threading
from predictions.web.limit_storage import SQLiteLimitStorage
storage = SQLiteLimitStorage("sqlite:///" + sys.argv[1])
def count():
    for _ in range(100):
        storage.incr("shared", 3600)
threads = [threading.Thread(target=count) for _ in range(4)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
"""


def test_sqlite_storage_counts_exactly_from_threads_and_processes(tmp_path):
    path = tmp_path / "limits.db"
    processes = [subprocess.Popen([sys.executable, "-c", COUNT_IN, str(path)]) for _ in range(3)]
    assert [process.wait(timeout=60) for process in processes] == [0, 0, 0]
    with closing(sqlite3.connect(path)) as connection:
        rows = connection.execute("SELECT count FROM counters WHERE key = 'shared'").fetchall()
    assert rows == [(3 * 4 * 100,)]


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"REDIS_URL": "redis://cache:6379/0"}, "redis://cache:6379/0"),
        ({"TESTING": True}, "memory://"),
        (
            {"SQLALCHEMY_DATABASE_URI": "sqlite:////srv/data/p.db"},
            "sqlite:////srv/data/rate-limits.db",
        ),
        (
            {"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://db/p"},
            "sqlite:////inst/rate-limits.db",
        ),
        ({"SQLALCHEMY_DATABASE_URI": "sqlite://"}, "sqlite:////inst/rate-limits.db"),
    ],
)
def test_the_limits_count_beside_the_data_unless_redis_is_set(settings, expected):
    assert config.ratelimit_storage_uri(settings, "/inst") == expected
