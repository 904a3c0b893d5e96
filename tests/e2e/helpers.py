"""Small steps the browser tests share: start a run from the page, read the run it started."""

import contextlib

import httpx
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout


def run_id(page: Page) -> str:
    """The id of the run the page shows (the status badge carries it)."""
    return page.get_by_test_id("status").get_attribute("data-run-id") or ""


def play_and_get_config(page: Page, server_url: str) -> dict:
    """Press Play, wait for the run to exist, and return its config as the server stored it."""
    before = run_id(page)
    page.get_by_test_id("play").click()
    page.wait_for_function(
        "(before) => { const id = document.querySelector('[data-testid=status]').dataset.runId;"
        " return id && id !== before; }",
        arg=before,
        timeout=30_000,
    )
    return httpx.get(f"{server_url}/api/runs/{run_id(page)}").json()["config"]


def stop_run(page: Page) -> None:
    """Stop the shown run; a short run may have finished on its own first (then there is nothing to stop)."""
    stop = page.get_by_test_id("stop")
    if stop.is_enabled():
        with contextlib.suppress(PlaywrightTimeout):  # it may finish between the look and the click
            stop.click(timeout=5_000)
    expect(page.get_by_test_id("status")).not_to_have_attribute("data-status", "running", timeout=15_000)


def show_advanced(page: Page) -> None:
    """Open the form's advanced settings (the beginner view folds them away)."""
    toggle = page.get_by_test_id("advanced-toggle")
    if toggle.get_attribute("aria-expanded") != "true":
        toggle.click()
    expect(page.get_by_test_id("advanced-settings")).to_be_visible()
