"""Comments in a real browser: a moderator approves with the keyboard, then hostile comments
show as text and open no dialog."""

import json
import re
import subprocess
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .server import PROJECT_ROOT, _command, app_env, prepare_database

pytestmark = pytest.mark.e2e

SLUG = "us-russia-relations"
PASSWORD = "correct horse battery staple"
PAYLOADS = [
    "<script>alert('script')</script>",
    "<img src=x onerror=alert('img')>",
    '"><svg onload=alert("svg")>',
    "javascript:alert('link')",
    "<a href=\"javascript:alert('a')\">click me</a>",
]
HOSTILE_NAME = "<b onmouseover=alert('name')>Eve</b>"


def flask_with_input(env: dict[str, str], text: str, *args: str) -> str:
    result = subprocess.run(
        [*_command("flask", "flask"), "--app", "predictions", *args],
        cwd=PROJECT_ROOT,
        env=env,
        input=text,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout


def serve_with_an_editor(server_factory, database: Path, name: str = "eda") -> str:
    """A server on a fresh SQLite file with the seed question and an editor account `name`."""
    env = app_env(f"sqlite:///{database}", RATELIMIT_ENABLED="false")
    prepare_database(env)
    flask_with_input(
        env, PASSWORD + "\n", "moderators", "create", name, "--role", "editor", "--password-stdin"
    )
    return server_factory(env)


def log_in(page, name: str, password: str = PASSWORD) -> None:
    """Log a moderator in through the login form, as a person would."""
    page.goto("/moderation/login")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()


def call(base: str, method: str, path: str, body: dict, token: str | None = None) -> dict:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        base + path, data=json.dumps(body).encode(), headers=headers, method=method
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"{}")


@pytest.fixture
def moderated_server(server_factory, tmp_path) -> tuple[str, str]:
    """A server with a moderator 'mia'; returns (base URL, mia's API token)."""
    env = app_env(f"sqlite:///{tmp_path / 'moderated.db'}", RATELIMIT_ENABLED="false")
    prepare_database(env)
    flask_with_input(env, PASSWORD + "\n", "moderators", "create", "mia", "--password-stdin")
    token = next(
        word
        for word in flask_with_input(env, "", "moderators", "token", "mia").split()
        if word.startswith("mod_")
    )
    return server_factory(env), token


def test_moderator_approves_by_keyboard_and_payloads_render_as_text(
    browser, moderated_server, browser_errors: list[str]
):
    base, token = moderated_server
    ids = []
    for number, payload in enumerate(PAYLOADS):
        created = call(
            base,
            "POST",
            f"/api/v1/questions/{SLUG}/comments",
            {"body": payload, "display_name": HOSTILE_NAME if number == 0 else f"R{number}"},
        )
        ids.append(created["id"])

    moderator = browser.new_context(base_url=base)
    page: Page = moderator.new_page()
    page.on("console", lambda m: m.type == "error" and browser_errors.append(m.text))
    log_in(page, "mia")
    page.goto("/moderation/queue/pending")
    cards = page.locator(".mod-card")
    expect(cards).to_have_count(len(PAYLOADS))
    page.keyboard.press("j")  # select the oldest card
    expect(cards.first).to_have_class(re.compile("mod-current"))
    with page.expect_navigation():
        page.keyboard.press("a")  # approve it
    expect(page.locator(".mod-card")).to_have_count(len(PAYLOADS) - 1)
    moderator.close()
    for comment_id in ids[1:]:
        call(
            base,
            "POST",
            f"/api/v1/moderation/comments/{comment_id}/decision",
            {"action": "approve", "expected_status": "pending"},
            token,
        )

    reader = browser.new_context(base_url=base)
    page = reader.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("console", lambda m: m.type == "error" and browser_errors.append(m.text))
    page.goto(f"/q/{SLUG}#comments")
    comments = page.locator("#comments")
    for payload in PAYLOADS:
        expect(comments.get_by_text(payload, exact=True)).to_be_visible()
    expect(comments.get_by_text(HOSTILE_NAME, exact=True)).to_be_visible()
    comments.get_by_text(HOSTILE_NAME, exact=True).hover()
    for link in comments.get_by_role("link").all():
        href = link.get_attribute("href") or ""
        assert not href.lower().startswith("javascript:")
    scripts = page.evaluate("[...document.scripts].map(s => s.src || 'inline')")
    assert all(src != "inline" for src in scripts), scripts
    assert dialogs == []
    reader.close()
    assert browser_errors == []
