"""The reader's pages: the questions, the question with its form, and /me."""

import re

from predictions.extensions import db
from predictions.models import Forecast, QuestionStatus
from predictions.services import questions


def text(response) -> str:
    return response.get_data(as_text=True)


def test_index_lists_the_seed_question(client, seed):
    html = text(client.get("/"))
    assert f'href="/q/{seed}"' in html
    assert "What are your predictions for the future of US-Russia relations?" in html
    assert "0 readers have forecast" in html


def test_question_page_shows_summary_source_table_and_closing_question(client, seed):
    response = client.get(f"/q/{seed}")
    assert response.status_code == 200
    html = text(response)
    assert "Summary in our own words of an article by Archyworldys" in html
    assert 'href="https://www.archyworldys.com/"' in html
    for label, baseline in [
        ("Increased US-Russia Cooperation", 40),
        ("Strained US-EU Relations", 60),
        ("Continued Global Instability", 80),
    ]:
        assert re.search(rf"{label}</th>\s*<td class=\"num\"[^>]*>{baseline} %</td>", html)
    assert "“What are your predictions for the future of US-Russia relations?”" in html
    assert html.count("<details>") == 4  # the article's FAQ


def test_forecast_inputs_are_empty_and_labelled(client, seed):
    html = text(client.get(f"/q/{seed}"))
    inputs = re.findall(r"<input[^>]*type=\"number\"[^>]*>", html)
    assert len(inputs) == 3
    for tag in inputs:
        assert "value=" not in tag or 'value=""' in tag
        field_id = re.search(r' id="([^"]+)"', tag).group(1)
        assert f'<label for="{field_id}">' in html


def test_valid_submission_redirects_and_shows_numbers_beside_article(page_reader):
    response = page_reader.forecast({"us-eu-strain": 70, "global-instability": 65})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/q/us-russia-relations#confirmation")
    html = text(page_reader.page())
    assert "Your forecast is saved." in html
    assert "Your forecast beside the article" in html
    assert re.search(r"Strained US-EU Relations</th>\s*<td class=\"num\"[^>]*>70 %</td>", html)
    assert "+10 points" in html
    assert "−15 points" in html
    assert "1 reader has forecast" in html


def test_returning_reader_sees_their_numbers_and_can_update(app, page_reader):
    page_reader.forecast({"us-eu-strain": 70})
    html = text(page_reader.page())
    assert "Update your forecast" in html
    assert re.search(r'name="p_us_eu_strain"[^>]*value="70"', html)
    page_reader.forecast({"us-eu-strain": 45})
    html = text(page_reader.page())
    assert "−15 points" in html
    with app.app_context():
        rows = db.session.scalars(db.select(Forecast).order_by(Forecast.id)).all()
        assert [(f.percent, f.ended_at is None) for f in rows] == [(70, False), (45, True)]


def test_reader_can_withdraw_from_the_page(app, page_reader):
    page_reader.forecast({"us-eu-strain": 70, "global-instability": 90})
    html = text(page_reader.withdraw())
    assert "Forecast withdrawn." in html
    assert "Your forecast beside the article" not in html
    with app.app_context():
        assert db.session.scalar(db.select(Forecast).filter_by(ended_at=None)) is None


def test_me_lists_history_and_pending_comment(page_reader):
    page_reader.forecast({"us-eu-strain": 70}, comment="Trade war <b>ahead</b>")
    page_reader.forecast({"us-eu-strain": 55})
    html = text(page_reader.client.get("/me"))
    assert "History (2 entries)" in html
    assert "awaiting review" in html
    assert "Trade war &lt;b&gt;ahead&lt;/b&gt;" in html


def test_me_for_a_new_visitor_is_an_empty_state(client, seed):
    response = client.get("/me")
    assert response.status_code == 200
    assert "You have not made a forecast yet." in text(response)


def test_comment_is_not_shown_on_question_page_while_pending(app, page_reader):
    page_reader.forecast({"us-eu-strain": 70}, comment="my secret reasoning")
    assert "my secret reasoning" not in text(app.test_client().get(f"/q/{page_reader.slug}"))
    # Its author sees it, marked as waiting for a moderator.
    assert "awaiting review" in text(page_reader.page())


def test_closed_question_has_no_form_and_refuses_posts(app, page_reader):
    with app.app_context():
        questions.set_status(questions.get_by_slug(page_reader.slug), QuestionStatus.CLOSED)
        db.session.commit()
    html = text(page_reader.page())
    assert "closed to new forecasts" in html
    assert 'name="p_us_eu_strain"' not in html
    page_reader.forecast({"us-eu-strain": 70})
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Forecast)) == 0


def test_unknown_question_page_is_a_404_page(client, seed):
    response = client.get("/q/nothing-here")
    assert response.status_code == 404
    assert response.content_type.startswith("text/html")


def test_every_page_has_a_strict_csp_and_security_headers(client, seed):
    for url in ["/", f"/q/{seed}", "/me", "/q/missing", "/api/v1/questions"]:
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"]


def test_reader_cookie_is_signed_httponly_and_lax(page_reader):
    response = page_reader.forecast({"us-eu-strain": 70})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Expires=" in cookie  # remembered across browser restarts
