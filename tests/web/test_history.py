"""GET …/aggregate/history: the crowd after each past day and now, or at one instant."""

from datetime import UTC, datetime, timedelta

import pytest

from predictions.core.aggregation import aggregate
from predictions.extensions import db
from predictions.models import AggregateSnapshot, Reader
from predictions.services import aggregates, forecasts, questions
from predictions.web import crowd

from .crowd_helpers import add_readers, close, moderator_headers

HISTORY = "/api/v1/questions/{slug}/aggregate/history"
COOP = "us-russia-cooperation"


@pytest.fixture
def app_config():
    return {"AGGREGATE_CACHE_SECONDS": 0}


def row(scenarios: list[dict], key: str = COOP) -> dict:
    return next(s for s in scenarios if s["key"] == key)


def days_ago(days: float) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)


def stored_snapshots(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count()).select_from(AggregateSnapshot))


def test_history_has_a_point_per_past_day_and_the_live_point(app, client, runner, seed):
    start = days_ago(3).replace(hour=10, minute=0, second=0, microsecond=0)
    add_readers(app, seed, [{COOP: 20}, {COOP: 30}], start=start)
    add_readers(app, seed, [{COOP: 90}], start=start + timedelta(days=1))
    close(app, seed)
    body = client.get(HISTORY.format(slug=seed)).json
    points = body["points"]
    assert [p["live"] for p in points] == [False, False, False, True]
    first_end = datetime.fromisoformat(points[0]["at"])
    assert first_end == (start + timedelta(days=1)).replace(hour=0)
    assert row(points[0]["scenarios"])["n"] == 2
    assert row(points[0]["scenarios"])["median"] == 25
    assert row(points[1]["scenarios"])["n"] == 3
    assert row(points[-1]["scenarios"])["median"] == 30
    assert stored_snapshots(app) == 0  # a read computes the days, it does not store them
    assert runner.invoke(args=["aggregates", "snapshot", seed]).exit_code == 0
    assert stored_snapshots(app) == 3 * 3  # 3 days x 3 scenarios, stored by the command
    with app.app_context():
        crowd.clear_caches()  # the stored rows answer now, not this worker's memory
    again = client.get(HISTORY.format(slug=seed)).json
    assert again["points"][:-1] == points[:-1]


def test_stored_days_are_not_rewritten_by_later_bans(app, client, runner, seed):
    start = days_ago(2).replace(hour=9)
    ids = add_readers(app, seed, [{COOP: 20}, {COOP: 80}], start=start)
    close(app, seed)
    assert runner.invoke(args=["aggregates", "snapshot", seed]).exit_code == 0
    before = client.get(HISTORY.format(slug=seed)).json["points"][0]
    from .crowd_helpers import set_ban

    set_ban(app, ids[1], True)
    with app.app_context():
        crowd.clear_caches()  # the stored rows hold, not this worker's memory
    after = client.get(HISTORY.format(slug=seed)).json
    assert after["points"][0] == before  # history is never rewritten
    assert row(after["points"][-1]["scenarios"])["n"] == 1


def test_at_gives_the_crowd_standing_at_that_instant(app, client, seed):
    start = days_ago(1)
    ids = add_readers(app, seed, [{COOP: 10}, {COOP: 40}, {COOP: 70}], start=start)
    with app.app_context():
        question = questions.get_by_slug(seed)
        reader = db.session.get(Reader, ids[0])
        forecasts.submit(question, reader, {COOP: 95}, now=start + timedelta(hours=2))
        db.session.commit()
    close(app, seed)
    url = HISTORY.format(slug=seed)
    between = (start + timedelta(hours=1)).isoformat()
    body = client.get(url, query_string={"at": between}).json
    assert body["at"] == between
    expected = aggregate([10, 40, 70], 40)
    got = row(body["scenarios"])
    assert got["n"] == 3 and got["median"] == expected.median
    assert got["recency_median"] == expected.recency_median
    later = row(
        client.get(url, query_string={"at": (start + timedelta(hours=3)).isoformat()}).json[
            "scenarios"
        ]
    )
    assert later["median"] == 70  # 40, 70, 95
    before = row(
        client.get(url, query_string={"at": (start - timedelta(hours=1)).isoformat()}).json[
            "scenarios"
        ]
    )
    assert before["n"] == 0 and before["median"] is None


def test_at_without_offset_is_utc_and_bad_at_is_422(app, client, seed):
    close(app, seed)
    url = HISTORY.format(slug=seed)
    assert client.get(url, query_string={"at": "2026-01-01T00:00:00"}).json["at"] == (
        "2026-01-01T00:00:00+00:00"
    )
    bad = client.get(url, query_string={"at": "yesterday"})
    assert bad.status_code == 422 and "at" in bad.json["errors"]
    future = client.get(
        url, query_string={"at": (datetime.now(UTC) + timedelta(days=1)).isoformat()}
    )
    assert future.status_code == 422 and "at" in future.json["errors"]


def test_history_is_hidden_like_the_aggregate(app, client, seed):
    add_readers(app, seed, [{COOP: 50}] * 6, start=days_ago(2))
    url = HISTORY.format(slug=seed)
    body = client.get(url).json
    assert body["visible"] is False and "points" not in body
    at = client.get(url, query_string={"at": days_ago(1).isoformat()}).json
    assert all(
        set(s) == {"key", "label", "baseline", "visible", "hidden_reason"} for s in at["scenarios"]
    )
    seen = client.get(url, headers=moderator_headers(app)).json
    assert seen["visible"] is True and len(seen["points"]) >= 2


def test_reading_history_computes_unstored_days_once_per_worker_and_stores_nothing(
    app, client, seed, monkeypatch
):
    add_readers(app, seed, [{COOP: 20}, {COOP: 30}], start=days_ago(3))
    close(app, seed)
    computed = []
    real = aggregates.counts_at
    monkeypatch.setattr(aggregates, "counts_at", lambda *a: computed.append(1) or real(*a))
    first = client.get(HISTORY.format(slug=seed)).json["points"]
    assert len(computed) == 3  # one per completed day
    again = client.get(HISTORY.format(slug=seed)).json["points"]
    assert len(computed) == 3  # the worker's memory answers
    assert again[:-1] == first[:-1]
    assert stored_snapshots(app) == 0
