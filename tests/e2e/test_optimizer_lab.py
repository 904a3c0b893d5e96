"""The optimizer lab: pick a surface and optimizers, click a start point, watch the paths race to the end;
on an ill-conditioned bowl plain SGD zig-zags across the valley."""

import json
import math
import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

LAB = "[data-testid=optimizer-lab] .lab"


def lab(page: Page, name: str) -> str:
    return page.locator(LAB).get_attribute(f"data-{name}") or ""


def wait_for_paths(page: Page, count: int) -> None:
    """Wait until `count` paths for the inputs shown (surface, k, start) have been computed and their animation
    has reached the last step."""
    page.wait_for_function(
        """([sel, count]) => { const e = document.querySelector(sel);
             return e && +e.dataset.paths === count && e.dataset.running === 'false'
               && e.dataset.result === `${e.dataset.surface}:${e.dataset.k}:${e.dataset.start}`
               && +e.dataset.steps > 0 && e.dataset.step === e.dataset.steps; }""",
        arg=[LAB, count],
        timeout=60_000,
    )


def test_three_optimizers_race_on_rosenbrock_then_sgd_zig_zags_in_a_narrow_bowl(page, server_url, artifacts):
    page.goto(f"{server_url}/?lang=en")
    page.get_by_test_id("tab-lab").click()
    wait_for_paths(page, 2)  # SGD and Adam are ticked at first
    page.get_by_test_id("lab-surface").select_option("rosenbrock")
    for name in ("sgd", "momentum", "adam"):
        page.get_by_test_id(f"lab-opt-{name}").check()
    wait_for_paths(page, 3)

    # a click on the plot moves the start point to where the click was
    before = lab(page, "start")
    canvas = page.get_by_test_id("lab-contour")
    left, top = float(canvas.get_attribute("data-plot-left")), float(canvas.get_attribute("data-plot-top"))
    width, height = float(canvas.get_attribute("data-plot-width")), float(canvas.get_attribute("data-plot-height"))
    canvas.click(position={"x": left + width * 0.25, "y": top + height * 0.25})  # x = -1, y = 2 on [-2,2]x[-1,3]
    page.wait_for_function(f"(b) => document.querySelector('{LAB}').dataset.start !== b", arg=before)
    x, y = (float(v) for v in lab(page, "start").split(","))
    assert x == pytest.approx(-1.0, abs=0.05) and y == pytest.approx(2.0, abs=0.05)
    page.get_by_test_id("lab-play").click()  # replay animates from step 0 to the end
    wait_for_paths(page, 3)
    assert int(lab(page, "step")) == int(page.get_by_test_id("lab-steps").input_value())
    legend = page.get_by_test_id("lab-legend").locator("li")
    assert [legend.nth(i).get_attribute("data-optimizer") for i in range(3)] == ["sgd", "momentum", "adam"]
    finals = json.loads(lab(page, "final-losses"))
    start_loss = (1 - x) ** 2 + 100 * (y - x**2) ** 2
    assert all(0 <= f < start_loss for f in finals)
    for i in range(3):
        assert "final" in legend.nth(i).inner_text()
    page.get_by_test_id("optimizer-lab").screenshot(path=str(artifacts / "lab-rosenbrock.png"))

    # the quadratic at its default k = 10: SGD slides down without crossing the valley floor
    page.get_by_test_id("lab-surface").select_option("quadratic")
    wait_for_paths(page, 3)
    assert lab(page, "result").startswith("quadratic:10:")
    assert json.loads(lab(page, "sign-changes"))["sgd"] == 0
    # raise k to ~190: lr * k = 1.9 > 1, so each SGD step overshoots the floor and y flips sign
    page.get_by_test_id("lab-k").fill("2.28")
    page.wait_for_function(f"() => +document.querySelector('{LAB}').dataset.k > 150")
    wait_for_paths(page, 3)
    changes = json.loads(lab(page, "sign-changes"))
    assert changes["sgd"] > 50, changes
    assert changes["adam"] < changes["sgd"]
    page.get_by_test_id("optimizer-lab").screenshot(path=str(artifacts / "lab-quadratic-zigzag.png"))

    page.goto(f"{server_url}/?lang=zh")
    page.get_by_test_id("tab-lab").click()
    wait_for_paths(page, 2)
    assert "优化器实验室" in page.get_by_test_id("optimizer-lab").inner_text()
    page.get_by_test_id("optimizer-lab").screenshot(path=str(artifacts / "lab-zh.png"))


def test_a_typed_start_on_the_saddles_ridge_never_leaves_it(page, server_url, artifacts):
    page.goto(f"{server_url}/?lang=en")
    page.get_by_test_id("tab-lab").click()
    wait_for_paths(page, 2)
    page.get_by_test_id("lab-surface").select_option("saddle")
    page.get_by_test_id("lab-opt-momentum").check()
    wait_for_paths(page, 3)
    page.get_by_test_id("lab-start-x").fill("1.5")
    page.get_by_test_id("lab-start-x").press("Enter")
    page.get_by_test_id("lab-start-y").fill("0")
    page.get_by_test_id("lab-start-y").press("Enter")
    page.wait_for_function(f"() => document.querySelector('{LAB}').dataset.start === '1.5,0'")
    wait_for_paths(page, 3)
    # on y = 0 the gradient has no y part: every optimizer slides to the saddle (loss 0 from above) and stays
    finals = json.loads(lab(page, "final-losses"))
    assert all(0 <= f < 0.01 for f in finals), finals
    # a thousandth off the ridge, every one of them slides off downhill (x^2 - y^2 goes far below 0)
    page.get_by_test_id("lab-start-y").fill("0.001")
    page.get_by_test_id("lab-start-y").press("Enter")
    page.wait_for_function(f"() => document.querySelector('{LAB}').dataset.start === '1.5,0.001'")
    wait_for_paths(page, 3)
    finals = json.loads(lab(page, "final-losses"))
    assert all(f < -1 for f in finals), finals
    # far below 0 the loss chart switches to a signed log axis; a path that ran off says where, in words
    assert page.get_by_test_id("lab-loss").get_attribute("data-scale") == "symlog"
    page.get_by_test_id("lab-sgd-lr").fill("-1")  # SGD at lr 0.1: y grows 1.2-fold a step, past 1e6 within the steps
    page.wait_for_function(
        "() => document.querySelector('[data-testid=lab-legend] li[data-optimizer=sgd]').innerText.includes('lr 0.1')"
    )
    wait_for_paths(page, 3)
    stopped = page.get_by_test_id("lab-legend").locator(".error")
    assert stopped.count() >= 1 and "stopped at step" in stopped.first.inner_text()
    page.get_by_test_id("optimizer-lab").screenshot(path=str(artifacts / "lab-saddle-off.png"))
    # a start beyond the limit is kept within it
    page.get_by_test_id("lab-start-x").fill("99")
    page.get_by_test_id("lab-start-x").press("Enter")
    page.wait_for_function(f"() => document.querySelector('{LAB}').dataset.start === '10,0.001'")
    expect(page.get_by_test_id("lab-start-outside")).to_be_visible()  # the plot shows x in [-2, 2]: say so
    page.get_by_test_id("optimizer-lab").screenshot(path=str(artifacts / "lab-saddle-typed.png"))


def test_side_by_side_draws_one_plot_per_optimizer_and_a_click_on_any_moves_the_start(page, server_url, artifacts):
    page.goto(f"{server_url}/?lang=en")
    page.get_by_test_id("tab-lab").click()
    wait_for_paths(page, 2)
    for name in ("momentum", "rmsprop"):
        page.get_by_test_id(f"lab-opt-{name}").check()
    wait_for_paths(page, 4)
    page.get_by_test_id("lab-view-apart").check()
    plots = page.get_by_test_id("lab-multiples").locator("canvas")
    assert [plots.nth(i).get_attribute("data-testid") for i in range(plots.count())] == [
        f"lab-contour-{name}" for name in ("sgd", "momentum", "rmsprop", "adam")
    ]
    assert page.get_by_test_id("lab-contour").count() == 0
    # each small plot shows only its own path: its pixels differ from its neighbour's
    shots = [plots.nth(i).screenshot() for i in range(2)]
    assert shots[0] != shots[1]
    small = page.get_by_test_id("lab-contour-adam")
    left, top = float(small.get_attribute("data-plot-left")), float(small.get_attribute("data-plot-top"))
    width, height = float(small.get_attribute("data-plot-width")), float(small.get_attribute("data-plot-height"))
    small.click(position={"x": left + width * 0.75, "y": top + height * 0.75})  # x = 1, y = 0 on [-2,2]x[-1,3]
    page.wait_for_function(f"() => document.querySelector('{LAB}').dataset.start !== '-1.2,1'")
    x, y = (float(v) for v in lab(page, "start").split(","))
    assert x == pytest.approx(1.0, abs=0.05) and y == pytest.approx(0.0, abs=0.05)
    wait_for_paths(page, 4)
    page.get_by_test_id("optimizer-lab").screenshot(path=str(artifacts / "lab-side-by-side.png"))
    # the choice is kept across tabs
    page.get_by_test_id("tab-playground").click()
    page.get_by_test_id("tab-lab").click()
    expect(page.get_by_test_id("lab-view-apart")).to_be_checked()
    expect(page.get_by_test_id("lab-multiples").locator("canvas")).to_have_count(4)
    # unticking every optimizer clears the paths, the legend and the plots instead of leaving stale ones
    for name in ("sgd", "momentum", "rmsprop", "adam"):
        page.get_by_test_id(f"lab-opt-{name}").uncheck()
    page.wait_for_function(f"() => document.querySelector('{LAB}').dataset.paths === '0'")
    expect(page.get_by_test_id("lab-legend").locator("li")).to_have_count(0)
    expect(page.get_by_test_id("lab-multiples")).to_have_count(0)
    expect(page.get_by_test_id("lab-contour")).to_have_count(0)


def test_a_lab_setup_travels_in_the_link(page, browser, server_url, artifacts):
    page.goto(f"{server_url}/?lang=en")
    page.get_by_test_id("tab-lab").click()
    wait_for_paths(page, 2)
    page.get_by_test_id("lab-surface").select_option("quadratic")
    page.get_by_test_id("lab-opt-momentum").check()
    page.get_by_test_id("lab-momentum-momentum").fill("0")  # the range's end: an exact value
    page.get_by_test_id("lab-start-y").fill("0.4")
    page.get_by_test_id("lab-start-y").press("Enter")
    page.get_by_test_id("lab-view-apart").check()
    page.wait_for_function(f"() => document.querySelector('{LAB}').dataset.start === '-1.8,0.4'")
    wait_for_paths(page, 3)
    link = page.url
    assert "lab.surface=quadratic" in link and "lab.momentum.momentum=0&" in link + "&" and "lab.view=apart" in link
    finals = lab(page, "final-losses")

    fresh = browser.new_context().new_page()  # another person opening the link
    fresh.goto(link)
    expect(fresh.get_by_test_id("tab-lab")).to_have_attribute("aria-selected", "true")
    wait_for_paths(fresh, 3)
    for key in ("surface", "start", "k"):
        assert lab(fresh, key) == lab(page, key), key
    assert lab(fresh, "final-losses") == finals  # the same paths
    expect(fresh.get_by_test_id("lab-view-apart")).to_be_checked()
    expect(fresh.get_by_test_id("lab-momentum-momentum")).to_have_value("0")
    assert fresh.url == link
    # the playground does not carry the lab's setup in its links
    fresh.get_by_test_id("tab-playground").click()
    expect(fresh).not_to_have_url(re.compile(r"lab\."))
    fresh.context.close()


def test_each_optimizer_starts_at_its_own_step_size_for_the_surface_and_every_one_makes_progress(
    browser, server_url, artifacts
):
    """The issue: every optimizer shared one learning rate (Adam barely moved at SGD's). Each now starts at the
    surface's step size for it (the server's, GET /api/lab/surfaces `lrs`), and each gets visibly down the surface."""
    surfaces = {s["name"]: s for s in httpx.get(f"{server_url}/api/lab/surfaces").json()["surfaces"]}
    names = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam", "adamw"]
    shots = Path("/tmp/shots-exports")
    shots.mkdir(exist_ok=True)
    for width, height in ((1440, 900), (390, 844)):
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        page.goto(f"{server_url}/?lang=en")
        page.get_by_test_id("tab-lab").click()
        wait_for_paths(page, 2)
        for name in names:
            page.get_by_test_id(f"lab-opt-{name}").check()
        wait_for_paths(page, len(names))
        for surface in ("rosenbrock", "plateau"):
            page.get_by_test_id("lab-surface").select_option(surface)
            wait_for_paths(page, len(names))
            lrs = surfaces[surface]["lrs"]
            legend = page.get_by_test_id("lab-legend").locator("li")
            for i, name in enumerate(names):
                assert float(page.get_by_test_id(f"lab-{name}-lr").input_value()) == pytest.approx(
                    math.log10(lrs[name]),
                    abs=0.051,  # the slider moves in steps of 0.1
                ), (surface, name)
                assert f"lr {lrs[name]:g}" in legend.nth(i).inner_text(), (surface, name)
            start = surfaces[surface]["start"]
            finals = json.loads(lab(page, "final-losses"))
            first = {"rosenbrock": (1 - start[0]) ** 2 + 100 * (start[1] - start[0] ** 2) ** 2}.get(
                surface, 1 - math.exp(-(start[0] ** 2 + start[1] ** 2) / 2)
            )
            assert all(f is not None and f < 0.5 * first for f in finals), (surface, finals)
            page.get_by_test_id("optimizer-lab").screenshot(path=str(shots / f"lab-{surface}-{width}.png"))
        page.screenshot(path=str(artifacts / f"lab-all-{width}.png"), full_page=True)
        context.close()

    # one optimizer's own step size, then back to the surface's for every one
    page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    page.goto(f"{server_url}/?lang=en")
    page.get_by_test_id("tab-lab").click()
    wait_for_paths(page, 2)
    adam = page.get_by_test_id("lab-adam-lr")
    adam.fill("-3")
    legend = "document.querySelector('[data-testid=lab-legend] li[data-optimizer=adam]').innerText"
    page.wait_for_function(f"() => {legend}.includes('lr 0.001')")
    page.get_by_test_id("lab-lr-reset").click()
    lr = surfaces["rosenbrock"]["lrs"]["adam"]
    page.wait_for_function(f"() => {legend}.includes('lr {lr:g}')")
    page.context.close()
