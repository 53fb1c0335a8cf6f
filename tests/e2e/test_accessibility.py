"""Accessibility in the browser: axe-core on every page of the tour (no serious or critical
violation), a focus ring of at least 3:1 against what surrounds it, and a keyboard path from the
skip link to the first forecast input in at most three Tab presses.

axe-core comes bundled in the axe-playwright-python package: nothing is downloaded at test time.
"""

import pytest
from playwright.sync_api import Page

from .tour import SLUG, prepare_tour_server, walk

pytestmark = pytest.mark.e2e

BLOCKING = {"serious", "critical"}
MAX_TABS_TO_FORM = 3
MIN_FOCUS_CONTRAST = 3.0

# The contrast of the focused element's outline against the background it is drawn on.
FOCUS_CONTRAST = """
() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  if (style.outlineStyle === 'none' || parseFloat(style.outlineWidth) < 2) return 0;
  const rgb = (text) => text.match(/[\\d.]+/g).slice(0, 4).map(Number);
  let node = el.parentElement, background = [255, 255, 255];
  while (node) {
    const [r, g, b, a = 1] = rgb(getComputedStyle(node).backgroundColor);
    if (a > 0) { background = [r, g, b]; break; }
    node = node.parentElement;
  }
  const luminance = ([r, g, b]) => {
    const [R, G, B] = [r, g, b].map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * R + 0.7152 * G + 0.0722 * B;
  };
  const [a, b] = [luminance(rgb(style.outlineColor)), luminance(background)];
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}
"""


@pytest.fixture
def tour_server(server_factory, tmp_path):
    return prepare_tour_server(server_factory, tmp_path)


def test_every_page_passes_axe_without_serious_violations(browser, tour_server):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    base, env = tour_server
    context = browser.new_context(base_url=base, viewport={"width": 390, "height": 844})
    page = context.new_page()
    found: dict[str, list[str]] = {}

    def check(page: Page, name: str) -> None:
        results = axe.run(page).response
        blocking = [
            f"{v['id']} ({v['impact']}): {node['target']}"
            for v in results["violations"]
            if v["impact"] in BLOCKING
            for node in v["nodes"]
        ]
        if blocking:
            found[name] = blocking

    try:
        visited = walk(page, env, check)
    finally:
        context.close()
    assert len(visited) >= 25
    assert found == {}, "\n".join(f"{k}: {v}" for k, v in found.items())


def test_focus_ring_contrasts_and_the_form_is_three_tabs_from_the_skip_link(page: Page):
    page.goto(f"/q/{SLUG}")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to content"
    assert page.evaluate(FOCUS_CONTRAST) >= MIN_FOCUS_CONTRAST
    for _press in range(MAX_TABS_TO_FORM):
        page.keyboard.press("Tab")
        assert page.evaluate(FOCUS_CONTRAST) >= MIN_FOCUS_CONTRAST
        focused = page.evaluate(
            "[document.activeElement.tagName, document.activeElement.type || '',"
            " document.activeElement.className || '', document.activeElement.textContent]"
        )
        if focused[0] == "INPUT" and focused[1] == "number":
            break
        if "skip-link" in focused[2] and "forecast" in focused[3].lower():
            page.keyboard.press("Enter")  # follow the in-page link: no Tab spent
    else:
        pytest.fail(f"no forecast input within {MAX_TABS_TO_FORM} Tab presses of the skip link")
    first = page.locator(f"form[action='/q/{SLUG}'] input[type=number]").first
    assert page.evaluate("(el) => el === document.activeElement", first.element_handle())
