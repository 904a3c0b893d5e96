"""Rooms through the real app: a teacher creates a room, students join by its id with a name and train with the
owner keys the join gave them; the teacher's key (and only it) shows their runs, sends a new setup, pauses and
stops them all, exports the results; bad input is a 404, 403, 422 or 429 that names what was wrong; a room and its
runs survive a restart; an expired room's runs stop and its data goes unless it was exported."""

import copy
import csv
import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from glassnet.api.app import create_app
from glassnet.api.logs import RedactSecrets
from glassnet.runs.owners import KEY_HEADER
from glassnet.runs.rooms import TEACHER_HEADER
from glassnet.settings import Settings
from tests.api.test_sweeps_api import until
from tests.conftest import SMALL_CONFIG
from tests.live_server import running_server

SETUP = {**copy.deepcopy(SMALL_CONFIG), "steps": 300}
TOKEN = "a-class-token-1234"


def settings(data_dir: Path, **changes: Any) -> Settings:
    base: dict[str, Any] = dict(workers=1, max_runs=4, max_runs_per_owner=2, data_dir=data_dir)
    return Settings(**(base | changes))


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with TestClient(create_app(settings(tmp_path_factory.mktemp("rooms"), room_joins_per_address=40))) as client:
        yield client


def create(client: TestClient, **body: Any) -> dict[str, Any]:
    answer = client.post("/api/rooms", json={"title": "Class 7B", "config": SETUP, **body})
    assert answer.status_code == 201, answer.text
    return answer.json()


def join(client: TestClient, room_id: str, name: str) -> dict[str, str]:
    answer = client.post(f"/api/rooms/{room_id}/join", json={"name": name})
    assert answer.status_code == 201, answer.text
    return {KEY_HEADER: answer.json()["owner_key"]}


def teacher(created: dict[str, Any]) -> dict[str, str]:
    return {TEACHER_HEADER: created["teacher_key"]}


def test_a_teacher_runs_a_class_from_create_to_results(app: TestClient) -> None:
    created = create(app)
    room_id = created["room"]["id"]
    assert len(room_id) == 32 and int(room_id, 16) >= 0  # 128 bits, hex
    assert len(created["teacher_key"]) >= 43  # 256 bits, urlsafe base64
    assert created["join_path"] == f"/#room={room_id}"  # the secret sits in the fragment
    assert created["teacher_path"] == f"/#room={room_id}&teacher={created['teacher_key']}"

    ada, bob = join(app, room_id, "Ada"), join(app, room_id, "<b>Bob</b>")
    room = app.get(f"/api/rooms/{room_id}").json()
    assert room["students"] == 2 and room["config"]["steps"] == 300 and room["setup_version"] == 0

    changed = {**SETUP, "optimizer": {"name": "adam", "lr": 0.1}}
    run_a = app.post("/api/runs", json=SETUP, headers=ada).json()
    run_b = app.post("/api/runs", json=changed, headers=bob).json()
    # a student cannot change another's run
    assert app.post(f"/api/runs/{run_a['id']}/stop", headers=bob).status_code == 403

    view = app.get(f"/api/rooms/{room_id}/teacher", headers=teacher(created)).json()
    assert {s["name"] for s in view["students"]} == {"Ada", "<b>Bob</b>"}  # as typed: the page shows text
    by_run = {r["run_id"]: r for r in view["runs"]}
    assert by_run[run_a["id"]]["student"] == "Ada" and by_run[run_a["id"]]["changes"] == []
    assert by_run[run_b["id"]]["changes"] == [{"field": "optimizer.lr", "setup": 0.02, "run": 0.1}]

    until(lambda: all(app.get(f"/api/runs/{r['id']}").json()["status"] == "finished" for r in (run_a, run_b)))
    rows = list(
        csv.DictReader(io.StringIO(app.get(f"/api/rooms/{room_id}/results.csv", headers=teacher(created)).text))
    )
    assert {r["student"] for r in rows} == {"Ada", "<b>Bob</b>"}
    for row in rows:
        assert row["status"] == "finished" and row["steps"] == "300"
        assert 0 <= float(row["test_accuracy"]) <= 1 and float(row["test_loss"]) > 0
    assert next(r for r in rows if r["student"] == "<b>Bob</b>")["changes"] == "optimizer.lr=0.1"
    assert next(r for r in rows if r["student"] == "Ada")["changes"] == ""  # (an empty cell, not a quote)


def test_the_teacher_sends_a_setup_and_pauses_resumes_and_stops_everyone(app: TestClient) -> None:
    created = create(app)
    room_id = created["room"]["id"]
    students = [join(app, room_id, name) for name in ("Ann", "Ben")]
    endless = {**SETUP, "steps": None}
    runs = [app.post("/api/runs", json=endless, headers=key).json()["id"] for key in students]
    until(lambda: all(app.get(f"/api/runs/{r}").json()["status"] == "running" for r in runs))

    answer = app.put(f"/api/rooms/{room_id}/setup", json={"lesson": "dead-relu"}, headers=teacher(created))
    assert answer.status_code == 200, answer.text
    seen = app.get(f"/api/rooms/{room_id}").json()  # what a student's page polls
    assert (seen["setup_version"], seen["lesson"], seen["config"]) == (1, "dead-relu", None)
    # a run started from the lesson is "as the setup"; the runs started before it are still compared with theirs
    from glassnet.config import DEFAULT_CONFIG, merge_config
    from glassnet.lessons import LESSONS

    lesson_config = {**merge_config(DEFAULT_CONFIG, LESSONS["dead-relu"].base), "steps": None}
    ann_lesson = app.post("/api/runs", json=lesson_config, headers=students[0]).json()["id"]
    view = {r["run_id"]: r for r in app.get(f"/api/rooms/{room_id}/teacher", headers=teacher(created)).json()["runs"]}
    assert view[ann_lesson]["changes"] == [{"field": "steps", "setup": 3000, "run": None}]
    assert view[runs[1]]["changes"] == [{"field": "steps", "setup": 300, "run": None}]
    app.post(f"/api/runs/{ann_lesson}/stop", headers=students[0])
    # a live change of the learning rate is a change from the setup too
    app.patch(f"/api/runs/{runs[1]}", json={"lr": 0.05}, headers=students[1]).raise_for_status()
    view = {r["run_id"]: r for r in app.get(f"/api/rooms/{room_id}/teacher", headers=teacher(created)).json()["runs"]}
    assert {"field": "optimizer.lr", "setup": 0.02, "run": 0.05} in view[runs[1]]["changes"]

    paused = app.post(f"/api/rooms/{room_id}/runs/pause", headers=teacher(created)).json()
    assert sorted(paused["runs"]) == sorted(runs) and paused["affected"] == 2
    assert {app.get(f"/api/runs/{r}").json()["status"] for r in runs} == {"paused"}
    assert app.post(f"/api/rooms/{room_id}/runs/resume", headers=teacher(created)).json()["affected"] == 2
    assert {app.get(f"/api/runs/{r}").json()["status"] for r in runs} == {"running"}
    assert app.post(f"/api/rooms/{room_id}/runs/stop", headers=teacher(created)).json()["affected"] == 2
    assert {app.get(f"/api/runs/{r}").json()["status"] for r in runs} == {"stopped"}
    # each student's run says that the teacher did it
    events = [e["message"] for e in app.get(f"/api/runs/{runs[0]}/export?format=json").json()["events"]]
    assert [e for e in events if "teacher" in e] == [
        "paused by your teacher",
        "resumed by your teacher",
        "stopped by your teacher",
    ]
    # End room: at once, as at its expiry (its runs go: it was not exported)
    assert app.delete(f"/api/rooms/{room_id}", headers={TEACHER_HEADER: "wrong"}).status_code == 403
    assert app.delete(f"/api/rooms/{room_id}", headers=teacher(created)).status_code == 204
    gone = app.get(f"/api/rooms/{room_id}")
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    assert gone.status_code == 404 and f"has ended (at {today}" in gone.json()["detail"]
    assert all(app.get(f"/api/runs/{r}").status_code == 404 for r in runs)


def wrong_char(key: str, at: int) -> str:
    """`key` with one character changed (to another one, always)."""
    return key[:at] + ("B" if key[at] == "A" else "A") + key[at + 1 :]


def test_bad_input_names_what_was_wrong(app: TestClient) -> None:
    created = create(app)
    room_id = created["room"]["id"]
    for name, says in (
        ("", "empty"),
        ("   ", "empty"),
        ("x" * 41, "41 characters is over the limit of 40"),
        ("bell\x07", "control characters"),
        ("evil\u202eevil", "control characters"),
    ):
        answer = app.post(f"/api/rooms/{room_id}/join", json={"name": name})
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "name", (name, answer.text)
        assert says in answer.json()["detail"]
    assert app.post(f"/api/rooms/{room_id}/join", json={"name": "  Zoë 🙂  "}).json()["student"]["name"] == "Zoë 🙂"
    taken = app.post(f"/api/rooms/{room_id}/join", json={"name": "zoë 🙂"})  # (two Zoës could not be told apart)
    assert taken.status_code == 422 and taken.json()["errors"][0]["field"] == "name"
    assert "'zoë 🙂' is taken in this room" in taken.json()["detail"]

    unknown = app.post(f"/api/rooms/{'0' * 32}/join", json={"name": "Ann"})
    assert unknown.status_code == 404 and "room 00000000… not found" in unknown.json()["detail"]
    for headers in ({}, {TEACHER_HEADER: "not-the-key"}, {TEACHER_HEADER: wrong_char(created["teacher_key"], 10)}):
        answer = app.get(f"/api/rooms/{room_id}/teacher", headers=headers)
        assert answer.status_code == 403 and TEACHER_HEADER in answer.json()["detail"]
        assert app.put(f"/api/rooms/{room_id}/setup", json={}, headers=headers).status_code == 403

    for body, field, says in (
        ({"title": ""}, "title", "at least 1 character"),
        ({"title": "t" * 81}, "title", "at most 80 characters"),
        ({"title": "x", "lesson": "no-such"}, "lesson", "unknown lesson 'no-such'"),
        ({"title": "x", "config": {**SETUP, "batch_size": 0}}, "config.batch_size", "greater than or equal to 1"),
    ):
        answer = app.post("/api/rooms", json=body)
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == field, answer.text
        assert says in answer.json()["detail"]
    both = app.post("/api/rooms", json={"title": "x", "config": SETUP, "lesson": "dead-relu"})
    assert both.status_code == 422 and "not both" in both.json()["detail"]
    too_long = app.post("/api/rooms", json={"title": "x", "days": 8})
    assert too_long.status_code == 422 and too_long.json()["detail"] == (
        "days: 8 is over the limit of 7 (GLASSNET_ROOM_MAX_DAYS)"
    )


def test_a_student_who_rejoins_with_its_key_is_the_same_student_renamed(app: TestClient) -> None:
    room_id = create(app)["room"]["id"]
    key = join(app, room_id, "Ann")
    again = app.post(f"/api/rooms/{room_id}/join", json={"name": "Annie"}, headers=key)
    assert again.status_code == 200 and again.json()["owner_key"] is None
    assert app.get(f"/api/rooms/{room_id}/me", headers=key).json()["name"] == "Annie"
    assert app.get(f"/api/rooms/{room_id}").json()["students"] == 1
    stranger = {KEY_HEADER: app.post("/api/owners").json()["key"]}
    assert app.get(f"/api/rooms/{room_id}/me", headers=stranger).status_code == 404


def test_joins_are_rate_limited_per_room_and_per_address(tmp_path: Path) -> None:
    per_address = settings(tmp_path / "a", room_joins_per_address=3)
    with TestClient(create_app(per_address)) as client:
        room_id = create(client)["room"]["id"]
        for i in range(3):
            join(client, room_id, f"s{i}")
        refused = client.post(f"/api/rooms/{room_id}/join", json={"name": "s3"})
        assert refused.status_code == 429 and refused.json()["limit"] == "address"
        assert "3 joins this minute from your address" in refused.json()["detail"]
    per_room = settings(tmp_path / "b", room_joins_per_minute=2)
    with TestClient(create_app(per_room)) as client:
        room_id, other = create(client)["room"]["id"], create(client)["room"]["id"]
        join(client, room_id, "a"), join(client, room_id, "b")
        refused = client.post(f"/api/rooms/{room_id}/join", json={"name": "c"})
        assert refused.status_code == 429 and refused.json()["limit"] == "room"
        join(client, other, "c")  # another room has its own budget


def test_with_a_token_only_its_holder_creates_rooms_and_students_need_only_the_link(tmp_path: Path) -> None:
    with TestClient(create_app(settings(tmp_path, token=TOKEN))) as client:
        assert client.post("/api/rooms", json={"title": "x"}).status_code == 401
        owner = client.post("/api/owners", headers={"Authorization": f"Bearer {TOKEN}"}).json()["key"]
        assert client.post("/api/rooms", json={"title": "x"}, headers={KEY_HEADER: owner}).status_code == 401
        answer = client.post("/api/rooms", json={"title": "x"}, headers={"Authorization": f"Bearer {TOKEN}"})
        room_id = answer.json()["room"]["id"]
        key = join(client, room_id, "Ann")  # no token
        run = client.post("/api/runs", json={**SETUP, "steps": 20}, headers=key)
        assert run.status_code == 201, run.text  # the student's key works on every route


def test_rooms_and_their_runs_survive_a_restart_and_resume_all_restarts_the_interrupted_ones(tmp_path: Path) -> None:
    with TestClient(create_app(settings(tmp_path))) as client:
        created = create(client)
        room_id = created["room"]["id"]
        ann, ben = join(client, room_id, "Ann"), join(client, room_id, "Ben")
        done = client.post("/api/runs", json={**SETUP, "steps": 50}, headers=ann).json()["id"]
        until(lambda: client.get(f"/api/runs/{done}").json()["status"] == "finished")
        client.put(f"/api/rooms/{room_id}/setup", json={"lesson": "dead-relu"}, headers=teacher(created))
        # Ben's run trains past a saved state (every 100 steps) when the server stops
        active = client.post("/api/runs", json={**SETUP, "steps": 100_000}, headers=ben).json()["id"]
        until(lambda: client.get(f"/api/runs/{active}").json()["step"] > 250)
    with TestClient(create_app(settings(tmp_path))) as client:
        room = client.get(f"/api/rooms/{room_id}").json()
        assert (room["title"], room["students"], room["setup_version"], room["lesson"]) == (
            "Class 7B",
            2,
            1,
            "dead-relu",
        )
        view = client.get(f"/api/rooms/{room_id}/teacher", headers=teacher(created)).json()
        assert sorted((r["student"], r["status"]) for r in view["runs"]) == [
            ("Ann", "finished"),
            ("Ben", "interrupted"),
        ]
        assert client.get(f"/api/rooms/{room_id}/me", headers=ann).json()["name"] == "Ann"  # the key still works
        reached = client.get(f"/api/runs/{active}").json()["step"]

        # Resume all: Ben's interrupted run trains on from its last saved state, as the same run, one history
        resumed = client.post(f"/api/rooms/{room_id}/runs/resume", headers=teacher(created)).json()
        assert resumed["runs"] == [active]
        until(lambda: client.get(f"/api/runs/{active}").json()["step"] > reached + 100)
        client.post(f"/api/runs/{active}/stop", headers=ben)
        steps = client.get(f"/api/runs/{active}/metrics?series=train_loss").json()["series"]["train_loss"]["step"]
        assert steps == sorted(set(steps)) and steps[-1] > reached  # no step twice
        events = client.get(f"/api/runs/{active}/export?format=json").json()["events"]
        (event,) = [e for e in events if e["kind"] == "restarted"]
        assert event["step"] <= reached and f"it had reached step {reached}" in event["message"]


def test_an_expired_room_stops_its_runs_and_deletes_them_unless_it_was_exported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("glassnet.runs.rooms.EXPIRY_CHECK_S", 0.1)  # (the server looks every 30 s)
    with TestClient(create_app(settings(tmp_path))) as client:
        rooms = client.app.state.rooms  # type: ignore[attr-defined]
        endless = {**SETUP, "steps": None}
        made = {}
        for kept in (False, True):
            created = create(client, days=0.5)
            room_id = created["room"]["id"]
            key = join(client, room_id, "Ann")
            run_id = client.post("/api/runs", json=endless, headers=key).json()["id"]
            # running, with a first frame recorded (the history an export carries)
            until(lambda run_id=run_id: client.get(f"/api/runs/{run_id}").json()["step"] > 0)
            if kept:
                export = client.get(f"/api/rooms/{room_id}/export", headers=teacher(created)).json()
                assert export["room"]["kept"] and export["runs"][0]["run_id"] == run_id
                assert export["runs"][0]["series"]["train_loss"]["step"]  # its history travels with it
            made[kept] = (created, room_id, run_id)
            rooms.rooms[room_id].expires_at = "2000-01-01T00:00:00+00:00"  # (as if its day had passed)
        for _created, room_id, _run_id in made.values():
            gone = client.post(f"/api/rooms/{room_id}/join", json={"name": "Late"})
            assert gone.status_code == 404 and "has ended" in gone.json()["detail"]
        until(lambda: all(rooms.rooms[room_id].expired for _, room_id, _ in made.values()))  # the server's watch
        created, room_id, run_id = made[False]
        assert client.get(f"/api/runs/{run_id}").status_code == 404
        assert client.get(f"/api/rooms/{room_id}/teacher", headers=teacher(created)).status_code == 404
        created, room_id, run_id = made[True]
        until(lambda: client.get(f"/api/runs/{run_id}").json()["status"] == "stopped")  # (its worker's answer)
        view = client.get(f"/api/rooms/{room_id}/teacher", headers=teacher(created)).json()
        assert view["room"]["status"] == "expired" and view["runs"][0]["run_id"] == run_id
        assert client.post(f"/api/rooms/{room_id}/runs/stop", headers=teacher(created)).status_code == 404
    with TestClient(create_app(settings(tmp_path))) as client:  # and so after a restart
        assert client.get(f"/api/rooms/{made[False][1]}/teacher", headers=teacher(made[False][0])).status_code == 404
        assert client.get(f"/api/rooms/{made[True][1]}/teacher", headers=teacher(made[True][0])).status_code == 200


def test_the_teacher_stream_sends_tiles_and_each_output_once_until_it_changes(app: TestClient) -> None:
    created = create(app)
    room_id = created["room"]["id"]
    key = join(app, room_id, "Ann")
    join(app, room_id, "Ben")  # no run yet: listed, no tile
    run_id = app.post("/api/runs", json={**SETUP, "steps": None}, headers=key).json()["id"]
    with app.websocket_connect(f"/api/rooms/{room_id}/stream") as ws:
        ws.send_text(json.dumps({"teacher_key": created["teacher_key"]}))
        views: list[dict] = []
        steps = []
        for _ in range(40):
            message = json.loads(ws.receive_text())
            assert message["type"] == "room" and {s["name"] for s in message["students"]} == {"Ann", "Ben"}
            (tile,) = message["tiles"]
            assert (tile["run_id"], tile["student"]) == (run_id, "Ann")
            steps.append(tile["step"])
            if "view" in tile:
                views.append(tile["view"])
            if len(views) >= 2 and len(tile["loss"]) >= 3:
                break
        assert views and views[0]["kind"] == "grid" and views[0]["dense"]["shape"] == [24, 24]
        assert views[0]["extent"] is not None and views[0]["classes"] == 2
        assert len(views) < len(steps)  # not in every message: only when it changed
        assert steps == sorted(steps) and steps[-1] > 0
    app.post(f"/api/runs/{run_id}/stop", headers=key)


@pytest.mark.parametrize("first", [{"teacher_key": "wrong"}, {"nothing": 1}, "not json"])
def test_the_teacher_stream_refuses_a_wrong_key(app: TestClient, first: Any) -> None:
    room_id = create(app)["room"]["id"]
    with app.websocket_connect(f"/api/rooms/{room_id}/stream") as ws:
        ws.send_text(first if isinstance(first, str) else json.dumps(first))
        message = json.loads(ws.receive_text())
        assert message["type"] == "error"
        assert TEACHER_HEADER in message["detail"] or "teacher_key" in message["detail"]


def test_room_ids_and_keys_are_blanked_in_the_access_log() -> None:
    room_id, key = "ab" * 16, "secret-owner-key"
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/1.1" %d', ("127.0.0.1", "POST", "", 201), None
    )
    record.args = ("127.0.0.1", "POST", f"/api/rooms/{room_id}/join?key={key}", 201)
    RedactSecrets().filter(record)
    line = record.getMessage()
    assert room_id not in line and key not in line and "/api/rooms/[redacted]/join" in line


def test_a_real_servers_log_never_shows_a_room_id_or_a_key(tmp_path: Path) -> None:
    """Through `glassnet serve` (uvicorn's own access log): create, join, teach, stream, and a student's run."""
    import httpx
    import websockets.sync.client

    with running_server(tmp_path, "rooms-log") as url:
        created = httpx.post(f"{url}/api/rooms", json={"title": "Log", "config": {**SETUP, "steps": 30}}).json()
        room_id, teacher_key = created["room"]["id"], created["teacher_key"]
        joined = httpx.post(f"{url}/api/rooms/{room_id}/join", json={"name": "Ann"}).json()
        student = {KEY_HEADER: joined["owner_key"]}
        httpx.post(f"{url}/api/runs", json={**SETUP, "steps": 30}, headers=student).raise_for_status()
        assert httpx.get(f"{url}/api/rooms/{room_id}/teacher", headers=teacher(created)).status_code == 200
        assert httpx.get(f"{url}/api/rooms/{room_id}/me", headers=student).status_code == 200
        with websockets.sync.client.connect(f"{url.replace('http', 'ws')}/api/rooms/{room_id}/stream") as ws:
            ws.send(json.dumps({"teacher_key": teacher_key}))
            assert json.loads(ws.recv())["type"] == "room"
            # the client offered permessage-deflate, as browsers do: by default the server sends frames as they are
            assert ws.response.headers.get("Sec-WebSocket-Extensions") is None
        httpx.get(f"{url}/api/rooms/{'f' * 32}")  # a 404 names the room to its caller, not to the log
    log = (tmp_path / "rooms-log.log").read_text()
    assert "/api/rooms/[redacted]/join" in log and "/api/rooms/[redacted]/stream" in log  # (it does log requests)
    for secret in (room_id, teacher_key, joined["owner_key"], "f" * 32):
        assert secret not in log
