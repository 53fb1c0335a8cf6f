"""Fixtures for browser tests: a gunicorn server on a fresh SQLite database, Debian's chromium.

These fixtures never use the app/client fixtures of tests/conftest.py: the app runs in its own
processes, prepared by its own CLI, exactly as `make run` would serve it.
"""

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .server import (
    PROJECT_ROOT,
    RUNNING,
    app_env,
    prepare_database,
    server_log,
    start_server,
    stop_server,
)

CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
TIMEOUT_MS = 10_000  # any single browser step; the whole flow takes a few seconds
CALL_REPORT = pytest.StashKey[pytest.TestReport]()


def browser_unavailable(reason: str) -> None:
    """Skip the browser tests, or fail them where they must run (REQUIRE_BROWSER, as in CI)."""
    if os.environ.get("REQUIRE_BROWSER"):
        pytest.fail(f"{reason} (REQUIRE_BROWSER is set)", pytrace=False)
    pytest.skip(f"{reason}; install Debian's chromium (make browser) to run the browser tests")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """On failure, attach the logs of the running servers; keep the call report for fixtures."""
    report = yield
    if report.when == "call":
        item.stash[CALL_REPORT] = report
    if report.failed:
        for process in list(RUNNING):
            report.sections.append((f"gunicorn (pid {process.pid}) log", server_log(process)))
    return report


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's chromium, and Playwright to drive it; skips (or fails) when either is missing."""
    if not os.access(CHROMIUM, os.X_OK):
        browser_unavailable(f"no chromium at {CHROMIUM}")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        browser_unavailable("the playwright package is not installed")
    return CHROMIUM


@pytest.fixture(scope="session")
def live_server(chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app under gunicorn (2 workers) on a migrated, seeded SQLite database; its base URL."""
    directory = tmp_path_factory.mktemp("e2e-sqlite")
    env = app_env(f"sqlite:///{directory / 'predictions.db'}")
    prepare_database(env)
    process, base_url = start_server(env, workers=2)
    yield base_url
    stop_server(process)


def servers() -> Iterator[Callable[..., str]]:
    """start(env, workers=2) -> base URL; every server started is stopped at the end."""
    started = []

    def start(env: dict[str, str], workers: int = 2) -> str:
        process, base_url = start_server(env, workers=workers)
        started.append(process)
        return base_url

    yield start
    for process in started:
        stop_server(process)


@pytest.fixture
def server_factory() -> Iterator[Callable[..., str]]:
    """Servers of a test's own (prepare the database first: server.prepare_database)."""
    yield from servers()


@pytest.fixture(scope="module")
def server_factory_module() -> Iterator[Callable[..., str]]:
    """The same for a module's servers."""
    yield from servers()


@pytest.fixture(scope="session")
def playwright():
    """Playwright's sync API, started once: a second start while one runs fails ("Sync API
    inside the asyncio loop"), so a test that needs a chromium of its own launches it here."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as started:
        yield started


@pytest.fixture(scope="session")
def browser(playwright, chromium: Path):
    """One headless chromium for the session."""
    browser = playwright.chromium.launch(
        executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def context(browser, live_server: str):
    """A fresh browser context per test: no cookies, so a new reader every time."""
    context = browser.new_context(base_url=live_server)
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


@pytest.fixture
def browser_errors() -> list[str]:
    """Console errors, uncaught page errors and failed requests seen by the `page` fixture."""
    return []


@pytest.fixture
def page(context, browser_errors: list[str], request: pytest.FixtureRequest):
    """A page that records every console error (CSP violations included) into browser_errors.

    When the test fails, a full-page screenshot goes to test-artifacts/<test>-failure.png.
    """
    page = context.new_page()
    page.on(
        "console",
        lambda message: (
            message.type == "error"
            and browser_errors.append(f"console: {message.text} ({message.location.get('url')})")
        ),
    )
    page.on("pageerror", lambda error: browser_errors.append(f"page error: {error}"))
    page.on(
        "requestfailed",
        lambda req: browser_errors.append(f"request failed: {req.url} ({req.failure})"),
    )
    yield page
    report = request.node.stash.get(CALL_REPORT, None)
    if report is not None and report.failed and not page.is_closed():
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.name)
        page.screenshot(path=ARTIFACTS / f"{name}-failure.png", full_page=True)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """test-artifacts/ in the project (git-ignored): screenshots for people to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
