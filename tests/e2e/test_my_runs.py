"""Runs that belong to someone (issue 12), in the browser: the My runs tab lists this browser's runs and renames,
stops, continues, forks and deletes them; Compare lists them on a fresh page, keeps its selection, says when it
overlays runs of different tasks, and forks any of them from any step; another owner sees none of them."""

import json

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.owners import client, issue_key, owner_context, stop_all_mine, wait_for

pytestmark = pytest.mark.e2e


def config(steps: int | None = 400, dataset: str = "circle", lr: float = 0.01) -> dict:
    """A small run: it finishes in a second or two."""
    return {
        "dataset": {"name": dataset},
        "model": {"hidden": [8], "activation": "tanh"},
        "optimizer": {"name": "adam", "lr": lr},
        "steps": steps,
        "frame_hz": 30,
    }


def digest(page: Page, chart: str) -> dict[str, dict]:
    """What the Compare chart plots, by run: points, first and last [step, value] (OverlayChart's data-digest)."""
    text = page.get_by_test_id(f"compare-chart-{chart}").get_attribute("data-digest") or "[]"
    return {d["id"]: d for d in json.loads(text)}


def test_a_fork_from_step_0_of_a_finished_run_with_a_new_lr_draws_its_own_curve(browser, server_url, artifacts):
    owner = issue_key(server_url)
    api = client(server_url, owner["key"])
    parent = api.post("/api/runs", json=config(steps=400)).json()
    pid = parent["id"]
    wait_for(api, pid, {"finished"})
    context = owner_context(browser, owner, {"width": 1440, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        # My runs' Fork opens Compare's fork form on that run, the run ticked
        page.goto(f"{server_url}/?tab=runs")
        page.get_by_test_id(f"myruns-fork-{pid}").click()
        expect(page.get_by_test_id("tab-compare")).to_have_attribute("aria-selected", "true")
        form = page.get_by_test_id("compare-fork-form")
        expect(form).to_have_attribute("data-parent", pid)
        expect(page.get_by_test_id(f"compare-select-{pid}")).to_be_checked()

        page.locator("#compare-fork-field").select_option("optimizer.lr")
        page.locator("#compare-fork-value").fill("0.05")
        step = page.locator("#compare-fork-step")
        submit = page.get_by_test_id("compare-fork-submit")
        step_error = page.get_by_test_id("compare-fork-step-error")
        # what is typed is checked next to the field, never a script error
        for text, says in [("abc", "digits"), ("-1", "start at 0"), ("2.5", "whole"), ("401", "trained 400 steps")]:
            step.fill(text)
            expect(step_error).to_contain_text(says)
            expect(submit).to_be_disabled()
        # from its last step the fork would have nothing to train: the form gives it more steps
        step.fill("400")
        expect(step_error).to_have_count(0)
        expect(page.get_by_test_id("compare-fork-end")).to_have_value("1400")
        # from step 0 it has all 400 to train
        step.fill("0")
        expect(page.get_by_test_id("compare-fork-end")).to_have_count(0)
        submit.click()
        expect(page.get_by_test_id("compare-fork-message")).to_be_visible(timeout=30_000)

        forks = [r for r in api.get("/api/runs").json()["items"] if r["parent"] == pid]
        assert len(forks) == 1
        fid = forks[0]["id"]
        fork = api.get(f"/api/runs/{fid}").json()
        assert fork["parent"] == pid and fork["config"]["optimizer"]["lr"] == 0.05 and fork["config"]["steps"] == 400
        assert fork["mine"] and fork["name"] and fid not in fork["name"]
        expect(page.get_by_test_id(f"compare-select-{fid}")).to_be_checked()
        wait_for(api, fid, {"finished"})

        # the overlay plots both runs to step 400; the fork's curve starts near step 0 and ends elsewhere
        page.wait_for_function(
            """([pid, fid]) => {
                const chart = document.querySelector('[data-testid=compare-chart-train-loss]');
                const d = JSON.parse(chart.dataset.digest || '[]');
                const last = (id) => d.find((r) => r.id === id)?.last?.[0] ?? -1;
                return last(pid) >= 400 && last(fid) >= 400;
            }""",
            arg=[pid, fid],
            timeout=60_000,
        )
        plotted = digest(page, "train-loss")
        assert plotted[fid]["first"][0] < 100, plotted  # drawn from the start, not from the parent's end
        assert plotted[fid]["points"] > 3 and plotted[pid]["points"] > 3
        assert plotted[fid]["last"][0] == plotted[pid]["last"][0] == 400
        assert abs(plotted[fid]["last"][1] - plotted[pid]["last"][1]) > 1e-4, plotted
        legend = page.get_by_test_id("compare-legend")
        expect(legend).to_contain_text("optimizer.lr: 0.01 → 0.05")
        page.screenshot(path=str(artifacts / "my-runs-fork-from-0.png"))
        assert errors == []
    finally:
        stop_all_mine(server_url, owner["key"])
        context.close()


def test_a_fork_at_the_last_step_trains_on_and_stops_from_the_page(browser, server_url):
    owner = issue_key(server_url)
    api = client(server_url, owner["key"])
    pid = api.post("/api/runs", json=config(steps=300)).json()["id"]
    wait_for(api, pid, {"finished"})
    context = owner_context(browser, owner)
    page = context.new_page()
    try:
        page.goto(f"{server_url}/?tab=runs")
        page.get_by_test_id(f"myruns-fork-{pid}").click()
        page.locator("#compare-fork-field").select_option("optimizer.lr")
        page.locator("#compare-fork-value").fill("0.02")
        page.locator("#compare-fork-step").fill("300")
        end = page.get_by_test_id("compare-fork-end")
        expect(end).to_have_value("1300")
        expect(page.get_by_test_id("compare-fork-end-note")).to_be_visible()
        end.fill("300")  # no later than the fork step: refused next to the field
        expect(page.get_by_test_id("compare-fork-end-error")).to_be_visible()
        end.fill("1000000")  # long enough to be running when it is stopped
        page.get_by_test_id("compare-fork-submit").click()
        expect(page.get_by_test_id("compare-fork-message")).to_be_visible(timeout=30_000)
        fid = next(r["id"] for r in api.get("/api/runs").json()["items"] if r["parent"] == pid)
        fork = wait_for(api, fid, {"running"})
        assert fork["config"]["steps"] == 1_000_000

        # the fork is overlaid, and its Stop (in the form's message, and in the legend) ends it
        row = page.locator(f"[data-testid=compare-legend] li[data-run='{fid}']")
        expect(row).to_be_visible(timeout=30_000)
        expect(page.get_by_test_id(f"compare-stop-{fid}")).to_be_visible()
        page.get_by_test_id("compare-fork-stop").click()
        assert wait_for(api, fid, {"stopped"}, timeout=30)["step"] >= 300
        expect(row).to_have_attribute("data-status", "stopped", timeout=30_000)
        expect(page.get_by_test_id(f"compare-stop-{fid}")).to_have_count(0)
    finally:
        stop_all_mine(server_url, owner["key"])
        context.close()


def test_compare_opened_first_lists_my_runs_keeps_the_selection_and_flags_mixed_tasks(browser, server_url, artifacts):
    owner = issue_key(server_url)
    api = client(server_url, owner["key"])
    classify = api.post("/api/runs", json=config(steps=200)).json()["id"]
    regress = api.post("/api/runs", json=config(steps=200, dataset="sine")).json()["id"]
    wait_for(api, classify, {"finished"})
    wait_for(api, regress, {"finished"})
    context = owner_context(browser, owner, {"width": 1440, "height": 900})
    page = context.new_page()
    try:
        # a fresh page opened on Compare lists the runs without a Refresh
        page.goto(f"{server_url}/?tab=compare")
        expect(page.get_by_test_id(f"compare-select-{classify}")).to_be_visible(timeout=30_000)
        expect(page.get_by_test_id("compare-runs")).not_to_contain_text("Loading")
        names = page.get_by_test_id("compare-runs").inner_text()
        assert classify not in names and regress not in names  # runs are named, not shown as ids

        # a classification and a regression overlaid: a note says their losses do not compare
        page.get_by_test_id(f"compare-select-{classify}").check()
        page.get_by_test_id(f"compare-select-{regress}").check()
        note = page.get_by_test_id("compare-task-note")
        expect(note).to_be_visible(timeout=30_000)
        expect(note).to_contain_text("regression")
        page.screenshot(path=str(artifacts / "compare-mixed-tasks.png"))

        # the selection survives another tab and a reload
        page.get_by_test_id("tab-runs").click()
        expect(page.get_by_test_id(f"myruns-row-{classify}")).to_be_visible()
        page.get_by_test_id("tab-compare").click()
        expect(page.get_by_test_id(f"compare-select-{classify}")).to_be_checked()
        expect(page.get_by_test_id(f"compare-select-{regress}")).to_be_checked()
        page.reload()
        expect(page.get_by_test_id(f"compare-select-{regress}")).to_be_checked(timeout=30_000)
        expect(page.get_by_test_id(f"compare-select-{classify}")).to_be_checked()

        page.get_by_test_id(f"compare-select-{regress}").uncheck()
        expect(note).to_have_count(0)
    finally:
        stop_all_mine(server_url, owner["key"])
        context.close()


def test_my_runs_renames_opens_stops_continues_and_deletes(browser, server_url, artifacts):
    owner = issue_key(server_url)
    api = client(server_url, owner["key"])
    done = api.post("/api/runs", json=config(steps=300)).json()
    live = api.post("/api/runs", json=config(steps=None)).json()  # trains until stopped
    wait_for(api, done["id"], {"finished"})
    context = owner_context(browser, owner, {"width": 1440, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{server_url}/?tab=runs")
        rows = page.get_by_test_id("myruns-list").locator("li")
        expect(rows).to_have_count(2, timeout=30_000)
        # newest first, each under its name (never a bare id)
        expect(rows.first).to_have_attribute("data-run", live["id"])
        name = page.get_by_test_id(f"myruns-name-{done['id']}")
        expect(name).to_have_text(done["name"])
        assert done["id"] not in done["name"]
        expect(page.get_by_test_id(f"myruns-steps-{live['id']}")).to_contain_text("until stopped")
        expect(page.get_by_test_id(f"myruns-results-{done['id']}")).to_contain_text("test loss")

        # rename: an empty name is refused next to the field, a new one is kept
        name.click()
        field = page.get_by_test_id(f"myruns-name-input-{done['id']}")
        field.fill("   ")
        expect(page.get_by_test_id(f"myruns-name-error-{done['id']}")).to_be_visible()
        field.fill("baseline lr 0.01")
        field.press("Enter")
        expect(name).to_have_text("baseline lr 0.01")
        assert api.get(f"/api/runs/{done['id']}").json()["name"] == "baseline lr 0.01"

        # stop the run that trains until stopped
        live_row = page.get_by_test_id(f"myruns-row-{live['id']}")
        expect(live_row).to_have_attribute("data-status", "running", timeout=30_000)
        page.get_by_test_id(f"myruns-stop-{live['id']}").click()
        expect(live_row).to_have_attribute("data-status", "stopped", timeout=30_000)
        assert api.get(f"/api/runs/{live['id']}").json()["status"] == "stopped"

        # continue the finished one for 200 more steps: it trains on past its old end, as the same run
        page.get_by_test_id(f"myruns-continue-{done['id']}").click()
        steps = page.get_by_test_id(f"myruns-continue-steps-{done['id']}")
        expect(steps).to_have_value("1000")
        steps.fill("lots")
        expect(page.get_by_test_id(f"myruns-continue-error-{done['id']}")).to_be_visible()
        expect(page.get_by_test_id(f"myruns-continue-go-{done['id']}")).to_be_disabled()
        steps.fill("200")
        page.get_by_test_id(f"myruns-continue-go-{done['id']}").click()
        done_row = page.get_by_test_id(f"myruns-row-{done['id']}")
        expect(done_row).to_have_attribute("data-step", "500", timeout=60_000)
        expect(done_row).to_have_attribute("data-status", "finished", timeout=30_000)
        after = api.get(f"/api/runs/{done['id']}").json()
        assert after["step"] == 500 and after["config"]["steps"] == 500 and after["name"] == "baseline lr 0.01"
        page.screenshot(path=str(artifacts / "my-runs.png"))

        # Open shows it on the Playground
        page.get_by_test_id(f"myruns-open-{done['id']}").click()
        expect(page.get_by_test_id("tab-playground")).to_have_attribute("aria-selected", "true")
        expect(page.get_by_test_id("status")).to_have_attribute("data-run-id", done["id"], timeout=30_000)
        page.get_by_test_id("tab-runs").click()

        # delete the stopped one, after a confirmation
        page.get_by_test_id(f"myruns-delete-{live['id']}").click()
        page.get_by_test_id(f"myruns-delete-cancel-{live['id']}").click()
        expect(live_row).to_be_visible()
        page.get_by_test_id(f"myruns-delete-{live['id']}").click()
        page.get_by_test_id(f"myruns-delete-confirm-{live['id']}").click()
        expect(live_row).to_have_count(0, timeout=30_000)
        assert api.get(f"/api/runs/{live['id']}").status_code == 404
        expect(rows).to_have_count(1)
        assert errors == []
    finally:
        stop_all_mine(server_url, owner["key"])
        context.close()


def test_stop_all_mine_stops_every_active_run(browser, server_url):
    owner = issue_key(server_url)
    api = client(server_url, owner["key"])
    ids = [api.post("/api/runs", json=config(steps=None)).json()["id"] for _ in range(2)]
    context = owner_context(browser, owner)
    page = context.new_page()
    try:
        page.goto(f"{server_url}/?tab=runs")
        for rid in ids:
            expect(page.get_by_test_id(f"myruns-row-{rid}")).to_have_attribute("data-status", "running", timeout=30_000)
        page.get_by_test_id("myruns-stop-all").click()
        expect(page.get_by_test_id("myruns-notice")).to_have_text("Stopped 2 runs.")
        for rid in ids:
            expect(page.get_by_test_id(f"myruns-row-{rid}")).to_have_attribute("data-status", "stopped", timeout=30_000)
            assert api.get(f"/api/runs/{rid}").json()["status"] == "stopped"
        expect(page.get_by_test_id("myruns-stop-all")).to_be_disabled()
    finally:
        stop_all_mine(server_url, owner["key"])
        context.close()


def test_another_owner_sees_none_of_my_runs(browser, server_url, artifacts):
    owner = issue_key(server_url)
    api = client(server_url, owner["key"])
    rid = api.post("/api/runs", json=config(steps=200)).json()["id"]
    # a second browser: a context of its own, which gets its own key on its first call
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto(f"{server_url}/?tab=runs")
        expect(page.get_by_test_id("myruns-empty")).to_be_visible(timeout=30_000)
        expect(page.get_by_test_id("myruns-empty")).to_contain_text("press Play")
        expect(page.get_by_test_id(f"myruns-row-{rid}")).to_have_count(0)
        page.screenshot(path=str(artifacts / "my-runs-empty-phone.png"))
        page.get_by_test_id("tab-compare").click()
        expect(page.get_by_test_id("compare-runs-empty")).to_be_visible(timeout=30_000)
        expect(page.get_by_test_id(f"compare-select-{rid}")).to_have_count(0)
        # the first owner still has it
        assert [r["id"] for r in api.get("/api/runs").json()["items"]] == [rid]
    finally:
        stop_all_mine(server_url, owner["key"])
        context.close()
