"""Bad input gets a clear error in the SPEC's shape, and nothing is stored."""

import json

import pytest

from predictions.core.validation import PERCENT_MESSAGE
from predictions.extensions import db
from predictions.models import QuestionStatus
from predictions.services import questions

from ..conftest import table_counts

URL = "/api/v1/questions/us-russia-relations/forecasts"
KEY = "us-eu-strain"


def percent_case(value):
    return (
        {"json": {"probabilities": {KEY: value}}},
        422,
        {"probabilities": {KEY: [PERCENT_MESSAGE]}},
    )


CASES = {
    "zero": percent_case(0),
    "hundred": percent_case(100),
    "negative": percent_case(-5),
    "over-hundred": percent_case(150),
    "fraction": percent_case(35.5),
    "string": percent_case("35"),
    "null": percent_case(None),
    "boolean": percent_case(True),
    "unknown-scenario": (
        {"json": {"probabilities": {"martian-invasion": 10}}},
        422,
        {"probabilities": {"martian-invasion": ["Unknown scenario for this question."]}},
    ),
    "no-scenario": (
        {"json": {"probabilities": {}}},
        422,
        {"probabilities": ["Give a probability for at least one scenario."]},
    ),
    "probabilities-missing": (
        {"json": {"comment": "no numbers"}},
        422,
        {"probabilities": ["Missing data for required field."]},
    ),
    "probabilities-not-object": (
        {"json": {"probabilities": [40, 60]}},
        422,
        {"probabilities": ["Not a valid mapping type."]},
    ),
    "unknown-field": (
        {"json": {"probabilities": {KEY: 50}, "admin": True}},
        422,
        {"admin": ["Unknown field."]},
    ),
    "comment-2001": (
        {"json": {"probabilities": {KEY: 50}, "comment": "x" * 2001}},
        422,
        {"comment": ["Longer than maximum length 2000."]},
    ),
    "name-41": (
        {"json": {"probabilities": {KEY: 50}, "display_name": "n" * 41}},
        422,
        {"display_name": ["Longer than maximum length 40."]},
    ),
    "missing-body": ({"data": b"", "content_type": "application/json"}, 400, None),
    "malformed-json": (
        {"data": b'{"probabilities": {', "content_type": "application/json"},
        400,
        None,
    ),
    "not-json-content-type": (
        {"data": json.dumps({"probabilities": {KEY: 50}}), "content_type": "text/plain"},
        415,
        None,
    ),
    "form-encoded": ({"data": {"probabilities": "50"}}, 415, None),
    "over-size-limit": (
        {"json": {"probabilities": {KEY: 50}, "comment": "x" * 70_000}},
        413,
        None,
    ),
    "nested-20000-deep": (
        {"data": "[" * 20_000 + "]" * 20_000, "content_type": "application/json"},
        400,
        None,
    ),
}


@pytest.mark.parametrize("request_kwargs, status, errors", CASES.values(), ids=CASES.keys())
def test_bad_forecast_input_is_refused_and_nothing_stored(
    app, client, seed, request_kwargs, status, errors
):
    before = table_counts(app)
    response = client.post(URL, **request_kwargs)
    assert response.status_code == status
    body = response.json
    assert body["code"] == status
    assert body["status"] and body["message"]
    if errors is not None:
        assert body["errors"] == errors
    assert table_counts(app) == before


def test_unknown_slug_is_404_and_nothing_stored(app, client, seed):
    before = table_counts(app)
    response = client.post(
        "/api/v1/questions/no-such-question/forecasts", json={"probabilities": {KEY: 50}}
    )
    assert response.status_code == 404
    assert response.json["code"] == 404
    assert table_counts(app) == before


def test_closed_question_is_409_and_nothing_stored(app, client, seed):
    with app.app_context():
        questions.set_status(questions.get_by_slug(seed), QuestionStatus.CLOSED)
        db.session.commit()
    before = table_counts(app)
    response = client.post(URL, json={"probabilities": {KEY: 50}})
    assert response.status_code == 409
    assert "closed" in response.json["message"]
    assert table_counts(app) == before


def test_invalid_values_in_a_mixed_body_store_nothing(app, client, seed):
    before = table_counts(app)
    response = client.post(URL, json={"probabilities": {KEY: 50, "global-instability": 0}})
    assert response.status_code == 422
    assert response.json["errors"] == {"probabilities": {"global-instability": [PERCENT_MESSAGE]}}
    assert table_counts(app) == before


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("p_us_eu_strain", "150", PERCENT_MESSAGE),
        ("p_us_eu_strain", "35.5", PERCENT_MESSAGE),
        ("p_us_eu_strain", "0", PERCENT_MESSAGE),
        ("p_us_eu_strain", "abc", PERCENT_MESSAGE),
        ("comment", "x" * 2001, "Field cannot be longer than 2000 characters."),
        ("display_name", "n" * 41, "Field cannot be longer than 40 characters."),
    ],
)
def test_form_rerenders_with_message_and_keeps_input(app, client, seed, field, value, message):
    before = table_counts(app)
    data = {"p_global_instability": "85", field: value}
    response = client.post(f"/q/{seed}", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert 'value="85"' in html  # what the reader typed is kept
    if field.startswith("p_"):
        assert f'value="{value}"' in html
    assert table_counts(app) == before


def test_form_without_any_probability_or_comment_says_so(app, client, seed):
    before = table_counts(app)
    response = client.post(f"/q/{seed}", data={"comment": "  ", "display_name": "Ann"})
    assert response.status_code == 422
    message = "Give a probability for at least one scenario, or write a comment."
    assert message in response.get_data(as_text=True)
    assert table_counts(app) == before
