"""Inputs that say no: a value out of range is marked with its limit and never sent nor clamped, a unit count is
typed, a network over the parameter limit is flagged while it is built, and a link's bad values are shown, not run."""

from urllib.parse import urlparse

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import play_and_get_config, run_id, stop_run

pytestmark = pytest.mark.e2e

SVG = "[data-testid=network-svg]"


def watch_starts(page: Page) -> list[str]:
    """Every POST /api/runs the page makes from now on (a run started; `?lease=true` or not)."""
    starts: list[str] = []
    started = lambda r: r.method == "POST" and urlparse(r.url).path == "/api/runs"  # noqa: E731
    page.on("request", lambda r: starts.append(r.url) if started(r) else None)
    return starts


def test_a_learning_rate_out_of_range_is_marked_with_its_limit_and_not_sent(page, server_url, artifacts):
    page.goto(f"{server_url}/?steps=300")
    starts = watch_starts(page)
    lr = page.locator("#optimizer-lr")
    problem = page.get_by_test_id("optimizer-lr-problem")
    expect(lr).to_have_value("0.01")

    lr.fill("-1")
    expect(problem).to_contain_text("-1 is below the minimum of 1e-6")
    expect(lr).to_have_value("-1")  # as typed: not clamped to 1e-6
    expect(lr).to_have_attribute("aria-invalid", "true")
    lr.fill("1e9")
    lr.press("Tab")
    expect(problem).to_contain_text("1e9 is above the maximum of 10")
    expect(problem).to_contain_text("the run keeps 0.01")
    expect(lr).to_have_value("1e9")  # not clamped to 10
    assert "optimizer.lr" not in page.url  # the link holds the valid value (the default), not 1e9

    page.get_by_test_id("play").click()
    error = page.get_by_test_id("error")
    expect(error).to_contain_text("Not started")
    expect(error).to_contain_text("Learning rate: 1e9 is above the maximum of 10")
    page.screenshot(path=artifacts / "inputs-invalid-lr.png")
    assert starts == [] and run_id(page) == ""

    lr.fill("")  # blank is not "the default": it is marked, and the run would keep 0.01
    expect(problem).to_contain_text("Enter a number from 1e-6 to 10")
    expect(problem).to_contain_text("the run keeps 0.01")
    expect(lr).to_have_value("")

    lr.fill("0.05")
    expect(problem).to_have_count(0)
    expect(error).to_have_count(0)  # the refusal goes once nothing is invalid
    assert "optimizer.lr=0.05" in page.url
    config = play_and_get_config(page, server_url)
    assert config["optimizer"]["lr"] == 0.05 and len(starts) == 1
    stop_run(page)


def test_a_unit_count_is_typed_and_a_network_over_the_limit_is_flagged_before_play(page, server_url, artifacts):
    page.goto(server_url)
    starts = watch_starts(page)
    size = page.get_by_test_id("model-size")
    expect(size).to_have_attribute("data-parameters", str(2 * 8 + 8 + 8 * 8 + 8 + 8 + 1))

    units = page.get_by_test_id("units-1")
    units.fill("12")
    expect(page.locator(SVG)).to_have_attribute("data-hidden", "8,12")
    expect(page.get_by_test_id("layer-1-units")).to_contain_text("12")
    expect(size).to_have_attribute("data-parameters", str(2 * 8 + 8 + 8 * 12 + 12 + 12 + 1))
    units.fill("5000")
    expect(page.get_by_test_id("units-1-problem")).to_contain_text("5000 is above the maximum of 1,024")
    expect(page.locator(SVG)).to_have_attribute("data-hidden", "8,12")  # the draft kept its width

    # six layers of 1024 units: 5.25 million parameters, over the server's 5 million
    units.fill("1024")
    page.get_by_test_id("units-0").fill("1024")
    for _ in range(4):
        page.get_by_test_id("add-layer").click()
    expect(page.locator(SVG)).to_have_attribute("data-hidden", ",".join(["1024"] * 6))
    expect(size).to_have_attribute("data-over", "true")
    expect(size).to_contain_text("over the limit of 5,000,000")
    page.screenshot(path=artifacts / "inputs-over-limit.png")

    page.get_by_test_id("play").click()
    expect(page.get_by_test_id("error")).to_contain_text("parameters is over the limit of 5,000,000")
    assert starts == []

    page.get_by_test_id("remove-layer").click()
    expect(size).to_have_attribute("data-over", "false")
    expect(size).not_to_contain_text("over the limit")


def test_a_link_with_values_out_of_range_shows_them_invalid_and_does_not_run_them(page, server_url):
    page.goto(f"{server_url}/?steps=-5&dataset.name=nope&seed=4")
    error = page.get_by_test_id("error")
    expect(error).to_contain_text("steps: -5 is below the minimum of 1. Not used: the setting keeps 3000.")
    expect(error).to_contain_text("dataset.name: 'nope' is not one of circle")
    expect(page.locator("#steps")).to_have_value("-5")
    expect(page.get_by_test_id("steps-problem")).to_contain_text("-5 is below the minimum of 1")
    assert "seed=4" in page.url and "steps" not in page.url and "nope" not in page.url

    page.get_by_test_id("play").click()
    expect(error).to_contain_text("Steps: -5 is below the minimum of 1")
    assert run_id(page) == ""
