"""Rooms in the browser: a teacher makes a room from the Class tab; two students join by its link with their names (one
of them markup, which must show as text); their runs show on the teacher's page as live tiles and in the results
table; the teacher pauses every run, sends a lesson that both student pages switch to, and downloads the results."""

import csv
import io
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

XSS_NAME = "<img src=x onerror=alert(1)>"
LESSON = "dead-relu"

# what a tile's output square holds: how many distinct colours, and the share of its pixels that are coloured (neither
# the grey of "no output yet" nor near white)
OUTPUT_PIXELS = """(canvas) => {
  const dpr = canvas.width / parseFloat(canvas.style.width);
  const side = Math.floor((canvas.height / dpr - 12) * dpr);
  const px = canvas.getContext('2d').getImageData(Math.ceil(7 * dpr), Math.ceil(7 * dpr), side - 2, side - 2).data;
  const seen = new Set();
  let coloured = 0;
  for (let i = 0; i < px.length; i += 4) {
    seen.add(`${px[i] >> 3},${px[i + 1] >> 3},${px[i + 2] >> 3}`);
    if (Math.max(px[i], px[i + 1], px[i + 2]) - Math.min(px[i], px[i + 1], px[i + 2]) > 40) coloured += 1;
  }
  return { colours: seen.size, coloured: coloured / (px.length / 4) };
}"""


def room_storage(page: Page) -> dict:
    """What the page keeps of rooms in localStorage."""
    return page.evaluate(
        "() => Object.fromEntries(Object.keys(localStorage).filter((k) => k.includes('room'))"
        ".map((k) => [k, localStorage.getItem(k)]))"
    )


def join(page: Page, link: str, name: str, shots: list[tuple[str, str]]) -> None:
    page.goto(link)
    form = page.get_by_test_id("room-join")
    expect(form).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("room-join-title")).to_contain_text("Rooms e2e", timeout=15_000)
    # the room's id left the address bar at once, and never went into the query
    assert urlsplit(page.url).fragment == "" and "room" not in urlsplit(page.url).query
    page.get_by_test_id("room-name").fill(name)
    for path, size in shots:
        width, height = (int(x) for x in size.split("x"))
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=path)
    page.get_by_test_id("room-join-button").click()
    expect(page.get_by_test_id("room-banner")).to_be_visible(timeout=15_000)


def test_a_teacher_runs_a_class_of_two_from_the_page(browser, server_url, artifacts):
    contexts = []
    dialogs: list[str] = []
    errors: list[str] = []
    room_id = key = ""

    def new_page(width: int, height: int) -> Page:
        context = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: errors.append(str(e)))
        return page

    try:
        # ---- the teacher makes a room from the playground's settings (training until stopped, so that Pause all
        # finds running runs)
        teacher = new_page(1440, 900)
        teacher.goto(f"{server_url}/?tab=class&steps=null")
        teacher.get_by_test_id("room-title").fill("Rooms e2e: Monday")
        expect(teacher.get_by_test_id("room-setup-current")).to_be_checked()
        teacher.screenshot(path=str(artifacts / "rooms-create-1440.png"))
        teacher.set_viewport_size({"width": 390, "height": 844})
        teacher.screenshot(path=str(artifacts / "rooms-create-390.png"))
        teacher.set_viewport_size({"width": 1440, "height": 900})
        teacher.get_by_test_id("room-create-button").click()
        expect(teacher.get_by_test_id("teacher-view")).to_be_visible(timeout=15_000)
        join_link = teacher.get_by_test_id("room-join-link-value").input_value()
        teacher_link = teacher.get_by_test_id("room-teacher-link-value").input_value()
        fragment = parse_qs(urlsplit(teacher_link).fragment)
        room_id, key = fragment["room"][0], fragment["teacher"][0]
        assert join_link == f"{server_url}/#room={room_id}"
        # the teacher key is kept by the browser (to come back), and never in the page's address
        assert key in json.dumps(room_storage(teacher))
        assert room_id not in teacher.url and key not in teacher.url
        teacher_api = httpx.Client(base_url=server_url, headers={"X-Glassnet-Teacher": key}, timeout=30)
        room = httpx.get(f"{server_url}/api/rooms/{room_id}").json()
        assert room["title"] == "Rooms e2e: Monday" and room["config"]["steps"] is None

        # ---- two students join by the link; the markup name shows as text
        ada = new_page(1440, 900)
        join(ada, join_link, "Ada", [(str(artifacts / "rooms-join-1440.png"), "1440x900")])
        mallory = new_page(390, 844)
        join(mallory, join_link, XSS_NAME, [(str(artifacts / "rooms-join-390.png"), "390x844")])
        expect(mallory.get_by_test_id("room-banner-name")).to_have_text(f"you are {XSS_NAME}")
        assert mallory.get_by_test_id("room-banner").locator("img").count() == 0
        expect(ada.get_by_test_id("room-banner-title")).to_have_text("Class “Rooms e2e: Monday”")
        students = {s["name"]: s for s in teacher_api.get(f"/api/rooms/{room_id}/teacher").json()["students"]}
        assert set(students) == {"Ada", XSS_NAME}

        # ---- they start the room's setup; their runs are the room's students'
        runs = {}
        for name, page in (("Ada", ada), (XSS_NAME, mallory)):
            expect(page.get_by_test_id("play")).to_be_enabled(timeout=30_000)
            page.get_by_test_id("play").click()
            page.wait_for_function(
                "() => document.querySelector('[data-testid=status]')?.dataset.runId", timeout=30_000
            )
            runs[name] = page.get_by_test_id("status").get_attribute("data-run-id")
        ada.screenshot(path=str(artifacts / "rooms-student-banner-1440.png"))
        mallory.screenshot(path=str(artifacts / "rooms-student-banner-390.png"))
        for name, run_id in runs.items():
            assert httpx.get(f"{server_url}/api/runs/{run_id}").json()["owner"] == students[name]["id"]

        # ---- the teacher sees a tile per student, its decision boundary drawn, and the table
        tiles = teacher.get_by_test_id("room-tile")
        expect(tiles).to_have_count(2, timeout=30_000)
        for run_id in runs.values():
            canvas = teacher.locator(f"[data-testid=room-tile][data-run-id='{run_id}'] canvas")
            expect(canvas).to_have_attribute("data-has-view", "true", timeout=30_000)
            # once it has trained a while, the boundary parts the plane into orange and blue (early on the network says
            # 0.5 everywhere: near white)
            teacher.wait_for_function(
                f"(c) => {{ const d = ({OUTPUT_PIXELS})(c); return d.colours > 8 && d.coloured > 0.3; }}",
                arg=canvas.element_handle(),
                timeout=60_000,
                polling=250,
            )
        expect(teacher.get_by_test_id("room-tile-name")).to_have_text(["Ada", XSS_NAME])
        assert teacher.get_by_test_id("room-tiles").locator("img").count() == 0
        rows = teacher.get_by_test_id("room-row")
        expect(rows).to_have_count(2, timeout=15_000)
        expect(teacher.get_by_test_id("room-row-changes")).to_have_text(["as the setup", "as the setup"])
        # sorting by a column's header
        teacher.get_by_test_id("room-sort-student").click()
        expect(teacher.get_by_test_id("room-table")).to_have_attribute("data-descending", "true")
        expect(rows.first).to_contain_text("Ada")
        teacher.screenshot(path=str(artifacts / "rooms-teacher-1440.png"), full_page=True)
        teacher.set_viewport_size({"width": 390, "height": 844})
        teacher.get_by_test_id("room-tiles").scroll_into_view_if_needed()
        teacher.screenshot(path=str(artifacts / "rooms-teacher-390.png"))
        assert teacher.evaluate("() => document.documentElement.scrollWidth") <= 392
        teacher.set_viewport_size({"width": 1440, "height": 900})

        # ---- Present opens the run's output alone, full screen, in a new tab
        first_run = runs["Ada"]
        with teacher.context.expect_page() as opened:
            teacher.locator(
                f"[data-testid=room-tile][data-run-id='{first_run}'] [data-testid=room-tile-present]"
            ).click()
        presented = opened.value
        presented.wait_for_load_state()
        assert parse_qs(urlsplit(presented.url).query) == {"run": [first_run], "present": ["boundary"]}
        expect(presented.get_by_test_id("output")).to_have_attribute("data-presenting", "true", timeout=30_000)
        presented.close()

        # ---- Pause all pauses both runs
        teacher.get_by_test_id("room-pause-all").click()
        expect(teacher.get_by_test_id("room-note")).to_contain_text("Pause all: 2 runs", timeout=15_000)
        for run_id in runs.values():
            assert httpx.get(f"{server_url}/api/runs/{run_id}").json()["status"] == "paused"

        # ---- a lesson sent to everyone: both student pages switch to it and say so
        teacher.get_by_test_id("room-send-lesson-pick").select_option(LESSON)
        teacher.get_by_test_id("room-send-lesson").click()
        expect(teacher.get_by_test_id("room-note")).to_contain_text("every student page switches")
        for page in (ada, mallory):
            expect(page.get_by_test_id("room-new-setup")).to_contain_text(
                "Your teacher sent a new setup.", timeout=15_000
            )
            expect(page.get_by_test_id("tab-lessons")).to_have_attribute("aria-selected", "true")
            expect(page.get_by_test_id(f"lesson-item-{LESSON}")).to_have_attribute("aria-current", "true")
        ada.screenshot(path=str(artifacts / "rooms-student-new-setup-1440.png"))
        # a reload keeps the student in the room (and on the setup it had)
        ada.reload()
        expect(ada.get_by_test_id("room-banner")).to_be_visible(timeout=15_000)
        expect(ada.get_by_test_id("room-banner-name")).to_have_text("you are Ada")

        # ---- the results as a CSV file: a row per run
        with teacher.expect_download() as download:
            teacher.get_by_test_id("room-csv").click()
        assert download.value.suggested_filename == "results-rooms-e2e-monday.csv"
        table = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
        assert sorted(r["run_id"] for r in table) == sorted(runs.values())
        assert {r["student"] for r in table} == {"Ada", XSS_NAME}
        # ---- Export all: every run with its history, and the room's data is kept past its end
        with teacher.expect_download() as download:
            teacher.get_by_test_id("room-export").click()
        exported = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
        assert sorted(r["run_id"] for r in exported["runs"]) == sorted(runs.values()) and exported["room"]["kept"]
        expect(teacher.get_by_test_id("teacher-room-meta")).to_contain_text("its data is kept after it ends")
        assert httpx.get(f"{server_url}/api/rooms/{room_id}", timeout=30).json()["kept"] is True

        # ---- a wrong teacher link in the teacher's browser keeps the good key: the room stays usable, and the page
        # says the link's key is not accepted
        teacher.goto(f"{server_url}/#room={room_id}&teacher={'Z' * 43}")
        expect(teacher.get_by_test_id("teacher-link-check")).to_have_attribute("data-state", "refused", timeout=30_000)
        expect(teacher.get_by_test_id("teacher-link-check")).to_contain_text("This teacher link’s key is not accepted")
        expect(teacher.get_by_test_id("room-tile")).to_have_count(2, timeout=30_000)
        expect(teacher.get_by_test_id("room-end")).to_be_visible()
        assert key in json.dumps(room_storage(teacher))

        # ---- leaving the room goes back to the browser's own key
        own = json.loads(ada.evaluate("() => localStorage.getItem('glassnet-owner')") or "null")
        ada.get_by_test_id("room-leave").click()
        expect(ada.get_by_test_id("room-banner")).to_have_count(0)
        assert own is None or own["owner"] != students["Ada"]["id"]

        # ---- the teacher link in another browser opens the room's view there; an unknown room's link says so
        elsewhere = new_page(1440, 900)
        elsewhere.goto(teacher_link)
        expect(elsewhere.get_by_test_id("teacher-room-title")).to_have_text("Room “Rooms e2e: Monday”", timeout=30_000)
        expect(elsewhere.get_by_test_id("room-tile")).to_have_count(2, timeout=30_000)
        assert key not in elsewhere.url and urlsplit(elsewhere.url).fragment == ""
        # a fresh browser with a wrong key: the refusal, no room view with its buttons
        wrong = new_page(390, 844)
        wrong.goto(f"{server_url}/#room={room_id}&teacher={'Z' * 43}")
        expect(wrong.get_by_test_id("teacher-link-check")).to_have_attribute("data-state", "refused", timeout=30_000)
        expect(wrong.get_by_test_id("teacher-view")).to_have_count(0)
        elsewhere.goto(f"{server_url}/#room={'0' * 32}")
        expect(elsewhere.get_by_test_id("room-join-error")).to_have_attribute("data-kind", "gone", timeout=30_000)
        expect(elsewhere.get_by_test_id("room-join-error")).to_contain_text("does not exist or has ended")
        assert dialogs == [] and errors == []
    finally:
        if room_id and key:
            httpx.post(f"{server_url}/api/rooms/{room_id}/runs/stop", headers={"X-Glassnet-Teacher": key}, timeout=30)
        for context in contexts:
            context.close()
