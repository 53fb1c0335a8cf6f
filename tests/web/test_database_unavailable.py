"""A database that is away or locked answers 503 with Retry-After, never a 500."""

import pytest
from sqlalchemy.exc import OperationalError

from predictions.services import questions


@pytest.fixture
def broken_database(monkeypatch):
    """Every question lookup fails as a dropped connection would."""

    def unreachable(slug, **_options):
        raise OperationalError("SELECT 1", {}, ConnectionError("server closed the connection"))

    monkeypatch.setattr(questions, "get_by_slug", unreachable)
    monkeypatch.setattr(questions.KeptQuestions, "get", lambda _kept, slug, **o: unreachable(slug))


def test_healthz_is_ok_while_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_api_answers_503_json_with_retry_after(client, seed, broken_database):
    response = client.get(f"/api/v1/questions/{seed}")
    assert response.status_code == 503
    assert response.json["code"] == 503
    assert "try again" in response.json["message"]
    assert response.headers["Retry-After"] == "2"


def test_page_answers_503_html_with_retry_after(client, seed, broken_database):
    response = client.get(f"/q/{seed}")
    assert response.status_code == 503
    assert response.content_type.startswith("text/html")
    assert response.headers["Retry-After"] == "2"


def test_healthz_says_so_when_the_database_is_unreachable():
    from ..conftest import make_test_app

    app = make_test_app("postgresql://postgres@127.0.0.1:1/nothing?connect_timeout=1")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert response.headers["Retry-After"] == "2"
    api = app.test_client().get("/api/v1/questions")
    assert api.status_code == 503
    assert api.json["code"] == 503
