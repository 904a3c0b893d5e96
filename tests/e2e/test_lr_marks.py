"""A live learning-rate change is recorded with the run and marked on the loss chart at its step, labelled with the new
rate (in English and Chinese), after a reload too, and in the loss chart's PNG."""

import httpx
import numpy as np
import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import play_and_get_config, run_id
from tests.e2e.owners import page_key, stop_all_mine
from tests.e2e.test_compare_export import has_colour, region, save_png

pytestmark = pytest.mark.e2e

MARK_COLOUR = "#5b3fa8"  # the lr marks' line and label (LossChart.svelte)


def test_a_live_lr_change_is_marked_on_the_loss_chart_and_in_its_png(browser, server_url, artifacts, tmp_path):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    page = context.new_page()
    try:
        page.goto(f"{server_url}/?lang=en&steps=1000000")
        config = play_and_get_config(page, server_url)
        chart = page.get_by_test_id("loss-chart")
        page.wait_for_function(
            "() => Number(document.querySelector('[data-testid=loss-chart]')?.dataset.points) > 5", timeout=60_000
        )
        expect(chart).to_have_attribute("data-lr-changes", "0")
        viewer = context.new_page()  # a second viewer of the run (a student watching the teacher's)
        viewer.goto(f"{server_url}/?lang=en&run={run_id(page)}")
        expect(viewer.get_by_test_id("loss-chart")).to_have_attribute("data-lr-changes", "0", timeout=30_000)
        page.locator("#optimizer-lr").fill("0.002")
        page.locator("#optimizer-lr").press("Tab")
        expect(chart).to_have_attribute("data-lr-changes", "1", timeout=15_000)
        # the other viewer is told at once, without a reload
        expect(viewer.get_by_test_id("loss-chart")).to_have_attribute("data-lr-changes", "1", timeout=15_000)
        expect(viewer.get_by_test_id("lr-mark")).to_contain_text("lr → 0.002")
        viewer.close()

        # recorded with the run: the step, the new rate and the one before
        changes = httpx.get(f"{server_url}/api/runs/{run_id(page)}").json()["lr_changes"]
        assert len(changes) == 1 and changes[0]["lr"] == 0.002 and changes[0]["from"] == config["optimizer"]["lr"]
        mark = page.get_by_test_id("lr-mark")
        expect(mark).to_have_attribute("data-step", str(changes[0]["step"]))
        expect(mark).to_contain_text("lr → 0.002")
        expect(mark.locator(".lr-label")).to_be_visible()  # (the mark itself is a zero-width line holder)
        page.wait_for_timeout(1500)  # a little training at the new rate, to the right of the mark
        page.get_by_test_id("loss-panel").screenshot(path=str(artifacts / "loss-lr-mark.png"))

        # in the PNG, where it is on the page: the mark's line and label in their colour
        image = save_png(page, "loss-panel", tmp_path)
        x0, y0, x1, y1 = region(page, "loss-panel", "[data-testid=lr-mark] .lr-label")
        assert has_colour(image[y0:y1, x0:x1], MARK_COLOUR, tolerance=60)
        assert np.any(image[y0:y1, x0:x1, :3].max(axis=2) < 200)

        page.get_by_test_id("language").select_option("zh")
        expect(mark).to_contain_text("学习率 → 0.002")

        # after a reload the run's history brings the mark back
        page.reload()
        expect(page.get_by_test_id("lr-mark")).to_have_count(1, timeout=30_000)
        expect(page.get_by_test_id("lr-mark")).to_have_attribute("data-step", str(changes[0]["step"]))
    finally:
        stop_all_mine(server_url, page_key(page))
        context.close()
