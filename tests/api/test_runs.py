"""REST against the real app: create, read, control; bad input is rejected without side effects."""

import os
import signal
import time

import pytest

from glassnet.runs.owners import KEY_HEADER

BAD_CONFIGS = [
    ("unknown activation", {"model": {"hidden": [8], "activation": "swish9"}}, "model.activation"),
    ("zero width", {"model": {"hidden": [0], "activation": "relu"}}, "model.hidden.0"),
    ("too wide", {"model": {"hidden": [100_000], "activation": "relu"}}, "model.hidden.0"),
    ("too deep", {"model": {"hidden": [4] * 100, "activation": "relu"}}, "model.hidden"),
    ("negative lr", {"optimizer": {"name": "sgd", "lr": -0.1}}, "optimizer.lr"),
    ("lr as text", {"optimizer": {"name": "sgd", "lr": "fast"}}, "optimizer.lr"),
    ("unknown optimizer", {"optimizer": {"name": "lbfgs9", "lr": 0.1}}, "optimizer.name"),
    ("unknown dataset", {"dataset": {"name": "mnist-huge"}}, "dataset.name"),
    ("hidden not a list", {"model": {"hidden": 8, "activation": "relu"}}, "model.hidden"),
    ("batch size zero", {"batch_size": 0}, "batch_size"),
    ("too many steps", {"steps": 10**9}, "steps"),
    ("frame rate over the limit", {"frame_hz": 1000}, "frame_hz"),
    ("lr over the limit", {"optimizer": {"name": "sgd", "lr": 100}}, "optimizer.lr"),
    ("misspelt key", {"activaton": "relu"}, "activaton"),
    ("unknown device", {"device": "tpu"}, "device"),
]


def test_health_reports_versions_and_device(client):
    body = client.get("/api/health").json()
    assert body["status"] == "ok"
    assert body["version"] and body["torch"]
    import torch

    assert body["device"] == ("cuda" if torch.cuda.is_available() else "cpu")


def test_options_drive_the_choices_and_limits(client):
    body = client.get("/api/options").json()
    assert {"relu", "tanh", "sigmoid"} <= {a["name"] for a in body["activations"]}
    assert {"sgd", "adam"} <= {o["name"] for o in body["optimizers"]}
    assert "circle" in {d["name"] for d in body["datasets"]}
    assert all(c["description"] for c in body["activations"] + body["optimizers"] + body["datasets"])
    assert body["defaults"]["frame_hz"] <= 20
    # every choice and its parameters in Simplified Chinese too
    relu = next(a for a in body["activations"] if a["name"] == "relu")
    assert relu["label_zh"] and "死亡" in relu["description_zh"]
    lr = next(p for p in next(o for o in body["optimizers"] if o["name"] == "sgd")["params"] if p["name"] == "lr")
    assert lr["label_zh"] == "学习率" and lr["description_zh"]
    # what a fork may change (the UI offers exactly these)
    assert "optimizer" in body["forkable"] and "model" not in body["forkable"]
    # the defaults are themselves a valid config
    assert client.post("/api/runs", json={**body["defaults"], "steps": 5}).status_code == 201


def test_create_then_read_a_run(client, small_config):
    response = client.post("/api/runs", json=small_config)
    assert response.status_code == 201
    run = response.json()
    assert run["id"] and run["status"] in {"pending", "running"}
    assert small_config["model"].items() <= run["config"]["model"].items()

    deadline = time.monotonic() + 60
    while (got := client.get(f"/api/runs/{run['id']}").json())["status"] != "finished":
        assert got["status"] in {"pending", "running"}, got["error"]
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert got["step"] == small_config["steps"]
    assert got["device"] == "cpu" or got["device"] == "cuda"
    assert run["id"] in [r["id"] for r in client.get("/api/runs").json()["items"]]


@pytest.mark.parametrize(("case", "change", "field"), BAD_CONFIGS, ids=[c[0] for c in BAD_CONFIGS])
def test_invalid_config_is_422_naming_the_field(client, small_config, case, change, field):
    before = client.get("/api/runs").json()["total"]
    response = client.post("/api/runs", json={**small_config, **change})
    assert response.status_code == 422, response.text
    body = response.json()
    assert field in body["detail"]
    assert field in [e["field"] for e in body["errors"]]
    assert client.get("/api/runs").json()["total"] == before


@pytest.mark.parametrize("missing", ["dataset", "model", "optimizer"])
def test_missing_section_is_422(client, small_config, missing):
    del small_config[missing]
    response = client.post("/api/runs", json=small_config)
    assert response.status_code == 422
    assert missing in response.json()["detail"]


def test_invalid_json_and_wrong_body_type_are_422(client):
    response = client.post("/api/runs", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert "invalid JSON" in response.json()["detail"]
    response = client.post("/api/runs", json=[1, 2, 3])
    assert response.status_code == 422


def test_unknown_run_is_404(client):
    for method, path in [
        ("get", "/api/runs/nope"),
        ("post", "/api/runs/nope/pause"),
        ("post", "/api/runs/nope/stop"),
        ("delete", "/api/runs/nope"),
    ]:
        response = getattr(client, method)(path)
        assert response.status_code == 404, path
        assert "nope" in response.json()["detail"]


def test_bad_input_does_not_disturb_a_running_run(client, small_config):
    small_config["steps"] = 1500
    run = client.post("/api/runs", json=small_config).json()
    for _, change, _ in BAD_CONFIGS:
        client.post("/api/runs", json={**small_config, **change})
    client.get("/api/runs/nope")
    deadline = time.monotonic() + 60
    while (status := client.get(f"/api/runs/{run['id']}").json()["status"]) != "finished":
        assert status in {"pending", "running"}
        assert time.monotonic() < deadline
        time.sleep(0.1)


def wait_for_status(client, run_id, wanted, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = client.get(f"/api/runs/{run_id}").json()
        if run["status"] == wanted:
            return run
        time.sleep(0.02)
    raise AssertionError(f"run {run_id} never became {wanted}: {run}")


def test_pause_step_resume_stop(client, small_config):
    small_config["steps"] = 1_000_000
    run_id = client.post("/api/runs", json=small_config).json()["id"]
    wait_for_status(client, run_id, "running")

    paused = client.post(f"/api/runs/{run_id}/pause").json()
    assert paused["status"] == "paused"
    step = paused["step"]
    time.sleep(0.3)
    assert client.get(f"/api/runs/{run_id}").json()["step"] == step  # paused means no training

    stepped = client.post(f"/api/runs/{run_id}/step").json()
    assert stepped["status"] == "paused" and stepped["step"] == step + 1

    assert client.post(f"/api/runs/{run_id}/resume").json()["status"] == "running"
    # a second resume is a conflict, not a crash
    conflict = client.post(f"/api/runs/{run_id}/resume")
    assert conflict.status_code == 409 and "running" in conflict.json()["detail"]

    started = time.monotonic()
    stopped = client.post(f"/api/runs/{run_id}/stop").json()
    assert stopped["status"] == "stopped"
    assert time.monotonic() - started < 1.5
    assert client.post(f"/api/runs/{run_id}/pause").status_code == 409


def test_too_many_active_runs_is_429_with_the_limit(client, alone_config, small_config):
    batched = {**small_config, "steps": 1_000_000}
    small_config = alone_config  # runs that train alone: each takes a whole run's room
    ids = []
    try:
        for _ in range(10):
            response = client.post("/api/runs", json=small_config)
            if response.status_code == 429:
                body = response.json()
                # this client may have 4 (the fixture's per-owner limit), which is also the server's
                assert body["limit"] == "owner" and "GLASSNET_MAX_RUNS_PER_OWNER" in body["detail"]
                assert sorted(r["id"] for r in body["active"]) == sorted(ids)
                break
            ids.append(response.json()["id"])
        else:
            raise AssertionError("no 429 after 10 runs")
        assert len(ids) == 4
        other = {KEY_HEADER: client.post("/api/owners").json()["key"]}
        response = client.post("/api/runs", json=small_config, headers=other)
        assert response.status_code == 429
        assert response.json()["limit"] == "server" and response.json()["active"] == []
        assert "limit of 4 (GLASSNET_MAX_RUNS" in response.json()["detail"]
        # a run in a cohort takes 1/16 of one: with the server full of runs alone, it does not fit either
        assert client.post("/api/runs", json=batched, headers=other).status_code == 429
    finally:
        for run_id in ids:
            client.delete(f"/api/runs/{run_id}")
    assert all(client.get(f"/api/runs/{i}").status_code == 404 for i in ids)


def test_a_killed_worker_fails_its_run_and_others_go_on(client, small_config):
    manager = client.app.state.manager
    small_config["steps"] = 1_000_000
    victim = client.post("/api/runs", json=small_config).json()["id"]
    # another architecture: another cohort, in another worker process
    other = client.post("/api/runs", json={**small_config, "model": {"hidden": [4], "activation": "relu"}}).json()["id"]
    wait_for_status(client, victim, "running")
    wait_for_status(client, other, "running")

    worker = manager.runs[victim].host or manager.runs[victim]  # (a cohort's worker, or its own)
    assert worker is not (manager.runs[other].host or manager.runs[other])
    os.kill(worker.process.pid, signal.SIGKILL)
    failed = wait_for_status(client, victim, "failed")
    assert "signal 9" in failed["error"]

    step = client.get(f"/api/runs/{other}").json()["step"]
    time.sleep(0.3)
    assert client.get(f"/api/runs/{other}").json()["step"] > step
    assert client.post(f"/api/runs/{other}/stop").json()["status"] == "stopped"
    assert client.get("/api/health").status_code == 200


def test_the_live_lr_change_is_in_the_openapi_schema(client):
    schema = client.get("/openapi.json").json()
    patch = schema["paths"]["/api/runs/{run_id}"]["patch"]
    body = patch["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    lr = next(b for b in schema["components"]["schemas"][body]["properties"]["lr"]["anyOf"] if b["type"] == "number")
    assert lr["minimum"] > 0 and lr["maximum"] >= 1
    assert {"200", "404", "409", "422"} <= set(patch["responses"])


def test_a_paused_or_stopped_run_shows_the_net_as_it_is_then(client, small_config):
    small_config["steps"] = 1_000_000
    run_id = client.post("/api/runs", json=small_config).json()["id"]
    try:
        wait_for_status(client, run_id, "running")
        time.sleep(0.3)
        for command in ("pause", "stop"):  # a stop right after the pause has no newer step to read
            answer = client.post(f"/api/runs/{run_id}/{command}").json()
            with client.websocket_connect(f"/api/runs/{run_id}/stream") as ws:
                latest = ws.receive_json()["latest"]
            assert latest["step"] == answer["step"] and latest["detail"] and latest["dense"], command
    finally:
        client.post(f"/api/runs/{run_id}/stop")
