"""A tour of every page a reader or a moderator can reach, in each state that changes it.

The phone-layout and accessibility tests walk the same tour, each on a server of its own, and
check every stop with their own callback. The tour changes the server's data as it goes: a
fresh reader first, then a crowd and the reader's forecast, then moderation, then a resolution.
"""

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page

from .server import app_env, prepare_database, run_flask
from .test_moderation_browser import log_in

SLUG = "us-russia-relations"
ADMIN = "ada"
PASSWORD = "correct horse battery staple"
# A long unbroken word and a link: what stretches cards and table cells in real queues.
COMMENT = (
    "Budapest changes little: see https://example.org/a/very/long/path/to/an/analysis-piece "
    "and Donaudampfschifffahrtsgesellschaftskapitänswitwe-sized words."
)

# (name, path) → the callback checks the page once it is loaded there.
Stop = Callable[[Page, str], None]


def prepare_tour_server(server_factory, tmp_path: Path) -> tuple[str, dict[str, str]]:
    """A server with an admin and no crowd yet; (base URL, its environment for the CLI)."""
    env = app_env(
        f"sqlite:///{tmp_path / 'tour.db'}", RATELIMIT_ENABLED="false", AGGREGATE_CACHE_SECONDS="0"
    )
    prepare_database(env)
    run_flask(env, "moderators", "create", ADMIN, "--admin", "--password-stdin", stdin=PASSWORD)
    return server_factory(env), env


def _forecast(page: Page) -> None:
    """Give a number for every scenario, with a comment and a name, through the page's form."""
    page.goto(f"/q/{SLUG}")
    form = page.locator(f"form[action='/q/{SLUG}']", has=page.locator("input[type=number]"))
    for number, field in zip((35, 55, 85), form.locator("input[type=number]").all(), strict=False):
        field.fill(str(number))
    comment = form.locator("textarea").first
    if comment.count():
        comment.fill(COMMENT)
    name = form.locator("input[type=text]").first
    if name.count():
        name.fill("Tamsin")
    with page.expect_navigation():
        form.locator("[type=submit]").first.click()


def _log_in(page: Page) -> None:
    log_in(page, ADMIN, PASSWORD)


def _has_card(page: Page) -> bool:
    return page.locator(".mod-card").count() > 0


def walk(page: Page, env: dict[str, str], stop: Stop) -> list[str]:
    """Visit every page in every state, calling stop(page, name) at each; the names visited."""
    visited: list[str] = []

    def at(name: str, path: str) -> None:
        page.goto(path)
        stop(page, name)
        visited.append(name)

    # A new reader: nothing forecast, no crowd.
    at("index", "/")
    at("question-new-reader", f"/q/{SLUG}")
    at("results-crowd-hidden", f"/q/{SLUG}/results")
    at("me-empty", "/me")
    at("error-404", "/no-such-page")
    at("moderation-login", "/moderation/login")

    # A crowd, and this reader's forecast with a comment (pending review).
    run_flask(env, "demo", "populate", SLUG, "--readers", "40", "--days", "5")
    _forecast(page)
    stop(page, "question-after-forecast")
    visited.append("question-after-forecast")
    at("results-crowd-visible", f"/q/{SLUG}/results")
    at("me-with-forecasts", "/me")
    at("me-delete", "/me/delete")

    # The moderators' pages, with the reader's comment waiting in the queue.
    _log_in(page)
    for queue in ("pending", "reported", "approved", "rejected", "withheld"):
        at(f"moderation-queue-{queue}", f"/moderation/queue/{queue}")
    # The reader's comment waits in a queue (withheld for its link, or pending).
    queues = ("withheld", "pending")
    queue = next(q for q in queues if page.goto(f"/moderation/queue/{q}") and _has_card(page))
    card = page.locator(".mod-card").first
    comment_link = card.locator("a[href*='/moderation/comments/']").first
    reader_link = card.locator("a[href*='/moderation/readers/']").first
    comment_path = comment_link.get_attribute("href")
    reader_path = reader_link.get_attribute("href")
    at("moderation-comment", comment_path)
    at("moderation-reader", reader_path)
    at("moderation-words", "/moderation/words")
    at("moderation-questions", "/moderation/questions")
    at("moderation-question-new", "/moderation/questions/new")
    with page.expect_navigation():
        page.get_by_role("button", name="Save the question").click()  # empty: every message
    stop(page, "moderation-question-new-errors")
    visited.append("moderation-question-new-errors")
    at("moderation-question-edit-locked", f"/moderation/questions/{SLUG}/edit")
    at("moderation-moderators", "/moderation/moderators")
    page.goto(f"/moderation/queue/{queue}")
    bulk = page.locator("form.mod-bulk")
    page.locator("input[type=checkbox][name=ids]").first.check()
    bulk.locator("select[name=action]").select_option("approve")
    with page.expect_navigation():
        bulk.locator("[type=submit]").first.click()
    stop(page, "moderation-bulk-confirm")
    visited.append("moderation-bulk-confirm")

    # One scenario resolved: scores on the results page and on /me.
    run_flask(
        env, "scenarios", "resolve", SLUG, "us-eu-strain", "yes", "--note", "Tariffs, in kind."
    )
    at("moderation-audit", "/moderation/audit")
    at("question-resolved", f"/q/{SLUG}")
    at("results-resolved", f"/q/{SLUG}/results")
    at("me-resolved", "/me")
    return visited
