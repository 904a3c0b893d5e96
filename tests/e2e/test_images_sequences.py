"""The Images tab (a CNN on the digits) and the Sequences tab (RNN, LSTM, GRU) show live data of their runs."""

import re

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
    page.wait_for_function(
        "(n) => Number(document.querySelector('[data-testid=grad-time]').dataset.rows) > n", arg=rows, timeout=60_000
    )
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
