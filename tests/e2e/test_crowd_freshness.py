"""The crowd never goes back, for real: gunicorn with two workers on SQLite, and two servers on
one PostgreSQL with Redis as the shared cache.

Each client records the version and the numbers of every aggregate it reads. Per client the
version never goes back, a client's own change shows in its next read, and every read of one
version, by any client on any worker or machine, shows the same numbers (the recency median
too, unless the answer says it lags, and then by no more than the configured bound).
"""

import random
import subprocess
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

import pytest

from predictions.core.pseudonyms import token_hash

from .load import (
    E2E_DATABASES,
    FORECASTS,
    QUESTION,
    SCENARIOS,
    Reply,
    counts_agree,
    database,
    empty_database,
    forecast,
    in_parallel,
    request,
    scalar,
    server_settings,
)
from .load import shared_redis_url as shared_redis_url  # noqa: F401 (fixture)
from .server import (
    PROJECT_ROOT,
    _command,
    app_env,
    prepare_database,
    run_flask,
)

pytestmark = pytest.mark.e2e

AGGREGATE = QUESTION + "/aggregate"
LAG_SECONDS = 2  # AGGREGATE_CACHE_SECONDS of the servers: how far a recency median may lag
CLIENTS = 6
STEPS = 20
RESOLVED = SCENARIOS[2]  # the race with a resolution comes last: it closes this scenario


@dataclass
class Deployment:
    urls: list[str]  # one server (SQLite) or two "machines" (PostgreSQL)
    database_url: str
    env: dict[str, str]
    moderator: str  # a moderator's API token: they see the crowd whatever they forecast


def moderator_token(env: dict[str, str]) -> str:
    """A moderator account, made with the CLI as an operator would; its new API token."""
    subprocess.run(
        [*_command("flask", "flask"), "--app", "predictions"]
        + ["moderators", "create", "ops", "--password-stdin"],
        cwd=PROJECT_ROOT,
        env=env,
        input="a long enough password for the tests\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return run_flask(env, "moderators", "token", "ops").strip().splitlines()[-1]


@pytest.fixture(scope="module", params=E2E_DATABASES)
def deployment(
    request: pytest.FixtureRequest, tmp_path_factory, server_factory_module
) -> Iterator[Deployment]:
    """SQLite: one gunicorn with 2 workers, each with its own memory. PostgreSQL: two servers
    of 2 workers each on one schema, sharing Redis (as two machines behind a balancer)."""
    kind = request.param
    settings = server_settings(
        AGGREGATE_CACHE_SECONDS=str(LAG_SECONDS),
        AGGREGATE_CACHE_PREFIX=f"e2e-crowd-{uuid.uuid4().hex}:",
    )
    if kind == "postgresql":
        settings["REDIS_URL"] = request.getfixturevalue("shared_redis_url")
    with empty_database(kind, tmp_path_factory.mktemp("crowd")) as url:
        env = app_env(url, **settings)
        prepare_database(env)
        token = moderator_token(env)
        machines = 2 if kind == "postgresql" else 1
        urls = [server_factory_module(env, workers=2) for _ in range(machines)]
        yield Deployment(urls, url, env, token)


@dataclass(frozen=True)
class Seen:
    """One aggregate as a client read it."""

    version: int
    numbers: tuple  # everything but the recency medians
    recency: tuple  # the recency medians
    lags: bool
    as_of: datetime
    recency_as_of: datetime | None


def seen(reply: Reply) -> Seen:
    assert reply.status == 200, reply
    body = reply.body
    numbers = [body["forecaster_count"]]
    for row in body["scenarios"]:
        assert row["visible"], row  # a moderator sees every scenario
        fields = {k: tuple(v) if isinstance(v, list) else v for k, v in row.items()}
        numbers.append(tuple(sorted((k, v) for k, v in fields.items() if k != "recency_median")))
    recency_as_of = body.get("recency_as_of")
    return Seen(
        version=body["version"],
        numbers=tuple(numbers),
        recency=tuple(row["recency_median"] for row in body["scenarios"]),
        lags=recency_as_of is not None,
        as_of=datetime.fromisoformat(body["as_of"]),
        recency_as_of=datetime.fromisoformat(recency_as_of) if recency_as_of else None,
    )


def read(deployment: Deployment, base_url: str) -> Seen:
    return seen(request(base_url, "GET", AGGREGATE, token=deployment.moderator))


def reads_everywhere(deployment: Deployment, per_server: int = 8) -> list[Seen]:
    """Enough reads on every server that both of its workers answer some (new connections)."""
    return [read(deployment, url) for url in deployment.urls for _ in range(per_server)]


def n_per_scenario(item: Seen) -> list[int]:
    return [dict(row)["n"] for row in item.numbers[1:]]


def reader_id(deployment: Deployment, token: str) -> str:
    with database(deployment.database_url) as engine:
        return scalar(engine, "SELECT id FROM readers WHERE token_hash = :h", h=token_hash(token))


def test_a_ban_an_unban_and_a_new_forecast_show_in_the_next_read_everywhere(deployment):
    first = deployment.urls[0]
    tokens = [forecast(first, {k: 30 + 10 * i for k in SCENARIOS}).token for i in range(3)]
    assert all(tokens)
    before = reads_everywhere(deployment)  # every worker now keeps this crowd
    assert len({item.numbers for item in before}) == 1, "no change, yet different numbers"
    moderator = {"token": deployment.moderator}
    banned = reader_id(deployment, tokens[0])
    ban = request(
        deployment.urls[-1],
        "POST",
        f"/api/v1/moderation/readers/{banned}/ban",
        {"reason": "spam"},
        **moderator,
    )
    assert ban.status == 200, ban
    for item in reads_everywhere(deployment):
        assert item.version > before[-1].version
        assert item.numbers[0] == before[-1].numbers[0] - 1  # the forecaster count
        assert n_per_scenario(item) == [n - 1 for n in n_per_scenario(before[-1])]
    unban = request(
        deployment.urls[0],
        "POST",
        f"/api/v1/moderation/readers/{banned}/unban",
        {},
        **moderator,
    )
    assert unban.status == 200, unban
    unbanned = reads_everywhere(deployment)
    for item in unbanned:
        assert item.numbers == before[-1].numbers  # the same crowd again, at a later version
    assert forecast(deployment.urls[-1], {k: 99 for k in SCENARIOS}).status == 201
    for item in reads_everywhere(deployment):
        assert item.version > unbanned[-1].version
        assert n_per_scenario(item) == [n + 1 for n in n_per_scenario(unbanned[-1])]


def test_interleaved_writers_and_readers_never_see_the_crowd_go_back(deployment):
    by_version: dict[int, Seen] = {}
    exact_recency: dict[int, tuple] = {}
    lock = threading.Lock()

    def remember(item: Seen) -> None:
        with lock:
            first = by_version.setdefault(item.version, item)
            assert item.numbers == first.numbers, f"version {item.version}: two crowds"
            if not item.lags:
                recency = exact_recency.setdefault(item.version, item.recency)
                assert item.recency == recency, f"version {item.version}: two recency medians"

    def client(number: int) -> list[Seen]:
        rng = random.Random(number)
        token = None
        standing: dict[str, int] = {}  # this client's forecasts now
        history: list[Seen] = []

        def look(step: int) -> Seen:
            # Round robin over the machines; the workers behind each take turns by themselves.
            item = read(deployment, deployment.urls[(number + step) % len(deployment.urls)])
            if history:
                assert item.version >= history[-1].version, "the crowd went back"
                assert item.as_of >= history[-1].as_of
            if item.lags:
                lag = (item.as_of - item.recency_as_of).total_seconds()
                assert 0 < lag <= LAG_SECONDS + 1, lag
            remember(item)
            history.append(item)
            return item

        look(0)
        for step in range(1, STEPS + 1):
            action = rng.choice(["forecast", "forecast", "read", "withdraw"])
            base_url = deployment.urls[(number + step) % len(deployment.urls)]
            before = history[-1].version
            if action == "forecast":
                percents = {k: rng.randint(1, 99) for k in rng.sample(SCENARIOS, 2)}
                changes = percents.items() - standing.items()
                reply = forecast(base_url, percents, token)
                assert reply.status == 201, reply
                token = token or reply.token
                standing.update(percents)
            elif action == "withdraw" and token:
                changes = bool(standing)
                reply = request(base_url, "DELETE", FORECASTS + "/mine", token=token)
                assert reply.status == 200, reply
                standing.clear()
            else:
                look(step)
                continue
            # Read-your-writes: after a change, the next read (on the other worker or machine)
            # is of a later version than any this client saw before it.
            after = look(step + 1)
            if changes:
                assert after.version > before
        return history

    histories = in_parallel([lambda n=n: client(n) for n in range(CLIENTS)], CLIENTS)
    assert all(len(h) > STEPS // 2 for h in histories)
    # Quiet now: every worker and machine agrees with the forecasts themselves.
    with database(deployment.database_url) as engine:
        agreement = counts_agree(engine)
    final = reads_everywhere(deployment, per_server=4)
    assert len({(item.version, item.numbers) for item in final}) == 1
    assert n_per_scenario(final[0]) == [agreement[key][1] for key in SCENARIOS]


def test_a_forecast_racing_a_resolution_gets_409_and_is_not_stored(deployment):
    updating = [forecast(deployment.urls[0], {RESOLVED: 50}).token for _ in range(4)]
    answered = threading.Semaphore(0)
    resolved = threading.Event()

    def writer(number: int) -> list[int]:
        # New readers and updating ones, until a few requests after the resolution is in.
        statuses: list[int] = []
        after = 0
        for attempt in range(20_000):  # bounded; the resolution ends it long before
            if resolved.is_set():
                after += 1
                if after > 5:
                    break
            base_url = deployment.urls[(number + attempt) % len(deployment.urls)]
            token = updating[number] if attempt % 2 else None
            reply = forecast(base_url, {RESOLVED: 1 + (number * 13 + attempt) % 99}, token)
            statuses.append(reply.status)
            answered.release()
        return statuses

    with ThreadPoolExecutor(max_workers=len(updating)) as pool:
        futures = [pool.submit(writer, n) for n in range(len(updating))]
        for _ in range(20):  # the resolution comes in the middle of the writes
            assert answered.acquire(timeout=60)
        try:
            # The CLI, as an admin would: on SQLite it queues for the lock with the writers.
            run_flask(
                deployment.env,
                *("scenarios", "resolve", "us-russia-relations", RESOLVED, "yes"),
                *("--note", "It happened."),
            )
        finally:
            resolved.set()
        statuses = [status for future in futures for status in future.result(timeout=120)]
    assert set(statuses) <= {201, 409}, sorted(set(statuses))
    assert statuses.count(201) >= 20 and 409 in statuses
    with database(deployment.database_url) as engine:
        late = scalar(
            engine,
            "SELECT count(*) FROM forecasts f JOIN scenarios s ON s.id = f.scenario_id "
            "WHERE s.key = :key AND f.created_at > s.resolved_at",
            key=RESOLVED,
        )
        agreement = counts_agree(engine)
    assert late == 0  # every forecast stored was made before the resolution
    assert all(kept == active for kept, active in agreement.values()), agreement
    # And after it, every worker refuses: 409, never 500.
    for base_url in deployment.urls:
        for _ in range(4):
            assert forecast(base_url, {RESOLVED: 50}).status == 409
