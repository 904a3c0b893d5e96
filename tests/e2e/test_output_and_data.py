"""The Output column's plane view and the Data column's dataset thumbnails, used as a newcomer would."""

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

BOUNDARY_READY = """() => {
  const c = document.querySelector('[data-testid=boundary]');
  return c !== null && Number(c.dataset.step) > 0 && Number(c.dataset.points) > 0;
}"""

# mean (blue - red) of a 9 x 9 pixel patch around plane point (fx, fy) of the plot (fractions, y down):
# > 0 where the canvas is blue (class 1), < 0 where it is orange (class 0)
BLUENESS = """([fx, fy]) => {
  const c = document.querySelector('[data-testid=boundary]');
  const [x, y, w, h] = c.dataset.plot.split(',').map(Number);
  const k = c.width / c.getBoundingClientRect().width;
  const px = Math.round((x + fx * w) * k), py = Math.round((y + fy * h) * k);
  const d = c.getContext('2d').getImageData(px - 4, py - 4, 9, 9).data;
  let sum = 0;
  for (let i = 0; i < d.length; i += 4) sum += d[i + 2] - d[i];
  return sum / (d.length / 4);
}"""

# pixels of a dataset thumbnail that are not its background (with `coloured`: only ones of a clear hue)
THUMB_INK = """(name, coloured = false) => {
  const c = document.querySelector(`[data-testid=dataset-${name}] canvas`);
  if (!c) return 0;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4) {
    const ink = Math.abs(d[i] - 244) + Math.abs(d[i + 1] - 245) + Math.abs(d[i + 2] - 247) > 40;
    if (ink && (!coloured || Math.abs(d[i] - d[i + 2]) > 60)) n++;
  }
  return n;
}"""


def boundary(page: Page) -> dict[str, int]:
    canvas = page.get_by_test_id("boundary")
    return {k: int(canvas.get_attribute(f"data-{k}") or -1) for k in ("step", "points")}


def test_the_circles_boundary_separates_inside_from_outside(page, server_url, artifacts):
    page.goto(f"{server_url}/?dataset.name=circle")
    output = page.get_by_test_id("output")
    # before Play: the untrained network's output at step 0
    expect(page.get_by_test_id("output-step")).to_have_text("step 0 — untrained", timeout=15_000)
    output.screenshot(path=str(artifacts / "output-idle.png"))

    page.get_by_test_id("play").click()
    page.wait_for_function(BOUNDARY_READY, timeout=60_000)
    output.screenshot(path=str(artifacts / "output-running.png"))
    expect(page.get_by_test_id("status")).to_have_attribute("data-status", "finished", timeout=180_000)
    # the last detail frame is drawn once the run has ended
    page.wait_for_function(
        "() => Number(document.querySelector('[data-testid=boundary]').dataset.step) >= 2900", timeout=30_000
    )
    output.screenshot(path=str(artifacts / "output-circle-trained.png"))

    centre = page.evaluate(BLUENESS, [0.5, 0.5])
    corners = [page.evaluate(BLUENESS, [fx, fy]) for fx, fy in ((0.03, 0.03), (0.97, 0.97))]
    # inside the circle is one class, the corners of the plane the other: opposite colours
    assert abs(centre) > 40, centre
    for corner in corners:
        assert abs(corner) > 40 and (corner > 0) != (centre > 0), (centre, corner)

    # the test points can be hidden and shown again
    with_test = boundary(page)["points"]
    page.get_by_test_id("show-test").uncheck()
    page.wait_for_function(
        "(n) => Number(document.querySelector('[data-testid=boundary]').dataset.points) < n", arg=with_test
    )
    assert 0 < boundary(page)["points"] < with_test
    page.get_by_test_id("show-test").check()
    page.wait_for_function(
        "(n) => Number(document.querySelector('[data-testid=boundary]').dataset.points) === n", arg=with_test
    )


def test_a_curve_shows_the_fit_and_digits_a_readout(page, server_url, artifacts):
    page.goto(f"{server_url}/?dataset.name=sine&steps=400")
    page.get_by_test_id("play").click()
    page.wait_for_function(BOUNDARY_READY, timeout=60_000)
    expect(page.get_by_test_id("status")).to_have_attribute("data-status", "finished", timeout=120_000)
    page.get_by_test_id("output").screenshot(path=str(artifacts / "output-curve.png"))

    page.goto(f"{server_url}/?dataset.name=digits&model.kind=cnn&steps=60")
    page.get_by_test_id("play").click()
    readout = page.get_by_test_id("output-readout")
    expect(readout).to_contain_text("%", timeout=60_000)
    expect(page.get_by_test_id("boundary")).to_have_count(0)
    expect(page.get_by_test_id("output")).to_contain_text("Images tab")
    page.get_by_test_id("output").screenshot(path=str(artifacts / "output-digits.png"))


def test_pick_a_dataset_by_keyboard_and_by_click(page, server_url, artifacts):
    page.goto(f"{server_url}/?model.kind=cnn&dataset.name=digits")
    digits = page.get_by_test_id("dataset-digits")
    expect(digits).to_have_attribute("aria-checked", "true")
    # every thumbnail is drawn from the server's preview
    for name in ("circle", "sine", "digits", "adding"):
        page.wait_for_function(f"() => ({THUMB_INK})('{name}') > 30", timeout=15_000)
    page.get_by_test_id("datasets").screenshot(path=str(artifacts / "data-thumbnails.png"))

    # a CNN needs images: choosing a sequence set switches the model to an RNN, and says so
    page.get_by_test_id("dataset-adding").click()
    expect(page.get_by_test_id("dataset-adding")).to_have_attribute("aria-checked", "true")
    expect(digits).to_have_attribute("aria-checked", "false")
    page.wait_for_function("() => location.search.includes('dataset.name=adding')")
    page.wait_for_function("() => location.search.includes('model.kind=rnn')")
    expect(page.get_by_test_id("kind-note")).to_be_visible()

    # arrow keys move the choice through the group (a radio group: the checked one has the focus)
    page.get_by_test_id("dataset-circle").click()
    page.wait_for_function("() => !location.search.includes('model.kind')")  # an MLP: the default
    page.keyboard.press("ArrowRight")
    xor = page.get_by_test_id("dataset-xor")
    expect(xor).to_have_attribute("aria-checked", "true")
    expect(xor).to_be_focused()
    page.wait_for_function("() => location.search.includes('dataset.name=xor')")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")  # wraps to the last one
    expect(page.locator("[role=radiogroup] [role=radio]").last).to_have_attribute("aria-checked", "true")
    page.get_by_test_id("datasets").screenshot(path=str(artifacts / "data-picked.png"))


def test_thumbnails_follow_the_noise(page, server_url):
    page.goto(f"{server_url}/?dataset.noise=0")
    page.wait_for_function(f"() => ({THUMB_INK})('circle') > 30", timeout=15_000)
    quiet = page.evaluate("() => document.querySelector('[data-testid=dataset-circle] canvas').toDataURL()")
    page.goto(f"{server_url}/?dataset.noise=0.5")
    page.wait_for_function(f"() => ({THUMB_INK})('circle') > 30", timeout=15_000)
    noisy = page.evaluate("() => document.querySelector('[data-testid=dataset-circle] canvas').toDataURL()")
    assert quiet != noisy


def test_upload_a_csv_and_see_the_servers_message_for_a_bad_one(page, server_url, artifacts):
    page.goto(server_url)
    rows = "\n".join(f"{i / 10:.1f},{(i % 7) / 7:.3f},{i % 2}" for i in range(40))
    page.get_by_test_id("upload-file").set_input_files(
        files=[{"name": "mine.csv", "mimeType": "text/csv", "buffer": f"a,b,label\n{rows}\n".encode()}]
    )
    summary = page.get_by_test_id("upload-summary")
    expect(summary).to_contain_text("mine.csv")
    expect(summary).to_contain_text("40 rows")
    expect(summary).to_contain_text("2 features")
    expect(summary).to_contain_text("two classes")
    expect(page.get_by_test_id("dataset-upload")).to_have_attribute("aria-checked", "true")
    page.wait_for_function("() => /dataset\\.upload=[0-9a-f]+/.test(location.search)")
    assert re.search(r"dataset\.name=upload", page.url)
    # its thumbnail is its own points, in their classes' colours
    page.wait_for_function(f"() => ({THUMB_INK})('upload', true) > 30", timeout=15_000)
    page.wait_for_function(f"() => ({THUMB_INK})('digits') > 30", timeout=15_000)
    page.get_by_test_id("datasets").screenshot(path=str(artifacts / "data-uploaded.png"))
    page.get_by_test_id("upload-area").screenshot(path=str(artifacts / "data-upload-summary.png"))

    bad = rows.splitlines()
    bad[3] = "0.3,oops,1"  # line 5 of the file, after the header
    page.get_by_test_id("upload-file").set_input_files(
        files=[{"name": "bad.csv", "mimeType": "text/csv", "buffer": ("a,b,label\n" + "\n".join(bad)).encode()}]
    )
    error = page.get_by_test_id("upload-error")
    expect(error).to_contain_text("line 5")
    expect(error).to_contain_text("oops")
    page.get_by_test_id("upload-area").screenshot(path=str(artifacts / "data-upload-error.png"))

    # the set uploaded before can be picked again
    page.get_by_test_id("dataset-circle").click()
    page.get_by_test_id("upload-previous").select_option(index=1)  # 0 is the "choose…" prompt
    expect(page.get_by_test_id("dataset-upload")).to_have_attribute("aria-checked", "true")
