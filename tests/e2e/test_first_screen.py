"""The first screen works at every size: at 1440x900 the essentials show without scrolling, the advanced settings
fold away one click from view, a phone gets a stacked page no wider than its screen, help opens on a tap, a panel can
be presented full screen for a projector, and the optimizer lab shows no Play that has nothing to do there."""

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

# what a newcomer needs on the first screen: the data, the network, the optimizer and its learning rate, Play, the
# output and the loss chart
ESSENTIALS = [
    "[data-testid=datasets]",
    "[data-testid=network-graph]",
    "#model-activation",
    "#optimizer-name",
    "#optimizer-lr",
    "#steps",
    "[data-testid=play]",
    "[data-testid=step-once]",
    "[data-testid=reset]",
    "[data-testid=output]",
    "[data-testid=loss-panel]",
]
ADVANCED = ["#model-norm", "#model-init-name", "#optimizer-beta1", "#schedule-name", "#batch_size", "#seed"]
STACKED = ["datasets", "settings", "network-graph", "metrics-panel", "output", "loss-panel"]


@pytest.fixture
def open_page(browser, server_url):
    """A page of a given size (a touch screen below 1000 px), opened at `query`."""
    contexts = []

    def open_at(width: int, height: int, query: str = "") -> Page:
        size = {"width": width, "height": height}
        context = browser.new_context(viewport=size, has_touch=width < 1000, is_mobile=width < 500)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{server_url}/{query}")
        expect(page.locator("#optimizer-lr")).to_be_visible()
        return page

    yield open_at
    for context in contexts:
        context.close()


def box(page: Page, selector: str) -> dict:
    b = page.locator(selector).first.bounding_box()
    assert b is not None, f"{selector} is not shown"
    return b


def within(b: dict, width: float, height: float) -> bool:
    return b["x"] >= 0 and b["y"] >= 0 and b["x"] + b["width"] <= width + 0.5 and b["y"] + b["height"] <= height + 0.5


def overlap(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["width"] - 1
        and b["x"] < a["x"] + a["width"] - 1
        and a["y"] < b["y"] + b["height"] - 1
        and b["y"] < a["y"] + a["height"] - 1
    )


def test_at_1440x900_the_essentials_show_without_scrolling_and_the_rest_is_one_click_away(open_page, artifacts):
    page = open_page(1440, 900)
    page.locator("#steps").fill("1000000")
    page.locator("#steps").press("Tab")
    page.get_by_test_id("play").click()
    # the output plot and the loss chart drawn, as a newcomer sees them once Play is pressed
    page.wait_for_function(
        "() => Number(document.querySelector('[data-testid=boundary]')?.dataset.step ?? -1) >= 0"
        " && Number(document.querySelector('[data-testid=loss-chart]').dataset.points) > 1",
        timeout=30_000,
    )
    page.get_by_test_id("play").click()  # pause: the screen stays as it is while it is measured
    expect(page.get_by_test_id("status")).to_have_attribute("data-status", "paused", timeout=15_000)
    assert page.evaluate("window.scrollY") == 0
    outside = [s for s in [*ESSENTIALS, "[data-testid=boundary]"] if not within(box(page, s), 1440, 900)]
    assert outside == []
    # the network's column has no large empty gap beneath it: what happens inside the network follows
    network, telemetry = box(page, "[data-testid=network-graph]"), box(page, "[data-testid=grad-panel]")
    assert telemetry["y"] - (network["y"] + network["height"]) < 60
    page.screenshot(path=str(artifacts / "first-screen-1440x900.png"))

    # the beginner view folds the advanced settings away...
    for selector in ADVANCED:
        expect(page.locator(selector)).to_be_hidden()
    toggle = page.get_by_test_id("advanced-toggle")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    # ...one click shows them all, the link says so, and the browser remembers it
    toggle.click()
    for selector in ADVANCED:
        expect(page.locator(selector)).to_be_visible()
    assert "view=advanced" in page.url
    page.goto(page.url.split("?")[0])
    expect(page.locator("#model-norm")).to_be_visible()
    page.get_by_test_id("advanced-toggle").click()
    expect(page.locator("#model-norm")).to_be_hidden()
    assert "view=advanced" not in page.url
    # a link that sets an advanced setting says so on the folded toggle
    page.goto(page.url.split("?")[0] + "?seed=5&model.norm=batch")
    expect(page.get_by_test_id("advanced-changed")).to_contain_text("2")
    expect(page.locator("#seed")).to_be_hidden()


@pytest.mark.parametrize(("width", "height"), [(390, 844), (820, 1180)])
def test_a_phone_and_a_tablet_get_a_page_no_wider_than_the_screen(open_page, artifacts, width, height):
    page = open_page(width, height)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    # every header control whole on the screen
    for testid in ["play", "step-once", "reset", "fork", "stop", "share", "language", "device"]:
        b = box(page, f"[data-testid={testid}]")
        assert b["x"] >= 0 and b["x"] + b["width"] <= width, testid
    # the panels stacked, none over another, and the network drawn at a size one can read
    boxes = {testid: box(page, f"[data-testid={testid}]") for testid in STACKED}
    clashes = [(a, b) for i, a in enumerate(STACKED) for b in STACKED[i + 1 :] if overlap(boxes[a], boxes[b])]
    assert clashes == []
    graph = box(page, "[data-testid=network-svg]")
    assert graph["width"] >= min(300, width - 60) and graph["height"] >= 250
    # the settings' controls side by side without overlapping, all inside their card
    settings = boxes["settings"]
    controls = page.locator("[data-testid=settings] :is(select, input):visible").all()
    assert len(controls) >= 4
    rects = [c.bounding_box() for c in controls]
    for r in rects:
        assert r["x"] >= settings["x"] and r["x"] + r["width"] <= settings["x"] + settings["width"] + 0.5
    assert not any(overlap(a, b) for i, a in enumerate(rects) for b in rects[i + 1 :])
    page.screenshot(path=str(artifacts / f"first-screen-{width}x{height}.png"), full_page=True)


def test_help_opens_on_a_tap_a_click_or_the_keyboard_and_closes_outside(open_page):
    page = open_page(390, 844)
    help_button = page.get_by_test_id("network-graph-help")
    text = page.get_by_test_id("network-graph-help-text")
    expect(text).to_have_count(0)
    help_button.tap()
    expect(text).to_be_visible()
    expect(text).not_to_be_empty()
    b = text.bounding_box()
    assert b["x"] >= 0 and b["x"] + b["width"] <= 390  # on the screen, not cut off
    page.locator("h1").tap()  # a tap elsewhere closes it
    expect(text).to_have_count(0)
    help_button.focus()
    page.keyboard.press("Enter")
    expect(text).to_be_visible()
    page.keyboard.press("Escape")
    expect(text).to_have_count(0)


def test_help_still_opens_on_hover_for_a_mouse(page, server_url):
    page.goto(server_url)
    help_button = page.get_by_test_id("loss-panel-help")
    text = page.get_by_test_id("loss-panel-help-text")
    for _ in range(5):  # (a loaded machine may still be laying the page out: the mouse comes back, as a person's would)
        help_button.hover()
        page.wait_for_timeout(500)
        if text.is_visible():
            break
        page.mouse.move(3, 3)
    expect(text).to_be_visible()
    page.mouse.move(3, 3)
    expect(text).to_have_count(0)
    help_button.click()  # a click keeps it open once the mouse leaves
    page.mouse.move(3, 3)
    expect(text).to_be_visible()
    page.mouse.click(3, 3)
    expect(text).to_have_count(0)


def test_a_panel_presented_fills_the_screen_in_large_type_until_escape(open_page):
    page = open_page(1440, 900)
    panel = page.get_by_test_id("loss-panel")
    title_before = box(page, "[data-testid=loss-panel] h2")["height"]
    page.get_by_test_id("loss-panel-present").click()
    expect(panel).to_have_attribute("data-presenting", "true")
    b = panel.bounding_box()
    assert b["x"] <= 1 and b["y"] <= 1 and b["width"] >= 1439 and b["height"] >= 899
    assert box(page, "[data-testid=loss-panel] h2")["height"] >= 1.4 * title_before
    assert "present=loss-chart" in page.url
    page.keyboard.press("Escape")
    expect(panel).to_have_attribute("data-presenting", "false")
    assert "present=" not in page.url
    # a link opens a panel presented; its Exit button leaves
    page.goto(page.url.split("?")[0] + "?present=boundary")
    output = page.get_by_test_id("output")
    expect(output).to_have_attribute("data-presenting", "true")
    page.get_by_test_id("output-exit").click()
    expect(output).to_have_attribute("data-presenting", "false")


def test_a_panel_presented_on_a_phone_is_not_cut_at_the_sides(open_page):
    page = open_page(390, 844, "?present=boundary")
    output = page.get_by_test_id("output")
    expect(output).to_have_attribute("data-presenting", "true")
    plot = page.locator("canvas[data-testid=boundary]")
    expect(plot).to_have_attribute("data-step", "0", timeout=20_000)  # the step-0 preview drawn
    page.wait_for_timeout(300)  # (the presenter view measures its content over two frames)
    b = plot.bounding_box()
    assert b is not None and b["x"] >= 0 and b["x"] + b["width"] <= 390, b


def test_the_optimizer_lab_shows_no_play(page, server_url):
    page.goto(server_url)
    expect(page.get_by_test_id("play")).to_be_visible()
    page.get_by_test_id("tab-lab").click()
    expect(page.get_by_test_id("optimizer-lab")).to_be_visible()
    for testid in ["play", "step-once", "reset", "stop", "status", "step"]:
        expect(page.get_by_test_id(testid)).to_be_hidden()
    expect(page.get_by_test_id("share")).to_be_visible()
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("Space")  # nor does Space start a run from there
    page.wait_for_timeout(300)
    expect(page.get_by_test_id("status")).to_have_attribute("data-status", "idle")
    page.get_by_test_id("tab-playground").click()
    expect(page.get_by_test_id("play")).to_be_visible()
