"""The run service: persistence across restarts, forks, metrics, exports, weights, listing."""

import csv
import io

import pytest
from fastapi.testclient import TestClient
from safetensors.torch import load

from glassnet.api.app import create_app
from glassnet.runs.owners import KEY_HEADER
from glassnet.settings import Settings
from tests.api.test_runs import wait_for_status
from tests.api.test_stream import read_until_closed
from tests.owners import own


def finished_run(client, config) -> dict:
    run_id = client.post("/api/runs", json=config).json()["id"]
    return wait_for_status(client, run_id, "finished", timeout=60)


def test_finished_runs_survive_a_restart_and_active_ones_come_back_interrupted(tmp_path, small_config):
    settings = Settings(workers=1, max_runs=4, data_dir=tmp_path)
    with TestClient(create_app(settings)) as client:
        key = own(client).headers[KEY_HEADER]
        done = finished_run(client, small_config)
        metrics = client.get(f"/api/runs/{done['id']}/metrics").json()
        with client.websocket_connect(f"/api/runs/{done['id']}/stream") as ws:
            data = ws.receive_json()["data"]
        assert data["input"] == "plane" and len(data["train"]["x"]) == 200
        small_config["steps"] = 1_000_000
        active = client.post("/api/runs", json=small_config).json()["id"]
        wait_for_status(client, active, "running")
    # a new server on the same data dir: the same secret, so the same owner key
    with TestClient(create_app(settings), headers={KEY_HEADER: key}) as client:
        runs = {r["id"]: r for r in client.get("/api/runs").json()["items"]}
        assert runs[done["id"]]["status"] == "finished" and runs[done["id"]]["step"] == done["step"]
        assert runs[done["id"]]["summary"]["test_loss"] == done["summary"]["test_loss"]
        assert runs[active]["status"] == "interrupted" and "server stopped" in runs[active]["error"]
        assert client.get(f"/api/runs/{done['id']}/metrics").json() == metrics
        assert client.get(f"/api/runs/{done['id']}/export?format=csv").status_code == 200
        with client.websocket_connect(f"/api/runs/{done['id']}/stream") as ws:
            hello = ws.receive_json()
            history = hello["history"]["tracks"]  # the same history as /metrics, before and after the restart
            assert history["train_loss"]["step"] == metrics["series"]["train_loss"]["step"]
            assert history["test_loss"]["last"] == metrics["series"]["test_loss"]["last"]
            assert hello["data"] == data  # the data description is stored with the run
            assert read_until_closed(ws) == []
        assert client.app.state.manager.store.integrity() == "ok"


def test_metrics_choose_series_range_and_points(client, small_config):
    run = finished_run(client, small_config)
    everything = client.get(f"/api/runs/{run['id']}/metrics").json()
    assert {"train_loss", "test_loss", "grad_norm/0", "grad_norm/2"} <= set(everything["series"])
    assert everything["series"]["train_loss"]["step"][-1] == small_config["steps"]
    chosen = client.get(f"/api/runs/{run['id']}/metrics", params={"series": "train_loss", "max_points": 5}).json()
    assert list(chosen["series"]) == ["train_loss"] and len(chosen["series"]["train_loss"]["step"]) <= 5
    assert min(chosen["series"]["train_loss"]["min"]) == min(everything["series"]["train_loss"]["min"])
    part = client.get(f"/api/runs/{run['id']}/metrics", params={"first": 200, "last": 400}).json()
    assert all(150 <= s <= 450 for column in part["series"].values() for s in column["step"])
    bad = client.get(f"/api/runs/{run['id']}/metrics", params={"series": "nonsense"})
    assert bad.status_code == 422 and "nonsense" in bad.json()["detail"]


def test_exports_as_csv_and_json(client, small_config):
    run = finished_run(client, small_config)
    response = client.get(f"/api/runs/{run['id']}/export", params={"format": "csv"})
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert int(rows[-1]["step"]) == small_config["steps"]
    assert float(rows[-1]["train_loss"]) > 0
    data = client.get(f"/api/runs/{run['id']}/export", params={"format": "json"}).json()
    assert data["run"]["id"] == run["id"] and data["layers"] and "metrics" in data
    assert client.get(f"/api/runs/{run['id']}/export", params={"format": "xml"}).status_code == 422


def test_weights_come_as_safetensors_that_load(client, small_config):
    run = finished_run(client, small_config)
    response = client.get(f"/api/runs/{run['id']}/checkpoint")
    assert response.status_code == 200
    tensors = load(response.content)
    assert tensors["blocks.0.layer.weight"].shape == (8, 2)
    assert tensors["head.weight"].shape == (1, 8)
    assert not response.content.startswith(b"\x80")  # not a pickle


def test_a_fork_without_changes_continues_exactly_like_its_parent(client, small_config):
    parent = finished_run(client, small_config)
    fork = client.post(f"/api/runs/{parent['id']}/fork", json={"step": 300}).json()
    assert fork["parent"] == parent["id"]
    fork = wait_for_status(client, fork["id"], "finished", timeout=60)
    ours = client.get(f"/api/runs/{fork['id']}/metrics", params={"series": "test_loss"}).json()["series"]
    theirs = client.get(f"/api/runs/{parent['id']}/metrics", params={"series": "test_loss", "first": 300}).json()
    theirs = theirs["series"]
    # evaluated at the same final step, from the same state: the same test loss
    assert ours["test_loss"]["step"][-1] == theirs["test_loss"]["step"][-1] == small_config["steps"]
    assert ours["test_loss"]["last"][-1] == pytest.approx(theirs["test_loss"]["last"][-1], abs=0)
    assert min(ours["test_loss"]["step"]) > 300


def test_a_fork_with_a_change_uses_it_and_bad_forks_are_refused(client, small_config):
    parent = finished_run(client, small_config)
    fork = client.post(f"/api/runs/{parent['id']}/fork", json={"step": 100, "changes": {"optimizer": {"lr": 0.3}}})
    assert fork.status_code == 201 and fork.json()["config"]["optimizer"]["lr"] == 0.3
    wait_for_status(client, fork.json()["id"], "finished", timeout=60)
    for body, field in [
        ({"changes": {"model": {"hidden": [4]}}}, "changes.model"),
        ({"changes": {"optimizer": {"lr": -1}}}, "changes.optimizer.lr"),
        ({"step": 10**7}, "step"),
        ({"changes": {"seed": 3}}, "changes.seed"),
    ]:
        response = client.post(f"/api/runs/{parent['id']}/fork", json=body)
        assert response.status_code == 422, body
        assert field in response.json()["detail"], response.json()
    assert client.post("/api/runs/nope/fork", json={}).status_code == 404


def test_listing_filters_by_status_and_pages(client, small_config):
    small_config["steps"] = 1_000_000
    active = client.post("/api/runs", json=small_config).json()["id"]
    wait_for_status(client, active, "running")
    running = client.get("/api/runs", params={"status": "running"}).json()
    assert active in [r["id"] for r in running["items"]] and all(r["status"] == "running" for r in running["items"])
    page = client.get("/api/runs", params={"limit": 2, "offset": 1}).json()
    everything = client.get("/api/runs", params={"limit": 500}).json()
    assert page["total"] == everything["total"] and len(page["items"]) <= 2
    assert [r["id"] for r in page["items"]] == [r["id"] for r in everything["items"][1:3]]
    created = [r["created_at"] for r in everything["items"]]
    assert created == sorted(created, reverse=True)
    assert client.get("/api/runs", params={"status": "bogus"}).status_code == 422
    assert client.get("/api/runs", params={"limit": 0}).status_code == 422
    client.delete(f"/api/runs/{active}")


def test_live_lr_changes_are_replayed_by_a_fork(client, small_config):
    small_config["steps"] = 600
    run_id = client.post("/api/runs", json=small_config).json()["id"]
    wait_for_status(client, run_id, "running")
    client.patch(f"/api/runs/{run_id}", json={"lr": 0.001})
    parent = wait_for_status(client, run_id, "finished", timeout=60)
    exported = client.get(f"/api/runs/{run_id}/export", params={"format": "json"}).json()
    change = exported["lr_changes"][0]
    assert change["lr"] == 0.001 and change["from"] == small_config["optimizer"]["lr"]
    assert change["step"] < 550  # the change happened before the fork point, so the fork replays it
    fork = client.post(f"/api/runs/{run_id}/fork", json={"step": 550}).json()
    assert fork["config"]["optimizer"]["lr"] == 0.001
    fork = wait_for_status(client, fork["id"], "finished", timeout=60)
    assert fork["summary"]["test_loss"] == parent["summary"]["test_loss"]  # value and step
