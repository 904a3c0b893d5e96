"""Owners: who may change a run (runs/owners.py), per-owner limits, continue, forks from saved states."""

import logging
import time

import numpy as np
import pytest
from fastapi.testclient import TestClient
from safetensors.numpy import load

from glassnet.api.app import create_app
from glassnet.api.logs import RedactSecrets
from glassnet.config import LIMITS
from glassnet.runs.owners import KEY_HEADER
from glassnet.settings import Settings
from tests.api.test_datasets import csv_text
from tests.api.test_runs import wait_for_status
from tests.api.test_stream import read_until_closed
from tests.owners import new_key, own

TOKEN = "correct-horse-battery"


def finished(client, config: dict, headers: dict | None = None) -> dict:
    response = client.post("/api/runs", json=config, headers=headers or {})
    assert response.status_code == 201, response.text
    return wait_for_status(client, response.json()["id"], "finished", timeout=60)


def history(client, run_id: str, name: str = "train_loss") -> tuple[list[int], list[float]]:
    series = client.get(f"/api/runs/{run_id}/metrics", params={"series": name, "max_points": 10_000}).json()
    return series["series"][name]["step"], series["series"][name]["last"]


# ---- keys
def test_a_key_is_issued_signed_and_a_made_up_one_is_refused(client):
    issued = client.post("/api/owners").json()
    owner, _, signature = issued["key"].partition(".")
    assert owner == issued["owner"] and len(signature) == 32
    forged = f"{owner}.{'0' * 32}"
    response = client.get("/api/runs", headers={KEY_HEADER: forged})
    assert response.status_code == 401 and KEY_HEADER in response.json()["detail"]
    assert "did not issue" in response.json()["detail"]
    assert client.get("/api/runs", headers={KEY_HEADER: issued["key"]}).json()["items"] == []  # a new owner has none


def test_issuing_keys_is_rate_limited_per_address(tmp_path):
    with TestClient(create_app(Settings(workers=0, data_dir=tmp_path, owner_keys_per_minute=3))) as client:
        answers = [client.post("/api/owners").status_code for _ in range(5)]
        assert answers == [201, 201, 201, 429, 429]
        detail = client.post("/api/owners").json()["detail"]
        assert "3 a minute" in detail and "GLASSNET_OWNER_KEYS_PER_MINUTE" in detail


def test_a_key_survives_a_restart_and_a_token_change_voids_it(tmp_path):
    with TestClient(create_app(Settings(workers=0, data_dir=tmp_path))) as client:
        key = new_key(client)
    with TestClient(create_app(Settings(workers=0, data_dir=tmp_path))) as client:
        assert client.get("/api/runs", headers=key).status_code == 200
    with TestClient(create_app(Settings(workers=0, data_dir=tmp_path, token=TOKEN))) as client:
        assert client.get("/api/runs", headers=key).status_code == 401  # issued before the token: not valid under it
        under = new_key(client, Authorization=f"Bearer {TOKEN}")
        assert client.get("/api/runs", headers=under).status_code == 200  # a key issued under the token opens it
        assert client.post("/api/owners").status_code == 401  # issuing needs the token (or such a key)


# ---- who may change what
def test_another_owner_may_watch_and_fork_but_not_change_a_run(client, small_config):
    small_config["steps"] = 1_000_000
    run = client.post("/api/runs", json=small_config).json()
    assert run["mine"] and run["can_change"] and run["owner"]
    stranger = new_key(client)
    try:
        wait_for_status(client, run["id"], "running")
        seen = client.get(f"/api/runs/{run['id']}", headers=stranger).json()
        assert not seen["mine"] and not seen["can_change"]
        attempts = [
            ("post", f"/api/runs/{run['id']}/pause", None),
            ("post", f"/api/runs/{run['id']}/stop", None),
            ("patch", f"/api/runs/{run['id']}", {"lr": 0.5}),
            ("patch", f"/api/runs/{run['id']}", {"name": "mine now"}),
            ("delete", f"/api/runs/{run['id']}", None),
            ("post", f"/api/runs/{run['id']}/continue", {"steps": 10}),
        ]
        for method, path, body in attempts:
            response = client.request(method.upper(), path, json=body, headers=stranger)
            assert response.status_code == 403, (path, response.text)
            assert run["id"] in response.json()["detail"] and "another owner" in response.json()["detail"]
        after = client.get(f"/api/runs/{run['id']}").json()
        assert after["status"] == "running" and after["config"]["optimizer"]["lr"] == 0.02
        assert after["name"] == run["name"]
        # watching and forking need no ownership; the fork is the stranger's
        with client.websocket_connect(f"/api/runs/{run['id']}/stream", headers=stranger) as ws:
            hello = ws.receive_json()
            assert hello["run"]["id"] == run["id"] and hello["run"]["can_change"] is False
        fork = client.post(f"/api/runs/{run['id']}/fork", json={"step": 0}, headers=stranger).json()
        assert fork["owner"] != run["owner"] and fork["mine"] is True  # the stranger owns the fork
        assert client.post(f"/api/runs/{fork['id']}/stop", headers=stranger).status_code == 200
        assert [r["id"] for r in client.get("/api/runs", headers=stranger).json()["items"]] == [fork["id"]]
        # without a key, changing is 401, naming the header
        bare = client.post(f"/api/runs/{run['id']}/stop", headers={KEY_HEADER: ""})
        assert bare.status_code == 401 and KEY_HEADER in bare.json()["detail"]
        # the owner may
        renamed = client.patch(f"/api/runs/{run['id']}", json={"name": "  baseline  "}).json()
        assert renamed["name"] == "baseline"
        blank = client.patch(f"/api/runs/{run['id']}", json={"name": "   "}).json()
        assert blank["errors"] == [
            {"field": "name", "message": "a name needs at least one visible character", "type": "value_error"}
        ]
        assert client.post(f"/api/runs/{run['id']}/stop").json()["status"] == "stopped"
    finally:
        client.post(f"/api/runs/{run['id']}/stop")
    assert client.delete(f"/api/runs/{run['id']}").status_code == 204


def test_the_list_is_the_callers_and_everyones_needs_the_token(tmp_path, small_config):
    small_config["steps"] = 100
    admin = {"Authorization": f"Bearer {TOKEN}"}
    with TestClient(create_app(Settings(workers=1, data_dir=tmp_path, token=TOKEN)), headers=admin) as client:
        # alice and bob have keys issued under the token, and send no token
        alice, bob = ({**new_key(client), "Authorization": ""} for _ in range(2))
        a = finished(client, small_config, alice)
        b = finished(client, small_config, bob)
        legacy = finished(client, small_config)  # the admin without a key: a run of nobody's
        assert [r["id"] for r in client.get("/api/runs", headers=alice).json()["items"]] == [a["id"]]
        assert client.get("/api/runs", params={"owner": "all"}, headers=alice).status_code == 403
        assert client.get("/api/runs").json()["items"] == []  # the token without a key: none of its own
        everyone = client.get("/api/runs", params={"owner": "all"}).json()
        assert {r["id"] for r in everyone["items"]} == {a["id"], b["id"], legacy["id"]}
        # a run of nobody's: readable by all, changeable with the token only
        assert client.get(f"/api/runs/{legacy['id']}", headers=alice).status_code == 200
        refused = client.delete(f"/api/runs/{legacy['id']}", headers=alice)
        assert refused.status_code == 403 and "token" in refused.json()["detail"]
        assert client.delete(f"/api/runs/{b['id']}").status_code == 204  # the admin may change any run
        assert client.delete(f"/api/runs/{legacy['id']}").status_code == 204


def test_uploads_are_listed_to_their_owner(client):
    stranger = new_key(client)
    made = client.post("/api/datasets?name=mine", content=csv_text())
    assert made.status_code == 201, made.text
    assert made.json()["id"] in [d["id"] for d in client.get("/api/datasets").json()]
    assert client.get("/api/datasets", headers=stranger).json() == []
    assert client.post("/api/datasets", content=csv_text(), headers={KEY_HEADER: ""}).status_code == 401


def test_stop_all_stops_the_callers_runs_only(client, small_config):
    small_config["steps"] = 1_000_000
    stranger = new_key(client)
    mine = [client.post("/api/runs", json=small_config).json()["id"] for _ in range(2)]
    theirs = client.post("/api/runs", json=small_config, headers=stranger).json()["id"]
    try:
        for run_id in [*mine, theirs]:
            wait_for_status(client, run_id, "running")
        stopped = client.post("/api/runs/stop-all").json()["stopped"]
        assert sorted(stopped) == sorted(mine)
        assert all(client.get(f"/api/runs/{i}").json()["status"] == "stopped" for i in mine)
        assert client.get(f"/api/runs/{theirs}").json()["status"] == "running"
    finally:
        client.post(f"/api/runs/{theirs}/stop", headers=stranger)


# ---- limits per owner
def test_the_per_owner_limit_lists_the_callers_active_runs(tmp_path, small_config):
    small_config["steps"] = 1_000_000
    settings = Settings(workers=1, max_runs=4, max_runs_per_owner=2, data_dir=tmp_path)
    with TestClient(create_app(settings)) as client:
        own(client)
        first, second = (client.post("/api/runs", json=small_config).json()["id"] for _ in range(2))
        refused = client.post("/api/runs", json=small_config)
        assert refused.status_code == 429
        body = refused.json()
        assert body["limit"] == "owner" and "2 active runs" in body["detail"]
        assert sorted(r["id"] for r in body["active"]) == sorted([first, second])
        assert all(r["mine"] for r in body["active"])
        other = new_key(client)  # another owner still has room
        theirs = client.post("/api/runs", json=small_config, headers=other)
        assert theirs.status_code == 201
        client.post(f"/api/runs/{first}/stop")
        assert client.post("/api/runs", json=small_config).status_code == 201
        client.post("/api/runs/stop-all")
        client.post("/api/runs/stop-all", headers=other)


# ---- continue
def test_continue_keeps_one_history_with_no_gap_or_repeat(client, small_config):
    small_config["steps"] = 300
    run = finished(client, small_config)
    steps_before, _ = history(client, run["id"])
    assert steps_before[-1] == 300
    assert client.post(f"/api/runs/{run['id']}/continue", json={"steps": 0}).status_code == 422
    assert client.post(f"/api/runs/{run['id']}/continue", json={"steps": -5}).status_code == 422
    over = client.post(f"/api/runs/{run['id']}/continue", json={"steps": LIMITS["max_steps"]})
    assert over.status_code == 422 and "steps" in over.json()["detail"] and "limit" in over.json()["detail"]
    going = client.post(f"/api/runs/{run['id']}/continue", json={"steps": 200})
    assert going.status_code == 200, going.text
    assert going.json()["config"]["steps"] == 500 and going.json()["id"] == run["id"]
    again = client.post(f"/api/runs/{run['id']}/continue", json={"steps": 200})
    assert again.status_code == 409 and "active" in again.json()["detail"]
    done = wait_for_status(client, run["id"], "finished", timeout=60)
    assert done["step"] == 500
    steps, losses = history(client, run["id"])
    assert steps[: len(steps_before)] == steps_before  # the old history stands
    assert steps == sorted(set(steps)) and steps[-1] == 500  # no repeat, up to the new end
    assert steps[len(steps_before)] == 301  # the first step after the old end is read in full: no gap
    assert all(np.isfinite(losses))
    with client.websocket_connect(f"/api/runs/{run['id']}/stream") as ws:
        hello = ws.receive_json()
        assert hello["history"]["tracks"]["train_loss"]["step"][-1] == 500
        read_until_closed(ws)


def test_continue_equals_training_that_long_at_once(client, small_config):
    """Continuing resumes the full training state: weights, optimizer, data order and random state."""
    small_config["steps"] = 300
    small_config["model"]["dropout"] = 0.2  # random state in every step
    at_once = finished(client, {**small_config, "steps": 500})
    continued = finished(client, small_config)
    client.post(f"/api/runs/{continued['id']}/continue", json={"steps": 200})
    wait_for_status(client, continued["id"], "finished", timeout=60)
    one = load(client.get(f"/api/runs/{at_once['id']}/checkpoint").content)
    two = load(client.get(f"/api/runs/{continued['id']}/checkpoint").content)
    assert one.keys() == two.keys() and all(np.array_equal(one[k], two[k]) for k in one)


def test_until_stopped_runs_and_continue_of_what_cannot(client, small_config):
    small_config["steps"] = None
    run = client.post("/api/runs", json=small_config).json()
    assert run["config"]["steps"] is None
    wait_for_status(client, run["id"], "running")
    assert client.post(f"/api/runs/{run['id']}/continue", json={"steps": 5}).status_code == 409
    time.sleep(0.5)
    stopped = client.post(f"/api/runs/{run['id']}/stop").json()
    assert stopped["status"] == "stopped" and stopped["step"] > 0 and stopped["continuable"]
    assert run["continuable"] is False  # (as it was started: active)
    resumed = client.post(f"/api/runs/{run['id']}/continue", json={"steps": 50}).json()
    assert resumed["config"]["steps"] == stopped["step"] + 50
    done = wait_for_status(client, run["id"], "finished", timeout=60)
    assert done["step"] == stopped["step"] + 50
    small_config.update(dataset={"name": "plane"}, optimizer={"name": "sgd", "lr": 5.0}, steps=100_000)
    diverged = client.post("/api/runs", json=small_config).json()["id"]
    wait_for_status(client, diverged, "diverged", timeout=60)
    assert client.get(f"/api/runs/{diverged}").json()["continuable"] is False
    refused = client.post(f"/api/runs/{diverged}/continue", json={"steps": 10})
    assert refused.status_code == 409 and "diverged" in refused.json()["detail"]


# ---- forks
def test_a_fork_from_a_saved_state_equals_the_fork_by_replay(client, small_config):
    small_config["steps"] = 700
    parent = finished(client, small_config)
    manager = client.app.state.manager
    saved = manager.checkpoints.steps(parent["id"])
    assert saved and saved[-1] == 700 and len(saved) >= 3  # states kept along the way, and the last one
    changes = {"optimizer": {"name": "sgd", "lr": 0.05}, "steps": 900}
    quick = client.post(f"/api/runs/{parent['id']}/fork", json={"step": 350, "changes": changes}).json()
    wait_for_status(client, quick["id"], "finished", timeout=60)
    manager.checkpoints.delete(parent["id"])  # no saved state: the fork replays from step 0
    replayed = client.post(f"/api/runs/{parent['id']}/fork", json={"step": 350, "changes": changes}).json()
    wait_for_status(client, replayed["id"], "finished", timeout=60)
    one = load(client.get(f"/api/runs/{quick['id']}/checkpoint").content)
    two = load(client.get(f"/api/runs/{replayed['id']}/checkpoint").content)
    assert all(np.array_equal(one[k], two[k]) for k in one)
    final = [client.get(f"/api/runs/{r['id']}").json()["summary"]["test_loss"] for r in (quick, replayed)]
    assert final[0] == final[1] and final[0]["step"] == 900


def test_a_fork_at_step_0_or_the_last_step_of_a_finished_run(client, small_config):
    small_config["steps"] = 200
    parent = finished(client, small_config)
    at_zero = client.post(f"/api/runs/{parent['id']}/fork", json={"step": 0, "changes": {"optimizer": {"lr": 0.2}}})
    assert at_zero.status_code == 201, at_zero.text
    fork = wait_for_status(client, at_zero.json()["id"], "finished", timeout=60)
    assert fork["step"] == 200
    _, parent_losses = history(client, parent["id"])
    _, fork_losses = history(client, fork["id"])
    assert parent_losses[-1] != fork_losses[-1]
    nothing = client.post(f"/api/runs/{parent['id']}/fork", json={"step": 200})
    assert nothing.status_code == 422 and "nothing to train" in nothing.json()["detail"]
    more = client.post(f"/api/runs/{parent['id']}/fork", json={"step": 200, "changes": {"steps": 300}})
    assert wait_for_status(client, more.json()["id"], "finished", timeout=60)["step"] == 300
    beyond = client.post(f"/api/runs/{parent['id']}/fork", json={"step": 201})
    assert beyond.status_code == 422 and "0..200" in beyond.json()["detail"]


# ---- leases
@pytest.fixture
def leasing(tmp_path):
    settings = Settings(workers=1, data_dir=tmp_path, idle_pause_s=0.6, idle_stop_s=1.5)
    with TestClient(create_app(settings)) as client:
        yield own(client)


def wait_until(check, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_a_leased_run_pauses_unwatched_resumes_for_a_viewer_and_stops_at_last(leasing, small_config):
    small_config["steps"] = 1_000_000
    run_id = leasing.post("/api/runs?lease=true", json=small_config).json()["id"]
    scripted = leasing.post("/api/runs", json=small_config).json()["id"]
    paused = wait_until(lambda: (r := leasing.get(f"/api/runs/{run_id}").json())["status"] == "paused" and r)
    assert paused["idle"]["action"] == "paused" and paused["lease"]
    with leasing.websocket_connect(f"/api/runs/{run_id}/stream") as ws:
        assert ws.receive_json()["type"] == "hello"
        kinds = []
        while "idle_resumed" not in kinds:
            message = ws.receive_json()
            kinds.append(message.get("kind") or message.get("status"))
        assert "running" in kinds
        watched = leasing.get(f"/api/runs/{run_id}").json()
        assert watched["status"] == "running" and watched["idle"] is None
        time.sleep(1.0)  # watched: no pause however long
        assert leasing.get(f"/api/runs/{run_id}").json()["status"] == "running"
    stopped = wait_until(lambda: (r := leasing.get(f"/api/runs/{run_id}").json())["status"] == "stopped" and r)
    assert stopped["idle"]["action"] == "stopped"
    assert [e["kind"] for e in leasing.get(f"/api/runs/{run_id}/export?format=json").json()["events"]][-1:] == [
        "idle_stopped"
    ]
    assert leasing.get(f"/api/runs/{scripted}").json()["status"] == "running"  # no lease: it trains on
    assert leasing.post(f"/api/runs/{run_id}/continue", json={"steps": 10}).status_code == 200
    leasing.post(f"/api/runs/{scripted}/stop")


def test_an_unwatched_paused_run_makes_way_at_the_server_limit(tmp_path, alone_config):
    small_config = alone_config  # runs that train alone: each takes a whole run's room
    settings = Settings(workers=1, data_dir=tmp_path, max_runs=2, max_runs_per_owner=2, idle_pause_s=0.5)
    with TestClient(create_app(settings)) as client:
        own(client)
        idle = client.post("/api/runs?lease=true", json=small_config).json()["id"]
        wait_until(lambda: client.get(f"/api/runs/{idle}").json()["status"] == "paused")
        busy = client.post("/api/runs", json=small_config).json()["id"]
        third = client.post("/api/runs", json=small_config)  # the idle run does not count; it stops for this one
        assert third.status_code == 201, third.text
        after = client.get(f"/api/runs/{idle}").json()
        assert after["status"] == "stopped" and after["idle"]["action"] == "stopped"
        client.post("/api/runs/stop-all")
        assert client.get(f"/api/runs/{busy}").json()["status"] == "stopped"


# ---- logs
def test_keys_and_tokens_are_redacted_from_the_access_log():
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        "",
        0,
        '%s - "%s %s HTTP/%s" %d',
        (
            "127.0.0.1:5",
            "GET",
            "/api/runs/x/stream?token=s3cret-token&key=0123456789abcdef.0123&x=1",
            "1.1",
            200,
        ),
        None,
    )
    RedactSecrets().filter(record)
    line = record.getMessage()
    assert "s3cret" not in line and "0123456789abcdef" not in line and "x=1" in line
