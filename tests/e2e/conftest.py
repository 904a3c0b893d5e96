"""A real server in a subprocess and a real Chromium driven by Playwright."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live_server import ARTIFACTS, running_server

SYSTEM_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def server_url(artifacts: Path) -> Iterator[str]:
    # one server per pytest-xdist worker, each with a data dir of its own
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    with running_server(artifacts, f"e2e-server-{worker}" if worker else "e2e-server") as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = SYSTEM_CHROMIUM if Path(SYSTEM_CHROMIUM).exists() else None
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server_url):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.requests_seen = []  # every URL the page asked for
    page.on("request", lambda request: page.requests_seen.append(request.url))
    page.on("websocket", lambda ws: page.requests_seen.append(ws.url))
    yield page
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
