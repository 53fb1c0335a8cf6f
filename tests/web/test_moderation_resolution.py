"""Admins resolve scenarios and open or close questions in the moderation UI."""

from html.parser import HTMLParser

import pytest

from predictions.extensions import db
from predictions.models import ModerationAction, Question

from .resolution_actions import forecast, new_reader, seed_question

RESOLVE = "/moderation/questions/us-russia-relations/scenarios/us-eu-strain/resolve"


FIELDS = ("input", "select", "textarea")


class PageForms(HTMLParser):
    """The forms of a page: their action and the names (and values) of their fields."""

    def __init__(self, html: str):
        super().__init__()
        self.forms: dict[str, dict[str, str]] = {}
        self._fields: dict[str, str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form":
            self._fields = self.forms.setdefault(attributes.get("action") or "", {})
        elif self._fields is not None and tag in FIELDS and attributes.get("name"):
            self._fields[attributes["name"]] = attributes.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._fields = None


def resolve_on_the_page(client, outcome: str, note: str, action: str = RESOLVE, **kwargs):
    """Fill in the resolve form the questions page shows for a scenario, and send it."""
    page = client.get("/moderation/questions")
    fields = PageForms(page.get_data(as_text=True)).forms[action]
    (outcome_name,) = [name for name in fields if name.endswith("outcome")]
    (note_name,) = [name for name in fields if name.endswith("note")]
    data = {**fields, outcome_name: outcome, note_name: note}
    return client.post(action, data=data, **kwargs)


def scenario(app, key="us-eu-strain"):
    with app.app_context():
        found = db.session.scalar(db.select(Question)).scenario(key)
        return found.outcome, found.resolution_note


def test_admin_resolves_and_corrects_a_scenario_with_audit_rows(app, admin, seed):
    page = admin.client.get("/moderation/questions")
    assert page.status_code == 200
    assert "Continued Global Instability" in page.get_data(as_text=True)
    response = resolve_on_the_page(
        admin.client, "yes", "New tariffs announced", follow_redirects=True
    )
    assert "resolved yes" in response.get_data(as_text=True)
    assert scenario(app) == ("yes", "New tariffs announced")
    resolve_on_the_page(admin.client, "no", "Tariffs withdrawn")
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
    response = resolve_on_the_page(admin.client, "", "")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Say what decided it." in html
    assert scenario(app) == (None, None)
    # The refused form is shown again at its own scenario, with what was sent.
    again = PageForms(html).forms[RESOLVE]
    assert "us-russia-relations-us-eu-strain-note" in again


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_admin_resolves_with_the_form_the_page_shows(app, seed):
    from ..conftest import ModeratorActions, make_moderator

    make_moderator(app, "ada", admin=True)
    ada = ModeratorActions(app.test_client(), "ada")
    fields = PageForms(ada.client.get("/moderation/login").get_data(as_text=True)).forms
    (login_form,) = fields.values()
    assert ada.login(csrf_token=login_form["csrf_token"]).status_code == 303
    response = resolve_on_the_page(ada.client, "yes", "New tariffs announced")
    assert response.status_code == 303, response.get_data(as_text=True)
    assert scenario(app) == ("yes", "New tariffs announced")


def test_each_scenario_form_has_field_names_and_ids_of_its_own(admin, seed):
    html = admin.client.get("/moderation/questions").get_data(as_text=True)
    forms = [f for action, f in PageForms(html).forms.items() if action.endswith("/resolve")]
    assert len(forms) == 3
    names = [name for form in forms for name in form]
    assert len(names) == len(set(names))
    assert "us-russia-relations-us-eu-strain-outcome" in names


def test_a_resolved_scenario_shows_in_the_scores(app, admin, client, seed):
    with app.app_context():
        question = seed_question()
        forecast(question, new_reader(), {"us-eu-strain": 80})
        db.session.commit()
    resolve_on_the_page(admin.client, "yes", "Tariffs")
    body = client.get("/api/v1/questions/us-russia-relations/scores").json
    assert [s["key"] for s in body["scenarios"]] == ["us-eu-strain"]
    assert body["scenarios"][0]["article"]["brier"] == 0.16


def test_moderators_who_are_not_admins_cannot_resolve(app, moderator, seed):
    assert moderator.client.post(RESOLVE, data={"outcome": "yes", "note": "x"}).status_code == 403
    assert scenario(app) == (None, None)


def test_admin_closes_and_reopens_a_question(app, admin, seed):
    asked = admin.client.post("/moderation/questions/us-russia-relations/status")
    assert asked.status_code == 200 and "Yes, close it" in asked.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(Question.status)) == "open"  # not before confirming
    admin.client.post("/moderation/questions/us-russia-relations/status", data={"confirm": "yes"})
    with app.app_context():
        assert db.session.scalar(db.select(Question.status)) == "closed"
    admin.client.post("/moderation/questions/us-russia-relations/status")
    with app.app_context():
        assert db.session.scalar(db.select(Question.status)) == "open"
        actions = db.session.scalars(
            db.select(ModerationAction.action).where(ModerationAction.action.like("question_%"))
        ).all()
        assert actions == ["question_closed", "question_open"]
