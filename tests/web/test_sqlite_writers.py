"""SQLite file databases: writers hold the lock only for their writes and queue for it in turn."""

import os
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from predictions.extensions import db
from predictions.services import comments, questions, submissions
from predictions.web import crowd, writes
from predictions.web.writes import WriterQueue

from ..conftest import make_test_app, table_counts

FORECASTS = "/api/v1/questions/us-russia-relations/forecasts"
COMMENTS = "/api/v1/questions/us-russia-relations/comments"


@pytest.fixture
def file_app(tmp_path):
    """An app on a SQLite file that waits only briefly for the write lock."""
    path = tmp_path / "predictions.db"
    app = make_test_app(f"sqlite:///{path}", SQLITE_BUSY_TIMEOUT=0.2)
    with app.app_context():
        db.create_all()
        questions.load_seed()
        db.session.commit()
    yield app, path
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def probe(file_app):
    """Another process's view of the queue: can a writer take its turn right now?"""
    _app, path = file_app
    other = WriterQueue(f"{path}-writers", timeout=0)

    def turn_is_free() -> bool:
        if other.acquire():
            other.release()
            return True
        return False

    return turn_is_free


def test_a_bad_forecast_is_answered_while_another_process_holds_the_write_lock(file_app):
    app, path = file_app
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        # Validation runs before the lock is asked for: a 422, not a wait ending in a 503.
        response = app.test_client().post(FORECASTS, json={"probabilities": {"us-eu-strain": 150}})
        assert response.status_code == 422
        assert "probabilities" in response.json["errors"]
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_writers_take_turns_on_the_queue_file(tmp_path):
    first = WriterQueue(str(tmp_path / "db-writers"), timeout=0.05)
    second = WriterQueue(str(tmp_path / "db-writers"), timeout=0.05)
    assert first.acquire()
    started = time.monotonic()
    assert not second.acquire()  # waited its timeout, then gave up
    assert time.monotonic() - started >= 0.05
    first.release()
    assert second.acquire()
    second.release()


def test_a_forked_worker_does_not_share_its_parents_turn(tmp_path):
    queue = WriterQueue(str(tmp_path / "db-writers"), timeout=0.05)
    assert queue.acquire()
    child = os.fork()
    if child == 0:  # the same object in a gunicorn worker forked after the app was loaded
        os._exit(0 if not queue.acquire() else 1)
    _, status = os.waitpid(child, 0)
    queue.release()
    assert os.waitstatus_to_exitcode(status) == 0


def test_threads_of_one_worker_take_turns_too(tmp_path):
    queue = WriterQueue(str(tmp_path / "db-writers"), timeout=0.05)
    assert queue.acquire()
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(queue.acquire).result() is False
    queue.release()


def turn_free_during(monkeypatch, probe, module, name: str) -> list[bool]:
    """Whether the turn was free each time module.name was called (during a write)."""
    seen: list[bool] = []
    real = getattr(module, name)

    def watched(*args, **kwargs):
        seen.append(probe())
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, watched)
    return seen


def test_a_forecast_holds_the_turn_for_its_writes_and_gives_it_back(file_app, probe, monkeypatch):
    app, _path = file_app
    seen = turn_free_during(monkeypatch, probe, submissions, "submit_forecast")
    client = app.test_client()
    assert probe()
    response = client.post(FORECASTS, json={"probabilities": {"us-eu-strain": 40}})
    assert response.status_code == 201
    assert seen == [False]  # taken while writing
    assert probe()  # given back at the commit
    assert client.post(FORECASTS, json={"probabilities": {"nope": 40}}).status_code == 422
    assert probe()


def test_a_forecasts_answer_is_read_after_the_turn_is_given_back(file_app, probe, monkeypatch):
    app, _path = file_app
    seen = turn_free_during(monkeypatch, probe, crowd, "others_around")
    response = app.test_client().post(FORECASTS, json={"probabilities": {"us-eu-strain": 40}})
    assert response.status_code == 201
    assert seen == [True]  # the comparison's reads wait for no writer, and hold up none


def test_other_writes_hold_the_turn_for_the_request_and_give_it_back(file_app, probe, monkeypatch):
    app, _path = file_app
    seen = turn_free_during(monkeypatch, probe, comments, "create_comment")
    client = app.test_client()
    client.post(FORECASTS, json={"probabilities": {"us-eu-strain": 40}})
    response = client.post(COMMENTS, json={"body": "A considered comment."})
    assert response.status_code in (201, 202)
    assert seen == [False]
    assert probe()


def test_a_writer_that_cannot_get_its_turn_still_waits_for_sqlite_and_answers_503(
    file_app, monkeypatch
):
    app, path = file_app
    holder = WriterQueue(f"{path}-writers", timeout=0)
    other = sqlite3.connect(path, isolation_level=None)
    assert holder.acquire()
    try:
        other.execute("BEGIN IMMEDIATE")
        response = app.test_client().post(FORECASTS, json={"probabilities": {"us-eu-strain": 40}})
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "2"
    finally:
        other.execute("ROLLBACK")
        other.close()
        holder.release()
    assert table_counts(app)["forecasts"] == 0


def test_the_queue_is_off_for_memory_databases():
    app = make_test_app("sqlite://")
    assert writes.EXTENSION not in app.extensions
