"""CSRF stays on for cookie-authenticated writes; bearer clients do not need it."""

import re

import pytest

from ..conftest import table_counts


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_page_form_without_csrf_token_is_refused(app, client, seed):
    before = table_counts(app)
    response = client.post(f"/q/{seed}", data={"p_us_eu_strain": "50"})
    assert response.status_code == 400
    assert table_counts(app) == before


def test_page_form_with_csrf_token_is_accepted(app, client, seed):
    token = csrf_token(client.get(f"/q/{seed}").get_data(as_text=True))
    response = client.post(f"/q/{seed}", data={"p_us_eu_strain": "50", "csrf_token": token})
    assert response.status_code == 303


def test_cookie_authenticated_api_post_needs_csrf_token(app, client, seed):
    token = csrf_token(client.get(f"/q/{seed}").get_data(as_text=True))
    client.post(f"/q/{seed}", data={"p_us_eu_strain": "50", "csrf_token": token})
    before = table_counts(app)
    url = f"/api/v1/questions/{seed}/forecasts"
    refused = client.post(url, json={"probabilities": {"us-eu-strain": 60}})
    assert refused.status_code == 400
    assert "CSRF" in refused.json["message"]
    assert table_counts(app) == before
    accepted = client.post(
        url, json={"probabilities": {"us-eu-strain": 60}}, headers={"X-CSRFToken": token}
    )
    assert accepted.status_code == 201


def test_bearer_api_post_needs_no_csrf_token(api_reader):
    assert api_reader.forecast({"us-eu-strain": 60}).status_code == 201
    assert api_reader.forecast({"us-eu-strain": 65}).status_code == 201
    assert api_reader.withdraw().status_code == 200
