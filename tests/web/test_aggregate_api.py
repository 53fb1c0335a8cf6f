"""GET /api/v1/questions/{slug}/aggregate: the SPEC's numbers, hidden until you forecast."""

import math

import numpy as np
import pytest

from predictions.core.aggregation import aggregate

from ..conftest import ApiReader
from .crowd_helpers import AGGREGATE, add_readers, close, moderator_headers, set_ban

COOP, EU, INST = "us-russia-cooperation", "us-eu-strain", "global-instability"
CROWD_FIELDS = {
    "n",
    "median",
    "mean",
    "gmo",
    "p25",
    "p75",
    "recency_median",
    "extremized",
    "delta_pp",
    "odds_ratio",
    "share_above",
    "share_equal",
    "share_below",
    "histogram",
}


@pytest.fixture
def app_config():
    return {"AGGREGATE_CACHE_SECONDS": 0}


def scenario(body: dict, key: str) -> dict:
    return next(s for s in body["scenarios"] if s["key"] == key)


def test_spec_recency_vector_through_the_api(app, client, seed):
    add_readers(app, seed, [{COOP: 80}, {COOP: 70}, {COOP: 60}])
    close(app, seed)
    row = scenario(client.get(AGGREGATE.format(slug=seed)).json, COOP)
    assert row["n"] == 3
    assert row["median"] == 70
    assert row["recency_median"] == 70
    assert row["baseline"] == 40


def test_spec_recency_vector_of_four_and_even_median(app, client, seed):
    add_readers(app, seed, [{COOP: 80, EU: 80}, {COOP: 70, EU: 60}, {COOP: 50}, {COOP: 60}])
    close(app, seed)
    body = client.get(AGGREGATE.format(slug=seed)).json
    assert scenario(body, COOP)["recency_median"] == 60
    assert scenario(body, EU)["median"] == 70  # [0.8, 0.6] -> 0.7


def test_aggregate_matches_reference_and_numpy(app, client, seed):
    values = [12, 35, 35, 40, 41, 58, 60, 77, 90, 99, 1]
    add_readers(app, seed, [{EU: v} for v in values])
    close(app, seed)
    row = scenario(client.get(AGGREGATE.format(slug=seed)).json, EU)
    reference = aggregate(values, 60)
    for name in CROWD_FIELDS - {"histogram", "n"}:
        assert row[name] == pytest.approx(
            round(getattr(reference, name), 2 if name != "odds_ratio" else 4)
        )
    assert row["median"] == np.median(values)
    assert row["p25"] == pytest.approx(np.percentile(values, 25))
    p = np.array(values) / 100
    gmo = 1 / (1 + math.exp(-np.mean(np.log(p / (1 - p)))))
    assert row["gmo"] == pytest.approx(100 * gmo, abs=0.005)
    assert row["histogram"] == list(reference.histogram)
    assert sum(row["histogram"]) == row["n"] == len(values)


def test_crowd_hidden_from_reader_who_has_not_forecast(app, client, seed):
    add_readers(app, seed, [{COOP: 50}] * 6)
    body = client.get(AGGREGATE.format(slug=seed)).json
    assert body["visible"] is False
    assert body["forecaster_count"] == 6
    assert "forecast first" in body["hidden_reason"]
    for row in body["scenarios"]:
        # crowd fields absent; each row says it is hidden, and why
        assert set(row) == {"key", "label", "baseline", "visible", "hidden_reason"}
        assert row["visible"] is False
        assert "forecast on this scenario first" in row["hidden_reason"]


def test_crowd_hidden_under_min_crowd_then_visible(app, api_reader, seed):
    add_readers(app, seed, [{COOP: 50, EU: 50, INST: 50}] * 3)
    api_reader.forecast({COOP: 20, EU: 20, INST: 20})
    url = AGGREGATE.format(slug=seed)
    body = api_reader.client.get(url, headers=api_reader.headers).json
    assert body["visible"] is False and body["forecaster_count"] == 4
    assert "5 readers" in body["hidden_reason"]
    assert "median" not in scenario(body, COOP)
    add_readers(app, seed, [{COOP: 50, EU: 50, INST: 50}])
    body = api_reader.client.get(url, headers=api_reader.headers).json
    assert body["visible"] is True and body["hidden_reason"] is None
    assert scenario(body, COOP)["n"] == 5
    assert scenario(body, COOP)["median"] == 50


def test_moderator_sees_everything(app, client, seed):
    add_readers(app, seed, [{COOP: 30}])
    body = client.get(AGGREGATE.format(slug=seed), headers=moderator_headers(app)).json
    assert body["visible"] is True
    assert scenario(body, COOP)["median"] == 30


def test_bad_moderator_token_is_refused(client, seed):
    response = client.get(AGGREGATE.format(slug=seed), headers={"Authorization": "Bearer mod_x"})
    assert response.status_code == 401


def test_closed_question_is_visible_to_all(app, client, seed):
    add_readers(app, seed, [{INST: 90}])
    close(app, seed)
    body = client.get(AGGREGATE.format(slug=seed)).json
    assert body["visible"] is True
    assert scenario(body, INST)["median"] == 90
    assert scenario(body, COOP)["n"] == 0 and scenario(body, COOP)["median"] is None


def test_banned_reader_leaves_the_aggregate_and_comes_back(app, client, seed):
    ids = add_readers(app, seed, [{COOP: 10}, {COOP: 20}, {COOP: 90, EU: 90}])
    close(app, seed)
    url = AGGREGATE.format(slug=seed)
    set_ban(app, ids[2], True)
    body = client.get(url).json
    assert body["forecaster_count"] == 2
    assert scenario(body, COOP)["n"] == 2 and scenario(body, COOP)["median"] == 15
    assert scenario(body, EU)["n"] == 0
    set_ban(app, ids[2], False)
    body = client.get(url).json
    assert body["forecaster_count"] == 3 and scenario(body, COOP)["median"] == 20


def test_unknown_question_is_404(client, seed):
    assert client.get(AGGREGATE.format(slug="nope")).status_code == 404


def test_forecast_response_has_crowd_only_once_visible(app, api_reader, seed):
    first = api_reader.forecast({COOP: 20}).json
    assert "crowd_median" not in first["comparison"][COOP]
    add_readers(app, seed, [{COOP: 50}, {COOP: 60}, {COOP: 70}, {COOP: 80}])
    body = api_reader.forecast({COOP: 25}).json
    row = body["comparison"][COOP]
    assert row["crowd_median"] == 60
    assert row["crowd_summary"] == (
        "You rate “Increased US-Russia Cooperation” lower than 100 % of other readers do "
        "(crowd median 60 %)."
    )


def test_without_a_lag_allowed_the_recency_median_is_always_exact(app, client, seed):
    add_readers(app, seed, [{COOP: 10}, {COOP: 20}, {COOP: 30}])
    close(app, seed)
    url = AGGREGATE.format(slug=seed)
    assert scenario(client.get(url).json, COOP)["recency_median"] == 20
    add_readers(app, seed, [{COOP: 90}] * 4)
    body = client.get(url).json
    assert scenario(body, COOP)["recency_median"] == 90 and "recency_as_of" not in body


def test_recency_median_may_lag_within_the_bound_and_says_so(app, client, seed, clock):
    app.config["AGGREGATE_CACHE_SECONDS"] = 60
    add_readers(app, seed, [{COOP: 10}, {COOP: 20}, {COOP: 30}])
    close(app, seed)
    url = AGGREGATE.format(slug=seed)
    before = client.get(url).json
    assert scenario(before, COOP)["recency_median"] == 20 and "recency_as_of" not in before
    clock.shift(20)
    add_readers(app, seed, [{COOP: 90}] * 4)
    lagging = client.get(url).json
    row = scenario(lagging, COOP)
    assert row["n"] == 7 and row["median"] == 90  # exact and current
    assert row["recency_median"] == 20  # from the crowd 20 seconds ago, and the answer says so
    assert lagging["recency_as_of"] == before["as_of"] < lagging["as_of"]
    assert lagging["version"] > before["version"]
    # Serving it, over a quarter of the bound old, set off the refresh (in a thread of the
    # worker; in these tests at once).
    exact = client.get(url).json
    assert scenario(exact, COOP)["recency_median"] == 90 and "recency_as_of" not in exact
    assert exact["version"] == lagging["version"]
    # Older than the bound, a lagging median is not served: it is computed on the request.
    add_readers(app, seed, [{COOP: 10}] * 8)
    clock.shift(61)
    late = client.get(url).json
    assert scenario(late, COOP)["recency_median"] == 10 and "recency_as_of" not in late


def test_reads_keep_the_recency_median_known_exact_through_a_quiet_spell(app, client, seed, clock):
    app.config["AGGREGATE_CACHE_SECONDS"] = 60
    add_readers(app, seed, [{COOP: 10}, {COOP: 20}, {COOP: 30}])
    close(app, seed)
    url = AGGREGATE.format(slug=seed)
    client.get(url)
    clock.shift(50)
    confirmed = client.get(url).json  # still exact: that moment is remembered
    clock.shift(20)
    add_readers(app, seed, [{COOP: 90}] * 4)
    # 70 s after it was computed, but 20 s after it was last known exact: it may serve.
    lagging = client.get(url).json
    assert scenario(lagging, COOP)["recency_median"] == 20
    assert lagging["recency_as_of"] == confirmed["as_of"]


def test_every_change_shows_at_once_however_long_crowds_are_kept(app, seed):
    app.config["CROWD_CACHE_SECONDS"] = 3600
    app.config["MIN_CROWD"] = 1
    ids = add_readers(app, seed, [{COOP: 10}, {COOP: 20}, {COOP: 30}])
    reader = ApiReader(app.test_client(), seed)
    assert reader.forecast({COOP: 40}).status_code == 201
    url = AGGREGATE.format(slug=seed)

    def read() -> dict:
        return reader.client.get(url, headers=reader.headers).json

    first = read()
    assert scenario(first, COOP)["n"] == 4 and read() == first  # kept, and nothing changed
    add_readers(app, seed, [{COOP: 90}] * 4)
    second = read()  # others' forecasts show at once: the crowd kept was of an older version
    assert scenario(second, COOP)["n"] == 8 and second["version"] > first["version"]
    set_ban(app, ids[0], True)
    third = read()  # so does a ban
    assert scenario(third, COOP)["n"] == 7 and third["forecaster_count"] == 7
    assert third["version"] > second["version"]
    assert reader.forecast({COOP: 45}).status_code == 201
    latest = read()  # and the reader's own change
    assert scenario(latest, COOP)["n"] == 7 and latest["version"] > third["version"]
    assert scenario(latest, COOP)["mean"] == pytest.approx((20 + 30 + 45 + 4 * 90) / 7, abs=0.01)
