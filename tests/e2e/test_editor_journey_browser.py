"""An editor's whole question in a real browser (issue 14): create it with three scenarios,
preview the draft, publish it; a reader forecasts on it; the editor is refused a baseline change,
fixes a typo, resolves a scenario; the question's Atom feed then carries the resolution."""

from pathlib import Path

import feedparser
import pytest
from playwright.sync_api import Page, expect

from .test_moderation_browser import log_in, serve_with_an_editor
from .test_reader_browser import percent_input, submit_forecast

pytestmark = pytest.mark.e2e

TITLE = "Will the Budapest summit take place this year?"
SLUG = "will-the-budapest-summit-take-place-this-year"
SCENARIOS = [
    ("The summit takes place", "55"),
    ("A deal is signed", "20"),
    ("Talks colapse", "30"),  # the typo the editor fixes once readers have forecast
]


@pytest.fixture
def server_with_an_editor(server_factory, tmp_path) -> str:
    return serve_with_an_editor(server_factory, tmp_path / "journey.db")


def save(page: Page) -> int:
    with page.expect_navigation() as saved:
        page.get_by_role("button", name="Save the question").click()
    return saved.value.status


def test_editor_creates_previews_publishes_corrects_and_resolves_a_question(
    browser, server_with_an_editor: str, browser_errors: list[str], artifacts: Path
):
    base = server_with_an_editor
    folder = artifacts / "editor-journey"
    folder.mkdir(exist_ok=True)
    editor = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
    reader = browser.new_context(base_url=base, viewport={"width": 390, "height": 844})
    page: Page = editor.new_page()
    page.on("console", lambda m: m.type == "error" and browser_errors.append(m.text))
    try:
        log_in(page, "eda")

        # Create: a draft, which nobody else can see.
        page.goto("/moderation/questions/new")
        page.get_by_label("Title").fill(TITLE)
        page.get_by_label("Source name").fill("Archyworldys")
        page.get_by_label("Source address").fill("https://www.archyworldys.com/")
        page.get_by_label("Closing question").fill("Will Trump and Putin meet in Budapest?")
        page.get_by_label("Summary").fill("Two leaders plan to meet in Budapest.")
        for i, (label, baseline) in enumerate(SCENARIOS):
            page.locator(f"#scenarios-{i}-label").fill(label)
            page.locator(f"#scenarios-{i}-baseline").fill(baseline)
            page.locator(f"#scenarios-{i}-resolution").fill(f"Resolves yes if: {label}.")
        assert save(page) == 200  # the questions page, after the 303
        expect(page.get_by_text("created.")).to_be_visible()
        assert page.request.get(f"/q/{SLUG}").status == 200  # the editor's session sees it
        anonymous = reader.new_page()
        assert anonymous.goto(f"/q/{SLUG}").status == 404

        # Preview: the public page, under a banner.
        page.goto(f"/moderation/questions/{SLUG}/preview")
        expect(page.get_by_text("Preview — draft, not public")).to_be_visible()
        expect(page.get_by_text("Will Trump and Putin meet in Budapest?")).to_be_visible()
        expect(percent_input(page, "Talks colapse")).to_be_visible()
        page.screenshot(path=folder / "preview-1280.png", full_page=True)

        # Publish (the confirmation dialog first).
        page.goto("/moderation/questions")
        page.get_by_role("button", name=f"Publish “{TITLE}”").click()
        with page.expect_navigation():
            page.get_by_role("dialog").get_by_role("button", name="Yes, go ahead").click()
        expect(page.get_by_text("is published")).to_be_visible()

        # A reader forecasts on it.
        assert anonymous.goto(f"/q/{SLUG}").status == 200
        percent_input(anonymous, "The summit takes place").fill("70")
        assert submit_forecast(anonymous) == 303
        expect(anonymous.locator("#confirmation")).to_contain_text("Your forecast is saved.")
        anonymous.screenshot(path=folder / "reader-390.png", full_page=True)

        # The baseline cannot change any more: the form says why, and refuses a forced post.
        page.goto(f"/moderation/questions/{SLUG}/edit")
        expect(page.locator("#scenarios-locked")).to_contain_text("Readers have forecast")
        baseline = page.locator("#scenarios-0-baseline")
        expect(baseline).to_have_attribute("readonly", "")
        baseline.evaluate("input => input.removeAttribute('readonly')")
        baseline.fill("65")
        assert save(page) == 422
        expect(page.get_by_text("the article's baselines cannot change").first).to_be_visible()
        page.screenshot(path=folder / "edit-refused-1280.png", full_page=True)

        # A typo can be fixed.
        page.goto(f"/moderation/questions/{SLUG}/edit")
        page.locator("#scenarios-2-label").fill("Talks collapse")
        assert save(page) == 200
        expect(page.get_by_text("saved.")).to_be_visible()

        # Resolve a scenario.
        form = page.get_by_role("form", name="Resolve “The summit takes place”")
        form.get_by_label("Outcome").select_option("yes")
        form.get_by_label("Note").fill("They met in Budapest on 4 December.")
        with page.expect_navigation():
            form.get_by_role("button", name="Resolve").click()
        expect(page.get_by_text("“The summit takes place” resolved yes.")).to_be_visible()

        # The question's feed tells its followers.
        answer = reader.request.get(f"/q/{SLUG}/feed.atom")
        assert answer.status == 200
        feed = feedparser.parse(answer.body())
        assert feed.bozo == 0
        key = f"{SLUG}/resolved/the-summit-takes-place"
        resolved = [e for e in feed.entries if e.id.endswith(key)]
        assert len(resolved) == 1
        assert "resolved yes" in resolved[0].summary
        titles = [e.title for e in feed.entries]
        assert any(title.startswith("Open for forecasts: " + TITLE) for title in titles)

        # The audit log has every step, with what changed.
        page.goto("/moderation/audit")
        log = page.locator("main")
        for words in ("question_create", "question_publish", "question_edit", "scenarios.talks"):
            expect(log).to_contain_text(words)
        # The forced post's 422 is the only failed load.
        assert [e for e in browser_errors if "422" not in e] == []
        assert len(browser_errors) == 1
    finally:
        editor.close()
        reader.close()
