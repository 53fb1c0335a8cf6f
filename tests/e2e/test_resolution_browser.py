"""Resolution in a real browser: an admin resolves a scenario from the questions page, and the
results page scores it."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .server import app_env, prepare_database
from .test_moderation_browser import call, flask_with_input, log_in

pytestmark = pytest.mark.e2e

SLUG = "us-russia-relations"
PASSWORD = "correct horse battery staple"
SCENARIO = "Strained US-EU Relations"  # the article said 60 %


@pytest.fixture
def server_with_an_admin(server_factory, tmp_path) -> str:
    """A server with an admin 'ada' and one reader who forecast 80 % on the scenario."""
    env = app_env(f"sqlite:///{tmp_path / 'resolution.db'}", RATELIMIT_ENABLED="false")
    prepare_database(env)
    flask_with_input(
        env, PASSWORD + "\n", "moderators", "create", "ada", "--admin", "--password-stdin"
    )
    base = server_factory(env)
    call(
        base, "POST", f"/api/v1/questions/{SLUG}/forecasts", {"probabilities": {"us-eu-strain": 80}}
    )
    return base


def test_admin_resolves_a_scenario_from_the_page_and_the_results_score_it(
    browser, server_with_an_admin: str, browser_errors: list[str], artifacts: Path
):
    context = browser.new_context(
        base_url=server_with_an_admin, viewport={"width": 1280, "height": 900}
    )
    page: Page = context.new_page()
    page.on("console", lambda m: m.type == "error" and browser_errors.append(m.text))
    try:
        log_in(page, "ada")

        page.goto("/moderation/questions")
        form = page.locator(
            f"form[action='/moderation/questions/{SLUG}/scenarios/us-eu-strain/resolve']"
        )
        form.get_by_label("Outcome").select_option("yes")
        form.get_by_label("Note").fill("The EU answered new US tariffs in kind.")
        with page.expect_navigation():
            form.get_by_role("button", name="Resolve").click()
        expect(page.get_by_text(f"“{SCENARIO}” resolved yes.")).to_be_visible()
        row = page.locator("tr", has=page.get_by_role("rowheader", name=SCENARIO))
        expect(row.locator(".badge-outcome-yes")).to_have_text("yes")
        expect(form.get_by_role("button", name="Correct")).to_be_visible()
        page.screenshot(path=artifacts / "resolution-admin.png", full_page=True)

        page.goto(f"/q/{SLUG}/results")
        scorecard = page.locator("section.scorecard")
        expect(scorecard.get_by_role("heading", name="Scores")).to_be_visible()
        scored = scorecard.locator(
            ".scenario-score", has=page.get_by_role("heading", name=SCENARIO)
        )
        expect(scored).to_contain_text("Resolved yes")
        expect(scored).to_contain_text("The EU answered new US tariffs in kind.")
        article = scored.get_by_role("row", name="Article")
        expect(article).to_contain_text("60 %")
        expect(article).to_contain_text("0.1600")  # (0.6 − 1)²
        expect(scored.get_by_role("row", name="Crowd median")).to_contain_text("0.0400")
        page.screenshot(path=artifacts / "resolution-results.png", full_page=True)
        assert browser_errors == []
    finally:
        context.close()
