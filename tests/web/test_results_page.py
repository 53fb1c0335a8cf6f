"""The results page, the question page's summary and the CSV exports."""

import csv
import io
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from predictions.extensions import db
from predictions.services import questions

from .crowd_helpers import add_readers, close, moderator_headers

COOP, EU, INST = "us-russia-cooperation", "us-eu-strain", "global-instability"
NS = {"svg": "http://www.w3.org/2000/svg"}


@pytest.fixture
def app_config():
    return {"AGGREGATE_CACHE_SECONDS": 0}


def results(client, slug, **kwargs):
    return client.get(f"/q/{slug}/results", **kwargs)


def test_results_hidden_before_forecasting_says_why_and_links_the_form(app, client, seed):
    add_readers(app, seed, [{COOP: 50}] * 7)
    page = results(client, seed)
    assert page.status_code == 200
    html = page.text
    assert "The crowd is hidden for now" in html
    assert "Make your own forecast first" in html
    assert "7 readers have forecast so far" in html
    assert f'href="/q/{seed}#forecast"' in html
    assert "<svg" not in html and "Crowd median" not in html
    assert "How we count" in html  # the method is public


def test_results_for_a_reader_who_forecast(app, page_reader, seed):
    others = [{COOP: 30, EU: 70}, {COOP: 35}, {COOP: 45}, {COOP: 55}]
    add_readers(app, seed, [{**o, EU: o.get(EU, 50), INST: 80} for o in others])
    page_reader.forecast({COOP: 50, EU: 60, INST: 85})
    html = results(page_reader.client, seed).text
    assert "The crowd is hidden" not in html
    # At a glance: crowd median 45 beside the article's 40, +5 points.
    assert "45 %" in html and "+5 points" in html
    svgs = [
        ET.fromstring(s[: s.index("</svg>") + 6])
        for s in html.split("<svg")[1:]
        for s in ["<svg" + s]
    ]
    assert len(svgs) == 6  # a histogram and a trend per scenario
    bars = svgs[0].findall(".//svg:rect[@class='bar']", NS)
    assert bars and any(float(b.get("height")) > 0 for b in bars)
    assert "The numbers behind this chart" in html
    assert "geometric mean of odds" in html.lower() and "Extremized" in html
    assert f"/q/{seed}/results.csv" in html and f"/q/{seed}/history.csv" in html


def test_question_page_links_results_and_summarises_once_visible(app, page_reader, seed):
    add_readers(app, seed, [{EU: 80}] * 5)
    hidden = page_reader.page().text
    assert f'href="/q/{seed}/results"' in hidden
    assert "readers 80 %" not in hidden
    page_reader.forecast({EU: 60})
    shown = " ".join(page_reader.page().text.split())
    assert "Strained US-EU Relations</strong>: readers 80 %, article 60 % (+20 points)" in shown


def test_results_page_unknown_question_is_404(client, seed):
    assert results(client, "nope").status_code == 404


def test_results_escape_scenario_labels(app, client, seed):
    with app.app_context():
        questions.get_by_slug(seed).scenarios[0].label = "<script>alert(1)</script>"
        db.session.commit()
    add_readers(app, seed, [{COOP: 50}])
    close(app, seed)
    html = results(client, seed).text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_csv_exports_are_hidden_like_the_page(app, client, seed):
    add_readers(app, seed, [{COOP: 50}] * 6)
    assert client.get(f"/q/{seed}/results.csv").status_code == 403
    assert client.get(f"/q/{seed}/history.csv").status_code == 403
    assert client.get(f"/q/{seed}/results.csv", headers=moderator_headers(app)).status_code == 200


def test_results_csv_has_a_row_per_scenario_and_defuses_formulas(app, client, seed):
    with app.app_context():
        questions.get_by_slug(seed).scenarios[0].label = '=HYPERLINK("http://x","y")'
        db.session.commit()
    add_readers(app, seed, [{COOP: 20}, {COOP: 30}, {COOP: 70}])
    close(app, seed)
    response = client.get(f"/q/{seed}/results.csv")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["key"] for r in rows] == [COOP, EU, INST]
    assert rows[0]["label"].startswith("'=")
    assert rows[0]["median"] == "30" or float(rows[0]["median"]) == 30
    assert float(rows[0]["delta_pp"]) == -10  # numbers stay numbers, sign and all
    assert int(rows[0]["hist_20_24"]) == 1 and rows[1]["n"] == "0"


def test_history_csv_has_a_row_per_point_and_scenario(app, client, seed):
    add_readers(app, seed, [{COOP: 20}])
    close(app, seed)
    rows = list(csv.DictReader(io.StringIO(client.get(f"/q/{seed}/history.csv").text)))
    assert [r["live"] for r in rows[-3:]] == ["yes"] * 3
    assert {r["live"] for r in rows[:-3]} <= {"no"}
    assert len(rows) % 3 == 0
    assert rows[-3]["key"] == COOP and float(rows[-3]["median"]) == 20


@pytest.mark.parametrize(
    "path",
    ["/q/{slug}/results", "/q/{slug}/history.csv", "/api/v1/questions/{slug}/aggregate/history"],
)
def test_reading_the_history_stores_no_snapshot(app, client, seed, path):
    from predictions.models import AggregateSnapshot

    add_readers(app, seed, [{COOP: 20}, {COOP: 60}], start=datetime.now(UTC) - timedelta(days=3))
    close(app, seed)
    response = client.get(path.format(slug=seed))
    assert response.status_code == 200
    assert "20" in response.text  # the past days are there, computed
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(AggregateSnapshot)) == 0


def test_results_page_shows_the_scorecard_once_a_scenario_resolves(app, client, seed):
    from predictions.services import resolution

    from .resolution_actions import forecast, new_reader, seed_question

    assert "Scores" not in client.get(f"/q/{seed}/results").get_data(as_text=True)
    with app.app_context():
        question = seed_question()
        for percent in (70, 80, 90):
            forecast(question, new_reader(), {"us-eu-strain": percent})
        resolution.resolve(question.scenario("us-eu-strain"), "yes", None, "Tariffs announced")
        db.session.commit()
    html = client.get(f"/q/{seed}/results").get_data(as_text=True)
    assert 'id="scores-heading"' in html
    assert "The crowd beat the article on 1 of 1 resolved scenario." in html
    assert "Tariffs announced" in html


def test_results_say_as_of_when_and_when_the_recency_median_lags(app, client, seed, clock):
    app.config["AGGREGATE_CACHE_SECONDS"] = 60
    add_readers(app, seed, [{COOP: 10}, {COOP: 20}, {COOP: 30}])
    close(app, seed)
    start = datetime.now(UTC)
    html = results(client, seed).text
    assert f"the crowd as of\n    <time datetime=\"{start.isoformat()}\">" in html
    assert start.strftime("%H:%M:%S UTC on %d %b %Y") in html
    assert "from a little earlier" not in html
    clock.shift(16)
    add_readers(app, seed, [{COOP: 90}] * 4)
    html = results(client, seed).text
    assert (start + timedelta(seconds=16)).strftime("%H:%M:%S UTC on %d %b %Y") in html
    assert "The recency-weighted medians are from a little earlier" in html
    assert f"{start.strftime('%H:%M:%S UTC')}</time>\n    (16 seconds before)" in html
    assert "from a little earlier" not in results(client, seed).text  # brought up to date
