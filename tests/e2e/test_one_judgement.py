"""One judgement per condition: a 10-layer sigmoid net under Adam starves its first layers of gradient. The
insights report it once, naming the layers; Layer health marks exactly those layers (and never as healthy, though
Adam's normalised update looks fine); the network graph colours them the same."""

import os
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from glassnet.runs.owners import KEY_HEADER
from tests.e2e.helpers import play_and_get_config, run_id
from tests.e2e.owners import page_key

pytestmark = pytest.mark.e2e

DEPTH = 10
DEEP_SIGMOID = (
    f"model.activation=sigmoid&model.hidden={','.join(['16'] * DEPTH)}&optimizer.name=adam&optimizer.lr=0.01"
    "&steps=100000"
)
SHOTS = Path(os.environ.get("GLASSNET_SHOTS_DIR", "/tmp/shots-judge"))

ROW_LEVELS = """() => [...document.querySelectorAll('[data-testid=pathology] tbody tr')]
  .map((tr) => [Number(tr.dataset.layer), tr.dataset.level,
                tr.querySelector('td.gradient')?.dataset.level ?? '', tr.querySelector('td.update')?.dataset.level])"""
GRAPH_LEVELS = """() => Object.fromEntries([...document.querySelectorAll('[data-testid=layer-health]')]
  .map((r) => [r.dataset.layer, r.dataset.level]))"""


def test_a_deep_sigmoid_net_under_adam_is_judged_the_same_everywhere(page: Page, server_url: str, artifacts: Path):
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{server_url}/?{DEEP_SIGMOID}")
    config = play_and_get_config(page, server_url)
    try:
        assert config["optimizer"]["name"] == "adam" and config["model"]["activation"] == "sigmoid"
        assert len(config["model"]["hidden"]) == DEPTH

        # the insights: one entry for the condition, naming the starved layers (the first ones)
        insights = page.get_by_test_id("insights")
        entry = insights.locator("li[data-kind=vanishing_gradients]")
        expect(entry).to_have_count(1, timeout=120_000)
        starved = [int(i) for i in (entry.get_attribute("data-layers") or "").split(",")]
        assert starved[0] == 0 and len(starved) >= 3, starved
        expect(entry).to_contain_text("hidden 1–")
        expect(entry).to_contain_text("times hidden 10's")

        # Layer health: the starved layers' gradient is a problem and their row is never healthy, whatever the
        # update meter says (Adam's normalised step); the last hidden layer, the reference, is healthy there
        page.wait_for_function(
            "(n) => document.querySelectorAll('[data-testid=pathology] tbody tr[data-level]').length === n",
            arg=DEPTH + 1,
            timeout=60_000,
        )
        rows = {layer: (row, grad, upd) for layer, row, grad, upd in page.evaluate(ROW_LEVELS)}
        for layer in starved:
            row, grad, upd = rows[layer]
            assert row == "bad" and grad == "bad", (layer, rows[layer])
            assert upd != "ok", (layer, rows[layer])
        assert rows[DEPTH - 1][1] == "ok"  # hidden 10 over itself
        assert rows[DEPTH][1] == "na"  # the output layer has no ratio
        first = page.locator("[data-testid=pathology] tbody tr[data-layer='0'] th")
        expect(first).to_have_attribute("title", "hidden 1: vanishing gradients")

        # the network graph colours each layer by the same verdict: read together with the table, from the net as
        # it is when paused (while it trains, a newer frame may reach one panel between two reads)
        key = {KEY_HEADER: page_key(page)}
        httpx.post(f"{server_url}/api/runs/{run_id(page)}/pause", headers=key, timeout=30)
        page.wait_for_timeout(1000)
        table, graph = page.evaluate(f"() => [({ROW_LEVELS})(), ({GRAPH_LEVELS})()]")
        rows = {layer: (row, grad, upd) for layer, row, grad, upd in table}
        for layer in starved:
            assert graph.get(str(layer)) == "bad", (layer, graph)
        for layer, (row, _, _) in rows.items():
            if row != "na":
                assert graph.get(str(layer)) == row, (layer, row, graph)

        # still one entry a while later, training again: the condition lasts, it is not reported again per layer or
        # per frame
        httpx.post(f"{server_url}/api/runs/{run_id(page)}/resume", headers=key, timeout=30)
        page.wait_for_timeout(1500)
        expect(entry).to_have_count(1)
        assert insights.locator("li[data-kind=vanishing_gradients]").get_attribute("data-reports") == "1"

        SHOTS.mkdir(parents=True, exist_ok=True)
        for name in ("pathology-panel", "insights-panel", "network-graph"):
            panel = page.get_by_test_id(name)
            if panel.count():
                panel.screenshot(path=str(SHOTS / f"deep-sigmoid-{name}-1440.png"))
        page.screenshot(path=str(artifacts / "one-judgement-1440.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.get_by_test_id("pathology-panel").scroll_into_view_if_needed()
        page.get_by_test_id("pathology-panel").screenshot(path=str(SHOTS / "deep-sigmoid-pathology-390.png"))
        page.get_by_test_id("insights-panel").screenshot(path=str(SHOTS / "deep-sigmoid-insights-390.png"))
    finally:
        httpx.post(f"{server_url}/api/runs/{run_id(page)}/stop", headers={KEY_HEADER: page_key(page)}, timeout=30)
