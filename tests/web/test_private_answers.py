"""Answers that depend on who asks are private and vary by cookie and Authorization."""

import pytest

from ..conftest import ApiReader, PageReader

KEY = "us-eu-strain"


def assert_private(response):
    assert response.status_code == 200, response.status_code
    assert "private" in response.cache_control and response.cache_control.no_store
    assert {"Cookie", "Authorization"} <= set(response.vary)


@pytest.fixture
def forecaster(app, seed) -> PageReader:
    reader = PageReader(app.test_client(), seed)
    assert reader.forecast({KEY: 40}).status_code == 303
    return reader


@pytest.mark.parametrize(
    "path",
    [
        "/me",
        "/me/export.json",
        "/q/{slug}",
        "/q/{slug}/results",
        "/api/v1/questions/{slug}/forecasts/mine",
        "/api/v1/questions/{slug}/aggregate",
        "/api/v1/questions/{slug}/aggregate/history",
        "/api/v1/questions/{slug}/comments",
    ],
)
def test_a_readers_pages_and_answers_by_cookie_are_private(forecaster, seed, path):
    assert_private(forecaster.client.get(path.format(slug=seed)))


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/questions/{slug}/forecasts/mine",
        "/api/v1/questions/{slug}/aggregate",
        "/api/v1/me/export",
        "/api/v1/questions/{slug}/scores",
    ],
)
def test_bearer_answers_are_private(app, seed, path):
    reader = ApiReader(app.test_client(), seed)
    assert reader.forecast({KEY: 40}).status_code == 201
    assert_private(reader.client.get(path.format(slug=seed), headers=reader.headers))


@pytest.mark.parametrize(
    "path",
    [
        "/moderation/queue/pending",
        "/moderation/audit",
        "/moderation/words",
        "/api/v1/moderation/comments",
        "/api/v1/questions/{slug}/export.csv",
    ],
)
def test_moderators_pages_and_answers_are_private(moderator, seed, path):
    response = moderator.client.get(path.format(slug=seed))
    assert_private(response)


def test_the_admins_questions_page_is_private(admin):
    assert_private(admin.client.get("/moderation/questions"))


def test_an_anonymous_answer_without_cookies_may_be_shared_but_varies(client, seed):
    response = client.get(f"/api/v1/questions/{seed}")
    assert response.status_code == 200
    assert "private" not in response.cache_control
    assert {"Cookie", "Authorization"} <= set(response.vary)
