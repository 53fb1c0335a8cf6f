"""Concurrent writers against gunicorn (4 workers): nothing lost, nothing doubled, never a 5xx."""

import pytest

from .load import (
    SCENARIOS,
    counts_agree,
    database,
    forecast,
    in_parallel,
    missing_tokens,
    probabilities,
    request,
    scalar,
    server_settings,
)
from .load import empty_database_url as empty_database_url  # noqa: F401 (fixture)
from .server import app_env, prepare_database

pytestmark = pytest.mark.e2e

NEW_READERS = 500
THREADS = 20
UPDATES_PER_THREAD = 4
SAME_READER_THREADS = 10


@pytest.fixture
def served(empty_database_url: str, server_factory) -> tuple[str, str]:
    """(base URL, database URL) of gunicorn with 4 workers on a migrated, seeded database."""
    env = app_env(empty_database_url, **server_settings())
    prepare_database(env)
    return server_factory(env, workers=4), empty_database_url


def test_many_new_readers_at_once_are_each_stored_once_and_counted(served):
    base_url, database_url = served
    replies = in_parallel(
        [lambda n=n: forecast(base_url, probabilities(n)) for n in range(NEW_READERS)], THREADS
    )
    statuses = sorted({r.status for r in replies})
    assert statuses == [201], statuses
    tokens = [r.token for r in replies]
    assert len(set(tokens)) == NEW_READERS
    with database(database_url) as engine:
        assert scalar(engine, "SELECT count(*) FROM readers") == NEW_READERS
        assert scalar(engine, "SELECT count(*) FROM forecasts") == NEW_READERS * len(SCENARIOS)
        assert missing_tokens(engine, tokens) == []
        agreement = counts_agree(engine)
    assert agreement == {key: (NEW_READERS, NEW_READERS) for key in SCENARIOS}
    question = request(base_url, "GET", "/api/v1/questions/us-russia-relations")
    assert question.body["forecaster_count"] == NEW_READERS


def test_one_reader_updating_from_many_threads_keeps_one_active_forecast_each(served):
    base_url, database_url = served
    token = forecast(base_url, probabilities(0)).token

    def updates(thread: int):
        return [
            forecast(base_url, probabilities(1 + thread * UPDATES_PER_THREAD + i), token).status
            for i in range(UPDATES_PER_THREAD)
        ]

    results = in_parallel(
        [lambda t=t: updates(t) for t in range(SAME_READER_THREADS)], SAME_READER_THREADS
    )
    assert {status for statuses in results for status in statuses} == {201}
    with database(database_url) as engine:
        for key in SCENARIOS:
            active = scalar(
                engine,
                "SELECT count(*) FROM forecasts f JOIN scenarios s ON s.id = f.scenario_id "
                "WHERE s.key = :key AND f.ended_at IS NULL",
                key=key,
            )
            assert active == 1, key
        assert counts_agree(engine) == {key: (1, 1) for key in SCENARIOS}
    mine = request(
        base_url, "GET", "/api/v1/questions/us-russia-relations/forecasts/mine", token=token
    )
    assert set(mine.body["active"]) == set(SCENARIOS)
    ended = [item for item in mine.body["history"] if item["ended_at"] is None]
    assert len(ended) == len(SCENARIOS)
    question = request(base_url, "GET", "/api/v1/questions/us-russia-relations")
    assert question.body["forecaster_count"] == 1
