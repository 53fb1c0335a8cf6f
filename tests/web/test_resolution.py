"""Resolving scenarios: the outcome, the audit rows, corrections, the CLI, and no new forecasts."""

import re

import pytest

from predictions.extensions import db
from predictions.models import Forecast, ModerationAction
from predictions.services import counts, forecasts, resolution, scores

from ..conftest import table_counts
from .resolution_actions import admin, at, forecast, new_reader, seed_question

KEY = "us-eu-strain"


def audit_rows() -> list[ModerationAction]:
    return list(db.session.scalars(db.select(ModerationAction).order_by(ModerationAction.id)))


def resolve_now(app, key: str, outcome: str, note: str = "It happened.") -> None:
    with app.app_context():
        resolution.resolve(seed_question().scenario(key), outcome, None, note)
        db.session.commit()


# --- the service -------------------------------------------------------------------------------


def test_first_resolution_sets_outcome_and_appends_a_resolve_row(app, seed):
    with app.app_context():
        moderator = admin()
        scenario = seed_question().scenario(KEY)
        action = resolution.resolve(scenario, "yes", moderator, "Tariffs announced.", now=at(5))
        db.session.commit()
        assert (scenario.outcome, scenario.resolved_at) == ("yes", at(5))
        assert (scenario.resolved_by_id, scenario.resolution_note) == (
            moderator.id,
            "Tariffs announced.",
        )
        [row] = audit_rows()
        assert row is action
        assert (row.action, row.scenario_id, row.moderator_id) == (
            "resolve",
            scenario.id,
            moderator.id,
        )
        assert (row.from_status, row.to_status, row.note) == (None, "yes", "Tariffs announced.")
        assert row.created_at == at(5)


def test_correction_appends_a_re_resolve_row_and_keeps_the_resolution_time(app, seed):
    with app.app_context():
        scenario = seed_question().scenario(KEY)
        resolution.resolve(scenario, "yes", None, "First reading.", now=at(5))
        corrector = admin("grace")
        resolution.resolve(scenario, "no", corrector, "Misread the report.", now=at(9))
        db.session.commit()
        assert (scenario.outcome, scenario.resolved_at) == ("no", at(5))
        assert (scenario.resolved_by_id, scenario.resolution_note) == (
            corrector.id,
            "Misread the report.",
        )
        rows = audit_rows()
        assert [(r.action, r.from_status, r.to_status) for r in rows] == [
            ("resolve", None, "yes"),
            ("re-resolve", "yes", "no"),
        ]
        assert [r.moderator_id for r in rows] == [None, corrector.id]


def test_resolving_again_the_same_way_changes_nothing(app, seed):
    with app.app_context():
        scenario = seed_question().scenario(KEY)
        resolution.resolve(scenario, "no", None, "Same.", now=at(1))
        assert resolution.resolve(scenario, "no", None, "Same.", now=at(2)) is None
        assert len(audit_rows()) == 1


@pytest.mark.parametrize("outcome", ["maybe", "YES", ""])
def test_unknown_outcome_is_refused_and_nothing_changes(app, seed, outcome):
    with app.app_context():
        scenario = seed_question().scenario(KEY)
        with pytest.raises(ValueError):
            resolution.resolve(scenario, outcome, None, "?")
        assert scenario.outcome is None
        assert audit_rows() == []


def test_scores_follow_a_correction_because_they_are_derived(app, seed):
    with app.app_context():
        question = seed_question()
        forecast(question, new_reader(), {KEY: 70})
        resolution.resolve(question.scenario(KEY), "yes", None, "Yes.", now=at(1))
        assert scores.scores_document(question)["scenarios"][0]["article"]["brier"] == 0.16
        resolution.resolve(question.scenario(KEY), "no", None, "Corrected.", now=at(2))
        [item] = scores.scores_document(question)["scenarios"]
        assert (item["outcome"], item["article"]["brier"], item["crowd"]["brier"]) == (
            "no",
            0.36,
            0.49,
        )


def test_submit_service_refuses_a_resolved_scenario(app, seed):
    with app.app_context():
        question = seed_question()
        resolution.resolve(question.scenario(KEY), "yes", None, "Yes.")
        with pytest.raises(forecasts.ScenarioResolved) as refused:
            forecast(question, new_reader(), {KEY: 50, "global-instability": 50}, hours=3)
        assert refused.value.keys == [KEY]


# --- no new forecasts through the API ----------------------------------------------------------


def test_api_refuses_a_forecast_on_a_resolved_scenario_with_409_and_stores_nothing(app, api_reader):
    api_reader.forecast({KEY: 70})
    resolve_now(app, KEY, "yes")
    before = table_counts(app)
    response = api_reader.forecast({KEY: 20, "global-instability": 55})
    assert response.status_code == 409
    assert response.json["errors"] == {
        "probabilities": {KEY: ["This scenario has resolved (yes); it takes no new forecasts."]}
    }
    assert table_counts(app) == before
    assert api_reader.mine().json["active"][KEY]["probability"] == 70


def test_a_forecast_refused_after_resolution_leaves_the_score_alone(app, api_reader):
    api_reader.forecast({KEY: 70})
    resolve_now(app, KEY, "yes")
    before = api_reader.mine().json["scores"]
    assert api_reader.forecast({KEY: 99}).status_code == 409
    assert (
        api_reader.mine().json["scores"]
        == before
        == {KEY: {"probability": 70, "outcome": "yes", "brier": 0.09, "peer_score": 0.0}}
    )


def test_unresolved_scenarios_still_take_forecasts(app, api_reader):
    resolve_now(app, KEY, "no")
    response = api_reader.forecast({"global-instability": 55})
    assert response.status_code == 201


def test_resolved_forecasts_cannot_be_withdrawn(app, api_reader):
    api_reader.forecast({KEY: 70, "global-instability": 55})
    resolve_now(app, KEY, "yes")
    response = api_reader.withdraw(KEY)
    assert response.status_code == 409
    assert "scenario" in response.json["errors"]
    body = api_reader.withdraw().json  # all: only the unresolved one goes
    assert list(body["active"]) == [KEY]


@pytest.fixture
def resolved_meanwhile(app, monkeypatch):
    """KEY resolves after the request loaded the question, just before it writes (what a
    moderator's resolution committing between the two does)."""
    from predictions.web import submitting, writes
    from predictions.web.api import forecasts as forecasts_api

    def committed(work, *args, **kwargs):
        with app.app_context():  # another session: another transaction, committed first
            resolution.resolve(seed_question().scenario(KEY), "yes", None, "Meanwhile.")
            db.session.commit()
        return writes.committed(work, *args, **kwargs)

    monkeypatch.setattr(submitting, "committed", committed)
    monkeypatch.setattr(forecasts_api, "committed", committed)


def standing_forecasts(app) -> list[tuple[str, int]]:
    with app.app_context():
        rows = db.session.scalars(db.select(Forecast).where(Forecast.ended_at.is_(None)))
        return sorted((f.scenario.key, f.percent) for f in rows)


def test_a_forecast_racing_a_resolution_gets_409_and_stores_nothing(app, api_reader, request):
    api_reader.forecast({KEY: 70})
    before = standing_forecasts(app)
    request.getfixturevalue("resolved_meanwhile")
    response = api_reader.forecast({KEY: 20, "global-instability": 55})
    assert response.status_code == 409
    assert response.json["errors"] == {
        "probabilities": {KEY: ["This scenario has resolved (yes); it takes no new forecasts."]}
    }
    assert standing_forecasts(app) == before
    with app.app_context():
        ids = [s.id for s in seed_question().scenarios]
        assert counts.counts_for(ids) == counts.recount(ids)


def test_a_new_readers_forecast_racing_a_resolution_creates_no_one(app, client, seed, request):
    before = table_counts(app)
    request.getfixturevalue("resolved_meanwhile")
    response = client.post(f"/api/v1/questions/{seed}/forecasts", json={"probabilities": {KEY: 20}})
    assert response.status_code == 409
    after = table_counts(app)
    assert after == {**before, "moderation_actions": before["moderation_actions"] + 1}


def test_a_withdrawal_racing_a_resolution_gets_409_and_the_forecast_stays(app, api_reader, request):
    if app.config["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("a withdrawal holds SQLite's write lock before it reads: nothing comes between")
    api_reader.forecast({KEY: 70, "global-instability": 55})
    before = standing_forecasts(app)
    request.getfixturevalue("resolved_meanwhile")
    assert api_reader.withdraw(KEY).status_code == 409
    assert standing_forecasts(app) == before


# --- no new forecasts on the page --------------------------------------------------------------


def test_question_page_shows_resolved_scenario_with_its_outcome_instead_of_an_input(
    app, page_reader
):
    resolve_now(app, KEY, "no")
    html = page_reader.page().get_data(as_text=True)
    assert len(re.findall(r'<input[^>]*type="number"', html)) == 2
    assert 'name="p_us_eu_strain"' not in html
    assert re.search(
        r"<strong>Strained US-EU Relations</strong> has resolved:\s*"
        r'<span class="badge badge-outcome-no">no</span>',
        html,
    )


def test_page_post_for_a_resolved_scenario_is_refused_and_stores_nothing(app, page_reader):
    resolve_now(app, KEY, "yes")
    before = table_counts(app)
    response = page_reader.forecast({KEY: 40, "global-instability": 60})
    assert response.status_code == 422
    assert "“Strained US-EU Relations” has resolved (yes)" in response.get_data(as_text=True)
    assert table_counts(app) == before


def test_page_still_saves_forecasts_on_open_scenarios(app, page_reader):
    resolve_now(app, KEY, "yes")
    assert page_reader.forecast({"global-instability": 60}).status_code == 303
    with app.app_context():
        assert db.session.scalar(db.select(Forecast.percent)) == 60


def test_page_says_so_when_every_scenario_has_resolved(app, page_reader):
    for key in ("us-russia-cooperation", KEY, "global-instability"):
        resolve_now(app, key, "annulled")
    html = page_reader.page().get_data(as_text=True)
    assert "Every scenario has resolved: this question takes no new forecasts" in html
    assert 'type="number"' not in html  # the form takes a comment only
    assert 'value="Post comment"' in html


# --- the CLI -----------------------------------------------------------------------------------


def test_cli_resolves_without_a_moderator_and_says_so_in_the_audit(app, runner, seed):
    result = runner.invoke(args=["scenarios", "resolve", seed, KEY, "yes", "--note", "Summit off."])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"{seed} {KEY}: resolved yes"
    with app.app_context():
        scenario = seed_question().scenario(KEY)
        assert (scenario.outcome, scenario.resolution_note) == ("yes", "Summit off.")
        [row] = audit_rows()
        assert (row.moderator_id, row.action, row.note) == (None, "resolve", "CLI: Summit off.")


def test_cli_corrects_a_resolution_as_a_named_admin(app, runner, seed):
    with app.app_context():
        moderator_id = admin("ada").id
        db.session.commit()
    runner.invoke(args=["scenarios", "resolve", seed, KEY, "yes", "--note", "x"])
    result = runner.invoke(
        args=["scenarios", "resolve", seed, KEY, "no", "--note", "Fixed.", "--moderator", "ada"]
    )
    assert result.output.strip() == f"{seed} {KEY}: re-resolved no (was yes)"
    with app.app_context():
        rows = audit_rows()
        assert [(r.action, r.moderator_id) for r in rows] == [
            ("resolve", None),
            ("re-resolve", moderator_id),
        ]


def test_cli_lists_scenarios_with_their_outcomes(runner, seed):
    runner.invoke(args=["scenarios", "resolve", seed, KEY, "annulled", "--note", "Void."])
    lines = runner.invoke(args=["scenarios", "list", seed]).output.splitlines()
    assert [line.split("\t")[:2] for line in lines] == [
        ["us-russia-cooperation", "unresolved"],
        [KEY, "annulled"],
        ["global-instability", "unresolved"],
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope", KEY, "yes", "--note", "x"], "no question with the slug 'nope'"),
        (["us-russia-relations", "nope", "yes", "--note", "x"], "has no scenario 'nope'"),
        (["us-russia-relations", KEY, "maybe", "--note", "x"], "Invalid value"),
        (["us-russia-relations", KEY, "yes"], "Missing option '--note'"),
        (["us-russia-relations", KEY, "yes", "--note", "x", "--moderator", "bob"], "not an active"),
    ],
)
def test_cli_refuses_bad_resolutions(app, runner, seed, args, message):
    with app.app_context():
        admin("bob", is_admin=False)
        db.session.commit()
    result = runner.invoke(args=["scenarios", "resolve", *args])
    assert result.exit_code != 0
    assert message in result.output
    with app.app_context():
        assert audit_rows() == []
        assert seed_question().scenario(KEY).outcome is None
