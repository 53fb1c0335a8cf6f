"""The moderation API: queues, guarded decisions and bans, by token or by session with CSRF."""

import pytest

from predictions.extensions import db
from predictions.models import Comment, Flag, ModerationAction, Reader
from predictions.services import forecasts, questions, readers

from ..conftest import make_comment

SPEC_COMMENT_KEYS = {"id", "parent_id", "display_name", "body", "status", "created_at", "edited_at"}


@pytest.fixture
def api(client, moderator_token):
    """Calls to the moderation API with a moderator's personal token."""

    class Api:
        headers = {"Authorization": f"Bearer {moderator_token}"}

        def get(self, path: str):
            return client.get(f"/api/v1{path}", headers=self.headers)

        def post(self, path: str, body=None, **kwargs):
            return client.post(f"/api/v1{path}", json=body, headers=self.headers, **kwargs)

        def decide(self, comment_id: int, **body):
            return self.post(f"/moderation/comments/{comment_id}/decision", body)

    return Api()


def status_of(app, comment_id: int) -> str:
    with app.app_context():
        return db.session.get(Comment, comment_id).status


def test_queue_lists_oldest_first_with_reader_reasons_and_flags(app, api):
    first, author = make_comment(app, "first", display_name="Ann", reasons=["new_reader"])
    second, _ = make_comment(app, "second")
    make_comment(app, "not pending", status="approved")
    with app.app_context():
        flagger, _token = readers.create_reader("x")
        db.session.add(Flag(comment_id=first, reader_id=flagger.id, reason="spam", details="Ad"))
        db.session.commit()
    response = api.get("/moderation/comments?status=pending")
    assert response.status_code == 200
    body = response.json
    assert (body["page"], body["pages"], body["total"]) == (1, 1, 2)
    assert [item["id"] for item in body["items"]] == [first, second]
    item = body["items"][0]
    assert SPEC_COMMENT_KEYS | {"reader_id", "reasons", "flags"} <= set(item)
    assert item["reader_id"] == author
    assert item["display_name"] == "Ann"
    assert item["reasons"] == ["new_reader"]
    assert item["reason_details"] == [
        {"code": "new_reader", "description": "The reader has fewer than 2 approved comments."}
    ]
    assert [(f["reason"], f["details"]) for f in item["flags"]] == [("spam", "Ad")]
    assert item["author"] == {"approved": 0, "rejected": 0, "banned": False, "premod": False}


def test_queue_defaults_to_pending_and_pages(app, api):
    ids = [make_comment(app, f"c{n}")[0] for n in range(3)]
    body = api.get("/moderation/comments?per_page=2&page=2").json
    assert (body["page"], body["pages"], body["total"]) == (2, 2, 3)
    assert [item["id"] for item in body["items"]] == ids[2:]


def test_reported_queue_is_published_comments_with_reports(app, api):
    reported, _ = make_comment(app, status="approved", reported=True)
    make_comment(app, status="approved")
    items = api.get("/moderation/comments?status=reported").json["items"]
    assert [(i["id"], i["status"], i["queue"]) for i in items] == [
        (reported, "approved", "reported")
    ]
    assert items[0]["reported_at"] is not None


@pytest.mark.parametrize(
    "query", ["status=deleted", "status=everything", "page=0", "per_page=101", "page=x"]
)
def test_bad_queue_queries_are_422(api, query):
    response = api.get(f"/moderation/comments?{query}")
    assert response.status_code == 422
    assert set(response.json["errors"]) <= {"status", "page", "per_page"}


def test_decision_approves_and_answers_with_the_comment(app, api):
    comment_id, _ = make_comment(app)
    response = api.decide(comment_id, action="approve", expected_status="pending")
    assert response.status_code == 200
    assert response.json["id"] == comment_id
    assert response.json["status"] == "approved"
    assert status_of(app, comment_id) == "approved"
    with app.app_context():
        row = db.session.scalar(db.select(ModerationAction).filter_by(action="approve"))
        assert row.moderator_id is not None and row.comment_id == comment_id


def test_the_second_decision_on_a_comment_gets_409(app, api):
    comment_id, _ = make_comment(app)
    assert api.decide(comment_id, action="approve", expected_status="pending").status_code == 200
    late = api.decide(comment_id, action="reject", reason="abuse", expected_status="pending")
    assert late.status_code == 409
    assert late.json["code"] == 409
    assert "already handled by someone else" in late.json["message"]
    assert "now approved" in late.json["errors"]["expected_status"][0]
    assert status_of(app, comment_id) == "approved"
    with app.app_context():
        decisions = db.session.scalars(
            db.select(ModerationAction.action).where(ModerationAction.comment_id == comment_id)
        ).all()
        assert decisions == ["approve"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": "reject", "expected_status": "pending"}, "reason"),
        ({"action": "spam", "expected_status": "pending"}, "reason"),
        ({"action": "reject", "reason": "nope", "expected_status": "pending"}, "reason"),
        ({"action": "reject", "reason": "other", "expected_status": "pending"}, "note"),
        ({"action": "delete", "expected_status": "pending"}, "action"),
        ({"action": "approve"}, "expected_status"),
        ({"action": "approve", "expected_status": "deleted"}, "expected_status"),
        ({"action": "approve", "expected_status": "pending", "extra": 1}, "extra"),
        ({"action": "approve", "expected_status": "pending", "note": "x" * 501}, "note"),
        ({"action": "approve", "expected_status": 5}, "expected_status"),
    ],
)
def test_invalid_decisions_are_422_with_the_field(app, api, body, field):
    comment_id, _ = make_comment(app)
    response = api.decide(comment_id, **body)
    assert response.status_code == 422
    assert field in response.json["errors"]
    assert status_of(app, comment_id) == "pending"


def test_decision_on_an_unknown_comment_is_404(api):
    response = api.decide(12345, action="approve", expected_status="pending")
    assert response.status_code == 404


def test_decision_body_must_be_json(app, api, client):
    comment_id, _ = make_comment(app)
    url = f"/api/v1/moderation/comments/{comment_id}/decision"
    assert client.post(url, data="action=approve", headers=api.headers).status_code == 415
    response = client.post(
        url, data="{not json", headers={**api.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 400


def test_moderator_session_with_csrf_header_can_decide(app, moderator):
    comment_id, _ = make_comment(app, status="withheld")
    response = moderator.api(
        "POST",
        f"/moderation/comments/{comment_id}/decision",
        json={"action": "spam", "reason": "spam", "expected_status": "withheld"},
    )
    assert response.status_code == 200
    assert status_of(app, comment_id) == "rejected"


# ---- bans


def reader_with_forecast(app, percent: int = 70) -> str:
    with app.app_context():
        reader, _token = readers.create_reader("ip")
        question = questions.get_by_slug("us-russia-relations")
        forecasts.submit(question, reader, {"us-eu-strain": percent})
        db.session.commit()
        return reader.id


def test_ban_takes_the_readers_forecasts_out_of_the_crowd(app, api, client, seed):
    banned = reader_with_forecast(app, 90)
    reader_with_forecast(app, 30)
    assert client.get(f"/api/v1/questions/{seed}").json["forecaster_count"] == 2
    comment_id, _ = make_comment(app, reader_id=banned, status="approved")

    response = api.post(f"/moderation/readers/{banned}/ban", {"reason": "spam"})
    assert response.status_code == 200
    assert response.json["reader_id"] == banned
    assert response.json["ban_reason"] == "spam"
    assert response.json["banned_at"] is not None
    assert response.json["rejected_comments"] == []
    assert client.get(f"/api/v1/questions/{seed}").json["forecaster_count"] == 1
    assert status_of(app, comment_id) == "approved"

    again = api.post(f"/moderation/readers/{banned}/ban", {"reason": "spam"})
    assert again.status_code == 409
    assert client.get(f"/api/v1/questions/{seed}").json["forecaster_count"] == 1

    lifted = api.post(f"/moderation/readers/{banned}/unban", {})
    assert lifted.status_code == 200
    assert lifted.json["banned_at"] is None
    assert client.get(f"/api/v1/questions/{seed}").json["forecaster_count"] == 2
    assert api.post(f"/moderation/readers/{banned}/unban", {}).status_code == 409


def test_ban_can_reject_the_readers_comments(app, api):
    reader_id = reader_with_forecast(app)
    pending, _ = make_comment(app, reader_id=reader_id)
    withheld, _ = make_comment(app, reader_id=reader_id, status="withheld")
    rejected, _ = make_comment(app, reader_id=reader_id, status="rejected")
    deleted, _ = make_comment(app, reader_id=reader_id, status="deleted")
    response = api.post(
        f"/moderation/readers/{reader_id}/ban", {"reason": "hate", "reject_comments": True}
    )
    assert response.status_code == 200
    assert sorted(response.json["rejected_comments"]) == [pending, withheld]
    assert [status_of(app, c) for c in (pending, withheld, rejected, deleted)] == [
        "rejected",
        "rejected",
        "rejected",
        "deleted",
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "reason"),
        ({"reason": "because"}, "reason"),
        ({"reason": "other"}, "note"),
        ({"reason": "spam", "reject_comments": "maybe"}, "reject_comments"),
    ],
)
def test_bad_bans_are_422_and_change_nothing(app, api, body, field):
    reader_id = reader_with_forecast(app)
    response = api.post(f"/moderation/readers/{reader_id}/ban", body)
    assert response.status_code == 422
    assert field in response.json["errors"]
    with app.app_context():
        assert db.session.get(Reader, reader_id).banned_at is None


def test_ban_of_an_unknown_reader_is_404(api):
    assert api.post("/moderation/readers/nobody/ban", {"reason": "spam"}).status_code == 404


def test_moderation_api_is_documented(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert "/api/v1/moderation/comments" in paths
    assert "/api/v1/moderation/comments/{comment_id}/decision" in paths
    assert "/api/v1/moderation/readers/{reader_id}/ban" in paths
    assert "/api/v1/questions/{slug}/export.csv" in paths
