"""The reader's path on a phone or anywhere: a short way to the form, one comment box, errors
that say where, a confirmation in view that says where the reader stands, plain numbers,
verdicts once scenarios resolve, and nothing destructive in one click."""

import re

import pytest

from predictions.extensions import db
from predictions.models import Comment, Forecast, Question
from predictions.services import questions, resolution
from tests.web.crowd_helpers import add_readers

SLUG = "us-russia-relations"


@pytest.fixture
def app_config() -> dict:
    return {"MIN_CROWD": 3, "COMMENT_MIN_FILL_SECONDS": 0}


def text(response) -> str:
    return response.get_data(as_text=True)


def resolve(app, key: str, outcome: str) -> None:
    with app.app_context():
        scenario = questions.get_by_slug(SLUG).scenario(key)
        resolution.resolve(scenario, outcome, None, "Happened.")
        db.session.commit()


# ---- a short path to a forecast


def test_form_follows_the_closing_question_and_a_link_at_the_top_leads_to_it(client, seed):
    html = text(client.get(f"/q/{seed}"))
    closing = html.index("What are your predictions for the future")
    form = html.index('id="forecast"')
    assert closing < form < html.index('id="scenarios-heading"')
    link = html.index('href="#forecast"')
    assert link < html.index('id="summary-heading"') and "Give your forecast" in html[link:form]


def test_one_comment_box_and_one_name_field(client, seed):
    html = text(client.get(f"/q/{seed}"))
    assert html.count("<textarea") == 1
    assert len(re.findall(r'<input[^>]*name="[^"]*display_name"', html)) == 1
    assert "Write a comment" in html and 'name="c-body"' not in html


def test_the_form_takes_a_comment_alone(app, page_reader):
    response = page_reader.forecast({}, comment="Just a thought, no numbers.")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("#confirmation")
    with app.app_context():
        assert db.session.scalar(db.select(Comment.body)) == "Just a thought, no numbers."
        assert db.session.scalar(db.select(db.func.count()).select_from(Forecast)) == 0
    html = text(page_reader.page())
    assert re.search(
        r'id="confirmation"[^>]*>\s*<p class="flash flash-info">Your comment will', html
    )


def test_an_invalid_submit_shows_a_summary_linking_each_problem_to_its_field(page_reader):
    response = page_reader.forecast({"us-eu-strain": 150, "global-instability": "abc"})
    assert response.status_code == 422
    html = text(response)
    summary = html[
        html.index('class="error-summary"') : html.index(
            "</ul>", html.index('class="error-summary"')
        )
    ]
    assert "autofocus" in summary and 'role="alert"' in summary
    assert "There are 2 problems" in summary
    assert 'href="#p_us_eu_strain"' in summary and 'href="#p_global_instability"' in summary
    # No fragment in the form's action: a page opened at one would skip the autofocus.
    assert f'action="/q/{SLUG}"' in html


def test_an_empty_submit_says_what_to_give(page_reader):
    html = text(page_reader.forecast({}))
    assert "There is a problem" in html
    message = "Give a probability for at least one scenario, or write a comment."
    assert f'href="#p_us_russia_cooperation">{message}' in html


def test_confirmation_is_where_the_redirect_lands_and_says_where_the_reader_stands(
    app, page_reader
):
    add_readers(app, SLUG, [{"us-eu-strain": p} for p in (80, 85, 90)])
    response = page_reader.forecast({"us-eu-strain": 70})
    assert response.headers["Location"].endswith(f"/q/{SLUG}#confirmation")
    html = text(page_reader.page())
    box = html[html.index('id="confirmation"') : html.index('id="your-forecast"')]
    assert "Your forecast is saved." in box
    assert "You rate “Strained US-EU Relations” lower than 100 % of other readers do" in box
    # Shown once: the flash is not repeated at the top of the page.
    assert html.count("Your forecast is saved.") == 1


def test_no_sentence_while_the_crowd_is_hidden(page_reader):
    page_reader.forecast({"us-eu-strain": 70})
    html = text(page_reader.page())
    assert "Your forecast is saved." in html and "You rate" not in html


# ---- where you stand


def test_charts_mark_the_readers_own_number(app, page_reader, client):
    add_readers(app, SLUG, [{"us-eu-strain": p} for p in (80, 85, 90)])
    page_reader.forecast({"us-eu-strain": 70})
    html = text(page_reader.client.get(f"/q/{SLUG}/results"))
    section = html[html.index('id="scenario-us-eu-strain"') :]
    assert section.count('class="marker marker-you"') == 2  # histogram and trend
    assert "You 70 %" in section


def test_me_shows_the_crowd_beside_the_readers_numbers(app, page_reader):
    add_readers(app, SLUG, [{"us-eu-strain": p, "global-instability": 50} for p in (80, 85, 90)])
    page_reader.forecast({"us-eu-strain": 70, "us-russia-cooperation": 20})
    html = text(page_reader.client.get("/me"))
    assert re.search(
        r"Strained US-EU Relations</th>(\s*<td[^>]*>[^<]*</td>){3}\s*<td class=\"num\"[^>]*>82.5 %",
        html,
    )
    # Anti-anchoring: nobody else forecast cooperation, so its crowd stays hidden.
    assert re.search(
        r"US-Russia Cooperation</th>(\s*<td[^>]*>[^<]*</td>){3}\s*<td class=\"num\"[^>]*>"
        r"<span class=\"hidden-crowd\">",
        html,
    )
    assert "You rate “Strained US-EU Relations” lower than" in html


def test_a_reader_who_has_forecast_is_not_offered_to_forecast_again(page_reader):
    page_reader.forecast(
        {"us-eu-strain": 70, "us-russia-cooperation": 20, "global-instability": 50}
    )
    results = text(page_reader.client.get(f"/q/{SLUG}/results"))
    assert "shown once 3 readers" in results
    assert "Make your forecast" not in results and "Forecast the other" not in results
    assert "Give your forecast" not in text(page_reader.page())


# ---- plain words


def test_counts_and_points_read_as_words(app, page_reader):
    page_reader.forecast({"us-eu-strain": 61, "global-instability": 78})
    html = text(page_reader.page())
    assert "1 reader has forecast" in html
    assert "+1 point<" in html and "−2 points" in html


def test_every_statistic_is_explained_where_it_appears(app, client, seed):
    add_readers(app, SLUG, [{"us-eu-strain": p} for p in (80, 85, 90)])
    resolve(app, "us-eu-strain", "yes")
    html = text(client.get(f"/q/{SLUG}/results"))
    every = html[
        html.index('id="all-heading"') : html.index("</section>", html.index('id="all-heading"'))
    ]
    for words in (
        "Geometric mean of odds</strong>:",
        "Recency-weighted median</strong>:",
        "Extremized</strong>:",
        "Odds ratio to article</strong>:",
    ):
        assert words in every
    assert "Log score:" in html and "Peer score:" in html


def test_resolution_leads_the_results_page_and_marks_the_table(app, client, seed):
    add_readers(app, SLUG, [{"us-eu-strain": p} for p in (80, 85, 90)])
    resolve(app, "us-eu-strain", "yes")
    html = text(client.get(f"/q/{SLUG}/results"))
    verdict = html.index("The crowd beat the article on 1 of 1 resolved scenario.")
    assert verdict < html.index('id="glance-heading"')
    glance = html[html.index('id="glance-heading"') : html.index('id="scenario-1-heading"')]
    assert "resolved yes" in glance and glance.count("resolved ") == 1


def test_me_says_whether_the_reader_beat_the_article(app, page_reader):
    page_reader.forecast({"us-eu-strain": 90, "global-instability": 50})
    resolve(app, "us-eu-strain", "yes")
    resolve(app, "global-instability", "yes")
    html = text(page_reader.client.get("/me"))
    assert "You beat the article on 1 of 2 resolved scenarios you forecast." in html


# ---- nothing destructive in one click


def test_withdrawing_everything_asks_first(app, page_reader):
    page_reader.forecast({"us-eu-strain": 70})
    asked = page_reader.withdraw(confirm=False)
    assert asked.status_code == 200
    html = text(asked)
    assert "Withdraw all your forecasts?" in html and 'name="confirm" value="yes"' in html
    with app.app_context():
        assert db.session.scalar(db.select(Forecast).filter_by(ended_at=None)) is not None
    page_reader.withdraw(confirm=True)
    with app.app_context():
        assert db.session.scalar(db.select(Forecast).filter_by(ended_at=None)) is None


def test_destructive_buttons_look_different_and_ask_with_a_dialog(app, page_reader):
    page_reader.forecast({"us-eu-strain": 70})
    html = text(page_reader.page())
    withdraw = re.search(r'<form[^>]*/withdraw"[^>]*>', html).group(0)
    assert "data-confirm=" in withdraw
    assert 'class="button-danger">Withdraw all my forecasts' in html
    assert '<script src="/static/confirm.js" defer>' in html


def test_closing_a_question_asks_first(app, admin):
    page = text(admin.client.get("/moderation/questions"))
    assert re.search(r'<form[^>]*/status"[^>]*data-confirm=', page)
    assert 'class="button-danger">Close to new forecasts' in page
    asked = admin.client.post(f"/moderation/questions/{SLUG}/status")
    assert "Yes, close it" in text(asked)
    with app.app_context():
        assert db.session.scalar(db.select(Question.status)) == "open"
