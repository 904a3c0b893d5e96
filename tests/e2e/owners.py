"""Owner keys in browser tests: a browser context that holds a given key (as the page keeps it in localStorage), a
REST client that calls as that owner, and the clean-up that stops an owner's runs."""

import json
import time
from collections.abc import Iterable

import httpx
from playwright.sync_api import Browser, BrowserContext, Page

from glassnet.runs.owners import KEY_HEADER

STORE = "glassnet-owner"  # where api.ts keeps the key


def issue_key(server_url: str) -> dict:
    """A new owner key ({key, owner}) from the server, as a new browser gets one."""
    answer = httpx.post(f"{server_url}/api/owners", timeout=30)
    answer.raise_for_status()
    return answer.json()


def owner_context(browser: Browser, owner: dict, viewport: dict | None = None) -> BrowserContext:
    """A browser context whose pages hold `owner`'s key from their first script on."""
    context = browser.new_context(viewport=viewport or {"width": 1280, "height": 800})
    context.add_init_script(f"localStorage.setItem({json.dumps(STORE)}, {json.dumps(json.dumps(owner))})")
    return context


def page_key(page: Page) -> str:
    """The owner key the page holds (it asks the server for one on its first call)."""
    page.wait_for_function(f"() => localStorage.getItem({json.dumps(STORE)})", timeout=30_000)
    return json.loads(page.evaluate(f"() => localStorage.getItem({json.dumps(STORE)})"))["key"]


def client(server_url: str, key: str) -> httpx.Client:
    """REST calls as the owner of `key`."""
    return httpx.Client(base_url=server_url, headers={KEY_HEADER: key}, timeout=30)


def stop_all_mine(server_url: str, key: str) -> None:
    """Stop every active run of the owner of `key` (a test's clean-up: the server's run slots are shared)."""
    httpx.post(f"{server_url}/api/runs/stop-all", headers={KEY_HEADER: key}, timeout=30)


def wait_for(api: httpx.Client, run_id: str, statuses: Iterable[str], timeout: float = 120) -> dict:
    """The run once its status is one of `statuses`."""
    wanted = set(statuses)
    deadline = time.monotonic() + timeout
    while True:
        run = api.get(f"/api/runs/{run_id}").json()
        if run["status"] in wanted:
            return run
        if time.monotonic() > deadline:
            raise AssertionError(f"run {run_id} is {run['status']} at step {run['step']}, not {sorted(wanted)}")
        time.sleep(0.2)
