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
        # at 1440x900 a newcomer sees both band charts and the picked seed's decision boundary without scrolling
        for testid in ("seed-loss", "seed-acc", "boundary"):
            box = page.get_by_test_id(testid).bounding_box()
            assert box and box["y"] >= 0 and box["y"] + box["height"] <= 900, (testid, box)
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
        # a value typed twice is refused with the reason, and the count says none while a list is invalid
        values.fill("0.1, 0.1")
        expect(form.get_by_test_id("new-sweep-error1")).to_contain_text("0.1 is listed twice")
        expect(form.get_by_test_id("new-sweep-count")).to_have_text("= —")
        # seeds out of range say why, next to the field
        form.get_by_test_id("new-sweep-seeds").fill("7")
        expect(form.get_by_test_id("new-sweep-seeds-error")).to_contain_text("1 to 5")
        values.fill("0.1")
        form.get_by_test_id("new-sweep-axis2").select_option("")
        form.get_by_test_id("new-sweep-seeds").fill("1")
        expect(form.get_by_test_id("new-sweep-count")).to_have_text("= 1 run")
        # only settings that change something for these settings: the default optimizer (Adam) has no momentum
        offered = form.get_by_test_id("new-sweep-axis1").locator("option").all_inner_texts()
        assert "Momentum" not in offered and "Beta 1" in offered, offered
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
        expect(page.get_by_test_id(f"sweep-started-{sweep_id}")).to_contain_text(re.compile(r"^started \d\d:\d\d$"))

        expect(view).to_have_attribute("data-status", "done", timeout=180_000)
        heat = page.get_by_test_id("sweep-heatmap")
        expect(heat).to_have_attribute("data-x", "optimizer.lr")
        expect(heat).to_have_attribute("data-y", "model.hidden")
        expect(page.get_by_test_id("sweep-aggregated")).to_contain_text("median of its 2 runs over Seed")
        cell = page.get_by_test_id("sweep-cell-1-0")  # depth 2, lr 0.1
        expect(cell).not_to_have_attribute("data-value", "")
        # the depth axis has one name, and its values say layers and width readably
        assert "Learning rate 0.1, Hidden layers 2 × 8 units: test loss" in (cell.get_attribute("title") or "")
        expect(page.get_by_role("rowheader").nth(1)).to_have_text("2 × 8 units")
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
        expect(first).to_contain_text(re.compile(r"\d median run$"))  # the figure, a space, the label
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
        # two swept settings: one line per depth, each with its band over the seeds, and a legend naming them
        line = page.get_by_test_id("sweep-line")
        expect(page.get_by_test_id("sweep-by")).to_have_value("model.hidden")
        expect(line).to_have_attribute("data-lines", "2")
        expect(page.get_by_test_id("sweep-line-band-1")).to_be_visible()
        legend = page.get_by_test_id("sweep-line-legend")
        expect(legend).to_contain_text("Hidden layers:")
        expect(page.get_by_test_id("sweep-line-key-0")).to_have_text("1 × 8 units")
        expect(page.get_by_test_id("sweep-line-key-1")).to_have_text("2 × 8 units")
        expect(page.get_by_test_id("sweep-aggregated")).to_contain_text("over Seed")
        # a point is the median of its two seeds at that learning rate and depth
        point = page.get_by_test_id("sweep-point-1-0")  # depth 2, lr 0.1
        assert "Learning rate 0.1, Hidden layers 2 × 8 units" in (point.get_attribute("aria-label") or "")
        page.screenshot(path=str(artifacts / "sweeps-line-1440.png"))
        page.get_by_test_id("sweep-by").select_option("")
        expect(line).to_have_attribute("data-lines", "1")
        page.get_by_test_id("sweep-view-heat").click()
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(artifacts / "sweeps-heatmap-390.png"), full_page=True)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 392
        assert errors == [], json.dumps(errors)
    finally:
        stop_sweeps(server_url, owner["key"])
        context.close()


def test_the_page_owns_its_seed_sweep_and_lists_active_sweeps_where_runs_are(browser, server_url, artifacts):
    """The page's seed sweep is leased and stopped as its run would be; a running sweep has a Stop in the Sweeps list,
    in My runs (counted as active) and in the limit notice of a refused start."""
    owner = issue_key(server_url)
    api = client(server_url, owner["key"])
    context = owner_context(browser, owner, {"width": 1440, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{server_url}/?steps=200000&seed=3")
        expect(page.get_by_test_id("run-seeds")).to_be_enabled(timeout=30_000)
        page.get_by_test_id("run-seeds").click()
        view = page.get_by_test_id("seed-view")
        expect(view).to_be_visible(timeout=30_000)
        first = view.get_attribute("data-sweep-id") or ""
        expect(page.get_by_test_id("seed-own")).to_contain_text("changing a setting, Reset, Play")
        # a run of the owner's besides: the sweep and it take the owner's two slots
        run = api.post("/api/runs", json=api.get("/api/options").json()["defaults"] | {"steps": 200000}).json()

        # the Sweeps list: the running sweep has a Stop
        page.get_by_test_id("tab-sweeps").click()
        expect(page.get_by_test_id(f"sweep-stop-{first}")).to_be_visible(timeout=15_000)
        page.screenshot(path=str(artifacts / "sweeps-tab-running-1440.png"))
        # My runs: the active sweep above the runs, counted as active
        page.get_by_test_id("tab-runs").click()
        row = page.get_by_test_id(f"myruns-sweep-{first}")
        expect(row).to_contain_text("5 seeds · circle")
        expect(row.get_by_test_id(f"myruns-sweep-stop-{first}")).to_be_visible()
        expect(page.get_by_test_id("myruns-count")).to_contain_text("2 active")
        page.screenshot(path=str(artifacts / "myruns-active-sweep-1440.png"))
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=str(artifacts / "myruns-active-sweep-390.png"))
        page.get_by_test_id("tab-sweeps").click()
        page.screenshot(path=str(artifacts / "sweeps-tab-running-390.png"), full_page=True)
        page.set_viewport_size({"width": 1440, "height": 900})

        # another tab of the owner's: Play is refused, and the notice lists the sweep with its Stop, as it lists runs
        other = context.new_page()
        other.goto(f"{server_url}/?steps=300")
        expect(other.get_by_test_id("play")).to_be_enabled(timeout=30_000)
        other.get_by_test_id("play").click()
        listed = other.get_by_test_id("limit-sweep")
        expect(listed).to_have_count(1, timeout=15_000)
        expect(listed).to_have_attribute("data-sweep-id", first)
        expect(listed).to_contain_text("sweep of 5 runs")
        expect(other.get_by_test_id("limit-run")).to_have_attribute("data-run-id", run["id"])
        expect(other.get_by_test_id("limit-headline")).to_contain_text("(2)")
        other.screenshot(path=str(artifacts / "limit-429-sweep.png"))
        listed.get_by_test_id("limit-sweep-stop").click()
        expect(other.get_by_test_id("limit-headline")).to_have_text("Room made: press Play again.")
        assert api.get(f"/api/sweeps/{first}").json()["status"] == "stopped"
        other.close()
        api.post(f"/api/runs/{run['id']}/stop")

        # a stopped sweep has no Stop; the page starts another seed sweep, and a setting changed stops it
        expect(page.get_by_test_id(f"sweep-item-{first}")).to_have_attribute("data-status", "stopped", timeout=15_000)
        expect(page.get_by_test_id(f"sweep-stop-{first}")).to_have_count(0)
        page.get_by_test_id("tab-playground").click()
        page.get_by_test_id("run-seeds").click()
        expect(view).not_to_have_attribute("data-sweep-id", first, timeout=30_000)
        second = view.get_attribute("data-sweep-id") or ""
        assert second and api.get(f"/api/sweeps/{second}").json()["status"] in ("pending", "running")
        page.locator("#steps").fill("3000")
        page.locator("#steps").press("Tab")
        expect(view).to_have_count(0)
        expect(page.get_by_test_id("sweep-stopped-notice")).to_contain_text("A setting changed")
        deadline = 50
        while api.get(f"/api/sweeps/{second}").json()["status"] != "stopped" and deadline:
            page.wait_for_timeout(200)
            deadline -= 1
        assert api.get(f"/api/sweeps/{second}").json()["status"] == "stopped"
        assert errors == [], json.dumps(errors)
    finally:
        stop_sweeps(server_url, owner["key"])
        context.close()


def test_the_header_keeps_its_rows_when_continue_appears(browser, server_url, artifacts):
    """A finished run brings Continue into the header: at 1440x900 the header stays one row; on a phone the name,
    the language and the device share the first row and nothing is wider than the screen."""
    owner = issue_key(server_url)
    context = owner_context(browser, owner, {"width": 1440, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{server_url}/?steps=60")
        expect(page.get_by_test_id("play")).to_be_enabled(timeout=30_000)
        page.get_by_test_id("play").click()
        expect(page.get_by_test_id("continue")).to_be_visible(timeout=60_000)

        def top(testid: str) -> float:
            box = page.get_by_test_id(testid).bounding_box()
            assert box, testid
            return box["y"] + box["height"] / 2

        for testid in ("continue", "status", "share", "language", "device"):
            assert abs(top(testid) - top("play")) < 8, testid
        page.screenshot(path=str(artifacts / "header-continue-1440.png"))

        page.set_viewport_size({"width": 390, "height": 844})
        brand = page.locator("header h1").bounding_box()
        assert brand
        for testid in ("language", "device"):
            assert abs(top(testid) - (brand["y"] + brand["height"] / 2)) < 8, testid
        assert abs(top("continue") - top("run-seeds")) < 8  # Run over 5 seeds and Continue share a row
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 392
        page.screenshot(path=str(artifacts / "header-continue-390.png"))
    finally:
        stop_all_mine(server_url, owner["key"])
        context.close()
