"""The results page in a real browser: a few hundred synthetic readers, one real reader, charts.

Its own server on its own database (populated with `flask demo populate`), so the shared
live server of the other browser tests keeps its empty crowd.
"""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .server import app_env, prepare_database, run_flask

pytestmark = pytest.mark.e2e

SLUG = "us-russia-relations"


@pytest.fixture
def crowded_server(server_factory, tmp_path) -> str:
    env = app_env(f"sqlite:///{tmp_path / 'crowd.db'}", AGGREGATE_CACHE_SECONDS="0")
    prepare_database(env)
    run_flask(env, "demo", "populate", SLUG, "--readers", "300", "--days", "6")
    return server_factory(env)


def test_reader_sees_crowd_charts_after_forecasting(
    browser, crowded_server: str, browser_errors: list[str], artifacts: Path
):
    context = browser.new_context(base_url=crowded_server, viewport={"width": 1100, "height": 900})
    page: Page = context.new_page()
    page.on(
        "console",
        lambda m: (
            m.type == "error" and browser_errors.append(f"{m.text} ({m.location.get('url')})")
        ),
    )
    try:
        page.goto(f"/q/{SLUG}/results")
        expect(page.get_by_role("heading", name="The crowd is hidden for now")).to_be_visible()
        # One scenario forecast: its crowd shows, the other two stay hidden (SPEC §4).
        page.goto(f"/q/{SLUG}")
        page.get_by_role("spinbutton", name="Increased US-Russia Cooperation").fill("35")
        page.get_by_role("button", name="Save my forecast").click()
        page.wait_for_load_state()
        page.get_by_role("link", name="See the full results").click()
        page.wait_for_load_state()
        partly = page.get_by_role("heading", name="Part of the crowd is hidden for now")
        expect(partly).to_be_visible()
        expect(page.locator("svg.chart-histogram")).to_have_count(1)
        expect(page.locator("svg.chart-trend")).to_have_count(1)
        expect(page.get_by_text("The crowd on this scenario is hidden for now.")).to_have_count(2)
        page.get_by_role("link", name="Forecast “Strained US-EU Relations”").click()
        page.wait_for_load_state()
        page.get_by_role("spinbutton", name="Strained US-EU Relations").fill("55")
        page.get_by_role("spinbutton", name="Continued Global Instability").fill("85")
        page.get_by_role("button", name="Save my forecast").click()
        page.wait_for_load_state()
        page.get_by_role("link", name="See the full results").click()
        page.wait_for_load_state()
        expect(page.get_by_role("heading", name="At a glance")).to_be_visible()
        expect(page.get_by_text("301 readers have forecast so far")).to_be_visible()
        expect(page.get_by_text("hidden for now")).to_have_count(0)
        histograms = page.locator("svg.chart-histogram")
        trends = page.locator("svg.chart-trend")
        expect(histograms).to_have_count(3)
        expect(trends).to_have_count(3)
        heights = page.locator("svg.chart-histogram rect.bar").evaluate_all(
            "bars => bars.map(b => b.getBoundingClientRect().height)"
        )
        assert heights and max(heights) > 10
        for chart in (histograms.first, trends.first):
            markers = chart.locator(".marker")
            assert markers.count() >= 1
        assert histograms.first.locator(".marker-baseline").count() == 1
        assert trends.first.locator("polyline.median").count() == 1
        page.screenshot(path=artifacts / "results.png", full_page=True)
        assert not [e for e in browser_errors if "favicon" not in e]
    finally:
        context.close()
