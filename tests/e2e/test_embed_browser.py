"""The embed on a publisher's page of another site, with third-party cookies blocked.

The host article is served from 127.0.0.2 (another site than the service on 127.0.0.1); a
page on 127.0.0.3 is a site that EMBED_ORIGINS does not list. Chromium runs with its
third-party-cookie blocking switched on, as Safari, Firefox and Chrome's users have it.
"""

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .conftest import CHROMIUM_ARGS, TIMEOUT_MS
from .server import app_env, prepare_database

pytestmark = pytest.mark.e2e

SLUG = "us-russia-relations"
COOPERATION = "Increased US-Russia Cooperation"  # article: 40 %
INSTABILITY = "Continued Global Instability"  # article: 80 %
# Chromium's switch that blocks third-party cookies as its phase-out does for everyone.
BLOCK_THIRD_PARTY_COOKIES = "--test-third-party-cookie-phaseout"

ARTICLE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>An article</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><h1>Where are US-Russia relations heading?</h1>
<p>The article's text, long enough that the embed starts below the fold.</p>
<div id="spacer" style="height: 1400px"></div>
{snippet}
<p id="after">After the embed.</p>
</body></html>"""


class HostSite:
    """A plain static server on another loopback address: the publisher's article page."""

    def __init__(self, address: str):
        self.pages: dict[str, str] = {}
        pages = self.pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                body = pages.get(self.path.split("?")[0])
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write((body or "not found").encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((address, 0), Handler)
        self.origin = f"http://{address}:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def hosts() -> Iterator[tuple[HostSite, HostSite, HostSite]]:
    """Another site that may embed, another that may not, and an allowed page on the service's
    own site (another port): there the frame is same-site, so the browser gives it storage."""
    sites = HostSite("127.0.0.2"), HostSite("127.0.0.3"), HostSite("127.0.0.1")
    yield sites
    for site in sites:
        site.close()


@pytest.fixture(scope="module")
def service(chromium, hosts, server_factory_module, tmp_path_factory) -> str:
    """The service, allowing embeds on the first and the same-site host."""
    allowed, _, neighbour = hosts
    directory = tmp_path_factory.mktemp("e2e-embed")
    origins = f"{allowed.origin} {neighbour.origin}"
    env = app_env(f"sqlite:///{directory / 'predictions.db'}", EMBED_ORIGINS=origins)
    prepare_database(env)
    base_url = server_factory_module(env)
    snippet = (
        f'<div class="predictions-embed" data-question="{SLUG}" data-theme="light">'
        f'<a href="{base_url}/q/{SLUG}">Give your forecast</a></div>'
        f'<script async src="{base_url}/embed.js"></script>'
    )
    for host in hosts:
        host.pages["/article"] = ARTICLE.format(snippet=snippet)
    return base_url


@pytest.fixture(scope="module")
def blocking_browser(playwright, chromium: Path):
    browser = playwright.chromium.launch(
        executable_path=str(chromium),
        headless=True,
        args=[*CHROMIUM_ARGS, BLOCK_THIRD_PARTY_COOKIES],
    )
    yield browser
    browser.close()


@pytest.fixture
def reader_page(blocking_browser) -> Iterator[Page]:
    context = blocking_browser.new_context(viewport={"width": 390, "height": 800})
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def embed_frame(page: Page, base_url: str):
    page.locator("#after").scroll_into_view_if_needed()
    page.wait_for_selector(f"iframe[src^='{base_url}/embed/']")
    return page.frame_locator(".predictions-embed iframe")


def frame_height(page: Page) -> float:
    return page.locator(".predictions-embed iframe").evaluate(
        "f => f.getBoundingClientRect().height"
    )


def test_reader_forecasts_through_the_embed_without_third_party_cookies(
    service: str, hosts, reader_page: Page, artifacts: Path
):
    allowed, _, _ = hosts
    page = reader_page
    page.goto(allowed.origin + "/article")
    # Lazy: nothing loads from the service until the container nears the viewport.
    assert page.locator(".predictions-embed iframe").count() == 0
    assert page.locator(".predictions-embed").evaluate("e => e.style.minHeight") == "520px"
    frame = embed_frame(page, service)
    expect(frame.get_by_role("button", name="Save my forecast")).to_be_visible()
    frame_element = page.locator(".predictions-embed iframe").element_handle().content_frame()
    # The browser really blocks this cross-site frame: no cookie sticks, and not even its own
    # storage is allowed (Chromium blocks third-party storage along with the cookies).
    assert frame_element.evaluate("document.cookie = 'probe=1', document.cookie") == ""
    assert frame_element.evaluate(
        "() => { try { localStorage.length; return 'allowed' } catch (e) { return e.name } }"
    ) == "SecurityError"
    # Anti-anchoring: empty inputs, no crowd before forecasting.
    expect(frame.get_by_role("spinbutton", name=COOPERATION)).to_have_value("")
    expect(frame.locator("#embed-result")).to_be_hidden()
    page.wait_for_function(
        "() => document.querySelector('.predictions-embed').style.minHeight === ''"
    )
    before = frame_height(page)

    frame.get_by_role("spinbutton", name=COOPERATION).fill("25")
    frame.get_by_role("spinbutton", name=INSTABILITY).fill("90")
    frame.get_by_label("Why? (optional, shown after moderation)").fill("Talks rarely hold.")
    frame.get_by_role("button", name="Save my forecast").click()
    result = frame.get_by_role("table", name="Your forecast beside the article's likelihoods")
    row = result.get_by_role("row").filter(has=frame.get_by_role("rowheader", name=COOPERATION))
    expect(row.get_by_role("cell").nth(0)).to_have_text("25 %")
    expect(row.get_by_role("cell").nth(1)).to_have_text("40 %")
    expect(row.get_by_role("cell").nth(2)).to_have_text("not yet")  # one reader < MIN_CROWD
    expect(frame.locator("#comment-status")).to_have_text(
        "Your comment will appear once a moderator has approved it."
    )
    # The frame grew with its content, and the host page followed (postMessage, checked).
    page.wait_for_function(
        f"() => document.querySelector('.predictions-embed iframe')"
        f".getBoundingClientRect().height > {before + 40}"
    )
    inner = frame_element.evaluate("document.documentElement.getBoundingClientRect().height")
    assert abs(frame_height(page) - inner) <= 2
    # Nothing is kept in a cookie: the token is in the host page's storage, by the loader, and
    # it is an embed token: what the host's scripts can read opens nothing of the reader's but
    # this question's forecast, the same as they see in the frame.
    assert page.context.cookies() == []
    key = f"predictions-embed:{service}:{SLUG}"
    assert page.evaluate("Object.keys(localStorage)") == [key]
    token = page.evaluate("key => localStorage.getItem(key)", key)
    refused = host_script_uses(service, token)
    assert refused["/api/v1/me/export"] == 403 and refused["DELETE /api/v1/me"] == 403
    assert refused["mine"]["active"]["us-russia-cooperation"]["probability"] == 25
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # Tall enough for the whole frame: Chromium paints a cross-site frame only where it shows.
    page.set_viewport_size({"width": 390, "height": 1400})
    page.locator(".predictions-embed").screenshot(path=artifacts / "embed-390.png")
    page.set_viewport_size({"width": 1280, "height": 1000})
    page.locator(".predictions-embed").screenshot(path=artifacts / "embed-1280.png")

    page.reload()
    frame = embed_frame(page, service)
    result = frame.get_by_role("table", name="Your forecast beside the article's likelihoods")
    row = result.get_by_role("row").filter(has=frame.get_by_role("rowheader", name=INSTABILITY))
    expect(row.get_by_role("cell").nth(0)).to_have_text("90 %")
    expect(frame.get_by_role("spinbutton", name=INSTABILITY)).to_have_value("90")
    expect(frame.get_by_role("button", name="Update my forecast")).to_be_visible()


def test_where_the_frame_has_storage_it_keeps_the_embed_token_there_and_the_host_nothing(
    service: str, hosts, reader_page: Page
):
    """A frame with storage of its own (here same-site; Firefox and Safari give a cross-site
    frame partitioned storage) keeps the embed token there: the host page holds nothing."""
    _, _, neighbour = hosts
    page = reader_page
    page.goto(neighbour.origin + "/article")
    frame = embed_frame(page, service)
    frame.get_by_role("spinbutton", name=COOPERATION).fill("35")
    frame.get_by_role("button", name="Save my forecast").click()
    expect(frame.get_by_role("button", name="Update my forecast")).to_be_visible()
    inner = page.locator(".predictions-embed iframe").element_handle().content_frame()
    kept = inner.evaluate("Object.keys(localStorage)")
    assert kept == [f"predictions.embed_token:{SLUG}"]
    assert inner.evaluate("k => localStorage.getItem(k)", kept[0]).startswith("emb_")
    assert page.evaluate("Object.keys(localStorage)") == []

    page.reload()
    frame = embed_frame(page, service)
    expect(frame.get_by_role("spinbutton", name=COOPERATION)).to_have_value("35")


def host_script_uses(service: str, token: str) -> dict:
    """What a server the host's scripts sent the token to gets with it from the API."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def status(path: str, method: str = "GET") -> int:
        request = urllib.request.Request(service + path, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    mine = urllib.request.Request(
        f"{service}/api/v1/questions/{SLUG}/forecasts/mine", headers=headers
    )
    with urllib.request.urlopen(mine, timeout=10) as response:
        mine = json.load(response)
    return {
        "/api/v1/me/export": status("/api/v1/me/export"),
        "DELETE /api/v1/me": status("/api/v1/me", "DELETE"),
        "mine": mine,
    }


def test_embed_on_a_site_not_allowed_shows_a_link_and_no_form(
    service: str, hosts, reader_page: Page
):
    _, elsewhere, _ = hosts
    page = reader_page
    page.goto(elsewhere.origin + "/article")
    frame = embed_frame(page, service)
    notice = frame.locator("#not-allowed")
    expect(notice).to_contain_text("cannot be given on this site")
    expect(notice.get_by_role("link")).to_have_attribute("href", f"{service}/q/{SLUG}")
    assert frame.locator("form").count() == 0
    assert frame.get_by_role("spinbutton").count() == 0


def test_form_frame_refuses_a_host_that_lies_about_its_origin(
    service: str, hosts, reader_page: Page
):
    """A page elsewhere that claims an allowed origin: its Referer betrays it (the notice);
    without a Referer the form's frame-ancestors makes the browser refuse to show it."""
    allowed, elsewhere, neighbour = hosts
    src = f"{service}/embed/q/{SLUG}?origin={allowed.origin}"
    elsewhere.pages["/liar"] = f'<!doctype html><iframe src="{src}"></iframe>'
    elsewhere.pages["/quiet-liar"] = (
        f'<!doctype html><iframe referrerpolicy="no-referrer" src="{src}"></iframe>'
    )
    page = reader_page
    page.goto(elsewhere.origin + "/liar")
    expect(page.frame_locator("iframe").locator("#not-allowed")).to_be_visible()

    with page.expect_response(lambda r: "/embed/q/" in r.url) as answered:
        page.goto(elsewhere.origin + "/quiet-liar")
    csp = answered.value.headers["content-security-policy"]
    assert csp.endswith(f"frame-ancestors 'self' {allowed.origin} {neighbour.origin}")
    page.wait_for_timeout(500)
    frame = page.frame_locator("iframe")
    expect(frame.get_by_role("button", name="Save my forecast")).to_have_count(0)
