"""A worker's copy of each question (services/questions.KeptQuestions): a request reads one row
for the versions and counters, and every edit, close, publication or resolution committed by
any session makes the next request load the question afresh."""

import pytest
from sqlalchemy import inspect

from predictions.extensions import db
from predictions.models import Question, Scenario
from predictions.services import counts, questions, resolution
from predictions.web.lookups import KEPT_QUESTIONS

from ..conftest import statements
from .resolution_actions import admin


def selects(app):
    return statements(app, ("SELECT",))


def loads_scenarios(seen: list[str]) -> bool:
    return any("FROM questions LEFT OUTER JOIN scenarios" in " ".join(s.split()) for s in seen)


def edit_version(app, slug: str) -> int:
    with app.app_context():
        return db.session.scalar(db.select(Question.edit_version).filter_by(slug=slug))


def kept_copy(app, slug: str) -> Question:
    return app.extensions[KEPT_QUESTIONS]._copies.get(slug)


def test_a_second_request_reads_one_row_and_no_scenarios(app, client, seed):
    with selects(app) as first:
        assert client.get(f"/api/v1/questions/{seed}/aggregate").status_code == 200
    with selects(app) as second:
        assert client.get(f"/api/v1/questions/{seed}/aggregate").status_code == 200
    assert loads_scenarios(first)
    assert not loads_scenarios(second)
    assert not any("FROM scenarios" in s for s in second)
    assert any("questions.edit_version" in s for s in second)


def test_the_copy_stays_detached_and_keeps_no_request_state(app, client, api_reader, seed):
    client.get(f"/q/{seed}")
    copy = kept_copy(app, seed)
    assert inspect(copy).detached
    assert all(inspect(s).detached for s in copy.scenarios)
    assert api_reader.forecast({"us-eu-strain": 30}).status_code == 201
    # The forecast moved the request's question, never the copy.
    assert copy.crowd_version == 0 and copy.forecaster_count == 0
    assert kept_copy(app, seed) is copy  # a forecast is no edit: the copy stays


def test_counters_come_from_the_row_not_from_the_copy(app, client, api_reader, seed):
    assert client.get(f"/api/v1/questions/{seed}").json["forecaster_count"] == 0
    assert api_reader.forecast({"us-eu-strain": 30}).status_code == 201
    assert client.get(f"/api/v1/questions/{seed}").json["forecaster_count"] == 1


def relabel(question: Question) -> None:
    question.scenarios[0].label = "A label edited elsewhere"


def close(question: Question) -> None:
    questions.set_status(question, "closed")


def retitle(question: Question) -> None:
    question.title = "A title edited elsewhere"


@pytest.mark.parametrize("edit", [relabel, close, retitle])
def test_an_edit_committed_by_another_session_shows_at_once(app, client, seed, edit):
    assert client.get(f"/api/v1/questions/{seed}").status_code == 200
    before = edit_version(app, seed)
    with app.app_context():  # as another worker would: its own session, committed
        edit(questions.get_by_slug(seed))
        db.session.commit()
    assert edit_version(app, seed) == before + 1
    shown = client.get(f"/api/v1/questions/{seed}").json
    assert shown["title"] != "A title edited elsewhere" or edit is retitle
    assert {
        relabel: shown["scenarios"][0]["label"] == "A label edited elsewhere",
        close: shown["status"] == "closed",
        retitle: shown["title"] == "A title edited elsewhere",
    }[edit]


def test_a_resolution_shows_at_once_and_refuses_the_next_forecast(app, client, api_reader, seed):
    assert api_reader.forecast({"us-eu-strain": 30}).status_code == 201
    with app.app_context():
        question = questions.get_by_slug(seed)
        resolution.resolve(question.scenario("us-eu-strain"), "yes", admin(), "It happened.")
        db.session.commit()
    assert client.get(f"/api/v1/questions/{seed}").status_code == 200
    assert kept_copy(app, seed).scenario("us-eu-strain").outcome == "yes"
    refused = api_reader.forecast({"us-eu-strain": 40})
    assert refused.status_code == 409
    assert "has resolved (yes)" in str(refused.json)


def test_a_draft_published_elsewhere_appears(app, client, editor, seed):
    with app.app_context():
        draft = questions.get_by_slug(seed)
        draft.published_at = None
        db.session.commit()
    assert client.get(f"/api/v1/questions/{seed}").status_code == 404
    with app.app_context():
        questions.publish(questions.get_by_slug(seed, drafts=True), None)
        db.session.commit()
    assert client.get(f"/api/v1/questions/{seed}").status_code == 200


def test_only_edits_move_the_edit_version(app, seed):
    with app.app_context():
        question = questions.get_by_slug(seed)
        start = question.edit_version
        counts.moved(question.id, forecasters=1)  # a forecast: the counters, not an edit
        db.session.commit()
        assert edit_version(app, seed) == start
        question = questions.get_by_slug(seed)
        question.scenarios.append(Scenario(key="new", label="A new one", baseline=50))
        db.session.commit()
        assert edit_version(app, seed) == start + 1
        question = questions.get_by_slug(seed)
        removed = question.scenario("new")
        question.scenarios.remove(removed)
        db.session.delete(removed)
        db.session.commit()
        assert edit_version(app, seed) == start + 2
        db.session.commit()  # a flush with nothing changed moves nothing
        assert edit_version(app, seed) == start + 2
