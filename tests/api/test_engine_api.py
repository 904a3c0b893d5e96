"""The engine's switches and reports through the real app: divergence, events, live lr, limits."""

import time

from starlette.websockets import WebSocketDisconnect

from tests.api.test_runs import wait_for_status


def stream_messages(client, run_id: str) -> tuple[dict, list[dict]]:
    with client.websocket_connect(f"/api/runs/{run_id}/stream") as ws:
        hello = ws.receive_json()
        messages = []
        while True:
            try:
                messages.append(ws.receive_json())
            except WebSocketDisconnect:
                return hello, messages


def test_a_diverging_run_ends_diverged_with_step_and_layer(client, small_config):
    small_config.update(dataset={"name": "plane"}, optimizer={"name": "sgd", "lr": 5.0}, steps=100_000)
    run_id = client.post("/api/runs", json=small_config).json()["id"]
    hello, messages = stream_messages(client, run_id)
    run = wait_for_status(client, run_id, "diverged")
    assert "non-finite at step" in run["error"] and "first layer affected" in run["error"]
    assert run["step"] < 1000
    # (a run that diverged before the stream opened has its events in the hello)
    events = hello["events"] + [m for m in messages if m["type"] == "event"]
    assert "diverged" in [e["kind"] for e in events]
    assert client.get("/api/health").status_code == 200


def test_zero_init_reports_that_symmetry_never_breaks(client, small_config):
    small_config["model"]["init"] = {"name": "zeros"}
    # long enough for several detail frames after step 20 however fast the machine (they come <= 10 a second)
    small_config["steps"] = 3000
    run_id = client.post("/api/runs", json=small_config).json()["id"]
    _, messages = stream_messages(client, run_id)
    events = [m for m in messages if m["type"] == "event"]
    symmetry = [e for e in events if e["kind"] == "no_symmetry_breaking"]
    assert symmetry, events
    assert symmetry[0]["layer"] in ("hidden 1", "hidden 2") and symmetry[0]["explanation"]
    frames = [m for m in messages if m["type"] == "frame"]
    assert all(d == 0 for d in frames[-1]["unit_diversity"][:2])
    # a late subscriber gets the events in hello
    late, _ = stream_messages(client, run_id)
    assert [e["kind"] for e in late["events"]] == [e["kind"] for e in events]


def test_the_learning_rate_changes_live(client, small_config):
    small_config["steps"] = 1_000_000
    run_id = client.post("/api/runs", json=small_config).json()["id"]
    wait_for_status(client, run_id, "running")
    response = client.patch(f"/api/runs/{run_id}", json={"lr": 0.0005})
    assert response.status_code == 200 and response.json()["config"]["optimizer"]["lr"] == 0.0005
    with client.websocket_connect(f"/api/runs/{run_id}/stream") as ws:
        ws.receive_json()
        deadline = time.monotonic() + 10
        while (message := ws.receive_json())["type"] != "frame" or message["lr"] != 0.0005:
            assert time.monotonic() < deadline
        # every viewer is told, so that each marks the change on its loss chart
        change = client.patch(f"/api/runs/{run_id}", json={"lr": 0.002})
        assert change.status_code == 200
        while (message := ws.receive_json())["type"] != "event" or message["kind"] != "lr_changed":
            assert time.monotonic() < deadline + 10
        assert "from 0.0005 to 0.002" in message["message"] and "0.002" in message["message_zh"]
    changes = client.get(f"/api/runs/{run_id}").json()["lr_changes"]
    assert [c["lr"] for c in changes] == [0.0005, 0.002] and changes[-1]["step"] == message["step"]
    bad = client.patch(f"/api/runs/{run_id}", json={"lr": -1})
    assert bad.status_code == 422 and "lr" in bad.json()["detail"]
    client.post(f"/api/runs/{run_id}/stop")
    ended = client.patch(f"/api/runs/{run_id}", json={"lr": 0.1})
    assert ended.status_code == 409


def test_a_model_over_the_parameter_limit_is_refused(client, small_config):
    small_config["model"]["hidden"] = [1024] * 10
    response = client.post("/api/runs", json=small_config)
    assert response.status_code == 422
    assert "parameters is over the limit" in response.json()["detail"]


def test_a_model_that_does_not_fit_the_data_is_refused(client, small_config):
    small_config["model"]["kind"] = "cnn"
    response = client.post("/api/runs", json=small_config)
    assert response.status_code == 422 and "model.kind" in response.json()["detail"]
    small_config["model"]["kind"] = "mlp"
    small_config["loss"] = "ce"
    small_config["dataset"] = {"name": "plane"}
    response = client.post("/api/runs", json=small_config)
    assert response.status_code == 422 and "loss" in response.json()["detail"]


def test_options_serve_every_registry_list_with_parameters(client):
    from glassnet.registry import CHOICES, PARAMS

    body = client.get("/api/options").json()
    for name, choices in CHOICES.items():
        assert [c["name"] for c in body[name]] == [c.name for c in choices]
    adam = next(o for o in body["optimizers"] if o["name"] == "adam")
    assert [p["name"] for p in adam["params"]] == ["lr", "beta1", "beta2", "eps", "weight_decay"]
    lr = adam["params"][0]
    assert (lr["min"], lr["max"], lr["default"]) == (PARAMS["lr"].min, PARAMS["lr"].max, PARAMS["lr"].default)
