"""The scale-out deployment for real: two gunicorn servers, one PostgreSQL, one Redis.

Each server stands for a machine behind the load balancer: what one stores the other counts, and
a rate limit counted on one is spent on the other.
"""

import uuid
from collections.abc import Iterator

import pytest

from ..conftest import POSTGRES_URL
from .load import (
    SCENARIOS,
    forecast,
    postgres_schema_url,
    probabilities,
    request,
)
from .load import shared_redis_url as shared_redis_url  # noqa: F401 (fixture)
from .server import app_env, prepare_database, start_server, stop_server

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(POSTGRES_URL is None, reason="needs PostgreSQL"),
]

QUESTION = "/api/v1/questions/us-russia-relations"
LIMIT = 3
COUNTING_NETWORK = {"X-Forwarded-For": "198.51.100.7"}
LIMITED_NETWORK = {"X-Forwarded-For": "203.0.113.7"}


@pytest.fixture(scope="module")
def two_machines(shared_redis_url: str) -> Iterator[tuple[str, str]]:
    """Two separately started servers on one PostgreSQL schema and one Redis."""
    with postgres_schema_url("scale") as database_url:
        env = app_env(
            database_url,
            REDIS_URL=shared_redis_url,
            # A key of its own: this test's limit counters never meet another run's in Redis.
            SECRET_KEY=f"scale-out-{uuid.uuid4().hex}",
            FORECAST_LIMIT=f"{LIMIT}/hour",
            FORECAST_LIMIT_PER_IP=f"{LIMIT}/hour",
            TRUSTED_PROXIES="1",  # each test speaks from a network of its own (X-Forwarded-For)
        )
        prepare_database(env)
        processes = []
        try:
            for _machine in range(2):
                processes.append(start_server(env, workers=2))
            yield processes[0][1], processes[1][1]
        finally:
            for process, _url in processes:
                stop_server(process)


def test_a_forecast_made_on_one_machine_is_counted_on_the_other(two_machines):
    first, second = two_machines
    before = request(second, "GET", QUESTION).body["forecaster_count"]
    made = forecast(first, probabilities(1), headers=COUNTING_NETWORK)
    assert made.status == 201
    assert request(second, "GET", QUESTION).body["forecaster_count"] == before + 1
    mine = request(second, "GET", QUESTION + "/forecasts/mine", token=made.token)
    assert mine.status == 200
    assert {key: item["probability"] for key, item in mine.body["active"].items()} == (
        probabilities(1)
    )
    # An update on the second machine closes the forecast made on the first.
    assert forecast(second, {SCENARIOS[0]: 50}, made.token, COUNTING_NETWORK).status == 201
    history = request(first, "GET", QUESTION + "/forecasts/mine", token=made.token).body["history"]
    first_scenario = [item for item in history if item["scenario"] == SCENARIOS[0]]
    assert [item["probability"] for item in first_scenario] == [probabilities(1)[SCENARIOS[0]], 50]
    assert first_scenario[0]["ended_at"] is not None


def test_a_rate_limit_counted_on_one_machine_is_spent_on_the_other(two_machines):
    first, second = two_machines
    token = forecast(first, probabilities(1), headers=LIMITED_NETWORK).token
    machines = [second, first, second, first]
    replies = [
        forecast(m, probabilities(2 + n), token, LIMITED_NETWORK) for n, m in enumerate(machines)
    ]
    # Before the refusal each machine had seen 2 requests: only a shared counter reaches 3.
    assert [r.status for r in replies] == [201] * (LIMIT - 1) + [429, 429]
    refused = replies[LIMIT - 1]
    assert refused.body["code"] == 429
    assert int(refused.headers["retry-after"]) > 0
    stored = request(first, "GET", QUESTION + "/forecasts/mine", token=token).body["active"]
    assert {k: v["probability"] for k, v in stored.items()} == probabilities(LIMIT)
