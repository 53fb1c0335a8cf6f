"""Anti-anchoring scenario by scenario: a forecast on one scenario reveals that scenario's crowd
and no other, on every surface that shows crowd numbers (SPEC §4)."""

import csv
import html as html_lib
import io
import re
from datetime import UTC, datetime, timedelta

import pytest

from predictions.extensions import db
from predictions.services import questions, resolution

from ..conftest import ModeratorActions, PageReader, make_moderator
from .commenting import add_comment, new_commenter
from .crowd_helpers import AGGREGATE, add_readers, close, moderator_headers

COOP, EU, INST = "us-russia-cooperation", "us-eu-strain", "global-instability"
ALL = {COOP, EU, INST}
LABELS = {
    COOP: "Increased US-Russia Cooperation",
    EU: "Strained US-EU Relations",
    INST: "Continued Global Instability",
}
# The comment's snapshot: a number per scenario that appears nowhere else on the pages.
SNAPSHOT = {COOP: 71, EU: 72, INST: 73}
HISTORY = "/api/v1/questions/{slug}/aggregate/history"


@pytest.fixture
def app_config():
    return {"AGGREGATE_CACHE_SECONDS": 0}


@pytest.fixture
def crowded(app, seed) -> str:
    """Five readers on every scenario, two days ago, and a published comment with a snapshot."""
    start = datetime.now(UTC) - timedelta(days=2)
    add_readers(app, seed, [{COOP: 30 + i, EU: 50 + i, INST: 80 + i} for i in range(5)], start)
    author = new_commenter(app, "Author")
    add_comment(app, author.reader_id, "My reasons", snapshot=SNAPSHOT)
    return seed


# ---- what each surface shows: the scenario keys whose crowd numbers it carries


def aggregate_api(client, slug, headers) -> set[str]:
    body = client.get(AGGREGATE.format(slug=slug), headers=headers).json
    shown = {row["key"] for row in body["scenarios"] if "median" in row}
    for row in body["scenarios"]:
        # Each row says the same as its numbers; the header speaks for the whole question.
        assert row["visible"] is (row["key"] in shown)
        assert (row["hidden_reason"] is None) is (row["key"] in shown)
        assert ("n" in row) is (row["key"] in shown)
    assert body["visible"] is (shown == ALL)
    assert body["forecaster_count"] >= 5  # always shown
    return shown


def history_api(client, slug, headers) -> set[str]:
    body = client.get(HISTORY.format(slug=slug), headers=headers).json
    if "points" not in body:
        assert not any(row["visible"] for row in body["scenarios"])
        return set()
    assert len(body["points"]) >= 3  # two past days and now
    per_point = [{r["key"] for r in p["scenarios"] if "median" in r} for p in body["points"]]
    assert all(keys == per_point[-1] for keys in per_point)
    assert {r["key"] for r in body["scenarios"] if r["visible"]} == per_point[-1]
    return per_point[-1]


def history_at_api(client, slug, headers) -> set[str]:
    at = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    body = client.get(HISTORY.format(slug=slug), query_string={"at": at}, headers=headers).json
    return {row["key"] for row in body["scenarios"] if "median" in row}


def comments_api(client, slug, headers) -> set[str]:
    [item] = client.get(f"/api/v1/questions/{slug}/comments", headers=headers).json["items"]
    snapshot = item.get("forecast_snapshot", {})
    assert all(snapshot[k] == SNAPSHOT[k] for k in snapshot)
    return set(snapshot)


def comment_page(client, slug, headers) -> set[str]:
    text = " ".join(html_lib.unescape(client.get(f"/q/{slug}", headers=headers).text).split())
    return {key for key, label in LABELS.items() if f"{label} {SNAPSHOT[key]} %" in text}


def results_page(client, slug, headers) -> set[str]:
    page = client.get(f"/q/{slug}/results", headers=headers).text
    shown = set()
    for key in ALL:
        match = re.search(rf'id="scenario-{key}".*?</section>', page, re.S)
        if match is None:
            assert "The crowd is hidden for now" in page
            continue
        section = match.group(0)
        if "<svg" in section:
            assert "hidden for now" not in section
            shown.add(key)
        else:
            assert "hidden for now" in section and "Crowd median</dt><dd>Hidden" in section
    return shown


def results_csv(client, slug, headers) -> set[str]:
    response = client.get(f"/q/{slug}/results.csv", headers=headers)
    if response.status_code == 403:
        return set()
    return {row["key"] for row in csv.DictReader(io.StringIO(response.text))}


def history_csv(client, slug, headers) -> set[str]:
    response = client.get(f"/q/{slug}/history.csv", headers=headers)
    if response.status_code == 403:
        return set()
    return {row["key"] for row in csv.DictReader(io.StringIO(response.text))}


def question_page(client, slug, headers) -> set[str]:
    page = client.get(f"/q/{slug}", headers=headers).text
    box = re.search(r'class="crowd-summary".*?</section>', page, re.S).group(0)
    text = " ".join(html_lib.unescape(re.sub(r"<[^>]+>", "", box)).split())
    shown = {key for key, label in LABELS.items() if f"{label}: readers " in text}
    hidden = {key for key, label in LABELS.items() if f"{label}: article" in text}
    assert not shown & hidden
    return shown


SURFACES = {
    "aggregate": aggregate_api,
    "history": history_api,
    "history ?at=": history_at_api,
    "comments API snapshot": comments_api,
    "comment snapshot on the page": comment_page,
    "results page": results_page,
    "results.csv": results_csv,
    "history.csv": history_csv,
    "question page crowd box": question_page,
}


def everywhere(client, slug, headers=None) -> dict[str, set[str]]:
    return {name: probe(client, slug, headers or {}) for name, probe in SURFACES.items()}


# ---- the situations


def reader_who_forecast(app, slug, probabilities) -> PageReader:
    reader = PageReader(app.test_client(), slug)
    assert reader.forecast(probabilities).status_code == 303
    return reader


def resolve(app, slug, key, outcome="yes") -> None:
    with app.app_context():
        scenario = questions.get_by_slug(slug).scenario(key)
        resolution.resolve(scenario, outcome, None, "Resolved for the test")
        db.session.commit()


def only_coop(app, slug):
    return reader_who_forecast(app, slug, {COOP: 40}).client, {}


def anonymous(app, slug):
    return app.test_client(), {}


def eu_resolved_for_the_reader(app, slug):
    client, headers = only_coop(app, slug)
    resolve(app, slug, EU)
    return client, headers


def eu_resolved_for_anyone(app, slug):
    resolve(app, slug, EU, "annulled")
    return app.test_client(), {}


def closed_for_anyone(app, slug):
    close(app, slug)
    return app.test_client(), {}


def moderator_token(app, slug):
    return app.test_client(), moderator_headers(app)


def moderator_session(app, slug):
    make_moderator(app, "mia")
    moderator = ModeratorActions(app.test_client(), "mia")
    assert moderator.login().status_code == 303
    return moderator.client, {}


SITUATIONS = {
    "a reader who forecast one scenario sees that one": (only_coop, {COOP}),
    "a visitor who forecast nothing sees none": (anonymous, set()),
    "resolving a scenario reveals it to the reader": (eu_resolved_for_the_reader, {COOP, EU}),
    "resolving a scenario reveals it to everyone": (eu_resolved_for_anyone, {EU}),
    "closing the question reveals every scenario": (closed_for_anyone, ALL),
    "a moderator's token sees every scenario": (moderator_token, ALL),
    "a moderator's session sees every scenario": (moderator_session, ALL),
}


@pytest.mark.parametrize("situation", SITUATIONS)
def test_every_surface_shows_the_same_scenarios(app, crowded, situation):
    viewer, expected = SITUATIONS[situation]
    client, headers = viewer(app, crowded)
    assert everywhere(client, crowded, headers) == dict.fromkeys(SURFACES, expected)


# ---- the reasons, the minimum crowd and the forecast's answer


def test_each_hidden_scenario_says_why(app, seed):
    add_readers(app, seed, [{COOP: 50, EU: 50}] * 3 + [{COOP: 60}] * 2)
    reader = reader_who_forecast(app, seed, {COOP: 40, EU: 45})
    body = reader.client.get(AGGREGATE.format(slug=seed)).json
    rows = {row["key"]: row for row in body["scenarios"]}
    assert rows[COOP]["visible"] is True and rows[COOP]["n"] == 6
    assert rows[EU]["visible"] is False
    assert "5 readers have forecast it" in rows[EU]["hidden_reason"]
    assert rows[INST]["visible"] is False
    assert "forecast on this scenario first" in rows[INST]["hidden_reason"]
    assert body["visible"] is False
    assert "once you have forecast that scenario" in body["hidden_reason"]


def test_min_crowd_counts_the_scenarios_readers_not_the_questions(app, seed):
    # Six readers on the question, but only four on EU with the reader: EU stays hidden.
    add_readers(app, seed, [{EU: 50}] * 3 + [{COOP: 50}] * 2)
    reader = reader_who_forecast(app, seed, {EU: 40})
    body = reader.client.get(AGGREGATE.format(slug=seed)).json
    assert body["forecaster_count"] == 6
    assert "median" not in next(r for r in body["scenarios"] if r["key"] == EU)
    add_readers(app, seed, [{EU: 60}])
    body = reader.client.get(AGGREGATE.format(slug=seed)).json
    assert next(r for r in body["scenarios"] if r["key"] == EU)["median"] == 50


def test_withdrawing_a_scenario_hides_its_crowd_again(app, crowded):
    reader = reader_who_forecast(app, crowded, {COOP: 40, EU: 60})
    assert aggregate_api(reader.client, crowded, {}) == {COOP, EU}
    reader.withdraw(EU)
    assert aggregate_api(reader.client, crowded, {}) == {COOP}


def test_forecast_answer_has_the_crowd_only_on_visible_scenarios(app, api_reader, seed):
    add_readers(app, seed, [{COOP: 50}, {COOP: 60}, {COOP: 70}, {COOP: 80}, {EU: 20}])
    body = api_reader.forecast({COOP: 30, EU: 40}).json
    coop, eu = body["comparison"][COOP], body["comparison"][EU]
    assert coop["crowd_median"] == 60 and "lower than 100 %" in coop["crowd_summary"]
    assert "crowd_median" not in eu and "crowd_summary" not in eu  # 2 readers < MIN_CROWD
    assert eu == {"you": 40, "article": 60, "delta_pp": -20}
    assert INST not in body["comparison"]


def test_forecast_answer_on_one_scenario_shows_no_other(app, api_reader, crowded):
    first = api_reader.forecast({EU: 45}).json["comparison"]
    assert set(first) == {EU} and first[EU]["crowd_median"] == 51.5
    # A later answer carries every scenario the reader stands on, each visible by now.
    second = api_reader.forecast({INST: 85}).json["comparison"]
    assert {k for k, row in second.items() if "crowd_median" in row} == {EU, INST}


def test_comment_page_names_the_scenarios_whose_numbers_it_holds_back(app, crowded):
    reader = reader_who_forecast(app, crowded, {COOP: 40})
    text = " ".join(html_lib.unescape(reader.page().text).split())
    assert (
        "Forecast when posting: Increased US-Russia Cooperation 71 % (their numbers on Strained "
        "US-EU Relations and Continued Global Instability stay hidden until you can see those "
        "scenarios' crowd)."
    ) in text
    assert "72 %" not in text and "73 %" not in text


def test_results_page_says_which_scenarios_are_hidden_and_links_the_form(app, crowded):
    reader = reader_who_forecast(app, crowded, {COOP: 40})
    text = " ".join(html_lib.unescape(reader.client.get(f"/q/{crowded}/results").text).split())
    assert "Part of the crowd is hidden for now" in text
    assert "Still hidden from you: Strained US-EU Relations, Continued Global Instability." in text
    assert "Forecast “Strained US-EU Relations”" in text
    assert "the downloads hold only the scenarios whose crowd you can see" in text
    assert "6 readers have forecast so far" in text


def test_a_csv_with_nothing_visible_is_403_with_the_reason(app, crowded):
    response = app.test_client().get(f"/q/{crowded}/results.csv")
    assert response.status_code == 403
    assert "Make your own forecast first" in response.text


def test_a_snapshot_only_on_hidden_scenarios_says_so_without_numbers(app, crowded):
    author = new_commenter(app, "Other")
    add_comment(app, author.reader_id, "Only on the EU", snapshot={EU: 64})
    reader = reader_who_forecast(app, crowded, {COOP: 40})
    text = " ".join(html_lib.unescape(reader.page().text).split())
    assert (
        "Forecast when posting: their numbers on Strained US-EU Relations stay hidden until you "
        "can see that scenario's crowd."
    ) in text
    assert "64 %" not in text
    items = reader.client.get(f"/api/v1/questions/{crowded}/comments").json["items"]
    assert [item["forecast_snapshot"] for item in items] == [{}, {COOP: 71}]
