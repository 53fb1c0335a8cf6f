"""Hardening: security headers everywhere, Secure cookies and HSTS in production, body limits."""

import pytest

from predictions.config import from_environment

from ..conftest import make_test_app

PATHS = [
    "/",
    "/q/us-russia-relations",
    "/me",
    "/healthz",
    "/api/v1/questions",
    "/api/v1/questions/us-russia-relations",
    "/api/v1/openapi.json",
    "/static/style.css",
    "/no-such-page",
    "/api/v1/questions/no-such-question",
]


@pytest.mark.parametrize("path", PATHS)
def test_every_response_carries_the_security_headers(client, seed, path):
    response = client.get(path)
    response.close()  # a static file is streamed from disk
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "object-src 'none'" in csp
    assert "frame-ancestors 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers  # not without PRODUCTION


@pytest.mark.parametrize("app_config", [{"FRAME_ANCESTORS": "https://news.example"}])
def test_newsroom_chooses_who_may_frame_the_page(client, seed):
    csp = client.get("/q/us-russia-relations").headers["Content-Security-Policy"]
    assert csp.endswith("frame-ancestors https://news.example")


def test_cookies_are_not_secure_by_default_for_local_http(page_reader):
    response = page_reader.forecast({"us-eu-strain": 40})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


@pytest.mark.parametrize("app_config", [{"PRODUCTION": True}])
def test_production_sends_secure_cookies_and_hsts(app, page_reader):
    response = page_reader.forecast({"us-eu-strain": 40})
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    hsts = response.headers["Strict-Transport-Security"]
    assert hsts == "max-age=31536000; includeSubDomains"
    assert app.config["PREFERRED_URL_SCHEME"] == "https"


def test_production_is_switched_on_by_environment():
    settings = from_environment({"PRODUCTION": "1", "HSTS_MAX_AGE": "600"})
    assert settings == {"PRODUCTION": True, "HSTS_MAX_AGE": 600}
    app = make_test_app("sqlite://", **settings)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True


@pytest.mark.parametrize("app_config", [{"MAX_CONTENT_LENGTH": 1024}])
def test_the_body_limit_is_configurable_and_answered_413_in_json(client, seed):
    response = client.post(
        "/api/v1/questions/us-russia-relations/forecasts",
        json={"probabilities": {"us-eu-strain": 40}, "comment": "x" * 1500},
    )
    assert response.status_code == 413
    assert response.json["code"] == 413
    assert response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("app_config", [{"MAX_CONTENT_LENGTH": 1024}])
def test_an_oversized_form_post_gets_an_html_413(client, seed):
    response = client.post("/q/us-russia-relations", data={"comment": "x" * 1500})
    assert response.status_code == 413
    assert response.content_type.startswith("text/html")


def test_ids_beyond_any_row_are_404_not_an_overflow(client, seed):
    for path in ("/api/v1/comments/11929526542551113728", "/api/v1/comments/2147483648"):
        response = client.patch(path, json={"body": "x"})
        assert response.status_code == 404
