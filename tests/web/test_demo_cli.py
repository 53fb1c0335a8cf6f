"""flask demo populate: synthetic readers in bulk, with counts that agree with the forecasts."""

from predictions.extensions import db
from predictions.models import Forecast, Reader
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
        assert runner.invoke(args=["demo", "populate", seed, "--readers", "30"]).exit_code == 0
    with app.app_context():
        question = questions.get_by_slug(seed)
        assert questions.forecaster_count(question) == 60
        ids = [s.id for s in question.scenarios]
        assert counts.counts_for(ids) == counts.recount(ids)


def test_populate_unknown_question_fails_cleanly(runner, seed):
    result = runner.invoke(args=["demo", "populate", "nope", "--readers", "3"])
    assert result.exit_code != 0
    assert "no question with the slug 'nope'" in result.output


def test_snapshot_command_stores_daily_history(app, runner, seed):
    assert (
        runner.invoke(args=["demo", "populate", seed, "--readers", "40", "--days", "3"]).exit_code
        == 0
    )
    result = runner.invoke(args=["aggregates", "snapshot", seed])
    assert result.exit_code == 0, result.output
    assert "days of history" in result.output
    from predictions.models import AggregateSnapshot

    with app.app_context():
        stored = db.session.scalar(db.select(db.func.count()).select_from(AggregateSnapshot))
        assert stored >= 3 * 3
