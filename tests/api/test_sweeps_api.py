"""Sweeps and cohorts through the real app: a sweep's members train as runs in cohorts, each streaming and
persisting as a run alone; a bad grid is a 422 that names the axis; a sweep takes one of its owner's slots;
members beyond the server's room wait and start as room frees; runs of separate owners with one architecture
share a cohort; a cohort's crash fails its members and nothing else."""

import copy
import csv
import io
import os
import signal
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from glassnet.api.app import create_app
from glassnet.runs.owners import KEY_HEADER
from glassnet.settings import Settings
from tests.conftest import SMALL_CONFIG

BASE = {**copy.deepcopy(SMALL_CONFIG), "steps": 150}


def until(check: Any, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(
        workers=1, max_runs=1, max_runs_per_owner=2, max_sweep=12, data_dir=tmp_path_factory.mktemp("sweeps")
    )
    with TestClient(create_app(settings)) as client:
        client.headers[KEY_HEADER] = client.post("/api/owners").json()["key"]
        yield client


def other_owner(client: TestClient) -> dict[str, str]:
    return {KEY_HEADER: client.post("/api/owners").json()["key"]}


def finished(client: TestClient, sweep_id: str) -> dict:
    return until(lambda: (s := client.get(f"/api/sweeps/{sweep_id}").json())["status"] in ("done", "stopped") and s)


def test_a_sweep_trains_every_combination_in_cohorts_and_exports_its_table(server: TestClient) -> None:
    grid = {"seed": [0, 1, 2], "optimizer.lr": [0.003, 0.03]}
    answer = server.post("/api/sweeps", json={"config": BASE, "grid": grid, "name": "lr × seed"})
    assert answer.status_code == 201, answer.text
    sweep = answer.json()
    assert [m["values"] for m in sweep["members"]][:3] == [
        {"seed": 0, "optimizer.lr": 0.003},
        {"seed": 0, "optimizer.lr": 0.03},
        {"seed": 1, "optimizer.lr": 0.003},
    ]
    done = finished(server, sweep["id"])
    assert done["status"] == "done" and done["counts"] == {"finished": 6}
    assert done["steps_done"] == done["steps_total"] == 6 * 150
    for member in done["members"]:
        run = server.get(f"/api/runs/{member['run_id']}").json()
        assert run["sweep"] == sweep["id"] and run["status"] == "finished" and run["step"] == 150
        assert run["config"]["seed"] == member["values"]["seed"]
        assert run["config"]["optimizer"]["lr"] == member["values"]["optimizer.lr"]
        assert run["cohort"]["alone"] is None and run["cohort"]["members"] >= 2, run["cohort"]
        assert member["summary"]["train_loss"]["value"] is not None
        # a member is a run: its history and its stored detail frame are there
        series = server.get(f"/api/runs/{member['run_id']}/metrics", params={"names": "train_loss"}).json()
        assert series["series"]["train_loss"]["step"][-1] == 150
    losses = {tuple(m["values"].values()): m["summary"]["train_loss"]["value"] for m in done["members"]}
    assert len(set(losses.values())) == 6, "members with other seeds or rates train differently"

    table = list(csv.DictReader(io.StringIO(server.get(f"/api/sweeps/{sweep['id']}/export").text)))
    assert len(table) == 6 and {"seed", "optimizer.lr", "status", "train_loss", "test_loss"} <= set(table[0])
    assert server.get(f"/api/sweeps/{sweep['id']}/export", params={"format": "json"}).json()[5]["optimizer.lr"] == 0.03
    # the members are the sweep's: the owner's run list does not show them
    listed = {r["id"] for r in server.get("/api/runs", params={"limit": 500}).json()["items"]}
    assert not listed & {m["run_id"] for m in done["members"]}
    assert server.get("/api/sweeps").json()[0]["id"] == sweep["id"]


@pytest.mark.parametrize(
    ("grid", "field", "words"),
    [
        ({"optimizer.lrr": [0.1]}, "grid.optimizer.lrr", "did you mean optimizer.lr"),
        ({"seed": list(range(13))}, "grid", "over the limit of 12 (GLASSNET_MAX_SWEEP)"),
        ({"optimizer.lr": [0.1, 50.0]}, "grid.optimizer.lr.1", "less than or equal to 10"),
        ({"device": ["cpu"]}, "grid.device", "a sweep can vary any other field"),
        ({"optimizer": ["sgd", "adam"]}, "grid.optimizer", "did you mean optimizer.name=sgd,adam?"),
    ],
)
def test_a_bad_grid_is_a_422_that_names_the_axis(server: TestClient, grid: dict, field: str, words: str) -> None:
    answer = server.post("/api/sweeps", json={"config": BASE, "grid": grid})
    assert answer.status_code == 422
    errors = answer.json()["errors"]
    assert any(e["field"] == field and words in e["message"] for e in errors), errors


def test_two_sweeps_of_an_owner_never_share_a_name(server: TestClient) -> None:
    """Unnamed, a sweep is named after what it varies; a name the owner's sweeps have already gets an ordinal."""
    owner = other_owner(server)
    grid = {"optimizer.lr": [0.03], "seed": [0, 1]}
    names = []
    for name in (None, None, "widths", "widths"):
        answer = server.post("/api/sweeps", json={"config": BASE, "grid": grid, "name": name}, headers=owner)
        assert answer.status_code == 201, answer.text
        names.append(answer.json()["name"])
        assert server.post(f"/api/sweeps/{answer.json()['id']}/stop", headers=owner).status_code == 200
        run = server.get(f"/api/runs/{answer.json()['members'][0]['run_id']}").json()
        assert run["name"].startswith(names[-1] + " · ")
    assert names == ["learning rate × 2 seeds · circle", "learning rate × 2 seeds · circle #2", "widths", "widths #2"]


def test_a_sweep_takes_one_slot_and_waits_for_room_and_only_its_owner_stops_it(server: TestClient) -> None:
    # an LSTM trains alone even in a sweep (cohort/compat.py): each member takes a whole run's room, and this server
    # has room for one
    lstm = {
        "dataset": {"name": "adding", "n_samples": 100, "seq_len": 5},
        "model": {"kind": "rnn", "cell": "lstm", "rnn_hidden": 4, "hidden": [], "activation": "tanh"},
        "optimizer": {"name": "adam", "lr": 0.01},
        "steps": 1_000_000,
    }
    first = server.post("/api/sweeps", json={"config": lstm, "grid": {"seed": [0, 1, 2]}}).json()
    running = until(lambda: (s := server.get(f"/api/sweeps/{first['id']}").json())["counts"].get("running") and s)
    assert running["counts"] == {"running": 1, "pending": 2}, running["counts"]
    run = server.get(f"/api/runs/{running['members'][0]['run_id']}").json()
    assert "LSTM trains alone" in run["cohort"]["alone"]
    # a second sweep is the owner's second slot of two: it is accepted, and waits for the server's room
    second = server.post("/api/sweeps", json={"config": BASE, "grid": {"seed": [7, 8]}})
    assert second.status_code == 201 and second.json()["status"] == "pending"
    refused = server.post("/api/runs", json=BASE)
    assert refused.status_code == 429 and refused.json()["limit"] == "owner"
    assert "a sweep counts as one run" in refused.json()["detail"]
    # the answer lists the sweeps that hold the slots, for a page to offer to stop one
    assert {s["id"] for s in refused.json()["sweeps"]} == {first["id"], second.json()["id"]}
    # another owner may look, not stop
    assert server.post(f"/api/sweeps/{first['id']}/stop", headers=other_owner(server)).status_code == 403
    stopped = server.post(f"/api/sweeps/{first['id']}/stop").json()
    assert stopped["status"] == "stopped" and stopped["counts"] == {"stopped": 3}
    # its progress is what its members trained (not what they would have)
    trained = sum(server.get(f"/api/runs/{m['run_id']}").json()["step"] for m in stopped["members"])
    assert stopped["steps_done"] == stopped["steps_total"] == trained > 0
    assert server.get(f"/api/runs/{running['members'][2]['run_id']}").json()["step"] == 0  # it never started
    # the room it frees lets the second sweep's members start, in one cohort
    done = finished(server, second.json()["id"])
    assert done["counts"] == {"finished": 2} and all(m["cohort"]["members"] == 2 for m in done["members"])


def test_the_sweep_stream_sends_every_members_progress_until_the_end(server: TestClient) -> None:
    sweep = server.post("/api/sweeps", json={"config": BASE, "grid": {"seed": [3, 4]}}).json()
    seen: dict[int, list[int]] = {0: [], 1: []}
    with server.websocket_connect(f"/api/sweeps/{sweep['id']}/stream") as ws:
        while True:
            message = ws.receive_json()
            assert message["type"] == "sweep"
            for member in message["members"]:
                seen[member["index"]].append(member["step"])
            if message["status"] == "done":
                break
    assert all(steps[-1] == 150 for steps in seen.values()), seen
    assert message["steps_done"] == 300


def test_runs_of_separate_owners_share_a_cohort_stream_as_runs_and_pause_on_their_own(server: TestClient) -> None:
    config = {**BASE, "steps": 1_000_000}
    owners = [other_owner(server) for _ in range(2)]
    ids = [server.post("/api/runs", json=config, headers=o).json()["id"] for o in owners]
    manager = server.app.state.manager
    try:
        until(lambda: all(server.get(f"/api/runs/{i}").json()["status"] == "running" for i in ids))
        assert manager.runs[ids[0]].host is not None and manager.runs[ids[0]].host is manager.runs[ids[1]].host
        assert server.get(f"/api/runs/{ids[0]}").json()["cohort"] == {"members": 2, "alone": None}
        for run_id in ids:
            with server.websocket_connect(f"/api/runs/{run_id}/stream") as ws:
                hello = ws.receive_json()
                assert hello["run"]["id"] == run_id and hello["layers"]
                frames = [ws.receive_json() for _ in range(3)]
            assert [f["type"] for f in frames if f["type"] == "frame"] and all(f["step"] > 0 for f in frames)
        # neither owner may touch the other's run
        assert server.post(f"/api/runs/{ids[1]}/pause", headers=owners[0]).status_code == 403
        # one pauses: it goes on alone, paused where it was, and the other keeps training
        paused = server.post(f"/api/runs/{ids[0]}/pause", headers=owners[0]).json()
        assert paused["status"] == "paused"
        step = server.get(f"/api/runs/{ids[1]}").json()["step"]
        until(lambda: server.get(f"/api/runs/{ids[1]}").json()["step"] > step + 20)
        assert server.get(f"/api/runs/{ids[0]}").json()["step"] == paused["step"]
        stepped = server.post(f"/api/runs/{ids[0]}/step", headers=owners[0]).json()
        assert stepped["step"] == paused["step"] + 1
        resumed = server.post(f"/api/runs/{ids[0]}/resume", headers=owners[0]).json()
        assert resumed["status"] == "running"
        until(lambda: server.get(f"/api/runs/{ids[0]}").json()["step"] > stepped["step"] + 20)
        # a live learning-rate change lands on its member only
        changed = server.patch(f"/api/runs/{ids[1]}", json={"lr": 0.001}, headers=owners[1]).json()
        assert changed["config"]["optimizer"]["lr"] == 0.001
        assert server.get(f"/api/runs/{ids[0]}").json()["config"]["optimizer"]["lr"] == config["optimizer"]["lr"]
    finally:
        for run_id, owner in zip(ids, owners, strict=True):
            server.post(f"/api/runs/{run_id}/stop", headers=owner)
    assert {server.get(f"/api/runs/{i}").json()["status"] for i in ids} == {"stopped"}


def test_a_crashed_cohort_fails_its_members_with_the_reason_and_nothing_else(server: TestClient) -> None:
    sweep = server.post("/api/sweeps", json={"config": {**BASE, "steps": 1_000_000}, "grid": {"seed": [5, 6]}}).json()
    other = server.post("/api/runs", json={**BASE, "model": {"hidden": [4], "activation": "relu"}, "steps": 1_000_000})
    manager = server.app.state.manager
    runs = [manager.runs[m["run_id"]] for m in sweep["members"]]
    until(lambda: all(r.status == "running" for r in runs) and manager.runs[other.json()["id"]].status == "running")
    host = runs[0].host
    assert host is runs[1].host and host is not manager.runs[other.json()["id"]].host
    os.kill(host.process.pid, signal.SIGKILL)
    for run in runs:
        failed = until(lambda run=run: (r := server.get(f"/api/runs/{run.id}").json())["status"] == "failed" and r)
        assert "signal 9" in failed["error"] and "cohort" in failed["error"]
    step = server.get(f"/api/runs/{other.json()['id']}").json()["step"]
    until(lambda: server.get(f"/api/runs/{other.json()['id']}").json()["step"] > step)
    server.post(f"/api/runs/{other.json()['id']}/stop")
    assert server.get(f"/api/sweeps/{sweep['id']}").json()["status"] == "done"


def test_a_leased_sweep_pauses_unwatched_and_a_look_resumes_it_and_stop_all_stops_it(tmp_path) -> None:
    settings = Settings(workers=1, data_dir=tmp_path, idle_pause_s=0.5)
    with TestClient(create_app(settings)) as client:
        client.headers[KEY_HEADER] = client.post("/api/owners").json()["key"]
        grid = {"seed": [0, 1], "model.hidden": [[4], [8, 8]]}  # (two architectures: two cohorts)
        sweep = client.post("/api/sweeps?lease=true", json={"config": {**BASE, "steps": None}, "grid": grid}).json()
        ids = [m["run_id"] for m in sweep["members"]]
        # the owner's other slot is taken too: a member resumes in its sweep's slot, it needs no other
        other = client.post("/api/runs", json={**BASE, "steps": None}).json()["id"]
        until(lambda: all(client.get(f"/api/runs/{i}").json()["status"] == "paused" for i in ids), timeout=30)
        assert all(client.get(f"/api/runs/{i}").json()["idle"]["action"] == "paused" for i in ids)
        looked = client.get(f"/api/sweeps/{sweep['id']}").json()  # the page's poll: it watches the members
        assert looked["status"] == "running"
        until(lambda: all(client.get(f"/api/runs/{i}").json()["status"] == "running" for i in ids), timeout=30)
        # JSON export keeps an axis's list as a list (CSV writes it as text)
        assert client.get(f"/api/sweeps/{sweep['id']}/export", params={"format": "json"}).json()[1]["model.hidden"] == [
            8,
            8,
        ]
        client.post("/api/runs/stop-all")
        stopped = client.get(f"/api/sweeps/{sweep['id']}").json()
        assert stopped["status"] == "stopped" and stopped["counts"] == {"stopped": 4}
        assert client.get(f"/api/runs/{other}").json()["status"] == "stopped"
