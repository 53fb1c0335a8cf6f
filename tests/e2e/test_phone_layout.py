"""Every page at phone width (360×740 and 390×844): nothing wider than the screen, tables that
fit, chart text of at least 12 CSS px and tap targets of at least 44 px; and no Python or
template value (None, True, an enum) shown anywhere. Screenshots of every page at both widths
go to test-artifacts/phone/."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page

from .tour import prepare_tour_server, walk

pytestmark = pytest.mark.e2e

PHONES = ({"width": 360, "height": 740}, {"width": 390, "height": 844})
MIN_CHART_TEXT_PX = 12
MIN_TARGET_PX = 44

# What breaks a phone layout, measured in the page: each entry a human-readable problem.
MEASURE = """
({minText, minTarget}) => {
  const problems = [];
  const width = document.documentElement.clientWidth;
  const doc = document.documentElement.scrollWidth;
  if (doc > width) problems.push(`document is ${doc} px wide in a ${width} px viewport`);
  const describe = (el) => {
    const text = (el.getAttribute('aria-label') || el.textContent || el.name || el.id || '')
      .trim().replace(/\\s+/g, ' ').slice(0, 40);
    return `<${el.tagName.toLowerCase()}${el.className ? '.' + el.className : ''}> "${text}"`;
  };
  const visible = (el) => {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return box.width > 1 && box.height > 1 && style.visibility !== 'hidden'
      && el.checkVisibility({visibilityProperty: true, contentVisibilityAuto: true})
      && !el.closest('.visually-hidden, .hp-field, [hidden]');
  };
  // Tables (captions included) fit the screen: no sideways scrolling, no clipped column.
  for (const table of document.querySelectorAll('table')) {
    if (!visible(table)) continue;
    const box = table.getBoundingClientRect();
    if (box.right > width + 0.5 || box.left < -0.5)
      problems.push(`table ${describe(table.caption || table)} spans ${box.left}..${box.right}`);
    if (table.scrollWidth > table.clientWidth + 1)
      problems.push(`table ${describe(table.caption || table)} overflows its own box`);
  }
  // Nothing visible pokes out of the viewport, even inside a clipping container.
  for (const el of document.querySelectorAll('main *, header *, footer *')) {
    if (!visible(el) || el.closest('svg') && el.tagName.toLowerCase() !== 'svg') continue;
    const box = el.getBoundingClientRect();
    if (box.right > width + 0.5) problems.push(`${describe(el)} ends at ${box.right} px`);
  }
  // Chart text as rendered: its font size in viewBox units times the chart's scale.
  for (const svg of document.querySelectorAll('svg.chart')) {
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    for (const text of svg.querySelectorAll('text')) {
      const px = parseFloat(getComputedStyle(text).fontSize) * scale;
      if (px < minText - 0.01)
        problems.push(`chart text "${text.textContent}" is ${px.toFixed(1)} px`);
    }
  }
  // Tap targets: controls, buttons, links that stand alone (inline links in prose are exempt,
  // as in WCAG 2.5.8); a checkbox counts with its label.
  const targets = document.querySelectorAll(
    'button, input:not([type=hidden]), select, textarea, summary, nav a, a[class*=button]'
  );
  for (const el of targets) {
    if (!visible(el) && !(el.type === 'checkbox' || el.type === 'radio')) continue;
    if (el.closest('.visually-hidden, .hp-field')) continue;
    let box = el.getBoundingClientRect();
    if ((el.type === 'checkbox' || el.type === 'radio') && el.labels && el.labels.length) {
      const label = el.labels[0].getBoundingClientRect();
      if (label.height > box.height) box = label;
    }
    if (box.height < minTarget - 0.5 || box.width < minTarget - 0.5)
      problems.push(
        `tap target ${describe(el)} is ${box.width.toFixed(0)}×${box.height.toFixed(0)} px`);
  }
  return problems;
}
"""


# Python or template values that leaked into a page instead of words for people.
INTERNAL_VALUE = re.compile(
    r"\b(None|True|False|null|undefined|NaN)\b|\{\{|\{%|object at 0x|<built-in|"
    r"\b[A-Z][a-z]+(Status|Kind|Outcome)\.[A-Z_]+\b"
)


def internal_values(page: Page) -> list[str]:
    """Python or template values shown on the page (with a little of their context)."""
    text = page.locator("body").inner_text()
    return [text[max(0, m.start() - 30) : m.end() + 30] for m in INTERNAL_VALUE.finditer(text)]


def phone_problems(page: Page) -> list[str]:
    """What is wrong with the page at the current viewport, as sentences."""
    return page.evaluate(MEASURE, {"minText": MIN_CHART_TEXT_PX, "minTarget": MIN_TARGET_PX})


@pytest.fixture
def tour_server(server_factory, tmp_path):
    return prepare_tour_server(server_factory, tmp_path)


def test_every_page_fits_a_phone(browser, tour_server, artifacts: Path, browser_errors):
    base, env = tour_server
    folder = artifacts / "phone"
    folder.mkdir(exist_ok=True)
    context = browser.new_context(base_url=base, viewport=PHONES[0], device_scale_factor=1)
    page = context.new_page()
    page.on("pageerror", lambda error: browser_errors.append(str(error)))
    found: dict[str, list[str]] = {}
    leaked: dict[str, list[str]] = {}

    def check(page: Page, name: str) -> None:
        if shown := internal_values(page):
            leaked[name] = shown
        for phone in PHONES:
            page.set_viewport_size(phone)  # a relayout, no reload (one stop is a POST's answer)
            problems = phone_problems(page)
            if problems:
                found[f"{name} @{phone['width']}"] = problems
            page.screenshot(path=folder / f"{name}-{phone['width']}.png", full_page=True)
        page.set_viewport_size(PHONES[0])

    try:
        visited = walk(page, env, check)
    finally:
        context.close()
    assert len(visited) >= 25
    assert found == {}, "\n".join(f"{k}: {v}" for k, v in found.items())
    assert leaked == {}
    assert browser_errors == []
