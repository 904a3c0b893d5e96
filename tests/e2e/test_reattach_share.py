"""Runs that belong to someone (issue 12), in the browser: the page's link carries the run it shows, so a reload
reattaches, a second tab watches the same run, a link to an ended run opens its history, and someone else's link is
watched read-only; a run nobody watches pauses (its lease) and resumes when its page is opened again; a start refused
for the limit lists the runs to stop."""

import re
import time
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from playwright.sync_api import Page, expect

from glassnet.runs.owners import KEY_HEADER
from tests.e2e.helpers import play_and_get_config, run_id
from tests.e2e.owners import issue_key, page_key
from tests.live_server import running_server

pytestmark = pytest.mark.e2e

VIEWPORT = {"width": 1280, "height": 800}


def step_of(page: Page) -> int:
    """The step the header shows ("step 1234 / 3000", "step 1234 · until stopped")."""
    return int(re.search(r"\d+", page.get_by_test_id("step").inner_text()).group())


def wait_step_above(page: Page, step: int, timeout: float = 30_000) -> None:
    page.wait_for_function(
        "(n) => Number((document.querySelector('[data-testid=step]').innerText.match(/\\d+/) || [0])[0]) > n",
        arg=step,
        timeout=timeout,
    )


def url_run(url: str) -> str | None:
    return (parse_qs(urlparse(url).query).get("run") or [None])[0]


def my_runs(server: str, key: str) -> list[dict]:
    answer = httpx.get(f"{server}/api/runs?limit=200", headers={"X-Glassnet-Owner": key})
    answer.raise_for_status()
    return answer.json()["items"]


def get_run(server: str, rid: str) -> dict:
    return httpx.get(f"{server}/api/runs/{rid}").json()


def start_long_run(page: Page, server: str, until_stopped: bool = False) -> str:
    """Open the page, press Play on a run that outlasts the test, and wait until it trains; returns its id."""
    page.goto(server)
    if until_stopped:
        page.get_by_test_id("steps-null").check()
    else:
        page.locator("#steps").fill("1000000")
        page.locator("#steps").press("Tab")
    page.get_by_test_id("play").click()
    expect(page.get_by_test_id("status")).to_have_attribute("data-status", "running", timeout=30_000)
    rid = run_id(page)
    assert rid
    return rid


def stop_quietly(server: str, page: Page, rid: str) -> None:
    httpx.post(f"{server}/api/runs/{rid}/stop", headers={"X-Glassnet-Owner": page_key(page)})


# ---------------------------------------------------------------------------------------------------------------
# on the shared server


def test_a_reload_reattaches_to_the_live_run_and_its_step_keeps_rising(page, server_url, artifacts):
    rid = start_long_run(page, server_url)
    # the link carries the run beside the settings
    expect(page).to_have_url(re.compile(rf"[?&]run={rid}(&|$)"))
    assert "steps=1000000" in page.url
    wait_step_above(page, 50)
    before = step_of(page)

    page.reload()
    expect(page.get_by_test_id("status")).to_have_attribute("data-run-id", rid, timeout=15_000)
    expect(page.get_by_test_id("status")).to_have_attribute("data-status", "running", timeout=15_000)
    # its history came with the reattach (the chart is not empty) and it trains on from where it was
    page.wait_for_function(
        "() => Number(document.querySelector('[data-testid=loss-chart]')?.dataset.points) > 3", timeout=15_000
    )
    assert step_of(page) >= before
    after = step_of(page)
    wait_step_above(page, after)
    assert url_run(page.url) == rid
    assert get_run(server_url, rid)["status"] == "running"
    # the run is ours: the header's Stop works on it
    page.get_by_test_id("stop").click()
    expect(page.get_by_test_id("status")).to_have_attribute("data-status", "stopped", timeout=15_000)
    page.screenshot(path=str(artifacts / "reattach-reloaded.png"))


def test_a_second_tab_on_the_same_link_shows_the_same_run_live(page, server_url, artifacts):
    rid = start_long_run(page, server_url, until_stopped=True)
    assert "steps=null" in page.url
    assert get_run(server_url, rid)["config"]["steps"] is None
    # a run until stopped has no total
    expect(page.get_by_test_id("step")).not_to_contain_text("/")
    expect(page.get_by_test_id("step")).to_contain_text("until stopped")

    second = page.context.new_page()  # the same browser: the same owner
    second.goto(page.url)
    expect(second.get_by_test_id("status")).to_have_attribute("data-run-id", rid, timeout=15_000)
    expect(second.get_by_test_id("status")).to_have_attribute("data-status", "running", timeout=15_000)
    expect(second.get_by_test_id("steps-null")).to_be_checked()
    now = step_of(second)
    wait_step_above(second, now)
    expect(second.get_by_test_id("readonly-notice")).to_have_count(0)  # ours in both tabs
    expect(second.get_by_test_id("stop")).to_be_enabled()
    second.screenshot(path=str(artifacts / "reattach-second-tab.png"))
    second.get_by_test_id("stop").click()
    # the first tab sees it stop too
    expect(page.get_by_test_id("status")).to_have_attribute("data-status", "stopped", timeout=15_000)
    second.close()


def test_a_link_to_an_ended_run_opens_its_history_without_a_new_run(page, server_url, artifacts):
    page.goto(server_url)
    page.locator("#steps").fill("300")
    page.locator("#steps").press("Tab")
    page.get_by_test_id("play").click()
    expect(page.get_by_test_id("status")).to_have_attribute("data-status", "finished", timeout=60_000)
    rid = run_id(page)
    link = page.url
    assert url_run(link) == rid
    key = page_key(page)
    count = len(my_runs(server_url, key))

    again = page.context.new_page()
    again.goto(link)
    expect(again.get_by_test_id("status")).to_have_attribute("data-status", "finished", timeout=15_000)
    expect(again.get_by_test_id("status")).to_have_attribute("data-run-id", rid)
    expect(again.get_by_test_id("step")).to_contain_text("300")
    # its whole history, and its final state (the decision boundary of the hello's latest frame)
    again.wait_for_function(
        "() => Number(document.querySelector('[data-testid=loss-chart]')?.dataset.points) > 3", timeout=15_000
    )
    expect(again.get_by_test_id("boundary")).to_have_attribute("data-step", "300", timeout=15_000)
    expect(again.get_by_test_id("error")).to_have_count(0)
    again.screenshot(path=str(artifacts / "reattach-ended.png"))
    assert len(my_runs(server_url, key)) == count  # nothing new was started
    # an ended run of ours offers Continue; Reset forgets it and the link drops the run
    expect(again.get_by_test_id("continue")).to_be_visible()
    again.get_by_test_id("reset").click()
    expect(again.get_by_test_id("status")).to_have_attribute("data-status", "idle")
    assert url_run(again.url) is None
    assert get_run(server_url, rid)["status"] == "finished"
    again.close()


def test_an_unknown_run_in_the_link_is_named_and_the_page_stays_usable(page, server_url):
    page.goto(f"{server_url}/?run=nosuchrun123&seed=4")
    error = page.get_by_test_id("error")
    expect(error).to_contain_text("nosuchrun123")
    expect(page.get_by_test_id("status")).to_have_attribute("data-status", "idle")
    expect(page.locator("#seed")).to_have_value("4")
    expect(page).not_to_have_url(re.compile(r"run="))
    page.locator("#steps").fill("200")
    page.get_by_test_id("play").click()
    expect(page.get_by_test_id("status")).to_have_attribute("data-status", "finished", timeout=60_000)
    assert url_run(page.url) == run_id(page)


def test_a_bare_run_link_brings_the_runs_settings_into_the_form(browser, server_url):
    """A link with only `run=` (as the CLI prints it) shows that run with its own settings, so Play, a fork and a
    copied link start from them."""
    owner = issue_key(server_url)
    config = {
        "dataset": {"name": "moons"},
        "model": {"hidden": [6], "activation": "relu"},
        "optimizer": {"name": "adam", "lr": 0.02},
        "steps": 200,
    }
    rid = httpx.post(f"{server_url}/api/runs", json=config, headers={KEY_HEADER: owner["key"]}).json()["id"]
    context = browser.new_context(viewport=VIEWPORT)  # someone else, opening the link
    try:
        page = context.new_page()
        page.goto(f"{server_url}/?run={rid}")
        expect(page.get_by_test_id("status")).to_have_attribute("data-status", "finished", timeout=60_000)
        expect(page.get_by_test_id("dataset-moons")).to_have_attribute("aria-checked", "true")
        expect(page.locator("#optimizer-lr")).to_have_value("0.02")
        expect(page).to_have_url(re.compile(r"dataset\.name=moons"))
        expect(page).to_have_url(re.compile(rf"run={rid}"))
        expect(page.get_by_test_id("error")).to_have_count(0)
        config_of_play = play_and_get_config(page, server_url)  # their own run, with the same settings
        assert config_of_play["dataset"]["name"] == "moons" and config_of_play["model"]["hidden"] == [6]
        assert config_of_play["optimizer"]["lr"] == 0.02 and run_id(page) != rid
    finally:
        context.close()


def test_someone_elses_run_is_watched_read_only(page, browser, server_url, artifacts):
    rid = start_long_run(page, server_url)
    # the owner copies the link to this run; the settings-only link has no run
    page.get_by_test_id("share").click()
    expect(page.get_by_test_id("share-menu")).to_be_visible()
    page.screenshot(path=str(artifacts / "share-menu.png"))
    share = page.get_by_test_id("share")
    page.get_by_test_id("share-run").click()
    expect(share).to_have_attribute("data-link", re.compile(rf"[?&]run={rid}(&|$)"))
    link = share.get_attribute("data-link")
    if not page.get_by_test_id("share-menu").is_visible():  # it stays open only when the clipboard refused
        share.click()
    page.get_by_test_id("share-settings").click()
    expect(share).not_to_have_attribute("data-link", link)
    settings_only = share.get_attribute("data-link")
    assert url_run(settings_only) is None and "steps=1000000" in settings_only

    other = browser.new_context(viewport=VIEWPORT)
    viewer = other.new_page()
    try:
        viewer.goto(link)
        expect(viewer.get_by_test_id("status")).to_have_attribute("data-run-id", rid, timeout=15_000)
        expect(viewer.get_by_test_id("status")).to_have_attribute("data-status", "running", timeout=15_000)
        notice = viewer.get_by_test_id("readonly-notice")
        expect(notice).to_contain_text("belongs to someone else")
        expect(notice).to_contain_text("Fork")
        # watch: the step rises; change: nothing (Play starts a run of one's own)
        wait_step_above(viewer, step_of(viewer))
        expect(viewer.get_by_test_id("stop")).to_be_disabled()
        expect(viewer.get_by_test_id("step-once")).to_be_disabled()
        expect(viewer.get_by_test_id("play")).to_have_text("Play")
        viewer.screenshot(path=str(artifacts / "readonly-viewer.png"))
        viewer.get_by_test_id("language").select_option("zh")
        expect(notice).to_contain_text("属于别人")
        viewer.screenshot(path=str(artifacts / "readonly-viewer-zh.png"))
        viewer.get_by_test_id("language").select_option("en")

        # a settings change neither restarts nor stops the owner's run
        viewer.locator("#model-activation").select_option("relu")
        viewer.locator("#optimizer-lr").fill("0.002")
        viewer.locator("#optimizer-lr").press("Tab")
        viewer.wait_for_timeout(2000)
        assert run_id(viewer) == rid
        shown = get_run(server_url, rid)
        assert shown["status"] == "running" and shown["config"]["optimizer"]["lr"] != 0.002
        expect(viewer.get_by_test_id("error")).to_have_count(0)

        # Play: a run of the viewer's own, with the viewer's settings; the owner's run goes on
        assert play_and_get_config(viewer, server_url)["model"]["activation"] == "relu"
        expect(viewer.get_by_test_id("readonly-notice")).to_have_count(0)
        expect(viewer.get_by_test_id("stop")).to_be_enabled()
        assert get_run(server_url, rid)["status"] == "running"
        viewer.get_by_test_id("stop").click()
        expect(viewer.get_by_test_id("status")).to_have_attribute("data-status", "stopped", timeout=15_000)
    finally:
        other.close()
        stop_quietly(server_url, page, rid)


# ---------------------------------------------------------------------------------------------------------------
# servers of their own: short leases, a limit of one run per owner


@pytest.fixture(scope="module")
def lease_url(artifacts):
    with running_server(artifacts, "e2e-lease-server", GLASSNET_IDLE_PAUSE_S="3", GLASSNET_IDLE_STOP_S="12") as url:
        yield url


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_closed_tab_pauses_its_run_and_opening_the_link_resumes_it(browser, lease_url, artifacts):
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        rid = start_long_run(page, lease_url)
        assert get_run(lease_url, rid)["lease"] is True
        link = page.url
        page.close()  # nobody watches it now

        paused = wait_for(
            lambda: (r := get_run(lease_url, rid))["status"] == "paused" and r,
            timeout=20,
            what="the unwatched run to pause",
        )
        assert paused["idle"]["action"] == "paused"
        step = paused["step"]

        page = context.new_page()
        page.goto(link)
        notice = page.get_by_test_id("idle-notice")
        expect(notice).to_contain_text(f"step {paused['idle']['step']}")
        expect(notice).to_contain_text("nobody watched it")
        expect(page.get_by_test_id("status")).to_have_attribute("data-status", "running", timeout=15_000)
        expect(notice).to_have_attribute("data-kind", "resumed")
        page.screenshot(path=str(artifacts / "lease-resumed.png"))
        wait_step_above(page, step)
        resumed = get_run(lease_url, rid)
        assert resumed["status"] == "running" and resumed["idle"] is None
        page.get_by_test_id("stop").click()
        expect(page.get_by_test_id("status")).to_have_attribute("data-status", "stopped", timeout=15_000)
    finally:
        context.close()


def test_a_run_stopped_for_want_of_a_viewer_offers_continue(browser, lease_url, artifacts):
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        rid = start_long_run(page, lease_url, until_stopped=True)
        link = page.url
        page.close()
        stopped = wait_for(
            lambda: (r := get_run(lease_url, rid))["status"] == "stopped" and r,
            timeout=40,
            what="the unwatched run to pause, then stop",
        )
        assert stopped["idle"]["action"] == "stopped"
        end = stopped["step"]

        page = context.new_page()
        page.goto(link)
        notice = page.get_by_test_id("idle-notice")
        expect(notice).to_have_attribute("data-kind", "stopped", timeout=15_000)
        expect(notice).to_contain_text("Continue")
        expect(page.get_by_test_id("status")).to_have_attribute("data-status", "stopped")
        # what is typed is checked next to the box, as in My runs, and Continue waits for a good number
        for typed, words in [("0", "From 1 to"), ("abc", "digits only"), ("2.5", "whole number"), ("", "how many")]:
            page.get_by_test_id("continue-steps").fill(typed)
            expect(page.get_by_test_id("continue-error")).to_contain_text(words)
            expect(page.get_by_test_id("continue")).to_be_disabled()
        page.get_by_test_id("continue-steps").fill("400")
        expect(page.get_by_test_id("continue-error")).to_have_count(0)
        page.screenshot(path=str(artifacts / "lease-stopped-continue.png"))
        page.get_by_test_id("continue").click()
        # the same run trains on from where it ended, and the page follows it live
        expect(page.get_by_test_id("status")).to_have_attribute("data-run-id", rid)
        wait_step_above(page, end, timeout=60_000)
        expect(page.get_by_test_id("status")).to_have_attribute("data-status", "finished", timeout=60_000)
        expect(page.get_by_test_id("step")).to_contain_text(f"{end + 400} / {end + 400}")
        expect(page.get_by_test_id("idle-notice")).to_have_count(0)
        ended = get_run(lease_url, rid)
        assert ended["step"] == end + 400 and ended["config"]["steps"] == end + 400
        assert url_run(page.url) == rid
    finally:
        context.close()


@pytest.fixture(scope="module")
def one_run_url(artifacts):
    with running_server(artifacts, "e2e-one-run-server", GLASSNET_MAX_RUNS_PER_OWNER="1") as url:
        yield url


def test_a_start_refused_for_the_limit_lists_the_runs_to_stop(browser, one_run_url, artifacts):
    context = browser.new_context(viewport=VIEWPORT)
    try:
        first = context.new_page()
        rid = start_long_run(first, one_run_url)

        page = context.new_page()  # another tab of the same person, with no run shown
        page.goto(one_run_url)
        page.locator("#steps").fill("200")
        page.locator("#steps").press("Tab")
        page.get_by_test_id("play").click()
        error = page.get_by_test_id("error")
        expect(error).to_be_visible(timeout=15_000)
        rows = page.get_by_test_id("limit-run")
        expect(rows).to_have_count(1)
        expect(rows.first).to_have_attribute("data-run-id", rid)
        expect(rows.first).to_contain_text("running")
        # said plainly (the server's words, naming its setting, are the tooltip)
        expect(page.get_by_test_id("limit-headline")).to_have_text(
            "You already have as many runs training as one person may have at once (1)."
        )
        expect(error).not_to_contain_text("GLASSNET_MAX_RUNS_PER_OWNER")
        page.screenshot(path=str(artifacts / "limit-429.png"))
        expect(page.get_by_test_id("status")).to_have_attribute("data-status", "idle")

        rows.first.get_by_test_id("limit-stop").click()
        expect(page.get_by_test_id("limit-headline")).to_have_text("Room made: press Play again.")
        expect(rows).to_have_count(0)
        assert get_run(one_run_url, rid)["status"] == "stopped"
        expect(first.get_by_test_id("status")).to_have_attribute("data-status", "stopped", timeout=15_000)
        page.get_by_test_id("play").click()
        expect(page.get_by_test_id("status")).to_have_attribute("data-status", "finished", timeout=60_000)
        expect(page.get_by_test_id("error")).to_have_count(0)
    finally:
        context.close()
