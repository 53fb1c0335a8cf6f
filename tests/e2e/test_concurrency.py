"""Concurrent writers against gunicorn (4 workers): nothing lost, nothing doubled, never a 5xx."""

from collections.abc import Iterator

import pytest
from sqlalchemy import text

from predictions.core.pseudonyms import token_hash

from .load import (
    E2E_DATABASES,
    QUESTION,
    SCENARIOS,
    counts_agree,
    database,
    empty_database,
    forecast,
    in_parallel,
    missing_tokens,
    probabilities,
    request,
    scalar,
    server_settings,
)
from .server import app_env, prepare_database, start_server, stop_server

pytestmark = pytest.mark.e2e

NEW_READERS = 500
THREADS = 20
UPDATES_PER_THREAD = 4
SAME_READER_THREADS = 10


@pytest.fixture(scope="module", params=E2E_DATABASES)
def served(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[tuple[str, str]]:
    """(base URL, database URL) of gunicorn with 4 workers on a migrated, seeded database.

    Shared by this module's tests, so each measures what it adds.
    """
    with empty_database(request.param, tmp_path_factory.mktemp("concurrency")) as url:
        env = app_env(url, **server_settings())
        prepare_database(env)
        process, base_url = start_server(env, workers=4)
        try:
            yield base_url, url
        finally:
            stop_server(process)


def totals(base_url: str, engine) -> dict[str, int]:
    return {
        "readers": scalar(engine, "SELECT count(*) FROM readers"),
        "forecasts": scalar(engine, "SELECT count(*) FROM forecasts"),
        "forecaster_count": request(base_url, "GET", QUESTION).body["forecaster_count"],
    }


def test_many_new_readers_at_once_are_each_stored_once_and_counted(served):
    base_url, database_url = served
    with database(database_url) as engine:
        before = totals(base_url, engine)
        replies = in_parallel(
            [lambda n=n: forecast(base_url, probabilities(n)) for n in range(NEW_READERS)],
            THREADS,
        )
        statuses = sorted({r.status for r in replies})
        assert statuses == [201], statuses
        tokens = [r.token for r in replies]
        assert len(set(tokens)) == NEW_READERS
        after = totals(base_url, engine)
        assert missing_tokens(engine, tokens) == []
        agreement = counts_agree(engine)
    assert after == {
        "readers": before["readers"] + NEW_READERS,
        "forecasts": before["forecasts"] + NEW_READERS * len(SCENARIOS),
        "forecaster_count": before["forecaster_count"] + NEW_READERS,
    }
    # The kept counts (what the aggregate reads) agree with the forecasts themselves.
    assert all(kept == active for kept, active in agreement.values()), agreement


def test_one_reader_updating_from_many_threads_keeps_one_active_forecast_each(served):
    base_url, database_url = served
    forecasters = request(base_url, "GET", QUESTION).body["forecaster_count"]
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
    with database(database_url) as engine, engine.connect() as connection:
        active = dict(
            connection.execute(
                text(
                    "SELECT s.key, count(*) FROM forecasts f "
                    "JOIN scenarios s ON s.id = f.scenario_id "
                    "JOIN readers r ON r.id = f.reader_id "
                    "WHERE r.token_hash = :hash AND f.ended_at IS NULL GROUP BY s.key"
                ),
                {"hash": token_hash(token)},
            ).all()
        )
        agreement = counts_agree(engine)
    assert active == {key: 1 for key in SCENARIOS}
    assert all(kept == active for kept, active in agreement.values()), agreement
    mine = request(base_url, "GET", QUESTION + "/forecasts/mine", token=token).body
    assert set(mine["active"]) == set(SCENARIOS)
    assert len([item for item in mine["history"] if item["ended_at"] is None]) == len(SCENARIOS)
    assert request(base_url, "GET", QUESTION).body["forecaster_count"] == forecasters + 1
