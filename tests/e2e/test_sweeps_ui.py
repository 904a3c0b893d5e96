"""Sweeps in the browser: "Run over 5 seeds" draws the seeds' loss and accuracy as a median with a min-max band while
they train, and its seed picker switches the run the per-layer panels show; a sweep over two settings (and seeds)
started from the New sweep form draws a heat map whose cells open their runs."""

import json
import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.owners import client, issue_key, owner_context, stop_all_mine

pytestmark = pytest.mark.e2e


def band(page: Page, testid: str) -> dict:
    """What a band chart draws: grid points, runs it is over, its widest min-max spread."""
    chart = page.get_by_test_id(testid)
    return {
        "points": int(chart.get_attribute("data-band-points") or 0),
        "runs": int(chart.get_attribute("data-band-runs") or 0),
        "spread": float(chart.get_attribute("data-band-spread") or 0),
    }


def shown_run(page: Page) -> str:
    return page.get_by_test_id("status").get_attribute("data-run-id") or ""


def stop_sweeps(server_url: str, key: str) -> None:
    api = client(server_url, key)
    for sweep in api.get("/api/sweeps").json():
        if sweep["status"] in ("pending", "running"):
            api.post(f"/api/sweeps/{sweep['id']}/stop")
    stop_all_mine(server_url, key)


def test_run_over_5_seeds_draws_a_band_and_the_seed_picker_switches_the_panels_run(browser, server_url, artifacts):
    owner = issue_key(server_url)
    api = client(server_url, owner["key"])
    context = owner_context(browser, owner, {"width": 1440, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{server_url}/?steps=1500&seed=3")
        seeds = page.get_by_test_id("run-seeds")
        expect(seeds).to_be_enabled(timeout=30_000)
        expect(seeds).to_have_attribute("title", re.compile(r"5 times at once, with seeds 3 to 7: .* median line"))
        seeds.click()

        view = page.get_by_test_id("seed-view")
        expect(view).to_be_visible(timeout=30_000)
        sweep_id = view.get_attribute("data-sweep-id")
        assert sweep_id and f"sweep={sweep_id}" in page.url
        sweep = api.get(f"/api/sweeps/{sweep_id}").json()
        assert sweep["grid"] == {"seed": [3, 4, 5, 6, 7]} and sweep["name"].startswith("5 seeds · circle")
        members = {m["values"]["seed"]: m["run_id"] for m in sweep["members"]}

        # the band draws while they train: five runs, a median inside a band of some width
        page.wait_for_function(
            "() => Number(document.querySelector('[data-testid=seed-loss]')?.dataset.bandPoints) > 5", timeout=90_000
        )
        expect(page.get_by_test_id("seed-loss-legend")).to_contain_text("median of 5 seeds, band: min–max")
        expect(page.get_by_test_id("seed-progress")).to_contain_text("of 5 runs ended")
        assert band(page, "seed-loss")["runs"] == 5

        # the panels show the first seed's run; picking seed 6 shows its run there instead
        expect(page.get_by_test_id("status")).to_have_attribute("data-run-id", members[3])
        chip = page.get_by_test_id("seed-chip-6")
        expect(chip).to_have_attribute("data-run-id", members[6])
        chip.click()
        expect(page.get_by_test_id("status")).to_have_attribute("data-run-id", members[6])
        expect(chip).to_have_attribute("aria-checked", "true")
        expect(page.get_by_test_id("seed-chip-3")).to_have_attribute("aria-checked", "false")
        assert f"run={members[6]}" in page.url
        assert api.get(f"/api/runs/{shown_run(page)}").json()["config"]["seed"] == 6
        # the per-layer panels refill from that run's history
        page.wait_for_function(
            "() => Number(document.querySelector('[data-testid=grad-chart]')?.dataset.points) > 0", timeout=30_000
        )
        # the keyboard reaches the picker too
        page.get_by_test_id("seed-chip-4").focus()
        page.keyboard.press("Enter")
        expect(page.get_by_test_id("status")).to_have_attribute("data-run-id", members[4])

        expect(view).to_have_attribute("data-status", "done", timeout=120_000)
        page.wait_for_timeout(1500)  # the last histories are read
        final = band(page, "seed-loss")
        assert final["points"] > 10 and final["spread"] > 0, final
        assert band(page, "seed-acc")["points"] >= 2  # (accuracies are measured on detail frames only)
        page.screenshot(path=str(artifacts / "sweeps-seed-view-1440.png"))
        page.set_viewport_size({"width": 390, "height": 844})
        page.get_by_test_id("seed-panel").scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / "sweeps-seed-view-390.png"))
        # no part of the page is wider than the phone
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 392

        # a settings change leaves the seed view (the sweep is listed in the Sweeps tab)
        page.set_viewport_size({"width": 1440, "height": 900})
        page.get_by_test_id("seed-close").click()
        expect(view).to_have_count(0)
        expect(page.get_by_test_id("loss-chart")).to_be_visible()
        assert errors == []
    finally:
        stop_sweeps(server_url, owner["key"])
        context.close()


def test_a_two_axis_sweep_draws_a_heat_map_whose_cell_opens_its_median_run(browser, server_url, artifacts):
    owner = issue_key(server_url)
    api = client(server_url, owner["key"])
    context = owner_context(browser, owner, {"width": 1440, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{server_url}/?tab=sweeps&steps=400")
        form = page.get_by_test_id("sweeps-tab").get_by_test_id("new-sweep")
        expect(form.get_by_test_id("new-sweep-axis1")).to_have_value("lr")
        values = form.get_by_test_id("new-sweep-values1")
        # what the server would refuse is said next to the field, and the form does not start
        values.fill("0.1, 50")
        expect(form.get_by_test_id("new-sweep-error1")).to_contain_text("50")
        expect(form.get_by_test_id("new-sweep-start")).to_be_disabled()
        values.fill("0.1, 0.01")
        form.get_by_test_id("new-sweep-axis2").select_option("depth")
        form.get_by_test_id("new-sweep-values2").fill("1, 2")
        form.get_by_test_id("new-sweep-seeds").fill("2")
        expect(form.get_by_test_id("new-sweep-count")).to_contain_text("8 runs")
        form.get_by_test_id("new-sweep-start").click()

        view = page.get_by_test_id("sweep-view")
        expect(view).to_be_visible(timeout=30_000)
        sweep_id = view.get_attribute("data-sweep-id")
        assert sweep_id and f"sweep={sweep_id}" in page.url
        sweep = api.get(f"/api/sweeps/{sweep_id}").json()
        assert sweep["grid"] == {"optimizer.lr": [0.1, 0.01], "model.hidden": [[8], [8, 8]], "seed": [0, 1]}
        expect(page.get_by_test_id(f"sweep-open-{sweep_id}")).to_be_visible()

        expect(view).to_have_attribute("data-status", "done", timeout=180_000)
        heat = page.get_by_test_id("sweep-heatmap")
        expect(heat).to_have_attribute("data-x", "optimizer.lr")
        expect(heat).to_have_attribute("data-y", "model.hidden")
        expect(page.get_by_test_id("sweep-aggregated")).to_contain_text("median of its 2 runs over Seed")
        cell = page.get_by_test_id("sweep-cell-1-0")  # depth 2, lr 0.1
        expect(cell).not_to_have_attribute("data-value", "")
        assert "Learning rate 0.1, Hidden layers 8-8: test loss" in (cell.get_attribute("title") or "")
        # the cell's value is the median of its two seeds' test losses
        done = api.get(f"/api/sweeps/{sweep_id}").json()
        losses = sorted(
            m["summary"]["test_loss"]["value"]
            for m in done["members"]
            if m["values"]["optimizer.lr"] == 0.1 and m["values"]["model.hidden"] == [8, 8]
        )
        assert float(cell.get_attribute("data-value") or "nan") == pytest.approx(sum(losses) / 2, rel=1e-6)
        page.screenshot(path=str(artifacts / "sweeps-heatmap-1440.png"))

        # a click opens the cell's runs, the median first; choosing it shows it on the playground
        cell.click()
        chooser = page.get_by_test_id("sweep-chooser")
        expect(chooser).to_be_visible()
        first = chooser.locator("button").first
        expect(first).to_contain_text("median")
        run_id = first.get_attribute("data-run-id")
        first.click()
        expect(page.get_by_test_id("tab-playground")).to_have_attribute("aria-selected", "true")
        expect(page.get_by_test_id("status")).to_have_attribute("data-run-id", run_id or "", timeout=30_000)
        expect(page.get_by_test_id("sweep-member-bar")).to_contain_text("Learning rate 0.1")
        run = api.get(f"/api/runs/{run_id}").json()
        assert run["config"]["optimizer"]["lr"] == 0.1 and run["config"]["model"]["hidden"] == [8, 8]
        # and back to the sweep, whose line view draws the figure along one axis with its band
        page.get_by_test_id("back-to-sweep").click()
        page.get_by_test_id("sweep-view-line").click()
        expect(page.get_by_test_id("sweep-line")).to_have_attribute("data-log", "true")  # 0.1, 0.01: a factor of 10
        page.get_by_test_id("sweep-along").select_option("optimizer.lr")
        expect(page.get_by_test_id("sweep-line-band")).to_be_visible()
        page.get_by_test_id("sweep-view-heat").click()
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(artifacts / "sweeps-heatmap-390.png"), full_page=True)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 392
        assert errors == [], json.dumps(errors)
    finally:
        stop_sweeps(server_url, owner["key"])
        context.close()
