"""The reader's path in a real browser at phone and desktop widths: the error summary takes the
focus, the confirmation is in view after saving, and withdrawing everything asks in a dialog."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_reader_browser import (
    EU_STRAIN,
    QUESTION,
    open_question,
    percent_input,
    submit_forecast,
    unexpected,
)

pytestmark = pytest.mark.e2e


def in_view(page: Page, selector: str) -> bool:
    """Whether the element's top is inside the viewport."""
    return page.evaluate(
        """(selector) => {
            const box = document.querySelector(selector).getBoundingClientRect();
            return box.top > -2 && box.top < window.innerHeight;
        }""",
        selector,
    )


@pytest.mark.parametrize("width, height", [(390, 844), (1280, 900)])
def test_summary_takes_focus_and_confirmation_is_in_view(
    page: Page, browser_errors: list[str], artifacts: Path, width: int, height: int
):
    page.set_viewport_size({"width": width, "height": height})
    open_question(page)
    page.get_by_role("link", name="Give your forecast").click()
    expect(page).to_have_url(re.compile("#forecast$"))
    assert in_view(page, "#forecast")

    percent_input(page, EU_STRAIN).fill("150")
    assert submit_forecast(page) == 422
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    assert in_view(page, "#error-summary")
    page.screenshot(path=artifacts / f"question-error-summary-{width}.png")
    summary.get_by_role("link").first.click()
    expect(percent_input(page, EU_STRAIN)).to_be_focused()

    percent_input(page, EU_STRAIN).fill("70")
    assert submit_forecast(page) == 303
    expect(page).to_have_url(re.compile(re.escape(QUESTION) + "#confirmation$"))
    expect(page.locator("#confirmation")).to_contain_text("Your forecast is saved.")
    assert in_view(page, "#confirmation")
    page.screenshot(path=artifacts / f"question-confirmation-{width}.png")
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    # Withdrawing everything asks first: "No" keeps the forecast, "Yes" withdraws it.
    page.get_by_role("button", name="Withdraw all my forecasts").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Withdraw all your forecasts")
    page.screenshot(path=artifacts / f"question-withdraw-dialog-{width}.png")
    dialog.get_by_role("button", name="No, go back").click()
    expect(page.get_by_role("region", name="Your forecast", exact=True)).to_be_visible()
    page.get_by_role("button", name="Withdraw all my forecasts").click()
    page.get_by_role("dialog").get_by_role("button", name="Yes, go ahead").click()
    expect(page.locator("#confirmation")).to_contain_text("Forecast withdrawn.")
    assert unexpected(browser_errors, refused_form=True) == []
