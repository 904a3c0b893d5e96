"""The Images tab (a CNN on the digits) and the Sequences tab (RNN, LSTM, GRU) show live data of their runs; each
tab's one-click demo (glassnet/demos.py) keeps its promise, and the Sequences tab shows the loss against the
trivial baseline with messages that follow what was measured."""

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import play_and_get_config, run_id, stop_run

pytestmark = pytest.mark.e2e

DIGITS = 1797  # scikit-learn's digits: the most a digits run can draw
EVAL_POINTS = 1024  # the probe's test figures use at most this many test points


def data(page: Page, testid: str) -> dict[str, str]:
    return page.get_by_test_id(testid).evaluate("(e) => Object.assign({}, e.dataset)")


def number(page: Page, testid: str, key: str) -> float:
    return float(page.get_by_test_id(testid).get_attribute(f"data-{key}") or 0)


def test_images_tab_shows_feature_maps_filters_confusion_and_parameters(page, server_url, artifacts):
    page.goto(server_url)
    page.get_by_test_id("tab-images").click()
    # the default draft trains an MLP on points: the tab explains itself and offers the CNN
    expect(page.get_by_test_id("images-intro")).to_contain_text("Circle")
    page.screenshot(path=str(artifacts / "images-intro.png"))
    page.get_by_test_id("load-cnn").click()
    expect(page.get_by_test_id("images-intro")).to_have_count(0)
    assert "dataset.name=digits" in page.url and "model.kind=cnn" in page.url

    config = play_and_get_config(page, server_url)
    assert config["dataset"]["name"] == "digits" and config["model"]["kind"] == "cnn"
    maps = page.get_by_test_id("feature-maps")
    expect(maps).not_to_have_attribute("data-maps", "0", timeout=60_000)

    # one tile per channel of every conv block, for digit 0 first
    channels = config["model"]["channels"]
    assert number(page, "feature-maps", "layers") == len(channels)
    assert number(page, "feature-maps", "maps") == sum(channels)
    expect(maps).to_contain_text(f"conv 1: {channels[0]} channels")
    expect(maps).to_have_attribute("data-digit", "0")
    drawn = maps.get_attribute("data-checksum")
    page.get_by_test_id("digit-7").click()
    expect(maps).to_have_attribute("data-digit", "7")
    expect(maps).to_have_attribute("data-label", "7")
    assert maps.get_attribute("data-checksum") != drawn  # another digit, other maps
    expect(page.get_by_test_id("digit-7")).to_have_attribute("aria-pressed", "true")

    filters = data(page, "filters")
    assert int(filters["filters"]) == channels[0]
    assert int(filters["kernel"]) == config["model"]["kernel_size"]

    # the confusion matrix counts every evaluated test image once
    n = min(config["dataset"]["n_samples"], DIGITS)
    test_size = min(EVAL_POINTS, n - round(n * config["dataset"]["train_fraction"]))
    confusion = data(page, "confusion")
    assert int(confusion["classes"]) == 10
    assert int(confusion["total"]) == test_size
    assert 0 <= int(confusion["correct"]) <= test_size
    expect(page.get_by_test_id("confusion-accuracy")).to_contain_text(f"of {test_size} test images")

    params = data(page, "param-counts")
    assert int(params["cnn"]) > 0
    assert int(params["mlp"]) > int(params["cnn"])
    assert float(params["ratio"]) > 1
    expect(page.get_by_test_id("images-params")).to_contain_text(f"{int(params['cnn']):,}")
    expect(page.get_by_test_id("images-params")).to_contain_text("weight sharing")

    page.screenshot(path=str(artifacts / "images-running.png"))
    for panel in ("maps", "filters", "confusion", "params"):
        page.get_by_test_id(f"images-{panel}").screenshot(path=str(artifacts / f"images-{panel}.png"))
    expect(page.get_by_test_id("error")).to_have_count(0)
    stop_run(page)


def test_sequences_tab_shows_the_gradient_through_time_and_the_gates(page, server_url, artifacts):
    page.goto(server_url)
    page.get_by_test_id("tab-sequences").click()
    expect(page.get_by_test_id("sequences-intro")).to_be_visible()
    page.screenshot(path=str(artifacts / "sequences-intro.png"))
    page.get_by_test_id("load-lstm").click()
    expect(page.get_by_test_id("cell-lstm")).to_have_attribute("aria-checked", "true")

    # T = 10 with the keyboard: Home goes to the slider's minimum, then one step per arrow
    slider = page.get_by_test_id("seq-len")
    low = int(slider.get_attribute("min") or 0)
    slider.focus()
    page.keyboard.press("Home")
    for _ in range(10 - low):
        page.keyboard.press("ArrowRight")
    expect(page.get_by_test_id("seq-len-value")).to_have_text("10")
    expect(page).to_have_url(re.compile(r"dataset\.seq_len=10"))

    config = play_and_get_config(page, server_url)
    assert config["dataset"]["name"] == "adding"
    assert config["dataset"]["seq_len"] == 10
    assert config["model"]["kind"] == "rnn" and config["model"]["cell"] == "lstm"
    heat = page.get_by_test_id("grad-time")
    expect(heat).not_to_have_attribute("data-rows", "0", timeout=60_000)
    expect(heat).to_have_attribute("data-cols", "10")
    rows = number(page, "grad-time", "rows")
    # a new row per detail frame, until the run's last step (read in full) at the latest; a quick machine may have
    # finished the demo's few hundred steps before the first row was drawn
    page.wait_for_function(
        "(n) => Number(document.querySelector('[data-testid=grad-time]').dataset.rows) > n"
        " || document.querySelector('[data-testid=status]').dataset.status === 'finished'",
        arg=rows,
        timeout=90_000,
    )
    assert number(page, "grad-time", "rows") >= 2  # the first step and the last are read in full
    assert float(heat.get_attribute("data-ratio") or 0) > 0
    expect(heat).to_contain_text("‖dL/dh_1‖ / ‖dL/dh_T‖")
    expect(page.get_by_test_id("gates")).to_have_attribute("data-gates", "input,forget,output")
    expect(page.get_by_test_id("gates")).to_contain_text("forget")
    expect(page.get_by_test_id("run-used")).to_contain_text("T = 10, LSTM")
    page.screenshot(path=str(artifacts / "sequences-lstm.png"))
    for panel in ("gradtime", "gates", "controls"):
        page.get_by_test_id(f"sequences-{panel}").screenshot(path=str(artifacts / f"sequences-{panel}.png"))
    stop_run(page)

    # the slider and the cell edit the draft: the next run uses them
    slider.focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_test_id("seq-len-value")).to_have_text("11")
    page.get_by_test_id("cell-rnn_tanh").click()
    expect(page).to_have_url(re.compile(r"dataset\.seq_len=11"))
    config = play_and_get_config(page, server_url)
    assert config["dataset"]["seq_len"] == 11 and config["model"]["cell"] == "rnn_tanh"
    expect(page.get_by_test_id("run-used")).to_contain_text("T = 11, RNN (tanh)", timeout=30_000)
    expect(heat).to_have_attribute("data-cols", "11", timeout=60_000)
    expect(page.get_by_test_id("gates")).to_contain_text("has no gates")
    expect(page.get_by_test_id("gates")).to_have_attribute("data-gates", "")
    page.screenshot(path=str(artifacts / "sequences-tanh.png"))
    expect(page.get_by_test_id("error")).to_have_count(0)
    stop_run(page)
    assert httpx.get(f"{server_url}/api/runs/{run_id(page)}").json()["status"] in ("stopped", "finished")


SHOTS = Path("/tmp/shots-demos")


def shoot(page: Page, artifacts: Path, name: str) -> None:
    """A full-page screenshot into the test artifacts (and /tmp/shots-demos, to look at)."""
    for folder in (artifacts, SHOTS):
        folder.mkdir(exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def demo_of(server_url: str, demo_id: str) -> dict:
    return next(d for d in httpx.get(f"{server_url}/api/options").json()["demos"] if d["id"] == demo_id)


def test_the_sequences_demo_beats_the_baseline_the_tab_draws_and_says_so(page, server_url, artifacts):
    page.set_viewport_size({"width": 1440, "height": 900})
    demo = demo_of(server_url, "sequences")
    page.goto(server_url)
    page.get_by_test_id("tab-sequences").click()
    # the intro says what the demo will show, from the registry
    expect(page.get_by_test_id("demo-promise")).to_contain_text(demo["promise"]["en"][:60])
    expect(page.get_by_test_id("load-lstm")).to_have_text(demo["label"]["en"])
    page.get_by_test_id("load-lstm-play").click()

    # the loss is drawn against the baseline of the run's own data, labelled in the legend
    box = page.get_by_test_id("loss-baseline")
    expect(box).not_to_have_attribute("data-baseline", "", timeout=60_000)
    baseline = number(page, "loss-baseline", "baseline")
    assert 0.14 < baseline < 0.2  # predicting the mean sum: about 1/6
    legend = page.get_by_test_id("sequences-loss").locator(".u-legend")
    expect(legend).to_contain_text(f"baseline: predict the mean ({baseline:.3g})")
    expect(legend).to_contain_text("test loss")
    expect(box).not_to_have_attribute("data-points", "0", timeout=60_000)

    # the run ends below a tenth of the baseline, and every message says what was measured
    status = page.get_by_test_id("demo-status")
    expect(status).to_have_attribute("data-judged", "true", timeout=180_000)
    expect(status).to_have_attribute("data-kept", "true")
    test_loss = number(page, "loss-baseline", "test-loss")
    assert 0 < test_loss < 0.1 * baseline
    expect(box).to_have_attribute("data-standing", "beaten")
    verdict = page.get_by_test_id("baseline-verdict")
    expect(verdict).to_contain_text("The LSTM beat the baseline")
    assert "good" in (verdict.get_attribute("class") or "")
    carry = page.get_by_test_id("carry-verdict")
    assert carry.get_attribute("data-carry") in ("reaches", "settled")
    expect(carry).not_to_contain_text("vanishes")
    assert "bad" not in (carry.get_attribute("class") or "")
    expect(page.get_by_test_id("error")).to_have_count(0)
    shoot(page, artifacts, "sequences-demo-1440")
    # on a phone the same panels stack, nothing cut off
    page.set_viewport_size({"width": 390, "height": 844})
    panel = page.get_by_test_id("sequences-loss").bounding_box()
    assert panel and panel["x"] >= 0 and panel["x"] + panel["width"] <= 390
    expect(legend).to_contain_text("baseline: predict the mean")
    shoot(page, artifacts, "sequences-demo-390")


def test_a_vanilla_rnn_that_ends_at_the_baseline_is_told_so_in_red(page, server_url, artifacts):
    """The demo's settings with a tanh RNN, stopped after 30 steps: it has learned nothing (it sits at the baseline
    from about step 50 on every seed; 4-5x above it at step 1) and almost none of its gradient reaches step 1
    (1e-5 .. 4e-4 of the last step's over the first 50 steps, seeds 0-4)."""
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(server_url)
    page.get_by_test_id("tab-sequences").click()
    page.get_by_test_id("load-lstm").click()
    expect(page).to_have_url(re.compile(r"[?&]steps=\d+"))
    page.goto(re.sub(r"([?&])steps=\d+", r"\1steps=30", page.url) + "&model.cell=rnn_tanh")
    expect(page.get_by_test_id("cell-rnn_tanh")).to_have_attribute("aria-checked", "true")
    # not the demo's settings: no promise is claimed for them
    expect(page.get_by_test_id("demo-promise")).to_have_count(0)
    config = play_and_get_config(page, server_url)
    assert config["model"]["cell"] == "rnn_tanh" and config["steps"] == 30
    expect(page.get_by_test_id("status")).to_have_attribute("data-status", "finished", timeout=60_000)
    box = page.get_by_test_id("loss-baseline")
    expect(box).to_have_attribute("data-standing", re.compile("^(at|above)$"))
    verdict = page.get_by_test_id("baseline-verdict")
    expect(verdict).to_contain_text(re.compile("Ended (at|above) the baseline"))
    expect(verdict).to_contain_text("did not learn the task")
    assert "bad" in (verdict.get_attribute("class") or "")
    carry = page.get_by_test_id("carry-verdict")
    expect(carry).to_have_attribute("data-carry", "vanished")
    expect(carry).to_contain_text("vanishes")
    expect(page.get_by_test_id("demo-status")).to_have_count(0)
    shoot(page, artifacts, "sequences-tanh-at-baseline")


def test_the_images_demo_gets_over_95_percent_of_the_test_digits_right(page, server_url, artifacts):
    page.set_viewport_size({"width": 1440, "height": 900})
    demo = demo_of(server_url, "images")
    page.goto(server_url)
    page.get_by_test_id("tab-images").click()
    expect(page.get_by_test_id("demo-promise")).to_contain_text(demo["promise"]["en"][:60])
    page.get_by_test_id("load-cnn-play").click()
    status = page.get_by_test_id("demo-status")
    expect(status).to_have_attribute("data-judged", "true", timeout=180_000)
    expect(status).to_have_attribute("data-kept", "true")
    confusion = data(page, "confusion")
    assert int(confusion["correct"]) > 0.95 * int(confusion["total"])
    expect(page.get_by_test_id("error")).to_have_count(0)
    shoot(page, artifacts, "images-demo-1440")
    page.set_viewport_size({"width": 390, "height": 844})
    shoot(page, artifacts, "images-demo-390")
