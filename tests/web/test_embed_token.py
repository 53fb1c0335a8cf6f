"""The embed token: the one credential the embed keeps where a host page's scripts may read it.
It opens its own question's forecast, as the reader sees it in the frame, and nothing else."""

import pytest

from predictions.core import embed_tokens
from predictions.core.question_file import parse_question
from predictions.extensions import db
from predictions.services import questions

API = "/api/v1/questions"
OTHER = "other-question"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def other_question(app, seed) -> str:
    with app.app_context():
        text = questions.seed_text().replace(f'slug = "{seed}"', f'slug = "{OTHER}"')
        questions.load_question(parse_question(text))
        db.session.commit()
    return OTHER


def forecast_from_embed(client, slug: str, probabilities: dict, token: str | None = None):
    headers = bearer(token) if token else {}
    return client.post(
        f"{API}/{slug}/forecasts?token=embed",
        json={"probabilities": probabilities, "comment": "From the embed."},
        headers=headers,
    )


@pytest.fixture
def embed_token(client, seed) -> str:
    """The embed token of a newcomer who forecast through the embed."""
    response = forecast_from_embed(client, seed, {"us-eu-strain": 30})
    assert response.status_code == 201
    assert "reader_token" not in response.json  # the embed never holds the reader's own token
    return response.json["embed_token"]


def test_embed_token_opens_its_questions_forecast_calls(client, seed, embed_token):
    assert embed_token.startswith("emb_")
    mine = client.get(f"{API}/{seed}/forecasts/mine", headers=bearer(embed_token))
    assert mine.status_code == 200
    assert mine.json["active"]["us-eu-strain"]["probability"] == 30

    update = forecast_from_embed(client, seed, {"us-eu-strain": 45}, embed_token)
    assert update.status_code == 201
    assert update.json["embed_token"] == embed_token  # the same reader, the same token
    mine = client.get(f"{API}/{seed}/forecasts/mine", headers=bearer(embed_token)).json
    assert mine["active"]["us-eu-strain"]["probability"] == 45
    assert [h["probability"] for h in mine["history"]] == [30, 45]

    aggregate = client.get(f"{API}/{seed}/aggregate", headers=bearer(embed_token))
    assert aggregate.status_code == 200
    # The reader forecast that scenario: only the crowd's size hides it (MIN_CROWD).
    strain = next(s for s in aggregate.json["scenarios"] if s["key"] == "us-eu-strain")
    assert strain["hidden_reason"] != "not_forecast"


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/api/v1/me/export"),
        ("DELETE", "/api/v1/me"),
        ("GET", "/me/export.json"),
        ("POST", "/me/delete"),
        ("DELETE", f"{API}/us-russia-relations/forecasts/mine"),  # withdrawal: not in the embed
        ("GET", f"{API}/us-russia-relations/aggregate/history"),
        ("GET", f"{API}/{OTHER}/forecasts/mine"),
        ("GET", f"{API}/{OTHER}/aggregate"),
    ],
)
def test_embed_token_is_refused_beyond_its_questions_embed_calls(
    client, other_question, embed_token, method, path
):
    response = client.open(path, method=method, headers=bearer(embed_token))
    assert response.status_code == 403
    assert "embed token" in response.get_data(as_text=True)  # JSON for the API, HTML on pages


def test_embed_token_cannot_forecast_or_comment_on_another_question(
    app, client, other_question, embed_token
):
    before = forecast_from_embed(client, other_question, {"us-eu-strain": 50}, embed_token)
    assert before.status_code == 403  # not silently a new reader either
    comment = client.post(
        f"{API}/us-russia-relations/comments",
        json={"body": "Posted by the host page."},
        headers=bearer(embed_token),
    )
    assert comment.status_code == 403
    with app.app_context():
        question = questions.get_by_slug(other_question)
        assert question.forecaster_count == 0


@pytest.mark.parametrize(
    "path", ["/api/v1/moderation/comments", "/api/v1/questions/us-russia-relations/export.csv"]
)
def test_embed_token_opens_no_moderation(client, embed_token, path):
    assert client.get(path, headers=bearer(embed_token)).status_code in (401, 403)


def test_erasing_the_reader_revokes_their_embed_token(app, client, seed):
    created = client.post(
        f"{API}/{seed}/forecasts", json={"probabilities": {"us-eu-strain": 30}}
    ).json
    reader_token = created["reader_token"]
    # A reader who has their own token may ask for the embed's (an exchange, for this question).
    embed_token = forecast_from_embed(client, seed, {"us-eu-strain": 35}, reader_token).json[
        "embed_token"
    ]
    assert client.get(f"{API}/{seed}/forecasts/mine", headers=bearer(embed_token)).status_code == (
        200
    )
    assert client.delete("/api/v1/me", headers=bearer(reader_token)).status_code == 204

    response = client.get(f"{API}/{seed}/forecasts/mine", headers=bearer(embed_token))
    assert response.status_code == 401
    assert response.json["message"] == "The embed token is not valid."


def test_a_tampered_or_foreign_embed_token_is_refused(app, client, seed, embed_token):
    claim = embed_tokens.read(app.config["SECRET_KEY"], embed_token)
    forged = [
        embed_token[:-2] + ("AA" if not embed_token.endswith("AA") else "BB"),
        embed_tokens.issue("another secret", claim.reader_id, claim.question_id, "0" * 64),
        # Signed correctly but against a token hash the reader does not hold.
        embed_tokens.issue(app.config["SECRET_KEY"], claim.reader_id, claim.question_id, "0" * 64),
        "emb_not-a-token",
    ]
    for token in forged:
        response = client.get(f"{API}/{seed}/forecasts/mine", headers=bearer(token))
        assert response.status_code == 401, token


def test_embed_token_claims_are_read_back_and_checked_against_the_stored_hash():
    token = embed_tokens.issue("s3cret", "reader-1", 7, "ab" * 32)
    claim = embed_tokens.read("s3cret", token)
    assert claim == embed_tokens.EmbedClaim("reader-1", 7, "ab" * 8)
    assert embed_tokens.still_valid(claim, "ab" * 32)
    assert not embed_tokens.still_valid(claim, None)  # erased
    assert not embed_tokens.still_valid(claim, "cd" * 32)
    assert embed_tokens.read("other", token) is None
    assert embed_tokens.read("s3cret", token.removeprefix("emb_")) is None
