"""The telemetry: loss and accuracy with the detectors' events marked, gradient flow, activation bands, layer
health and the insights list, watched while textbook pathologies happen (dying ReLUs, zero initialization)."""

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from playwright.sync_api import Page, expect

from glassnet.runs.owners import KEY_HEADER
from tests.e2e.helpers import play_and_get_config, run_id
from tests.e2e.owners import page_key

pytestmark = pytest.mark.e2e

LOSS = "[data-testid=loss-chart]"
SELECTED = re.compile(r"\bselected\b")
# a shared link's config: a run that outlasts the test (stopped at its end)
DEAD_RELU = "model.activation=relu&model.init.bias=constant&model.init.bias_value=-3&steps=100000"
ZERO_INIT = "model.activation=tanh&model.init.name=zeros&steps=100000"
DEEP_TANH = "model.activation=tanh&model.hidden=8,8,8,8&steps=100000"


@contextmanager
def running(page: Page, server_url: str, query: str) -> Iterator[dict]:
    """Open the shared link, press Play, yield the run's config; stop the run afterwards (the server's limit)."""
    page.goto(f"{server_url}/?{query}")
    config = play_and_get_config(page, server_url)
    try:
        expect(page.get_by_test_id("status")).to_have_attribute("data-status", "running", timeout=120_000)
        yield config
    finally:
        httpx.post(f"{server_url}/api/runs/{run_id(page)}/stop", headers={KEY_HEADER: page_key(page)}, timeout=30)


def wait_js(page: Page, condition: str, timeout: int = 120_000) -> None:
    page.wait_for_function(f"() => {condition}", timeout=timeout)


def level(page: Page, layer: int, column: int) -> str:
    """The level (ok, warn, bad, low, na) of one meter of the layer health table; columns from 1 (dead)."""
    cell = page.locator(f"[data-testid=pathology] tbody tr[data-layer='{layer}'] td").nth(column - 1)
    return cell.get_attribute("data-level") or ""


def tinted_pixels(page: Page, testid: str) -> int:
    """Pixels of a chart's canvas clearly tinted blue (the first layer's band colour), not white or grey."""
    return page.evaluate(
        """(testid) => {
          const canvas = document.querySelector(`[data-testid=${testid}] canvas`);
          const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
          let n = 0;
          for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0 && d[i + 2] - d[i] > 15) n++;
          return n;
        }""",
        testid,
    )


def test_dying_relus_are_marked_explained_and_metered(page, server_url, artifacts):
    with running(page, server_url, DEAD_RELU) as config:
        assert config["model"]["init"]["bias_value"] == -3
        # the detectors report every hidden layer dead: a marker on the loss chart, one entry naming both layers
        wait_js(page, f"Number(document.querySelector('{LOSS}').dataset.events) >= 1")
        insights = page.get_by_test_id("insights")
        expect(insights.locator("li[data-kind=dead_units]")).to_have_count(1)
        expect(insights.locator("li[data-kind=dead_units]")).to_have_attribute("data-layers", "0,1")
        expect(insights).to_contain_text("hidden 1–2: 100% of the units are dead")
        marker = page.get_by_test_id("event-marker").first
        expect(marker).to_be_visible()
        assert page.locator(".marker[data-kind=dead_units]").count() >= 1

        # clicking the marker shows the message and the explanation
        marker.click()
        popover = page.get_by_test_id("event-popover")
        expect(popover).to_be_visible()
        expect(popover).to_contain_text("100% of the units are dead")
        expect(popover).to_contain_text("no gradient reaches them")
        page.get_by_test_id("loss-panel").screenshot(path=str(artifacts / "telemetry-loss-event.png"))
        page.keyboard.press("Escape")
        expect(popover).to_have_count(0)
        # ... and so does the keyboard
        marker.focus()
        page.keyboard.press("Enter")
        expect(popover).to_be_visible()
        page.keyboard.press("Escape")

        # the health table: dead 100% for the ReLU layers, "n/a" (not 0) for the output layer without activation
        table = page.get_by_test_id("pathology")
        first_dead = "document.querySelector(\"[data-testid=pathology] tr[data-layer='0'] td\")"
        wait_js(page, f"{first_dead}.textContent.includes('100%')")
        assert level(page, 0, 1) == "bad"
        assert level(page, 1, 1) == "bad"
        assert level(page, 2, 1) == "na"
        expect(table.locator("tr[data-layer='2'] td").first).to_have_text("n/a")
        assert level(page, 0, 2) == "na"  # ReLU does not saturate
        # a dead layer is dead in every meter that applies: its units all output 0, whatever their weights' spread
        assert level(page, 0, 3) == "bad" and level(page, 1, 3) == "bad"
        expect(table.locator("tr[data-layer='0']")).to_have_attribute("data-level", "bad")

        # an entry of the list expands to its explanation and lights up its marker and its layer
        entry = insights.locator("li[data-kind=dead_units]")
        entry.locator("button").click()
        expect(entry.get_by_test_id("insight-explanation")).to_contain_text("they never recover")
        expect(entry).to_have_class(SELECTED)
        expect(page.locator(".marker.selected[data-kind=dead_units]")).to_have_count(1)
        expect(table.locator("tr[data-layer='0']")).to_have_class(SELECTED)

        # no gradient flows through dead units: the profile says so instead of drawing bars
        profile = page.get_by_test_id("grad-profile")
        assert profile.get_attribute("data-layers") == "3"
        expect(page.get_by_test_id("grad-panel")).to_contain_text("no gradient reaches any layer")
        page.get_by_test_id("pathology-panel").screenshot(path=str(artifacts / "telemetry-pathology-dead-relu.png"))
        page.get_by_test_id("insights-panel").screenshot(path=str(artifacts / "telemetry-insights.png"))


def test_zero_init_is_reported_as_identical_units(page, server_url, artifacts):
    with running(page, server_url, ZERO_INIT):
        symmetry = page.locator("[data-testid=insights] li[data-kind=no_symmetry_breaking]")
        expect(symmetry).to_have_count(1, timeout=120_000)
        expect(symmetry).to_have_attribute("data-layers", "0,1")
        expect(page.get_by_test_id("insights")).to_contain_text("hidden 1–2: all units still have identical weights")
        wait_js(page, f"Number(document.querySelector('{LOSS}').dataset.events) >= 1")
        # tanh cannot die: "n/a", not 0%; every hidden layer's units are identical: diversity 0, a problem
        for layer in (0, 1):
            assert level(page, layer, 1) == "na"
            assert level(page, layer, 3) == "bad"
        expect(page.locator("[data-testid=pathology] tr[data-layer='0'] td").nth(2)).to_have_text("0")
        page.get_by_test_id("pathology-panel").screenshot(path=str(artifacts / "telemetry-pathology-zero-init.png"))
        page.get_by_test_id("loss-panel").screenshot(path=str(artifacts / "telemetry-loss-zero-init.png"))


def test_gradient_profile_bands_and_metrics_follow_a_healthy_run(page, server_url, artifacts):
    with running(page, server_url, DEEP_TANH):
        # 4 hidden layers + the output layer: one bar each
        wait_js(page, "Number(document.querySelector('[data-testid=grad-profile]').dataset.bars) === 5")
        profile = page.get_by_test_id("grad-profile")
        assert profile.get_attribute("data-layers") == "5"
        expect(profile.locator("rect.bar")).to_have_count(5)
        expect(page.locator("[data-testid=grad-chart]")).not_to_have_attribute("data-points", "0")

        # activation bands: the first, middle and last layer by default, drawn once measurements arrive
        bands = page.get_by_test_id("activation-bands")
        assert bands.get_attribute("data-charts") == "3"
        expect(bands.locator(".cell")).to_have_count(3)
        wait_js(page, "Number(document.querySelector('[data-testid=activation-bands]').dataset.points) >= 3")
        wait_js(page, "Number(document.querySelector('[data-testid=bands-0]').dataset.points) >= 3")
        page.wait_for_timeout(300)  # the next animation frame draws them
        assert tinted_pixels(page, "bands-0") > 200
        # a chip adds a layer's chart
        chip = bands.get_by_role("button", name="h2", exact=True)
        expect(chip).to_have_attribute("aria-pressed", "false")
        chip.click()
        expect(chip).to_have_attribute("aria-pressed", "true")
        expect(bands.locator(".cell")).to_have_count(4)

        # the toggle shows the gradients at the layers' outputs instead
        page.get_by_role("button", name="activations", exact=True).click()
        expect(page.get_by_test_id("grad-chart")).to_have_attribute(
            "aria-label", "Norm of the loss gradient at each layer's output over training steps, log scale"
        )
        wait_js(page, "Number(document.querySelector('[data-testid=grad-profile]').dataset.bars) === 5")

        # the read-outs: loss and accuracy of a classification run, the step, the learning rate
        for testid in ("train-loss", "test-loss", "train-acc", "test-acc", "metric-step", "metric-lr"):
            expect(page.get_by_test_id(testid)).not_to_have_text("–")
        expect(page.get_by_test_id("metric-lr")).to_have_text("0.01")
        assert "%" in page.get_by_test_id("test-acc").inner_text()

        page.get_by_test_id("grad-panel").screenshot(path=str(artifacts / "telemetry-grad-flow.png"))
        page.get_by_test_id("bands-panel").screenshot(path=str(artifacts / "telemetry-activation-bands.png"))
        page.get_by_test_id("metrics-panel").screenshot(path=str(artifacts / "telemetry-metrics.png"))
        page.locator("section.telemetry").screenshot(path=str(artifacts / "telemetry-strip.png"))

        # every label follows the language switch
        page.get_by_test_id("language").select_option("zh")
        expect(page.get_by_test_id("grad-panel").locator("h2")).to_have_text("梯度流")
        expect(page.get_by_test_id("pathology-panel").locator("th").first).to_have_text("层")
        expect(page.get_by_test_id("loss-panel").locator("h2")).to_have_text("损失与准确率")
        page.locator("section.telemetry").screenshot(path=str(artifacts / "telemetry-strip-zh.png"))


def test_any_metric_of_the_registry_can_be_charted_with_its_meaning(page, server_url, artifacts):
    """The 'Any metric' panel lists what GET /api/metrics serves and this run measured, and draws the pick."""
    registry = {m["name"]: m for m in httpx.get(f"{server_url}/api/metrics", timeout=30).json()}
    with running(page, server_url, DEEP_TANH):
        panel = page.get_by_test_id("metric-explorer")
        chart = panel.get_by_test_id("metric-chart")
        # update norm (the newest registry entry) by default: one line per layer, with the registry's meaning
        expect(chart).to_have_attribute("data-metric", "update_norm", timeout=120_000)
        expect(chart).to_have_attribute("data-columns", "5")
        expect(panel.get_by_test_id("metric-meaning")).to_have_text(registry["update_norm"]["meaning"])
        pick = panel.get_by_test_id("metric-pick")
        for measured_later in ("test_loss", "weight_norm"):  # listed once the run has measured them
            expect(pick.locator(f"option[value={measured_later}]")).to_have_count(1, timeout=60_000)
        names = pick.locator("option").evaluate_all("os => os.map(o => o.value)")
        assert not any(n.startswith(("bn_", "gate_", "grad_time")) for n in names)  # not measured by this MLP
        assert all(registry[n]["kind"] == "series" for n in names)
        # a layer metric with an inner axis: which percentile, the median first
        panel.get_by_test_id("metric-pick").select_option("percentiles")
        inner = panel.get_by_test_id("metric-inner")
        expect(inner.locator("option")).to_have_count(9)
        expect(inner).to_have_value("4")
        expect(chart).to_have_attribute("aria-label", re.compile(r"p50"))
        inner.select_option(label="p100")
        expect(chart).to_have_attribute("aria-label", re.compile(r"p100"))
        # a run metric: one line; its label and unit on the axis
        panel.get_by_test_id("metric-pick").select_option("test_loss")
        expect(chart).to_have_attribute("data-columns", "1")
        expect(panel.get_by_test_id("metric-meaning")).to_have_text(registry["test_loss"]["meaning"])
        wait_js(page, "Number(document.querySelector('[data-testid=metric-chart]').dataset.points) >= 2")
        page.get_by_test_id("language").select_option("zh")
        expect(panel.get_by_test_id("metric-meaning")).to_have_text(registry["test_loss"]["meaning_zh"])
        expect(panel.locator("h2")).to_have_text("任一指标")
        panel.screenshot(path=str(artifacts / "telemetry-any-metric.png"))
