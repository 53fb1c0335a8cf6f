"""The editors' question form in a real browser with JavaScript off: rows added with the
form's own buttons, mistakes shown beside their fields, the question saved; and the locked
keys and baselines of a question readers have forecast on. Screenshots at 390 and 1280 px."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .test_moderation_browser import call, log_in, serve_with_an_editor

pytestmark = pytest.mark.e2e

SLUG = "us-russia-relations"
WIDTHS = (390, 1280)


@pytest.fixture
def server_with_an_editor(server_factory, tmp_path) -> str:
    """A server with an editor 'eda' and one reader who forecast on the seed question."""
    base = serve_with_an_editor(server_factory, tmp_path / "questions.db")
    call(
        base, "POST", f"/api/v1/questions/{SLUG}/forecasts", {"probabilities": {"us-eu-strain": 80}}
    )
    return base


def shoot(page: Page, folder: Path, name: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=folder / f"{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": WIDTHS[-1], "height": 900})


def test_an_editor_writes_a_question_without_javascript(
    browser, server_with_an_editor: str, artifacts: Path
):
    folder = artifacts / "question-form"
    folder.mkdir(exist_ok=True)
    context = browser.new_context(
        base_url=server_with_an_editor,
        java_script_enabled=False,
        viewport={"width": 1280, "height": 900},
    )
    page: Page = context.new_page()
    try:
        log_in(page, "eda")

        page.goto("/moderation/questions")
        with page.expect_navigation():
            page.get_by_role("link", name="New question").click()
        shoot(page, folder, "new")

        with page.expect_navigation() as saved:
            page.get_by_role("button", name="Save the question").click()
        assert saved.value.status == 422
        expect(page.locator(".error-summary")).to_contain_text("Title: Fill this in.")
        expect(page.locator(".error-summary")).to_contain_text("Give 2 to 10 scenarios.")
        shoot(page, folder, "new-errors")

        page.get_by_label("Title").fill("Will the Budapest summit take place this year?")
        page.get_by_label("Source name").fill("Archyworldys")
        page.get_by_label("Source address").fill("https://www.archyworldys.com/")
        page.get_by_label("Closing question").fill("Will they meet?")
        page.get_by_label("Summary").fill("Two leaders plan to meet in Budapest.")
        rows = [
            ("The summit takes place", "55"),
            ("A deal is signed", "20"),
            ("Talks collapse", "30"),
        ]
        for i, (label, baseline) in enumerate(rows[:2]):
            page.locator(f"#scenarios-{i}-label").fill(label)
            page.locator(f"#scenarios-{i}-baseline").fill(baseline)
            page.locator(f"#scenarios-{i}-resolution").fill(f"Resolves yes if {label.lower()}.")
        page.locator("#scenarios-2-label").fill(rows[2][0])
        page.locator("#scenarios-2-baseline").fill("120")
        with page.expect_navigation():
            page.get_by_role("button", name="Add a scenario").click()
        expect(page.locator("#scenarios-3-label")).to_be_visible()
        expect(page.locator("#scenarios-0-label")).to_have_value(rows[0][0])

        with page.expect_navigation() as saved:
            page.get_by_role("button", name="Save the question").click()
        assert saved.value.status == 422
        expect(page.locator("#scenarios-2-baseline-error")).to_have_text(
            "Enter a whole number of percent from 1 to 99."
        )
        expect(page.locator("#scenarios-2-resolution-error")).to_have_text("Fill this in.")

        page.locator("#scenarios-2-baseline").fill("30")
        page.locator("#scenarios-2-resolution").fill("Resolves yes if the talks collapse.")
        with page.expect_navigation() as saved:
            page.get_by_role("button", name="Save the question").click()
        expect(page.get_by_text("created.")).to_be_visible()
        slug = "will-the-budapest-summit-take-place-this-year"
        expect(page.locator(f"#q-{slug}")).to_contain_text("Talks collapse")
        shoot(page, folder, "questions")

        page.locator("details.upload summary").click()
        page.set_input_files(
            "#file",
            files=[{"name": "q.toml", "mimeType": "application/toml", "buffer": b'title = "x"'}],
        )
        with page.expect_navigation() as uploaded:
            page.get_by_role("button", name="Upload").click()
        assert uploaded.value.status == 422
        expect(page.locator("#upload-problems")).to_contain_text("source.url: Fill this in.")
        shoot(page, folder, "questions-upload-errors")

        page.goto(f"/moderation/questions/{SLUG}/edit")
        expect(page.locator("#scenarios-locked")).to_contain_text("Readers have forecast")
        expect(page.locator("#scenarios-1-baseline")).to_have_attribute("readonly", "")
        shoot(page, folder, "edit-locked")
        page.get_by_label("Title").fill("")
        page.locator("#source_url").fill("archyworldys.com")
        with page.expect_navigation() as saved:
            page.get_by_role("button", name="Save the question").click()
        assert saved.value.status == 422
        shoot(page, folder, "edit-errors")
    finally:
        context.close()
