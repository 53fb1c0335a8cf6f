"""Scores of resolved scenarios: the service, GET /scores, forecasts/mine and the page pieces."""

import math
import re

import numpy as np
import pytest
from flask import render_template_string
from sklearn.metrics import brier_score_loss, log_loss

from predictions.core import aggregation
from predictions.extensions import db
from predictions.services import forecasts, resolution, scores

from ..conftest import ApiReader
from .resolution_actions import at, forecast, new_reader, seed_question

URL = "/api/v1/questions/us-russia-relations/scores"
KEYS = ["us-russia-cooperation", "us-eu-strain", "global-instability"]
ARTICLE = {"us-russia-cooperation": 40, "us-eu-strain": 60, "global-instability": 80}


def resolve(key: str, outcome: str, hours: float | None = None) -> None:
    """Resolve at T0 + hours, or now (after every forecast of the test) by default."""
    now = None if hours is None else at(hours)
    resolution.resolve(seed_question().scenario(key), outcome, None, f"{key} {outcome}", now)


# --- before anything resolved ------------------------------------------------------------------


def test_nothing_resolved_yet_answers_200_with_empty_lists(client, seed):
    response = client.get(URL)
    assert response.status_code == 200
    assert response.json == {
        "headline": "Nothing has resolved yet.",
        "scenarios": [],
        "leaderboard": {"items": [], "page": 1, "pages": 1, "total": 0, "per_page": 20},
        "excluded_banned": 0,
    }


def test_unknown_question_is_404(client, seed):
    response = client.get("/api/v1/questions/nope/scores")
    assert response.status_code == 404
    assert response.json["code"] == 404


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5"])
def test_bad_page_is_422_with_a_field_message(client, seed, page):
    response = client.get(f"{URL}?page={page}")
    assert response.status_code == 422
    assert list(response.json["errors"]) == ["page"]


def test_mine_has_no_scores_until_something_resolves(app, api_reader):
    api_reader.forecast({"us-eu-strain": 70})
    assert "scores" not in api_reader.mine().json


def test_scores_endpoint_is_in_the_openapi_document(client, seed):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert "get" in paths["/api/v1/questions/{slug}/scores"]


# --- the SPEC's example, end to end ------------------------------------------------------------


def test_spec_example_article_and_its_copycat_score_the_same(app, client, api_reader):
    api_reader.forecast(ARTICLE, display_name="Copycat")
    with app.app_context():
        for key in KEYS:
            resolve(key, "yes")
        db.session.commit()
    body = client.get(URL).json
    assert [s["article"]["brier"] for s in body["scenarios"]] == [0.36, 0.16, 0.04]
    assert [s["article"]["probability"] for s in body["scenarios"]] == [40, 60, 80]
    mean = sum(s["article"]["brier"] for s in body["scenarios"]) / 3
    assert round(mean, 4) == 0.1867
    [row] = body["leaderboard"]["items"]
    assert row == {
        "display_name": "Copycat",
        "mean_brier": 0.1867,
        "resolved_count": 3,
        "peer_score": 0.0,
    }
    assert [s["brier_difference"] for s in body["scenarios"]] == [0.0, 0.0, 0.0]
    assert body["headline"] == "The crowd and the article tied on 3 of 3 resolved scenarios."
    mine = api_reader.mine().json["scores"]
    assert {k: v["brier"] for k, v in mine.items()} == {
        "us-russia-cooperation": 0.36,
        "us-eu-strain": 0.16,
        "global-instability": 0.04,
    }


def test_response_has_every_key_of_the_spec_shape(app, client, seed):
    with app.app_context():
        question = seed_question()
        forecast(question, new_reader("Ann"), {"us-eu-strain": 70, "global-instability": 30})
        forecast(question, new_reader(), {"us-eu-strain": 20})
        resolve("us-eu-strain", "yes")
        resolve("global-instability", "annulled")
        db.session.commit()
    body = client.get(URL).json
    assert {"headline", "scenarios", "leaderboard", "excluded_banned"} <= set(body)
    scored, annulled = body["scenarios"]
    for item in (scored, annulled):
        assert {
            "key",
            "outcome",
            "resolved_at",
            "article",
            "crowd",
            "brier_difference",
            "log_ratio",
            "readers",
        } <= set(item)
        assert {"n", "share_beat_article", "peer_scores"} <= set(item["readers"])
    for side in ("article", "crowd"):
        assert set(scored[side]) == {"probability", "brier", "log", "baseline_score"}
    assert scored["resolved_at"].endswith("+00:00")
    assert set(body["leaderboard"]) >= {"items", "page", "pages", "total"}
    assert set(body["leaderboard"]["items"][0]) == {
        "display_name",
        "mean_brier",
        "resolved_count",
        "peer_score",
    }
    assert (annulled["key"], annulled["outcome"]) == ("global-instability", "annulled")


# --- the crowd, annulled scenarios, banned readers ---------------------------------------------


def test_crowd_median_is_scored_as_a_forecaster(app, client, seed):
    percents = [60, 20, 90, 70]  # even n: median is the mean of 60 and 70
    with app.app_context():
        question = seed_question()
        for hours, p in enumerate(percents):
            forecast(question, new_reader(), {"us-eu-strain": p}, hours)
        resolve("us-eu-strain", "no")
        db.session.commit()
    [item] = client.get(URL).json["scenarios"]
    assert aggregation.aggregate(percents, 60).median == 65
    assert item["crowd"] == {
        "probability": 65,
        "brier": 0.4225,
        "log": round(math.log(0.35), 4),
        "baseline_score": round(100 * (math.log2(0.35) + 1), 2),
    }
    assert item["brier_difference"] == round(0.4225 - 0.36, 4)
    assert item["log_ratio"] == round(100 * math.log(0.35 / 0.40), 2)
    # Only 20 % beats the article's 0.36 (60 % ties it, which is not a win).
    assert item["readers"]["n"] == 4
    assert item["readers"]["share_beat_article"] == 25
    peers = item["readers"]["peer_scores"]
    assert peers == sorted(peers, reverse=True) and abs(sum(peers)) < 0.05
    assert "The article beat the crowd on 1 of 1" in client.get(URL).json["headline"]


def test_annulled_scenario_scores_nobody(app, client, api_reader):
    api_reader.forecast({"us-eu-strain": 70}, display_name="Ann")
    with app.app_context():
        resolve("us-eu-strain", "annulled")
        db.session.commit()
    body = client.get(URL).json
    [item] = body["scenarios"]
    assert item["outcome"] == "annulled"
    assert (item["article"], item["crowd"], item["brier_difference"], item["log_ratio"]) == (
        None,
        None,
        None,
        None,
    )
    assert item["readers"] == {"n": 0, "share_beat_article": None, "peer_scores": []}
    assert body["leaderboard"]["items"] == []
    assert body["headline"] == scores.ALL_ANNULLED
    assert api_reader.mine().json["scores"] == {
        "us-eu-strain": {
            "probability": 70,
            "outcome": "annulled",
            "brier": None,
            "peer_score": None,
        }
    }


def test_banned_readers_are_left_out_and_counted(app, client, seed):
    with app.app_context():
        question = seed_question()
        forecast(question, new_reader("Fair"), {"us-eu-strain": 30, "global-instability": 70})
        troll = new_reader("Troll", banned=True)
        forecast(question, troll, {"us-eu-strain": 99, "global-instability": 99})
        forecast(question, new_reader("Other troll", banned=True), {"us-eu-strain": 1})
        resolve("us-eu-strain", "yes")
        resolve("global-instability", "yes")
        db.session.commit()
        own = scores.reader_scores(question, troll)
    body = client.get(URL).json
    assert body["excluded_banned"] == 2
    assert [s["excluded_banned"] for s in body["scenarios"]] == [2, 1]
    assert [s["readers"]["n"] for s in body["scenarios"]] == [1, 1]
    assert [s["crowd"]["probability"] for s in body["scenarios"]] == [30, 70]
    assert [r["display_name"] for r in body["leaderboard"]["items"]] == ["Fair"]
    # The banned reader still sees their own Brier, but has no peers to be scored against.
    assert own["us-eu-strain"] == {
        "probability": 99,
        "outcome": "yes",
        "brier": 0.0001,
        "peer_score": None,
    }


# --- standing forecasts at resolution time -----------------------------------------------------


def test_forecasts_standing_at_resolution_time_are_scored_and_no_others(app, client, seed):
    key = "us-eu-strain"
    with app.app_context():
        question = seed_question()
        updated_later = new_reader("Updated later")
        forecast(question, updated_later, {key: 30}, hours=0)
        forecast(question, updated_later, {key: 90}, hours=20)  # after the resolution time
        withdrawn_before = new_reader("Withdrew early")
        forecast(question, withdrawn_before, {key: 50}, hours=0)
        forecasts.withdraw(question, withdrawn_before, key, now=at(1))
        withdrawn_after = new_reader("Withdrew late")
        forecast(question, withdrawn_after, {key: 60}, hours=2)
        forecasts.withdraw(question, withdrawn_after, key, now=at(20))
        forecast(question, new_reader("Too late"), {key: 70}, hours=15)
        on_the_dot = new_reader("On the dot")
        forecast(question, on_the_dot, {key: 80}, hours=10)
        resolve(key, "yes", hours=10)
        db.session.commit()
        assert scores.reader_scores(question, updated_later)[key]["probability"] == 30
    body = client.get(URL).json
    [item] = body["scenarios"]
    assert item["readers"]["n"] == 3
    assert item["crowd"]["probability"] == 60  # median of 30, 60, 80
    assert {r["display_name"]: r["mean_brier"] for r in body["leaderboard"]["items"]} == {
        "On the dot": 0.04,
        "Withdrew late": 0.16,
        "Updated later": 0.49,
    }


# --- the leaderboard ---------------------------------------------------------------------------


def test_leaderboard_orders_by_mean_brier_then_count_and_leaves_anonymous_readers_out(
    app, client, seed
):
    with app.app_context():
        question = seed_question()
        forecast(question, new_reader("One scenario"), {"us-eu-strain": 80})
        forecast(
            question, new_reader("Two scenarios"), {"us-eu-strain": 80, "global-instability": 80}
        )
        forecast(question, new_reader("Worse"), {"us-eu-strain": 50})
        forecast(question, new_reader("Best"), {"us-eu-strain": 95})
        forecast(question, new_reader(), {"us-eu-strain": 99})  # anonymous
        forecast(question, new_reader("   "), {"us-eu-strain": 99})  # a blank name is no name
        resolve("us-eu-strain", "yes")
        resolve("global-instability", "yes")
        db.session.commit()
        reader_ids = list(db.session.scalars(db.text("SELECT id FROM readers")))
    response = client.get(URL)
    items = response.json["leaderboard"]["items"]
    assert [(r["display_name"], r["resolved_count"]) for r in items] == [
        ("Best", 1),
        ("Two scenarios", 2),
        ("One scenario", 1),
        ("Worse", 1),
    ]
    assert [r["mean_brier"] for r in items] == [0.0025, 0.04, 0.04, 0.25]
    text = response.get_data(as_text=True)
    assert not any(reader_id in text for reader_id in reader_ids)


def test_leaderboard_is_paginated_by_twenty(app, client, seed):
    with app.app_context():
        question = seed_question()
        for i in range(45):
            forecast(question, new_reader(f"Reader {i:02d}"), {"us-eu-strain": 50 + i})
        resolve("us-eu-strain", "yes")
        db.session.commit()
    pages = [client.get(f"{URL}?page={n}").json["leaderboard"] for n in (1, 2, 3, 4)]
    assert [(p["page"], p["pages"], p["total"], len(p["items"])) for p in pages] == [
        (1, 3, 45, 20),
        (2, 3, 45, 20),
        (3, 3, 45, 5),
        (4, 3, 45, 0),
    ]
    names = [r["display_name"] for p in pages for r in p["items"]]
    assert names == [f"Reader {i:02d}" for i in reversed(range(45))]


# --- cross-check with scikit-learn -------------------------------------------------------------


def test_reader_scores_agree_with_scikit_learn_on_a_random_population(app, seed):
    rng = np.random.default_rng(20260301)
    n_readers = 60
    outcomes = {"us-russia-cooperation": "no", "us-eu-strain": "yes", "global-instability": "yes"}
    percents = rng.integers(1, 100, size=(n_readers, 3))
    with app.app_context():
        question = seed_question()
        for i in range(n_readers):
            forecast(
                question,
                new_reader(f"R{i}"),
                {key: int(percents[i, j]) for j, key in enumerate(KEYS)},
                hours=i / 10,
            )
        for key, outcome in outcomes.items():
            resolve(key, outcome)
        resolved = {r.scenario.key: r for r in scores.resolved_scenarios(question)}
        board = {row.display_name: row for row in scores.question_scores(question).leaderboard}
    y = np.array([1 if outcomes[key] == "yes" else 0 for key in KEYS])
    probabilities = percents / 100
    for j, key in enumerate(KEYS):
        card = resolved[key].card
        assert [r.percent for r in resolved[key].readers] == percents[:, j].tolist()
        ys = np.full(n_readers, y[j])
        briers = [s.brier for s in card.reader_scores]
        logs = [s.log for s in card.reader_scores]
        assert np.mean(briers) == pytest.approx(brier_score_loss(ys, probabilities[:, j]))
        assert -np.mean(logs) == pytest.approx(log_loss(ys, probabilities[:, j], labels=[0, 1]))
        p_outcome = np.where(y[j] == 1, probabilities[:, j], 1 - probabilities[:, j])
        expected_peer = (
            100 * n_readers / (n_readers - 1) * (np.log(p_outcome) - np.log(p_outcome).mean())
        )
        assert card.reader_peer_scores == pytest.approx(expected_peer.tolist())
        assert resolved[key].crowd_percent == np.median(percents[:, j])
    for i in range(n_readers):
        row = board[f"R{i}"]
        assert row.resolved_count == 3
        assert row.mean_brier == pytest.approx(brier_score_loss(y, probabilities[i]))


# --- the reader's own scores ---------------------------------------------------------------------


def test_mine_gains_scores_for_resolved_scenarios_the_reader_forecast(app, api_reader):
    api_reader.forecast({"us-eu-strain": 70, "global-instability": 40})
    other = ApiReader(app.test_client(), api_reader.slug)
    other.forecast({"us-eu-strain": 30})
    with app.app_context():
        resolve("us-eu-strain", "yes")
        resolve("us-russia-cooperation", "no")  # nobody forecast it
        db.session.commit()
    mine = api_reader.mine().json["scores"]
    peer = round(100 * 2 * (math.log(0.7) - (math.log(0.7) + math.log(0.3)) / 2), 2)
    assert mine == {
        "us-eu-strain": {"probability": 70, "outcome": "yes", "brier": 0.09, "peer_score": peer}
    }
    assert other.mine().json["scores"]["us-eu-strain"]["peer_score"] == -peer


# --- page pieces -------------------------------------------------------------------------------


def render_scorecard(app, page: int = 1, path: str = "/q/us-russia-relations/results") -> str:
    with app.test_request_context(f"{path}?page={page}"):
        card = scores.scorecard_for_page(seed_question(), page)
        html = render_template_string('{% include "scores/_scorecard.html" %}', scorecard=card)
    return " ".join(html.split())  # one space between words, so sentences can be matched


def test_scorecard_partial_renders_headline_tables_words_and_banned_note(app, seed):
    with app.app_context():
        question = seed_question()
        forecast(question, new_reader("<script>alert(1)</script>"), {"us-eu-strain": 90})
        forecast(question, new_reader("Bea"), {"us-eu-strain": 70})
        forecast(question, new_reader("Banned", banned=True), {"us-eu-strain": 1})
        resolve("us-eu-strain", "yes")
        resolve("global-instability", "annulled")
        db.session.commit()
    html = render_scorecard(app)
    assert "The crowd beat the article on 1 of 1 resolved scenario." in html
    assert "<caption>Strained US-EU Relations: the article against the crowd (resolved yes)" in html
    assert 'Crowd median</th> <td class="num">80 %</td>' in html
    assert "Brier difference (crowd − article): −0.1200." in html
    assert "the crowd did better" in html
    assert "The crowd gave what happened 1.33 times the article&#39;s probability" in html
    assert "(100·ln of the ratio: +28.77)" in html
    assert "2 readers were scored; 100 % of them beat the article" in html
    assert "This scenario was annulled: nobody is scored on it." in html
    assert "The forecasts of 1 banned reader are left out of these scores." in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>" not in html
    assert html.count("<caption>") == 2  # the scenario and the leaderboard


def test_scorecard_partial_links_leaderboard_pages(app, seed):
    with app.app_context():
        question = seed_question()
        for i in range(45):
            forecast(question, new_reader(f"Reader {i:02d}"), {"us-eu-strain": 50 + i})
        resolve("us-eu-strain", "yes")
        db.session.commit()
    html = render_scorecard(app, page=2)
    assert 'href="/q/us-russia-relations/results?page=1#leaderboard"' in html
    assert 'href="/q/us-russia-relations/results?page=3#leaderboard"' in html
    assert "Page 2 of 3" in html
    assert '<td class="num">21</td> <th scope="row">Reader 24</th>' in html


def test_scorecard_partial_before_anything_resolved(app, seed):
    html = render_scorecard(app)
    assert "Nothing has resolved yet." in html
    assert "<table" not in html


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        (0.0, "The crowd and the article have the same Brier score."),
        (
            -0.12,
            "Brier difference (crowd − article): −0.1200. "
            "Lower Brier is better, so the crowd did better.",
        ),
        (
            0.05,
            "Brier difference (crowd − article): +0.0500. "
            "Lower Brier is better, so the article did better.",
        ),
    ],
)
def test_brier_difference_in_words(value, expected):
    assert scores.brier_difference_words(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        (0.0, "The crowd and the article gave what happened the same probability."),
        (
            100 * math.log(2),
            "The crowd gave what happened 2.00 times the article's probability "
            "(100·ln of the ratio: +69.31).",
        ),
        (
            -100 * math.log(1.5),
            "The article gave what happened 1.50 times the crowd's probability "
            "(100·ln of the ratio: −40.55).",
        ),
    ],
)
def test_log_ratio_in_words(value, expected):
    assert scores.log_ratio_words(value) == expected


def test_me_shows_the_readers_own_scores(app, page_reader):
    page_reader.forecast({"us-eu-strain": 70, "global-instability": 40})
    html = page_reader.client.get("/me").get_data(as_text=True)
    assert "Your scores" not in html
    with app.app_context():
        resolve("us-eu-strain", "no")
        resolve("global-instability", "annulled")
        db.session.commit()
    html = page_reader.client.get("/me").get_data(as_text=True)
    assert "<caption>Your scores on the resolved scenarios you forecast" in html
    table = html[html.index('<table class="my-scores">') :]
    row = re.search(r"Strained US-EU Relations</th>(.*?)</tr>", table, re.S).group(1)
    assert re.findall(r"<td[^>]*>(.*?)</td>", row) == [
        '<span class="badge badge-outcome-no">no</span>',
        "70 %",
        "0.4900",
        "+0.00",
    ]
    assert "Annulled: not scored" in html


def test_me_for_a_new_visitor_is_still_an_empty_state(client, seed):
    with client.application.app_context():
        resolve("us-eu-strain", "yes")
        db.session.commit()
    response = client.get("/me")
    assert response.status_code == 200
    assert "You have not made a forecast yet." in response.get_data(as_text=True)
