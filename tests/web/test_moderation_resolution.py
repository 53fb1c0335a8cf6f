"""Admins resolve scenarios and open or close questions in the moderation UI."""

from predictions.extensions import db
from predictions.models import ModerationAction, Question

from .resolution_actions import forecast, new_reader, seed_question

RESOLVE = "/moderation/questions/us-russia-relations/scenarios/us-eu-strain/resolve"


def scenario(app, key="us-eu-strain"):
    with app.app_context():
        found = db.session.scalar(db.select(Question)).scenario(key)
        return found.outcome, found.resolution_note


def test_admin_resolves_and_corrects_a_scenario_with_audit_rows(app, admin, seed):
    page = admin.client.get("/moderation/questions")
    assert page.status_code == 200
    assert "Continued Global Instability" in page.get_data(as_text=True)
    data = {"outcome": "yes", "note": "New tariffs announced"}
    response = admin.client.post(RESOLVE, data=data, follow_redirects=True)
    assert "resolved yes" in response.get_data(as_text=True)
    assert scenario(app) == ("yes", "New tariffs announced")
    admin.client.post(RESOLVE, data={"outcome": "no", "note": "Tariffs withdrawn"})
    assert scenario(app) == ("no", "Tariffs withdrawn")
    with app.app_context():
        rows = db.session.scalars(
            db.select(ModerationAction).where(ModerationAction.action.like("%resolve"))
        ).all()
        assert [(r.action, r.from_status, r.to_status) for r in rows] == [
            ("resolve", None, "yes"),
            ("re-resolve", "yes", "no"),
        ]
        assert all(r.moderator_id is not None for r in rows)


def test_resolution_needs_an_outcome_and_a_note(app, admin, seed):
    response = admin.client.post(RESOLVE, data={"outcome": "", "note": ""})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Say what decided it." in html
    assert scenario(app) == (None, None)


def test_a_resolved_scenario_shows_in_the_scores(app, admin, client, seed):
    with app.app_context():
        question = seed_question()
        forecast(question, new_reader(), {"us-eu-strain": 80})
        db.session.commit()
    admin.client.post(RESOLVE, data={"outcome": "yes", "note": "Tariffs"})
    body = client.get("/api/v1/questions/us-russia-relations/scores").json
    assert [s["key"] for s in body["scenarios"]] == ["us-eu-strain"]
    assert body["scenarios"][0]["article"]["brier"] == 0.16


def test_moderators_who_are_not_admins_cannot_resolve(app, moderator, seed):
    assert moderator.client.post(RESOLVE, data={"outcome": "yes", "note": "x"}).status_code == 403
    assert scenario(app) == (None, None)


def test_admin_closes_and_reopens_a_question(app, admin, seed):
    admin.client.post("/moderation/questions/us-russia-relations/status")
    with app.app_context():
        assert db.session.scalar(db.select(Question.status)) == "closed"
    admin.client.post("/moderation/questions/us-russia-relations/status")
    with app.app_context():
        assert db.session.scalar(db.select(Question.status)) == "open"
        actions = db.session.scalars(
            db.select(ModerationAction.action).where(ModerationAction.action.like("question_%"))
        ).all()
        assert actions == ["question_closed", "question_open"]
