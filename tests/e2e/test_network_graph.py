"""The network column: the graph of the model, its weights and unit maps live, and the controls that edit it."""

from urllib.parse import urlparse

import httpx
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

SVG = "[data-testid=network-svg]"


def svg_attr(page, name: str) -> str:
    return page.locator(SVG).get_attribute(name) or ""


def wait_attr(page, js_condition: str, timeout: int = 30_000) -> None:
    page.wait_for_function(
        f"() => {{ const d = document.querySelector('{SVG}').dataset; return {js_condition}; }}", timeout=timeout
    )


def node_pixel(page, col: int, unit: int) -> list[int]:
    """RGBA of the maps canvas near the top-left corner of a unit's node (the plane's centre is often white)."""
    return page.evaluate(
        """([col, unit]) => {
          const svg = document.querySelector('[data-testid=network-svg]');
          const node = svg.querySelector(`g[data-col='${col}'][data-unit='${unit}'] rect`);
          const canvas = document.querySelector('[data-testid=network-maps]');
          const box = node.getBBox();
          const scale = canvas.width / canvas.getBoundingClientRect().width;
          const x = Math.round((box.x + box.width * 0.25) * scale);
          const y = Math.round((box.y + box.height * 0.25) * scale);
          return [...canvas.getContext('2d').getImageData(x, y, 1, 1).data];
        }""",
        [col, unit],
    )


def test_buttons_edit_the_draft_and_play_trains_it(page, server_url, artifacts):
    page.goto(f"{server_url}/?steps=200")
    graph = page.get_by_test_id("network-graph")
    expect(graph).to_be_visible()
    # before any run the graph is the draft's untrained network: the server's default 2 x 8 MLP on the two plane
    # features, at step 0 (POST /api/preview)
    wait_attr(page, "d.source === 'preview' && Number(d.edges) > 0")
    assert svg_attr(page, "data-hidden") == "8,8"
    expect(page.locator(f"{SVG} g[data-col='0']")).to_have_count(2)  # x1, x2
    expect(page.locator(f"{SVG} g[data-col='1']")).to_have_count(8)

    page.get_by_test_id("add-layer").click()
    expect(page.locator(SVG)).to_have_attribute("data-layers", "3")
    expect(page.get_by_test_id("layer-2-units")).to_contain_text("8")
    page.get_by_test_id("add-unit-2").click()
    page.get_by_test_id("add-unit-2").click()
    page.get_by_test_id("remove-unit-0").click()
    expect(page.locator(SVG)).to_have_attribute("data-hidden", "7,8,10")
    expect(page.locator(f"{SVG} g[data-col='1']")).to_have_count(7)
    expect(page.locator(f"{SVG} g[data-col='3']")).to_have_count(10)
    expect(page.get_by_test_id("layer-2-units")).to_contain_text("10")

    # a layer of its own: ReLU with layer norm and a skip connection on layer 2 (index 1), by keyboard
    settings = page.get_by_test_id("layer-1-settings-button")
    settings.focus()
    page.keyboard.press("Enter")
    page.get_by_test_id("layer-1-activation").select_option("relu")
    page.get_by_test_id("layer-1-norm").select_option("layer")
    page.get_by_test_id("layer-1-residual").check()
    expect(settings).to_contain_text("ReLU")
    page.get_by_test_id("network-graph").screenshot(path=str(artifacts / "network-settings.png"))
    page.keyboard.press("Escape")
    expect(page.get_by_test_id("layer-1-settings")).to_have_count(0)

    # one layer too many, then removed again: its settings leave no trace
    page.get_by_test_id("add-layer").click()
    page.get_by_test_id("layer-3-settings-button").click()
    page.get_by_test_id("layer-3-activation").select_option("sigmoid")
    page.get_by_test_id("remove-layer").click()
    expect(page.locator(SVG)).to_have_attribute("data-hidden", "7,8,10")

    with page.expect_response(lambda r: urlparse(r.url).path == "/api/runs" and r.request.method == "POST") as created:
        page.get_by_test_id("play").click()
    run_id = created.value.json()["id"]
    model = httpx.get(f"{server_url}/api/runs/{run_id}").json()["config"]["model"]
    assert model["hidden"] == [7, 8, 10]
    assert model["layers"] == [{"index": 1, "activation": "relu", "norm": "layer", "residual": True}]
    # the run's own layers replace the draft, with the override applied
    wait_attr(page, "d.source === 'run' && Number(d.edges) > 0")
    assert svg_attr(page, "data-units") == "7,8,10"
    page.locator(f"{SVG} g[data-col='2'][data-unit='0']").hover()
    tip = page.get_by_role("tooltip")
    expect(tip).to_contain_text("Layer 2, unit 1")
    expect(tip).to_contain_text("ReLU")
    expect(tip).to_contain_text("Layer norm")
    expect(page.get_by_test_id("status")).to_have_attribute("data-status", "finished", timeout=60_000)


def test_a_run_on_circle_shows_weighted_edges_and_unit_maps(page, server_url, artifacts):
    page.goto(f"{server_url}/?dataset.name=circle&model.hidden=4,4&steps=100000")
    page.get_by_test_id("play").click()
    # 2 features x 4 + 4 x 4 + 4 x 1 weights, all drawn; a 12 x 12 map for each of the 8 hidden units
    wait_attr(page, "d.source === 'run' && d.edges === '28' && d.unitMaps === '8'")
    # input features, hidden units and the output over the plane are painted inside their nodes
    expect(page.get_by_test_id("network-maps")).to_have_attribute("data-maps", str(2 + 8 + 1))
    pixels = [node_pixel(page, col, unit) for col in (1, 2) for unit in range(4)]
    assert all(p[3] == 255 for p in pixels)
    assert any(abs(p[0] - p[2]) > 40 for p in pixels)  # clearly orange or blue somewhere, not all white
    edges = page.locator(f"{SVG} path.edge")
    assert edges.count() >= 2
    # read in one go: the edges are redrawn with every detail frame, so one element at a time may race a redraw
    strokes = set(edges.evaluate_all("es => es.map(e => e.getAttribute('stroke'))"))
    assert len(strokes) >= 2  # positive and negative weights in their own colours
    page.wait_for_timeout(1500)  # let it learn a little, for the picture
    page.locator(f"{SVG} g[data-col='1'][data-unit='0']").hover()
    tip = page.get_by_role("tooltip")
    expect(tip).to_contain_text("Layer 1, unit 1")
    expect(tip).to_contain_text("over the input plane")
    page.get_by_test_id("network-graph").screenshot(path=str(artifacts / "network-circle.png"))
    page.get_by_test_id("stop").click()
    expect(page.get_by_test_id("status")).to_have_attribute("data-status", "stopped")


def test_wide_layers_are_blocks_with_a_histogram_and_labels_follow_the_language(page, server_url, artifacts):
    page.goto(f"{server_url}/?model.hidden=64,64,64,64,64,64,64,64,64,64&model.activation=relu&steps=100000&lang=zh")
    expect(page.locator(f"{SVG} text.caption").first).to_have_text("输入")
    assert svg_attr(page, "data-blocks") == "10"
    page.get_by_test_id("play").click()
    wait_attr(page, "d.source === 'run'")
    page.wait_for_function(
        f"() => [...document.querySelectorAll('{SVG} path.hist')].every((p) => (p.getAttribute('d') || '').length > 0)",
        timeout=30_000,
    )
    assert page.locator(f"{SVG} path.hist").count() == 10
    # a 10 x 64 net stays a small drawing
    assert page.evaluate(f"() => document.querySelector('{SVG}').querySelectorAll('*').length") < 600
    page.locator(f"{SVG} g[data-col='3']").hover()
    expect(page.get_by_role("tooltip")).to_contain_text("直方图")
    page.get_by_test_id("network-graph").screenshot(path=str(artifacts / "network-wide-zh.png"))
    page.get_by_test_id("stop").click()
    expect(page.get_by_test_id("status")).to_have_attribute("data-status", "stopped")
