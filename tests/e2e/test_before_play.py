"""Before Play: the page shows the untrained network of its settings at step 0 from the moment it opens and at
every change of settings (POST /api/preview), Step steps a new run from there, and nothing of an earlier run or
of earlier settings stays on screen as if it belonged to the new ones."""

import json
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest
from playwright.sync_api import Page, Route, expect

from tests.e2e.helpers import run_id

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/shots-preview")
UNTRAINED = "step 0 — untrained"
GRAPH = "[data-testid=network-svg]"
CANVAS_PIXELS = "() => document.querySelector('[data-testid=boundary]').toDataURL()"


def graph_attr(page: Page, name: str) -> str:
    return page.locator(GRAPH).get_attribute(name) or ""


def shot(page: Page, artifacts: Path, name: str) -> None:
    """The page as seen, kept with the test's artifacts (and where a person looks at them)."""
    SHOTS.mkdir(exist_ok=True)
    for folder in (artifacts, SHOTS):
        page.screenshot(path=str(folder / f"{name}.png"))


def test_the_untrained_network_before_play_and_step_from_it(page, server_url, artifacts):
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{server_url}/?dataset.name=circle&model.hidden=4,4&steps=500")

    # before Play: the output over the plane and the unit maps of the untrained net, with no run
    output_step = page.get_by_test_id("output-step")
    expect(output_step).to_have_text(UNTRAINED, timeout=20_000)
    boundary = page.get_by_test_id("boundary")
    expect(boundary).to_have_attribute("data-step", "0")
    assert int(boundary.get_attribute("data-points") or 0) > 0
    page.wait_for_function(f"() => document.querySelector('{GRAPH}').dataset.source === 'preview'")
    assert int(graph_attr(page, "data-edges")) > 0  # the untrained weights colour the edges
    expect(page.get_by_test_id("network-maps")).to_have_attribute("data-maps", str(2 + 4 + 4 + 1))
    expect(page.get_by_test_id("status")).to_have_attribute("data-status", "idle")
    assert run_id(page) == ""
    shot(page, artifacts, "before-play-1440")
    circle = page.evaluate(CANVAS_PIXELS)

    # another dataset: while its preview is computed the circle's picture is gone, then xor's comes
    held: list[Route] = []
    page.route("**/api/preview", lambda route: held.append(route))
    with page.expect_request("**/api/preview") as asked:
        page.get_by_test_id("dataset-xor").click()
    assert json.loads(asked.value.post_data or "{}")["dataset"]["name"] == "xor"
    expect(boundary).to_have_count(0)
    expect(page.get_by_test_id("output-placeholder")).to_have_text("Computing the untrained network…")
    expect(page.locator(GRAPH)).to_have_attribute("data-source", "draft")  # the draft's shape, no maps
    for _ in range(100):  # the held request reaches its handler
        if held:
            break
        page.wait_for_timeout(50)
    for route in held:
        route.continue_()
    page.unroute("**/api/preview")
    expect(output_step).to_have_text(UNTRAINED, timeout=20_000)
    assert page.evaluate(CANVAS_PIXELS) != circle

    # Step before Play: a run that takes its first step from that step 0, then waits paused; Step goes on
    with page.expect_response(lambda r: urlparse(r.url).path == "/api/runs" and r.request.method == "POST") as made:
        page.get_by_test_id("step-once").click()
    assert "start=step" in made.value.url
    status = page.get_by_test_id("status")
    expect(status).to_have_attribute("data-status", "paused", timeout=30_000)
    expect(boundary).to_have_attribute("data-step", "1", timeout=30_000)
    expect(output_step).to_have_text("step 1")
    page.get_by_test_id("step-once").click()
    expect(boundary).to_have_attribute("data-step", "2", timeout=30_000)
    shot(page, artifacts, "stepped-twice-1440")

    # new settings while it is paused: no run starts by itself; the run is stopped and the new settings' step 0 shown
    stepped = run_id(page)
    page.get_by_test_id("dataset-gauss").click()
    expect(status).to_have_attribute("data-status", "idle", timeout=15_000)
    expect(output_step).to_have_text(UNTRAINED, timeout=20_000)
    page.wait_for_timeout(1500)  # (a restart would have come by now)
    expect(status).to_have_attribute("data-status", "idle")
    assert httpx.get(f"{server_url}/api/runs/{stepped}").json()["status"] == "stopped"
    page.get_by_test_id("dataset-xor").click()
    expect(output_step).to_have_text(UNTRAINED, timeout=20_000)
    page.get_by_test_id("step-once").click()
    expect(status).to_have_attribute("data-status", "paused", timeout=30_000)
    expect(boundary).to_have_attribute("data-step", "1", timeout=30_000)

    # the run ends; new settings: the run leaves the page, and only the new settings' step 0 is shown
    stepped = run_id(page)
    page.get_by_test_id("stop").click()
    expect(status).to_have_attribute("data-status", "stopped", timeout=15_000)
    page.get_by_test_id("dataset-moons").click()
    expect(status).to_have_attribute("data-status", "idle")
    assert run_id(page) != stepped
    expect(output_step).to_have_text(UNTRAINED, timeout=20_000)
    assert "run=" not in page.url

    # a phone: the same step 0, stacked
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_test_id("output").scroll_into_view_if_needed()
    expect(output_step).to_have_text(UNTRAINED)
    shot(page, artifacts, "before-play-390")
