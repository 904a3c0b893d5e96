"""A newcomer opens Glassnet, presses Play and watches the network learn."""

from urllib.parse import urlparse

import httpx
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def points(page, testid: str) -> int:
    return int(page.get_by_test_id(testid).get_attribute("data-points") or 0)


def test_press_play_and_watch_the_loss_chart_fill_until_finished(page, server_url, artifacts):
    page.goto(server_url)
    expect(page.get_by_test_id("status")).to_have_attribute("data-status", "idle")
    expect(page.get_by_test_id("device")).to_contain_text("cpu")
    # the form is filled from /api/options: every registered activation, and nothing else
    options = httpx.get(f"{server_url}/api/options").json()
    expect(page.locator("#model-activation option")).to_have_count(len(options["activations"]))
    expect(page.locator("#optimizer-name option")).to_have_count(len(options["optimizers"]))
    page.screenshot(path=str(artifacts / "e2e-idle.png"))
    page.locator("#steps").fill("4000")

    page.get_by_test_id("play").click()
    expect(page.get_by_test_id("status")).to_have_attribute("data-status", "running", timeout=30_000)
    page.wait_for_function(
        "() => Number(document.querySelector('[data-testid=loss-chart]').dataset.points) > 3", timeout=30_000
    )
    page.screenshot(path=str(artifacts / "e2e-running.png"))
    expect(page.get_by_test_id("status")).to_have_attribute("data-status", "finished", timeout=60_000)
    expect(page.get_by_test_id("step")).to_contain_text("4000")
    assert points(page, "loss-chart") > 10
    assert points(page, "grad-chart") == points(page, "loss-chart")
    # a normal run shows no error: every stream message (frames, events, statuses) was understood
    expect(page.get_by_test_id("error")).to_have_count(0)
    page.screenshot(path=str(artifacts / "e2e-finished.png"), full_page=True)

    # nothing but the server: no CDN, font or analytics request
    server = urlparse(server_url).netloc
    foreign = [u for u in page.requests_seen if urlparse(u).scheme in {"http", "https", "ws", "wss"}]
    foreign = [u for u in foreign if urlparse(u).netloc != server]
    assert foreign == []
    assert any(urlparse(u).scheme == "ws" for u in page.requests_seen)


def test_pause_resume_and_stop_from_the_header(page, server_url, artifacts):
    page.goto(server_url)
    page.locator("#steps").fill("1000000")
    play = page.get_by_test_id("play")
    play.click()
    expect(page.get_by_test_id("status")).to_have_attribute("data-status", "running", timeout=30_000)
    play.click()  # Pause
    expect(page.get_by_test_id("status")).to_have_attribute("data-status", "paused")
    step_text = page.get_by_test_id("step").inner_text()
    page.wait_for_timeout(500)
    assert page.get_by_test_id("step").inner_text() == step_text
    play.click()  # Resume
    expect(page.get_by_test_id("status")).to_have_attribute("data-status", "running")
    page.get_by_test_id("stop").click()
    expect(page.get_by_test_id("status")).to_have_attribute("data-status", "stopped")
    page.screenshot(path=str(artifacts / "e2e-stopped.png"))
