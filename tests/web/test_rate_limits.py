"""Forecast rate limits (SPEC §6): per reader and per IP-prefix hash, 429 with Retry-After.

The counters live in Redis when REDIS_URL is set (as in CI's second pass), in memory otherwise.
"""

import os
import uuid

import pytest

from predictions.config import from_environment

from ..conftest import table_counts

LIMIT = 3
FORECASTS = "/api/v1/questions/{slug}/forecasts"


@pytest.fixture
def app_config() -> dict:
    return {
        "RATELIMIT_ENABLED": True,
        "FORECAST_RATE_LIMIT": f"{LIMIT}/hour",
        "RATELIMIT_STORAGE_URI": os.environ.get("REDIS_URL") or "memory://",
        # The IP hash and the token are keyed by nothing another test (or another run sharing
        # Redis) uses, so their counters never meet this one's.
        "SECRET_KEY": f"test-{uuid.uuid4().hex}",
    }


def post(client, slug, percent, token=None, address="192.0.2.10"):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post(
        FORECASTS.format(slug=slug),
        json={"probabilities": {"us-eu-strain": percent}},
        headers=headers,
        environ_base={"REMOTE_ADDR": address},
    )


def test_forecasts_over_the_limit_answer_429_with_retry_after(app, client, seed):
    token = post(client, seed, 10).json["reader_token"]
    for percent in range(11, 10 + LIMIT):
        assert post(client, seed, percent, token).status_code == 201
    before = table_counts(app)
    response = post(client, seed, 50, token)
    assert response.status_code == 429
    assert response.json["code"] == 429
    assert response.json["status"] == "Too Many Requests"
    assert "try again" in response.json["message"]
    assert int(response.headers["Retry-After"]) > 0
    assert table_counts(app) == before


def test_a_reader_is_limited_whatever_network_they_come_from(client, seed):
    # The request that creates the reader is counted by its network only.
    token = post(client, seed, 10, address="192.0.2.10").json["reader_token"]
    addresses = [f"198.51.{n}.7" for n in range(LIMIT + 1)]
    statuses = [
        post(client, seed, 20 + n, token, address).status_code
        for n, address in enumerate(addresses)
    ]
    assert statuses == [201] * LIMIT + [429]


def test_new_readers_from_one_network_share_its_limit(client, seed):
    # Different hosts of one /24 are one network prefix: the IP-hash limit counts them together.
    statuses = [
        post(client, seed, 40, address=f"203.0.113.{n}").status_code for n in range(LIMIT + 1)
    ]
    assert statuses == [201] * LIMIT + [429]
    assert post(client, seed, 40, address="203.0.114.1").status_code == 201


def test_page_form_and_api_share_one_budget(client, seed):
    for n in range(LIMIT):
        assert post(client, seed, 30 + n, address="192.0.2.99").status_code == 201
    page = client.post(
        f"/q/{seed}", data={"p_us_eu_strain": "40"}, environ_base={"REMOTE_ADDR": "192.0.2.99"}
    )
    assert page.status_code == 429
    assert page.content_type.startswith("text/html")
    assert int(page.headers["Retry-After"]) > 0


def test_reading_is_not_counted(client, seed):
    for _ in range(LIMIT + 2):
        assert client.get(f"/q/{seed}").status_code == 200
    assert post(client, seed, 40).status_code == 201


@pytest.mark.parametrize(("value", "enabled"), [("false", False), ("0", False), ("true", True)])
def test_rate_limits_switch_by_environment(value, enabled):
    assert from_environment({"RATELIMIT_ENABLED": value})["RATELIMIT_ENABLED"] is enabled


def test_the_forecast_limit_is_configurable_by_environment():
    assert from_environment({"FORECAST_RATE_LIMIT": "5/minute"}) == {
        "FORECAST_RATE_LIMIT": "5/minute"
    }
