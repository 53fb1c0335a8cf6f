"""/api/v1/docs in a real browser: Swagger UI draws every tag from the installed files, under the
site's CSP, with no request leaving the server."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

TAGS = ("Questions", "Forecasts", "Crowd", "Scores", "Comments", "Your data", "Moderation")


def test_api_reference_renders_from_local_assets(
    page, live_server: str, browser_errors: list[str], artifacts: Path
):
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto("/api/v1/docs")
    for tag in TAGS:
        expect(page.locator(f"#operations-tag-{tag.replace(' ', '_')}")).to_be_visible()
    expect(page.get_by_text("Give or update your forecast.")).to_be_visible()
    expect(page.get_by_role("button", name="Authorize")).to_be_visible()
    page.screenshot(path=artifacts / "api-reference.png", full_page=False)
    assert requested and all(url.startswith(live_server) for url in requested), requested
    assert browser_errors == []
