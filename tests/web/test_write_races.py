"""Writers that lose a race are redone; a SQLite writer that cannot get the lock gets a 503."""

import sqlite3

import pytest

from predictions.extensions import db
from predictions.models import Forecast
from predictions.services import counts, submissions

from ..conftest import make_test_app, table_counts


@pytest.fixture
def racing_writer(monkeypatch):
    """The first submission collides with a concurrent one on the active-forecast index."""
    real = submissions.submit_forecast
    calls: list[int] = []

    def submit_forecast(question, visitor, probabilities, *args, **kwargs):
        calls.append(1)
        result = real(question, visitor, probabilities, *args, **kwargs)
        if len(calls) == 1:
            # What a concurrent request of the same reader inserts between our read and write.
            key, percent = next(iter(probabilities.items()))
            scenario = question.scenario(key)
            db.session.add(
                Forecast(
                    reader_id=result.reader.id,
                    question_id=question.id,
                    scenario_id=scenario.id,
                    percent=percent,
                )
            )
            db.session.flush()
        return result

    monkeypatch.setattr(submissions, "submit_forecast", submit_forecast)
    return calls


def test_a_forecast_that_loses_a_race_is_redone_and_answered_201(app, api_reader, racing_writer):
    api_reader.forecast({"us-eu-strain": 40})
    response = api_reader.forecast({"us-eu-strain": 55})
    assert response.status_code == 201
    assert len(racing_writer) == 3  # the first forecast, the lost attempt, the redone one
    assert api_reader.mine().json["active"]["us-eu-strain"]["probability"] == 55
    with app.app_context():
        active = db.session.scalar(
            db.select(db.func.count()).where(Forecast.ended_at.is_(None)).select_from(Forecast)
        )
        scenario_ids = [f.scenario_id for f in db.session.scalars(db.select(Forecast))]
        assert active == 1
        assert counts.counts_for(scenario_ids) == counts.recount(scenario_ids)


def test_a_new_reader_whose_first_forecast_loses_a_race_is_created_once(
    app, client, seed, racing_writer
):
    response = client.post(
        f"/api/v1/questions/{seed}/forecasts", json={"probabilities": {"us-eu-strain": 40}}
    )
    assert response.status_code == 201
    assert table_counts(app)["readers"] == 1
    assert table_counts(app)["forecasts"] == 1


def test_page_forecast_that_loses_a_race_is_redone(app, page_reader, racing_writer):
    response = page_reader.forecast({"us-eu-strain": 40})
    assert response.status_code == 303
    assert table_counts(app)["forecasts"] == 1


@pytest.fixture
def sqlite_file_app(tmp_path):
    """An app on a SQLite file that waits only briefly for the write lock."""
    url = f"sqlite:///{tmp_path / 'locked.db'}"
    app = make_test_app(url, SQLITE_BUSY_TIMEOUT=0.2)
    with app.app_context():
        db.create_all()
        from predictions.services import questions

        questions.load_seed()
        db.session.commit()
    yield app, tmp_path / "locked.db"
    with app.app_context():
        db.engine.dispose()


def test_write_waits_for_a_busy_sqlite_then_answers_503_and_reads_go_on(sqlite_file_app):
    app, path = sqlite_file_app
    client = app.test_client()
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process is writing and holds the lock
        response = client.post(
            "/api/v1/questions/us-russia-relations/forecasts",
            json={"probabilities": {"us-eu-strain": 40}},
        )
        assert response.status_code == 503
        assert response.json["code"] == 503
        assert response.headers["Retry-After"] == "2"
        assert client.get("/api/v1/questions/us-russia-relations").status_code == 200
        assert client.get("/healthz").status_code == 200
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert table_counts(app)["forecasts"] == 0
    again = client.post(
        "/api/v1/questions/us-russia-relations/forecasts",
        json={"probabilities": {"us-eu-strain": 40}},
    )
    assert again.status_code == 201
