"""A newcomer forks a run with a smaller learning rate, overlays the two, and exports the metrics."""

from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import expect

from tests.e2e.owners import client, issue_key, owner_context, page_key, stop_all_mine
from tests.e2e.pngread import read_png

pytestmark = pytest.mark.e2e


def wait_runs(page, name: str, runs: int, points: int = 0) -> None:
    """Until the chart draws `runs` runs, and more than `points` points in all."""
    page.wait_for_function(
        """([name, runs, points]) => {
          const chart = document.querySelector(`[data-testid=compare-chart-${name}]`).dataset;
          return Number(chart.runs) === runs && Number(chart.points) > points;
        }""",
        arg=[name, runs, points],
        timeout=120_000,
    )


def stop_active_runs(server_url: str, page) -> None:
    """Stop the runs of the page's owner (the page's own, its forks): the server's run slots are shared."""
    stop_all_mine(server_url, page_key(page))


def test_fork_with_a_smaller_lr_overlays_both_runs_and_exports_csv(page, server_url, artifacts):
    try:
        page.goto(f"{server_url}/?steps=100000")
        page.get_by_test_id("play").click()
        page.wait_for_function(
            "() => Number(document.querySelector('[data-testid=loss-chart]')?.dataset.points) > 5", timeout=60_000
        )

        # the header's Fork opens the Compare tab with the fork form, the page's run already ticked
        page.get_by_test_id("fork").click()
        expect(page.get_by_test_id("tab-compare")).to_have_attribute("aria-selected", "true")
        form = page.get_by_test_id("compare-fork-form")
        expect(form).to_be_visible()
        parent = page.locator("[data-testid=compare-legend] li").first.get_attribute("data-run")
        expect(page.get_by_test_id(f"compare-select-{parent}")).to_be_checked()

        page.locator("#compare-fork-field").select_option("optimizer.lr")
        value = page.locator("#compare-fork-value")
        value.fill("100")  # above the schema's maximum: refused before anything is sent
        page.get_by_test_id("compare-fork-submit").click()
        expect(page.get_by_test_id("compare-fork-error")).to_contain_text("10")
        page.screenshot(path=str(artifacts / "compare-fork-form.png"))

        value.fill("0.001")
        page.get_by_test_id("compare-fork-submit").click()
        expect(page.get_by_test_id("compare-fork-message")).to_be_visible(timeout=30_000)
        legend = page.get_by_test_id("compare-legend")
        expect(legend.locator("li")).to_have_count(2)
        expect(legend).to_contain_text("optimizer.lr: 0.01 → 0.001")
        fork = legend.locator("li").nth(1).get_attribute("data-run")
        expect(page.get_by_test_id(f"compare-select-{fork}")).to_be_checked()

        # both runs drawn on every chart once the fork streams, each with its first point and more to come (test
        # figures come with the full readings, about one a second: a loaded machine may show one point each at first)
        for name in ("train-loss", "grad-norm", "test-loss", "test-acc"):
            wait_runs(page, name, 2, points=2)
        # let the fork train a while, so the screenshot shows the two curves part
        start = client(server_url, page_key(page)).get(f"/api/runs/{fork}").json()["step"]
        page.wait_for_function(
            "([id, step]) => Number(document.querySelector(`[data-run='${id}'] .step`).dataset.step) > step",
            arg=[fork, start + 400],
            timeout=120_000,
        )
        page.get_by_test_id("compare-chart-train-loss").hover()
        page.screenshot(path=str(artifacts / "compare-overlay.png"))

        # unticking a run takes it off the charts; ticking it brings it back
        page.get_by_test_id(f"compare-select-{fork}").uncheck()
        wait_runs(page, "train-loss", 1)
        page.get_by_test_id(f"compare-select-{fork}").check()
        wait_runs(page, "train-loss", 2)

        # the metrics of the page's run as CSV: a header row, then one row per point
        page.get_by_test_id("tab-playground").click()
        with page.expect_download() as download:
            page.get_by_test_id("export-csv").click()
        assert download.value.suggested_filename.endswith(".csv")
        lines = Path(download.value.path()).read_text().splitlines()
        assert lines[0].split(",")[0] == "step" and "train_loss" in lines[0]
        assert len(lines) > 2
        with page.expect_download() as download:
            page.get_by_test_id("export-json").click()
        assert download.value.suggested_filename.endswith(".json")

        # back on Compare, the same two runs are still overlaid
        page.get_by_test_id("tab-compare").click()
        wait_runs(page, "train-loss", 2)
    finally:
        stop_active_runs(server_url, page)


def test_export_buttons_wait_for_a_run(page, server_url):
    page.goto(server_url)
    for testid in ("export-csv", "export-json"):
        button = page.get_by_test_id(testid)
        expect(button).to_be_disabled()
        assert button.get_attribute("title")


def test_a_fresh_compare_tab_lists_the_runs(browser, server_url):
    """Issue 12 named it: a fresh Compare tab stayed on 'Loading runs...' until Refresh was pressed. The list is the
    caller's runs: the run is started with the key the browser then holds."""
    config = {
        "dataset": {"name": "circle"},
        "model": {"hidden": [4], "activation": "tanh"},
        "optimizer": {"name": "adam"},
    }
    owner = issue_key(server_url)
    run = client(server_url, owner["key"]).post("/api/runs", json={**config, "steps": 50}).json()
    context = owner_context(browser, owner)
    page = context.new_page()
    try:
        page.goto(f"{server_url}/?tab=compare")
        expect(page.get_by_test_id(f"compare-select-{run['id']}")).to_be_visible(timeout=30_000)
        expect(page.get_by_test_id("compare-runs")).not_to_contain_text("Loading runs")
    finally:
        stop_all_mine(server_url, owner["key"])
        context.close()


def test_a_finished_run_forks_from_a_typed_step_without_a_script_error(page, server_url):
    """Issue 12 named it: typing the fork step (the number input gives a number) broke the form ('.trim is not a
    function') and every later fork until a reload."""
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{server_url}/?steps=200")
        page.get_by_test_id("play").click()
        expect(page.get_by_test_id("status")).to_have_attribute("data-status", "finished", timeout=120_000)
        page.get_by_test_id("fork").click()
        expect(page.get_by_test_id("compare-fork-form")).to_be_visible()
        page.locator("#compare-fork-field").select_option("optimizer.lr")
        page.locator("#compare-fork-value").fill("0.005")
        page.locator("#compare-fork-step").fill("0")
        page.get_by_test_id("compare-fork-submit").click()
        expect(page.get_by_test_id("compare-fork-message")).to_be_visible(timeout=30_000)
        expect(page.get_by_test_id("compare-legend").locator("li")).to_have_count(2)
        assert errors == []
    finally:
        stop_active_runs(server_url, page)


TITLE_BAND = 28  # CSS pixels above a panel's body in its PNG (frontend/src/lib/png.ts)


def save_png(page, testid: str, folder: Path) -> np.ndarray:
    """Press a panel's PNG button and read the file it saves."""
    with page.expect_download() as download:
        page.get_by_test_id(f"{testid}-png").click()
    path = folder / download.value.suggested_filename
    download.value.save_as(path)
    return read_png(path)


def assert_not_blank(image: np.ndarray, testid: str, scale: float) -> None:
    """Below the title band, the body shows something: many pixels off the white background, in several colours."""
    body = image[int(TITLE_BAND * scale) :, :, :3]
    ink = np.any(body < 235, axis=2)
    colours = {tuple(c) for c in body[ink][:: max(1, int(ink.sum()) // 4000)]}
    assert ink.mean() > 0.01 and len(colours) > 8, (testid, float(ink.mean()), len(colours))


def region(page, testid: str, selector: str) -> tuple[int, int, int, int]:
    """The box of `selector` inside panel `testid`, in the PNG's pixels (x0, y0, x1, y1)."""
    return page.evaluate(
        """([testid, selector]) => {
             const body = document.querySelector(`[data-testid=${testid}] .body`).getBoundingClientRect();
             const el = document.querySelector(`[data-testid=${testid}] ${selector}`).getBoundingClientRect();
             const r = devicePixelRatio, band = 28, margin = 8;  // (png.ts: TITLE_BAND, MARGIN)
             const [x0, y0] = [body.left - margin, body.top - band];
             return [el.left - x0, el.top - y0, el.right - x0, el.bottom - y0]
               .map((v) => Math.round(v * r)); }""",
        [testid, selector],
    )


def has_colour(pixels: np.ndarray, hex_colour: str, tolerance: int = 40) -> bool:
    target = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)])
    return bool((np.abs(pixels[..., :3].astype(int) - target).sum(axis=2) < tolerance).any())


def test_every_panel_saves_a_png_with_its_content_and_the_loss_png_has_its_legend(browser, server_url, tmp_path):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    page = context.new_page()
    try:
        page.goto(f"{server_url}/?lang=en&steps=300")
        page.get_by_test_id("play").click()
        expect(page.get_by_test_id("status")).to_have_attribute("data-status", "finished", timeout=120_000)
        scale = page.evaluate("devicePixelRatio")
        buttons = page.locator("[data-testid$='-png']:visible")
        testids = [
            b.removesuffix("-png")
            for b in (buttons.nth(i).get_attribute("data-testid") for i in range(buttons.count()))
        ]
        assert {"loss-panel", "output", "network-graph", "insights-panel"} <= set(testids), testids
        for testid in testids:
            image = save_png(page, testid, tmp_path)
            assert_not_blank(image, testid, scale)

        # the loss chart's legend (a line in each series' colour, then its name) is in the PNG where it is on the page
        loss = save_png(page, "loss-panel", tmp_path)
        x0, y0, x1, y1 = region(page, "loss-panel", ".u-legend")
        legend = loss[y0:y1, x0:x1]
        assert legend.size and has_colour(legend, "#4e79a7") and has_colour(legend, "#e15759")
        assert np.any(legend[..., :3].max(axis=2) < 90)  # dark text: the series' names and values

        page.get_by_test_id("tab-lab").click()
        page.wait_for_function(
            "() => { const e = document.querySelector('[data-testid=optimizer-lab] .lab');"
            " return e && +e.dataset.paths > 0 && e.dataset.step === e.dataset.steps; }",
            timeout=60_000,
        )
        assert_not_blank(save_png(page, "optimizer-lab", tmp_path), "optimizer-lab", scale)
    finally:
        stop_all_mine(server_url, page_key(page))
        context.close()
