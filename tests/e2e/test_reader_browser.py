"""A reader in a real browser: forecast, compare with the article, update, see the history.

Runs against gunicorn and Debian's chromium (see conftest.py); locators are accessible ones
(label, role, name), so the test also checks that the page is labelled for assistive technology.
"""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

QUESTION = "/q/us-russia-relations"
CLOSING_QUESTION = "What are your predictions for the future of US-Russia relations?"
COOPERATION = "Increased US-Russia Cooperation"  # article: 40 %
EU_STRAIN = "Strained US-EU Relations"  # article: 60 %
INSTABILITY = "Continued Global Instability"  # article: 80 %
SCENARIOS = [COOPERATION, EU_STRAIN, INSTABILITY]
PERCENT_MESSAGE = "Enter a whole number of percent from 1 to 99."
COMPARISON = "Your forecast beside the article's likelihoods"


# Chromium asks every site for /favicon.ico on its own; the app has none, and Chromium logs the
# 404 as a console error that no page of ours caused.
FAVICON_404 = re.compile(r"^console: Failed to load resource: .* 404 .*/favicon\.ico\)$")
# A page answered with 422 (the form refused) is logged as a failed resource too.
REFUSED_FORM = re.compile(
    r"^console: Failed to load resource: .* 422 .*" + re.escape(QUESTION) + r"\)$"
)


def unexpected(errors: list[str], refused_form: bool = False) -> list[str]:
    """The browser errors a test should not have seen (refused_form: it submitted bad input)."""
    allowed = [FAVICON_404, REFUSED_FORM] if refused_form else [FAVICON_404]
    return [error for error in errors if not any(p.match(error) for p in allowed)]


def percent_input(page: Page, label: str):
    """The number input of a scenario, found by its label as a screen reader would."""
    return page.get_by_role("spinbutton", name=label, exact=True)


def comparison_row(page: Page, label: str):
    """The row of the reader's comparison table for one scenario."""
    table = page.get_by_role("table", name=COMPARISON)
    return table.get_by_role("row").filter(has=page.get_by_role("rowheader", name=label))


def expect_comparison(page: Page, label: str, mine: str, article: str, difference: str) -> None:
    cells = comparison_row(page, label).get_by_role("cell")
    expect(cells.nth(0)).to_have_text(mine)
    expect(cells.nth(1)).to_have_text(article)
    expect(cells.nth(2)).to_have_text(difference)


def open_question(page: Page) -> None:
    response = page.goto(QUESTION)
    assert response is not None and response.status == 200
    csp = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


def forecast_form(page: Page):
    """The forecast form (the comment section has fields with the same labels)."""
    return page.locator("form", has=page.get_by_role("button", name="Save my forecast"))


def submit_forecast(page: Page) -> int:
    """Press the submit button; the status of the form's POST (303 when saved)."""
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Save my forecast").click()
    page.wait_for_load_state()
    return posted.value.status


def test_reader_forecasts_updates_and_sees_history(
    page: Page, browser_errors: list[str], artifacts: Path
):
    open_question(page)
    expect(page.get_by_text(CLOSING_QUESTION)).to_be_visible()
    expect(page.get_by_role("heading", name="Your forecast", exact=True)).to_be_visible()
    for label in SCENARIOS:
        expect(percent_input(page, label)).to_have_value("")  # no anchor on the article's number
    expect(page.get_by_role("table", name=COMPARISON)).to_have_count(0)
    page.screenshot(path=artifacts / "question.png", full_page=True)

    # First forecast: two of the three scenarios and a comment.
    percent_input(page, COOPERATION).fill("35")
    percent_input(page, EU_STRAIN).fill("70")
    forecast_form(page).get_by_label("Your reasoning (optional)").fill(
        "Europe will hedge: more defence spending."
    )
    forecast_form(page).get_by_label("Display name (optional)").fill("Browser Reader")
    assert submit_forecast(page) == 303
    expect(page).to_have_url(re.compile(re.escape(QUESTION) + "#confirmation$"))
    flashes = page.get_by_role("status")
    expect(flashes).to_contain_text("Your forecast is saved.")
    expect(flashes).to_contain_text("once a moderator has approved it")
    yours = page.get_by_role("region", name="Your forecast", exact=True)
    expect(yours.get_by_role("heading", name="Your forecast")).to_be_visible()
    expect_comparison(page, EU_STRAIN, "70 %", "60 %", "+10 points")
    expect_comparison(page, COOPERATION, "35 %", "40 %", "\u22125 points")
    expect(comparison_row(page, INSTABILITY)).to_have_count(0)
    expect(page.get_by_role("heading", name="Update your forecast")).to_be_visible()
    expect(percent_input(page, COOPERATION)).to_have_value("35")
    expect(percent_input(page, EU_STRAIN)).to_have_value("70")
    expect(percent_input(page, INSTABILITY)).to_have_value("")
    expect(forecast_form(page).get_by_label("Display name (optional)")).to_have_value(
        "Browser Reader"
    )

    # Update one number: the table follows, the other scenario keeps its standing forecast.
    percent_input(page, EU_STRAIN).fill("45")
    assert submit_forecast(page) == 303
    expect(page.get_by_role("status")).to_contain_text("Your forecast is saved.")
    expect_comparison(page, EU_STRAIN, "45 %", "60 %", "\u221215 points")
    expect_comparison(page, COOPERATION, "35 %", "40 %", "\u22125 points")
    expect(percent_input(page, EU_STRAIN)).to_have_value("45")

    # /me: the standing numbers, and the history with both of the updated scenario's entries.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My forecasts").click()
    expect(page).to_have_url(re.compile(r"/me$"))
    expect(page.get_by_role("heading", name="My forecasts", level=1)).to_be_visible()
    expect_comparison(page, EU_STRAIN, "45 %", "60 %", "\u221215 points")
    page.get_by_text(re.compile(r"^History \(3 entries\)$")).click()
    history = page.get_by_role("table", name="Every forecast you made on this question")
    expect(history).to_be_visible()
    eu_rows = history.get_by_role("row").filter(has_text=EU_STRAIN)
    expect(eu_rows).to_have_count(2)
    expect(eu_rows.nth(0)).to_contain_text("70 %")
    expect(eu_rows.nth(0)).not_to_contain_text("standing")
    expect(eu_rows.nth(1)).to_contain_text("45 %")
    expect(eu_rows.nth(1)).to_contain_text("standing")
    expect(history.get_by_role("row").filter(has_text=COOPERATION)).to_have_count(1)
    comments = page.get_by_role("region", name="My comments")
    expect(comments).to_contain_text("Europe will hedge: more defence spending.")
    expect(comments).to_contain_text("awaiting review")

    # An invalid number is refused at its field; the standing forecast is unchanged.
    open_question(page)
    instability = percent_input(page, INSTABILITY)
    instability.fill("150")
    assert submit_forecast(page) == 422
    expect(instability).to_have_value("150")
    expect(instability).to_have_attribute("aria-invalid", "true")
    expect(instability).to_have_accessible_description(re.compile(re.escape(PERCENT_MESSAGE)))
    # Once in the error summary (a link to the field), once at the field.
    expect(page.get_by_text(PERCENT_MESSAGE)).to_have_count(2)
    expect(page.get_by_role("alert").get_by_role("link", name=PERCENT_MESSAGE)).to_be_visible()
    expect(page.get_by_role("status")).to_have_count(0)  # no "saved" flash
    expect(percent_input(page, EU_STRAIN)).not_to_have_attribute("aria-invalid", "true")

    assert unexpected(browser_errors, refused_form=True) == []


def test_invalid_percent_saves_nothing_for_a_new_reader(page: Page, browser_errors: list[str]):
    open_question(page)
    field = percent_input(page, COOPERATION)
    field.fill("0")
    assert submit_forecast(page) == 422
    expect(field).to_have_accessible_description(re.compile(re.escape(PERCENT_MESSAGE)))
    expect(page.get_by_role("table", name=COMPARISON)).to_have_count(0)
    expect(page.get_by_role("heading", name="Your forecast", exact=True)).to_be_visible()

    page.goto("/me")
    expect(page.get_by_text("You have not made a forecast yet.")).to_be_visible()
    assert unexpected(browser_errors, refused_form=True) == []


def test_question_page_fits_a_phone(page: Page, browser_errors: list[str], artifacts: Path):
    page.set_viewport_size({"width": 375, "height": 812})
    open_question(page)
    expect(page.get_by_text(CLOSING_QUESTION)).to_be_visible()
    expect(percent_input(page, INSTABILITY)).to_be_visible()
    page.screenshot(path=artifacts / "question-375.png", full_page=True)
    # Nothing wider than the screen: wide tables scroll inside their own box.
    page_width = page.evaluate("document.documentElement.scrollWidth")
    assert page_width <= 375, f"the page is {page_width} px wide on a 375 px screen"
    for label in SCENARIOS:
        box = percent_input(page, label).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375, label
    assert unexpected(browser_errors) == []
