"""The reader's path through the JSON API: questions, forecasts, updates, withdrawals."""

from datetime import datetime

from predictions.extensions import db
from predictions.models import Comment, Forecast, Reader


def test_question_list_shows_seed_with_forecaster_count(client, api_reader):
    api_reader.forecast({"us-eu-strain": 70})
    response = client.get("/api/v1/questions")
    assert response.status_code == 200
    assert response.json == [
        {
            "slug": "us-russia-relations",
            "title": response.json[0]["title"],
            "status": "open",
            "forecaster_count": 1,
        }
    ]


def test_question_detail_has_source_closing_question_and_scenarios(client, seed):
    body = client.get(f"/api/v1/questions/{seed}").json
    assert body["closing_question"] == (
        "What are your predictions for the future of US-Russia relations?"
    )
    assert body["source"]["name"] == "Archyworldys"
    assert body["source"]["url"].startswith("https://")
    assert [(s["key"], s["baseline"]) for s in body["scenarios"]] == [
        ("us-russia-cooperation", 40),
        ("us-eu-strain", 60),
        ("global-instability", 80),
    ]
    assert all(s["resolution"] and s["impact"] and s["label"] for s in body["scenarios"])
    assert len(body["faq"]) == 4
    assert body["status"] == "open"


def test_first_forecast_creates_reader_and_returns_token_once(api_reader):
    first = api_reader.forecast({"us-russia-cooperation": 35, "global-instability": 90})
    assert first.status_code == 201
    token = first.json["reader_token"]
    assert len(token) >= 32
    second = api_reader.forecast({"us-russia-cooperation": 30})
    assert second.status_code == 201
    assert "reader_token" not in second.json
    assert api_reader.token == token


def test_forecast_response_compares_with_article(api_reader):
    body = api_reader.forecast({"us-russia-cooperation": 35, "global-instability": 90}).json
    assert body["forecast"]["probabilities"] == {
        "us-russia-cooperation": 35,
        "global-instability": 90,
    }
    assert datetime.fromisoformat(body["forecast"]["created_at"]).tzinfo is not None
    assert body["comparison"] == {
        "us-russia-cooperation": {"you": 35, "article": 40, "delta_pp": -5},
        "global-instability": {"you": 90, "article": 80, "delta_pp": 10},
    }
    assert body["comment"] is None


def test_update_closes_previous_forecast_and_keeps_history(app, api_reader):
    api_reader.forecast({"us-eu-strain": 70})
    api_reader.forecast({"us-eu-strain": 55})
    mine = api_reader.mine().json
    assert mine["active"]["us-eu-strain"]["probability"] == 55
    history = mine["history"]
    assert [(h["scenario"], h["probability"]) for h in history] == [
        ("us-eu-strain", 70),
        ("us-eu-strain", 55),
    ]
    assert history[0]["ended_at"] is not None
    assert history[1]["ended_at"] is None
    with app.app_context():
        active = db.session.scalars(db.select(Forecast).filter_by(ended_at=None)).all()
        assert len(active) == 1


def test_unchanged_number_keeps_its_standing_forecast(api_reader):
    api_reader.forecast({"us-eu-strain": 70})
    api_reader.forecast({"us-eu-strain": 70, "global-instability": 85})
    history = api_reader.mine().json["history"]
    assert [(h["scenario"], h["probability"]) for h in history] == [
        ("us-eu-strain", 70),
        ("global-instability", 85),
    ]


def test_withdraw_one_scenario_then_all(api_reader):
    api_reader.forecast({"us-eu-strain": 70, "global-instability": 85})
    response = api_reader.withdraw("us-eu-strain")
    assert response.status_code == 200
    assert set(response.json["active"]) == {"global-instability"}
    response = api_reader.withdraw()
    assert response.json["active"] == {}
    assert all(h["ended_at"] for h in response.json["history"])


def test_withdraw_without_identity_is_refused(client, seed):
    response = client.delete(f"/api/v1/questions/{seed}/forecasts/mine")
    assert response.status_code == 401
    assert response.json["code"] == 401


def test_invalid_bearer_token_is_refused(client, seed):
    response = client.post(
        f"/api/v1/questions/{seed}/forecasts",
        json={"probabilities": {"us-eu-strain": 50}},
        headers={"Authorization": "Bearer not-a-token"},
    )
    assert response.status_code == 401


def test_mine_for_new_visitor_is_empty(client, seed):
    response = client.get(f"/api/v1/questions/{seed}/forecasts/mine")
    assert response.status_code == 200
    assert response.json == {"active": {}, "history": []}


def test_comment_sent_with_forecast_is_pending_with_snapshot(app, api_reader):
    body = api_reader.forecast(
        {"us-eu-strain": 70}, comment="Tariffs are coming.", display_name="Ana"
    ).json
    assert body["comment"]["status"] == "pending"
    with app.app_context():
        comment = db.session.get(Comment, body["comment"]["id"])
        assert comment.body == "Tariffs are coming."
        assert comment.forecast_snapshot == {"us-eu-strain": 70}
        assert comment.display_name == "Ana"


def test_control_characters_are_removed_from_name_and_comment(app, api_reader):
    body = api_reader.forecast(
        {"us-eu-strain": 70}, comment="line one\r\nline\x00 two\x07", display_name="A\x1bna"
    ).json
    with app.app_context():
        comment = db.session.get(Comment, body["comment"]["id"])
        assert comment.body == "line one\nline two"
        assert comment.display_name == "Ana"


def test_raw_ip_address_is_never_stored(app, client, seed):
    response = client.post(
        f"/api/v1/questions/{seed}/forecasts",
        json={"probabilities": {"us-eu-strain": 50}, "comment": "hello"},
        environ_base={"REMOTE_ADDR": "203.0.113.77"},
    )
    assert response.status_code == 201
    with app.app_context():
        reader = db.session.scalars(db.select(Reader)).one()
        comment = db.session.scalars(db.select(Comment)).one()
        assert reader.ip_hash and len(reader.ip_hash) == 64
        assert comment.ip_hash == reader.ip_hash
        for row in (reader, comment):
            for column in row.__table__.columns:
                assert "203.0.113" not in str(getattr(row, column.key))


def test_openapi_document_is_generated_from_schemas(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/questions/{slug}/forecasts" in spec["paths"]
    post = spec["paths"]["/api/v1/questions/{slug}/forecasts"]["post"]
    assert "201" in post["responses"] and "422" in post["responses"]
    schemas = spec["components"]["schemas"]
    assert "probabilities" in schemas["ForecastInput"]["properties"]
    assert "comparison" in schemas["ForecastResult"]["properties"]
