"""Run over 5 seeds from the Images and Sequences tabs: the band is drawn there, above the tab's own panels, and its
seed picker switches the run those panels (feature maps, filters, gates) show; a seed band that cannot batch (an
LSTM's) says so in a plain line, the measurement in its title."""

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.owners import client, issue_key, owner_context, stop_all_mine

pytestmark = pytest.mark.e2e


def stop_sweeps(server_url: str, key: str) -> None:
    api = client(server_url, key)
    for sweep in api.get("/api/sweeps").json():
        if sweep["status"] in ("pending", "running"):
            api.post(f"/api/sweeps/{sweep['id']}/stop")
    stop_all_mine(server_url, key)


def start_seeds(page: Page) -> str:
    """Press Run over 5 seeds on the tab shown; the seed band's sweep id."""
    seeds = page.get_by_test_id("run-seeds")
    expect(seeds).to_be_enabled(timeout=30_000)
    seeds.click()
    view = page.get_by_test_id("seed-view")
    expect(view).to_be_visible(timeout=30_000)
    return view.get_attribute("data-sweep-id") or ""


def test_run_over_5_seeds_on_the_images_tab_draws_the_band_there_and_picks_the_seed_its_panels_show(
    browser, server_url, artifacts
):
    owner = issue_key(server_url)
    api = client(server_url, owner["key"])
    context = owner_context(browser, owner, {"width": 1440, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(server_url)
        page.get_by_test_id("tab-images").click()
        page.get_by_test_id("load-cnn").click()
        sweep_id = start_seeds(page)
        # the page stays on the Images tab, the band above its panels
        expect(page.get_by_test_id("images-tab")).to_be_visible()
        assert "tab=images" in page.url and f"sweep={sweep_id}" in page.url
        members = {m["values"]["seed"]: m["run_id"] for m in api.get(f"/api/sweeps/{sweep_id}").json()["members"]}
        assert api.get(f"/api/runs/{members[0]}").json()["config"]["model"]["kind"] == "cnn"

        maps = page.get_by_test_id("feature-maps")
        expect(page.get_by_test_id("status")).to_have_attribute("data-run-id", members[0], timeout=30_000)
        expect(maps).not_to_have_attribute("data-maps", "0", timeout=90_000)
        page.get_by_test_id("seed-chip-2").click()
        expect(page.get_by_test_id("status")).to_have_attribute("data-run-id", members[2])
        expect(page.get_by_test_id("seed-chip-2")).to_have_attribute("aria-checked", "true")
        expect(maps).not_to_have_attribute("data-maps", "0", timeout=60_000)
        expect(page.get_by_test_id("filters")).to_be_visible()

        # the five CNNs started together train as one cohort: no line says they train alone
        expect(page.get_by_test_id("seed-view")).to_have_attribute("data-status", "done", timeout=180_000)
        cohorts = [api.get(f"/api/runs/{run}").json()["cohort"] for run in members.values()]
        assert all(c == {"members": 5, "alone": None} for c in cohorts), cohorts
        expect(page.get_by_test_id("seed-alone")).to_have_count(0)
        # a test loss read at a handful of steps only (detail readings are rare in a short run) is said to be joined
        # by straight lines, since the band cannot show the steps between
        counts = sorted(
            len(api.get(f"/api/runs/{run}/metrics?series=test_loss").json()["series"]["test_loss"]["step"])
            for run in members.values()
        )
        sparse = page.get_by_test_id("seed-sparse")
        if counts[2] < 6:
            expect(sparse).to_contain_text(f"measured at only {counts[2]} steps of each seed")
        else:
            expect(sparse).to_have_count(0)
        page.screenshot(path=str(artifacts / "images-seed-band-1440.png"))
        page.set_viewport_size({"width": 390, "height": 844})
        page.get_by_test_id("seed-panel").scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / "images-seed-band-390.png"))
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 392
        assert errors == []
    finally:
        stop_sweeps(server_url, owner["key"])
        context.close()


def test_an_lstm_seed_band_on_the_sequences_tab_says_plainly_that_it_trains_alone(browser, server_url, artifacts):
    owner = issue_key(server_url)
    context = owner_context(browser, owner, {"width": 1440, "height": 900})
    page = context.new_page()
    try:
        page.goto(server_url)
        page.get_by_test_id("tab-sequences").click()
        page.get_by_test_id("load-lstm").click()
        expect(page.get_by_test_id("cell-lstm")).to_have_attribute("aria-checked", "true")
        start_seeds(page)
        expect(page.get_by_test_id("sequences-tab")).to_be_visible()
        note = page.get_by_test_id("seed-alone")
        expect(note).to_contain_text(
            "Not batched as one model, each seed trains on its own: an LSTM trains alone", timeout=30_000
        )
        # what was measured is in the title, not in the line
        expect(note).not_to_contain_text("0.4x")
        assert "oneDNN" in (note.get_attribute("title") or "")
        page.get_by_test_id("seed-panel").screenshot(path=str(artifacts / "sequences-lstm-seed-band-1440.png"))
    finally:
        stop_sweeps(server_url, owner["key"])
        context.close()


def test_my_runs_points_to_the_sweeps_tab_once_a_sweep_has_ended(browser, server_url, artifacts):
    """A newcomer whose only runs were a sweep's does not read "No runs yet" once it ends: My runs says the ended
    sweeps list their runs in the Sweeps tab, and takes them there."""
    owner = issue_key(server_url)
    api = client(server_url, owner["key"])
    config = api.get("/api/options").json()["defaults"] | {"steps": 30}
    sweep = api.post("/api/sweeps", json={"config": config, "grid": {"seed": [0, 1]}}).json()
    context = owner_context(browser, owner, {"width": 1440, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{server_url}/?tab=runs")
        expect(page.get_by_test_id("myruns-sweeps-ended")).to_contain_text("Ended sweeps of yours: 1.", timeout=120_000)
        assert api.get(f"/api/sweeps/{sweep['id']}").json()["status"] == "done"
        expect(page.get_by_test_id("myruns-empty")).to_contain_text("the runs of your sweeps are listed with them")
        page.get_by_test_id("myruns").screenshot(path=str(artifacts / "myruns-ended-sweep-1440.png"))
        page.set_viewport_size({"width": 390, "height": 844})
        page.get_by_test_id("myruns").screenshot(path=str(artifacts / "myruns-ended-sweep-390.png"))
        page.get_by_test_id("myruns-go-sweeps").click()
        expect(page.get_by_test_id(f"sweep-open-{sweep['id']}")).to_be_visible(timeout=15_000)
    finally:
        stop_sweeps(server_url, owner["key"])
        context.close()
