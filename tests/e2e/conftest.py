"""A real server in a subprocess and a real Chromium driven by Playwright."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
SYSTEM_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_server(artifacts: Path, name: str, **env: str) -> Iterator[str]:
    """`glassnet serve` on a free port, with its own data dir; its log goes to test-artifacts/<name>.log."""
    static = ROOT / "backend" / "glassnet" / "static" / "index.html"
    if not static.is_file():
        pytest.fail("the UI is not built: run `make ui` (make test does)")
    port = free_port()
    env = {**os.environ, "GLASSNET_WORKERS": "1", "GLASSNET_DATA_DIR": str(artifacts / f"{name}-data"), **env}
    log_path = artifacts / f"{name}.log"
    log = log_path.open("w")  # a file, not a pipe: an unread pipe would block the server once full
    process = subprocess.Popen(
        [sys.executable, "-m", "glassnet.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {env['GLASSNET_TOKEN']}"} if "GLASSNET_TOKEN" in env else {}
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                if httpx.get(f"{url}/api/health", timeout=1, headers=headers).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the server did not start:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="session")
def server_url(artifacts: Path) -> Iterator[str]:
    with running_server(artifacts, "e2e-server") as url:
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
