"""A reader downloads or deletes all their data; stale unreviewed comments are purged."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from predictions.extensions import db
from predictions.models import (
    Comment,
    CommentRevision,
    Flag,
    Forecast,
    ModerationAction,
    Reader,
    Scenario,
)
from predictions.services import counts

from ..conftest import table_counts
from .commenting import SLUG, Commenter, add_comment, new_commenter


@pytest.fixture
def busy_reader(app, seed) -> Commenter:
    """A reader with forecasts, an edited comment, a withheld one and a flag."""
    reader = Commenter(app, app.test_client())
    reader.forecast({"us-eu-strain": 70, "global-instability": 85}, display_name="Vera")
    reader.forecast({"us-eu-strain": 65})
    comment_id = reader.post("First draft").json["id"]
    reader.edit(comment_id, "Final text")
    reader.post("Look at https://example.com")  # withheld: contains a link
    other = new_commenter(app)
    reader.flag(add_comment(app, other.reader_id, "Flag me"), "spam", details="ads")
    return reader


def test_api_export_holds_every_kind_of_data(app, busy_reader):
    response = busy_reader.client.get("/api/v1/me/export", headers=busy_reader.headers)
    assert response.status_code == 200
    data = response.json
    assert data["reader"]["id"] == busy_reader.reader_id
    assert data["reader"]["display_name"] == "Vera"
    # The test client sends JSON keys sorted, so global-instability is stored first.
    forecasts = [
        (f["scenario"], f["probability"], f["ended_at"] is None) for f in data["forecasts"]
    ]
    assert forecasts == [
        ("global-instability", 85, True),
        ("us-eu-strain", 70, False),
        ("us-eu-strain", 65, True),
    ]
    assert all(f["question"] == SLUG for f in data["forecasts"])
    edited, withheld = data["comments"]
    assert edited["body"] == "Final text"
    assert [r["body"] for r in edited["revisions"]] == ["First draft"]
    assert withheld["status"] == "pending"
    assert "withheld" not in response.get_data(as_text=True)
    assert [(f["reason"], f["details"]) for f in data["flags"]] == [("spam", "ads")]


def test_page_export_is_a_json_download_for_the_cookie_reader(app, client, seed):
    client.post(f"/q/{SLUG}", data={"p_us_eu_strain": "40", "comment": "cookie words"})
    response = client.get("/me/export.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert [c["body"] for c in data["comments"]] == ["cookie words"]
    assert data["forecasts"][0]["probability"] == 40


def test_me_offers_export_and_delete_only_to_a_known_reader(client, seed):
    assert "Download my data" not in client.get("/me").get_data(as_text=True)
    client.post(f"/q/{SLUG}", data={"p_us_eu_strain": "40"})
    html = client.get("/me").get_data(as_text=True)
    assert 'href="/me/export.json"' in html
    assert 'action="/me/delete"' in html


def test_export_without_identity(client, seed):
    assert client.get("/api/v1/me/export").status_code == 401
    assert client.get("/me/export.json").json["reader"] is None


def erased_state(app, reader_id: str) -> dict:
    with app.app_context():
        reader = db.session.get(Reader, reader_id)
        comments = db.session.scalars(db.select(Comment).filter_by(reader_id=reader_id)).all()
        return {
            "reader": (reader.display_name, reader.token_hash, reader.ip_hash),
            "erased": reader.erased_at is not None,
            "comments": {(c.status, c.body, c.display_name, c.ip_hash) for c in comments},
            "revisions": db.session.scalar(db.select(db.func.count()).select_from(CommentRevision)),
            "active_forecasts": db.session.scalar(
                db.select(db.func.count())
                .select_from(Forecast)
                .filter_by(reader_id=reader_id, ended_at=None)
            ),
            "flag_details": db.session.scalars(
                db.select(Flag.details).filter_by(reader_id=reader_id)
            ).all(),
        }


def assert_erased(app, reader_id: str) -> None:
    state = erased_state(app, reader_id)
    assert state["reader"] == (None, None, None)
    assert state["erased"]
    assert state["comments"] == {("deleted", "", None, None)}
    assert state["revisions"] == 0
    assert state["active_forecasts"] == 0
    assert state["flag_details"] == [None]


def test_api_delete_erases_the_readers_data_and_their_token(app, busy_reader):
    reader_id = busy_reader.reader_id
    response = busy_reader.client.delete("/api/v1/me", headers=busy_reader.headers)
    assert response.status_code == 204
    assert_erased(app, reader_id)
    again = busy_reader.client.get("/api/v1/me/export", headers=busy_reader.headers)
    assert again.status_code == 401


def test_erased_forecasts_leave_the_aggregates(app, busy_reader, seed):
    other = new_commenter(app)
    other.forecast({"us-eu-strain": 20})
    busy_reader.client.delete("/api/v1/me", headers=busy_reader.headers)
    with app.app_context():
        ids = db.session.scalars(db.select(Scenario.id)).all()
        assert counts.counts_for(ids) == counts.recount(ids)
        eu = db.session.scalar(db.select(Scenario.id).filter_by(key="us-eu-strain"))
        assert counts.counts_for([eu])[eu] == {20: 1}
    assert client_count(app) == 1


def client_count(app) -> int:
    from predictions.services import questions

    with app.app_context():
        return questions.forecaster_count(questions.get_by_slug(SLUG))


def test_erasure_is_in_the_audit_log(app, busy_reader):
    reader_id = busy_reader.reader_id
    busy_reader.client.delete("/api/v1/me", headers=busy_reader.headers)
    with app.app_context():
        actions = db.session.scalars(
            db.select(ModerationAction.action).filter_by(reader_id=reader_id)
        ).all()
    assert actions.count("erase") == 2
    assert "erase_reader" in actions


def test_page_delete_needs_confirmation(app, client, seed):
    client.post(f"/q/{SLUG}", data={"p_us_eu_strain": "40", "comment": "keep me"})
    before = table_counts(app)
    response = client.post("/me/delete", data={})
    assert response.status_code == 422
    assert "Tick the box to confirm." in response.get_data(as_text=True)
    assert table_counts(app) == before
    with app.app_context():
        assert db.session.scalar(db.select(Comment.body)) == "keep me"


def test_page_delete_erases_and_forgets_the_browser(app, client, seed):
    client.post(f"/q/{SLUG}", data={"p_us_eu_strain": "40", "comment": "bye"})
    with app.app_context():
        reader_id = db.session.scalar(db.select(Reader.id))
    with client.session_transaction() as session:
        old_cookie = dict(session)
    response = client.post("/me/delete", data={"erase-confirm": "y"}, follow_redirects=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Your data is deleted." in html
    assert "You have not made a forecast yet." in html
    assert_erased_page(app, reader_id)
    # A copy of the old cookie no longer identifies anyone.
    replay = app.test_client()
    with replay.session_transaction() as session:
        session.update(old_cookie)
    assert "You have not made a forecast yet." in replay.get("/me").get_data(as_text=True)


def assert_erased_page(app, reader_id: str) -> None:
    state = erased_state(app, reader_id)
    assert state["reader"] == (None, None, None) and state["erased"]
    assert state["comments"] == {("deleted", "", None, None)}
    assert state["active_forecasts"] == 0


def test_delete_without_identity(client, seed):
    assert client.delete("/api/v1/me").status_code == 401
    response = client.post("/me/delete", data={"erase-confirm": "y"})
    assert response.status_code == 303


# flask comments purge-pending


def test_purge_deletes_only_old_unreviewed_comments(app, runner, seed):
    author = new_commenter(app)
    old = datetime.now(UTC) - timedelta(days=31)
    stale = add_comment(app, author.reader_id, "stale", status="pending", created_at=old)
    held = add_comment(app, author.reader_id, "held", status="withheld", created_at=old)
    published = add_comment(app, author.reader_id, "kept", status="approved", created_at=old)
    recent = add_comment(app, author.reader_id, "recent", status="pending")
    result = runner.invoke(args=["comments", "purge-pending", "--days", "30"])
    assert result.exit_code == 0
    assert result.output.strip() == "2 unreviewed comments older than 30 days deleted"
    with app.app_context():
        rows = {c.id: (c.status, c.body) for c in db.session.scalars(db.select(Comment))}
        purged = db.session.scalars(
            db.select(ModerationAction.comment_id).filter_by(action="purge")
        ).all()
    assert rows[stale] == rows[held] == ("deleted", "")
    assert rows[published] == ("approved", "kept")
    assert rows[recent] == ("pending", "recent")
    assert sorted(purged) == [stale, held]


def test_purge_rejects_a_nonsense_number_of_days(runner, seed):
    assert runner.invoke(args=["comments", "purge-pending", "--days", "0"]).exit_code != 0


def test_purge_keeps_thirty_days_by_default(app, runner, seed):
    author = new_commenter(app)
    now = datetime.now(UTC)
    young = add_comment(app, author.reader_id, "29 days", "pending", created_at=now - timedelta(29))
    old = add_comment(app, author.reader_id, "31 days", "pending", created_at=now - timedelta(31))
    result = runner.invoke(args=["comments", "purge-pending"])
    assert result.output.strip() == "1 unreviewed comment older than 30 days deleted"
    with app.app_context():
        assert db.session.get(Comment, young).status == "pending"
        assert db.session.get(Comment, old).status == "deleted"
