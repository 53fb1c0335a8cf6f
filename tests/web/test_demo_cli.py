"""flask demo populate: synthetic readers in bulk, with counts that agree with the forecasts."""

from datetime import UTC

import pytest

from predictions.extensions import db
from predictions.models import AggregateSnapshot, Forecast, Reader, utcnow
from predictions.services import counts, questions

from .crowd_helpers import AGGREGATE, close


def test_populate_adds_readers_with_consistent_counts(app, runner, client, seed):
    result = runner.invoke(args=["demo", "populate", seed, "--readers", "200", "--seed", "7"])
    assert result.exit_code == 0, result.output
    assert "added 200 readers" in result.output
    with app.app_context():
        question = questions.get_by_slug(seed)
        ids = [s.id for s in question.scenarios]
        assert counts.counts_for(ids) == counts.recount(ids)
        assert questions.forecaster_count(question) == 200
        assert db.session.scalar(db.select(db.func.count()).select_from(Reader)) == 200
        ended = db.session.scalar(
            db.select(db.func.count()).select_from(Forecast).where(Forecast.ended_at.isnot(None))
        )
        assert 0 < ended < 200 * 3  # some readers changed their mind
    close(app, seed)
    body = client.get(AGGREGATE.format(slug=seed)).json
    assert body["forecaster_count"] == 200
    assert all(row["n"] == 200 and 1 <= row["median"] <= 99 for row in body["scenarios"])


def test_populate_twice_adds_more_readers(app, runner, seed):
    for _ in range(2):
        populate = ["demo", "populate", seed, "--readers", "30", "--seed", "3"]
        assert runner.invoke(args=populate).exit_code == 0
    with app.app_context():
        question = questions.get_by_slug(seed)
        assert questions.forecaster_count(question) == 60
        ids = [s.id for s in question.scenarios]
        assert counts.counts_for(ids) == counts.recount(ids)


def test_populate_unknown_question_fails_cleanly(runner, seed):
    result = runner.invoke(args=["demo", "populate", "nope", "--readers", "3"])
    assert result.exit_code != 0
    assert "no question with the slug 'nope'" in result.output


def test_snapshot_command_stores_every_ended_day(app, runner, seed):
    populate = ["demo", "populate", seed, "--readers", "40", "--days", "3", "--seed", "11"]
    assert runner.invoke(args=populate).exit_code == 0
    result = runner.invoke(args=["aggregates", "snapshot", seed])
    assert result.exit_code == 0, result.output
    assert "days of history" in result.output
    with app.app_context():
        first = db.session.scalar(db.select(db.func.min(Forecast.created_at)))
        stored = db.session.scalars(db.select(AggregateSnapshot.at)).all()
    # One row per scenario for each UTC midnight since the first forecast: two or three days
    # of three, depending on the hour the demo was run at.
    first_day = (first if first.tzinfo else first.replace(tzinfo=UTC)).date()
    ended_days = (utcnow().date() - first_day).days
    assert ended_days in (2, 3)
    assert len(stored) == 3 * ended_days
    assert len(set(stored)) == ended_days


def test_populate_leaves_postgresql_planner_statistics(app, runner, seed, database_url):
    """Without fresh statistics PostgreSQL plans the snapshot's join for empty tables (nested
    loops: minutes at 10^5 forecasts); the planner's row estimate must be the real count."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite's planner does without statistics here")
    populate = ["demo", "populate", seed, "--readers", "137", "--seed", "5"]
    assert runner.invoke(args=populate).exit_code == 0
    with app.app_context():
        estimate = db.session.scalar(
            db.text("SELECT reltuples FROM pg_class WHERE oid = 'readers'::regclass")
        )
    assert estimate == 137
