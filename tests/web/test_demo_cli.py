"""flask demo populate: synthetic readers in bulk, with counts that agree with the forecasts."""

from datetime import UTC

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.schema import CreateTable

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


def _demo_forecasts(prefix_free: bool = False) -> list[tuple]:
    """Every stored forecast as (reader, scenario, percent, created_at, ended_at), sorted."""
    rows = db.session.execute(
        db.select(
            Forecast.reader_id,
            Forecast.scenario_id,
            Forecast.percent,
            Forecast.created_at,
            Forecast.ended_at,
        )
    ).all()
    # demo-<run>-<number>: the run prefix is random, the number and the rest come from the seed.
    return sorted((row[0].rsplit("-", 1)[1] if prefix_free else row[0], *row[1:]) for row in rows)


def test_populate_with_the_same_seed_draws_the_same_forecasts(app, runner, seed):
    populate = ["demo", "populate", seed, "--readers", "60", "--seed", "9"]
    assert runner.invoke(args=populate).exit_code == 0
    with app.app_context():
        first = _demo_forecasts(prefix_free=True)
        db.session.execute(db.delete(Forecast))
        db.session.execute(db.delete(Reader))
        db.session.commit()
    assert runner.invoke(args=populate).exit_code == 0  # the clock stands still in tests
    with app.app_context():
        assert _demo_forecasts(prefix_free=True) == first
    assert len(first) > 180  # every reader forecast every scenario, some twice


def test_populated_readers_are_numbered_in_order_of_arrival(app, runner, seed):
    populate = ["demo", "populate", seed, "--readers", "300", "--seed", "2"]
    assert runner.invoke(args=populate).exit_code == 0
    with app.app_context():
        arrivals = db.session.scalars(db.select(Reader.created_at).order_by(Reader.id)).all()
    assert len(arrivals) == 300
    assert arrivals == sorted(arrivals)
    assert arrivals[0] < arrivals[-1]


def test_changed_forecast_ends_when_its_successor_starts(app, runner, seed):
    populate = ["demo", "populate", seed, "--readers", "200", "--seed", "8"]
    assert runner.invoke(args=populate).exit_code == 0
    with app.app_context():
        rows = _demo_forecasts()
    standing = {(r[0], r[1]): r[3] for r in rows if r[4] is None}
    ended = [r for r in rows if r[4] is not None]
    assert ended
    assert all(r[4] == standing[r[0], r[1]] and r[3] <= r[4] for r in ended)
    assert len(standing) == 200 * 3


def test_forecasts_still_need_a_known_reader_after_populate(app, runner, seed):
    """On PostgreSQL the bulk load sets the foreign keys aside; they must be back, checked."""
    assert runner.invoke(args=["demo", "populate", seed, "--readers", "20"]).exit_code == 0
    with app.app_context():
        scenario_id = db.session.scalar(db.select(Forecast.scenario_id).limit(1))
        question_id = db.session.scalar(db.select(Forecast.question_id).limit(1))
        orphan = Forecast(
            reader_id="nobody", question_id=question_id, scenario_id=scenario_id, percent=50
        )
        db.session.add(orphan)
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
        if db.engine.dialect.name == "postgresql":
            keys = db.session.execute(
                db.text(
                    "SELECT conname, convalidated FROM pg_constraint "
                    "WHERE conrelid = 'forecasts'::regclass AND contype = 'f'"
                )
            ).all()
            expected = {key.name for key in Forecast.__table__.foreign_key_constraints}
            assert dict(keys) == dict.fromkeys(expected, True)
        # ...and the model itself still declares them, for the next create_all in this process.
        create = str(CreateTable(Forecast.__table__).compile(db.engine))
        assert create.count("FOREIGN KEY") == 3
