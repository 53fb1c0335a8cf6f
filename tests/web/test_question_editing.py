"""Editors' edits of a question (the service behind the coming form): safe edits, audited."""

import tomllib
from datetime import UTC, datetime

import pytest

from predictions.core.question_file import QuestionFileError, spec_from_data
from predictions.errors import Invalid
from predictions.extensions import db
from predictions.models import ModerationAction
from predictions.services import moderators, questions
from predictions.web.newsroom_time import from_local_input, to_local_input

from ..conftest import SEED_SLUG, make_moderator


def seed_data() -> dict:
    return tomllib.loads(questions.seed_text())


def save(data: dict, slug: str | None = SEED_SLUG):
    editor = moderators.by_name("eda")
    question = questions.get_by_slug(slug, drafts=True) if slug else None
    saved = questions.save_from_editor(spec_from_data(data), editor, question)
    db.session.commit()
    return saved


def last_audit() -> tuple[str, str]:
    row = db.session.scalars(db.select(ModerationAction).order_by(ModerationAction.id.desc()))
    first = row.first()
    return first.action, first.note


@pytest.fixture
def editing(app, seed):
    make_moderator(app, "eda", role="editor")
    with app.app_context():
        yield


def test_a_new_question_is_created_and_audited(editing):
    data = seed_data()
    data["slug"] = ""
    data["title"] = "A second question?"
    question = save(data, slug=None)
    assert question.slug == "a-second-question"
    assert [s.key for s in question.scenarios] == [s["key"] for s in data["scenarios"]]
    assert last_audit() == ("question_create", "a-second-question")


def test_wording_can_be_fixed_after_forecasts_and_the_audit_names_the_fields(
    app, page_reader, editing
):
    assert page_reader.forecast({"us-eu-strain": 55}).status_code == 303
    data = seed_data()
    data["title"] = "A fixed title"
    data["scenarios"][1]["label"] = "A fixed label"
    save(data)
    assert last_audit() == (
        "question_edit",
        f"{SEED_SLUG}: title, scenarios.us-eu-strain.label",
    )


@pytest.mark.parametrize("change", ["baseline", "key", "remove"])
def test_after_a_forecast_keys_baselines_and_scenarios_are_locked(
    app, page_reader, editing, change
):
    assert page_reader.forecast({"us-eu-strain": 55}).status_code == 303
    data = seed_data()
    if change == "baseline":
        data["scenarios"][1]["baseline"] = 61
    elif change == "key":
        data["scenarios"][1]["key"] = "us-eu-rift"
    else:
        del data["scenarios"][2]
    with pytest.raises(Invalid) as error:
        save(data)
    assert "cannot be removed" in error.value.errors["scenarios"][0]


def test_before_any_forecast_a_scenario_can_be_removed(editing):
    data = seed_data()
    del data["scenarios"][2]
    question = save(data)
    assert [s.key for s in question.scenarios] == ["us-russia-cooperation", "us-eu-strain"]
    assert last_audit() == ("question_edit", f"{SEED_SLUG}: scenarios.global-instability removed")


def test_the_slug_is_locked_once_the_question_opened(editing):
    data = seed_data()
    data["slug"] = "another-slug"
    with pytest.raises(Invalid) as error:
        save(data)
    assert error.value.errors["slug"] == [questions.SLUG_LOCKED]


def test_the_slug_can_change_before_the_question_opens(editing):
    data = seed_data()
    data["opens_at"] = datetime(2027, 1, 1, tzinfo=UTC)
    save(data)
    data["slug"] = "another-slug"
    assert save(data).slug == "another-slug"


def test_a_drafts_slug_can_change_until_it_is_published(editing):
    data = seed_data() | {"slug": "a-draft", "title": "A draft?"}
    draft = save(data, slug=None)
    assert draft.published_at is None and draft.opens_at is not None
    data["slug"] = "a-better-slug"
    assert save(data, slug="a-draft").slug == "a-better-slug"
    questions.publish(draft, moderators.by_name("eda"))
    db.session.commit()
    data["slug"] = "yet-another-slug"
    with pytest.raises(Invalid) as error:
        save(data, slug="a-better-slug")
    assert error.value.errors["slug"] == [questions.SLUG_LOCKED]


def test_a_slug_taken_by_another_question_is_refused(editing):
    data = seed_data()
    with pytest.raises(Invalid) as error:
        save(data, slug=None)
    assert "Another question has the slug" in error.value.errors["slug"][0]


@pytest.mark.parametrize("app_config", [{"NEWSROOM_TIMEZONE": "Europe/Berlin"}])
def test_times_are_entered_and_shown_in_the_newsroom_zone_and_kept_in_utc(app, app_config):
    with app.test_request_context():
        moment = from_local_input("2026-03-12T09:30")
        assert moment == datetime(2026, 3, 12, 8, 30, tzinfo=UTC)  # CET is UTC+1 in March
        assert to_local_input(datetime(2026, 7, 1, 7, 0, tzinfo=UTC)) == "2026-07-01T09:00"
        assert from_local_input("") is None
        assert from_local_input("next week") == "next week"


def test_a_time_that_is_not_one_gets_the_file_rules_message(app):
    data = seed_data()
    with app.test_request_context():
        data["opens_at"] = from_local_input("next week")
    with pytest.raises(QuestionFileError) as error:
        spec_from_data(data)
    assert error.value.problems == ["opens_at: Give a date, or a date and time."]
