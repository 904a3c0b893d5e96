"""The WebSocket stream against the real app: hello, then real frames from a real worker."""

import itertools
import math

import pytest
from starlette.websockets import WebSocketDisconnect

from glassnet.protocol import PROTOCOL_VERSION, STREAM_MESSAGES
from glassnet.train.metrics import METRICS

FRAME_FIELDS = {"seq", "step", "wall", "detail", "epoch", "time", "lr", "train_loss"}
LAYER_FIELDS = {"grad_norm", "weight_norm", "update_ratio", "act_grad_norm"}
DETAIL_FIELDS = {"test_loss", "train_acc", "test_acc", "act_mean", "act_std", "percentiles", "dense"}


def read_until_closed(ws) -> list[dict]:
    messages = []
    while True:
        try:
            messages.append(ws.receive_json())
        except WebSocketDisconnect:
            return messages


def test_hello_then_frames_until_the_test_loss_has_fallen(client, small_config):
    run_id = client.post("/api/runs", json=small_config).json()["id"]
    with client.websocket_connect(f"/api/runs/{run_id}/stream") as ws:
        hello = ws.receive_json()
        messages = read_until_closed(ws)

    assert hello["type"] == "hello" and hello["protocol"] == PROTOCOL_VERSION
    assert hello["run"]["id"] == run_id
    assert [layer["name"] for layer in hello["layers"]] == ["hidden 1", "hidden 2", "output"]
    assert [layer["fan_out"] for layer in hello["layers"]] == [8, 8, 1]
    data = hello["data"]  # the dataset, described for the UI
    assert data["input"] == "plane" and data["task"] == "binary" and data["classes"] == 2
    assert len(data["extent"]) == 4 and data["features"] == ["x1", "x2"] and data["images"] is None
    assert len(data["train"]["x"]) == len(data["train"]["y"]) == 200 and len(data["test"]["x"][0]) == 2
    assert data["parameters"] == 2 * 8 + 8 + 8 * 8 + 8 + 8 + 1 and data["mlp_parameters"] is None

    for message in [hello, *messages]:  # every message is one of the stream's typed messages
        STREAM_MESSAGES.validate_python(message)
    # the registry's metrics that a tanh MLP on a plane has: no batch norm, gates, time steps, images
    absent = {"grad_time", "curve", "feature_maps", "filters", "confusion"}
    absent |= {m.name for m in METRICS if m.name.startswith(("bn_", "gate_"))}
    assert hello["metrics"] == [m.name for m in METRICS if m.name not in absent]
    frames = [m for m in messages if m["type"] == "frame"]
    statuses = [m["status"] for m in messages if m["type"] == "status"]
    assert statuses[-1] == "finished"
    assert len(frames) >= 5
    for frame in frames:
        assert frame.keys() >= FRAME_FIELDS | LAYER_FIELDS
        for name in LAYER_FIELDS:
            assert len(frame[name]) == 3
        # a frame carries a detail figure only if it was measured at its step: never one carried over
        assert (frame.keys() >= DETAIL_FIELDS) if frame["detail"] else not (frame.keys() & DETAIL_FIELDS)
    detail = [f for f in frames if f["detail"]]
    assert detail[-1] is frames[-1] and len(detail) < len(frames)  # the last is read in full
    assert frames[-1]["step"] == small_config["steps"]
    first_test_loss = detail[0]["test_loss"]
    assert min(f["test_loss"] for f in detail[1:]) < first_test_loss
    assert frames[-1]["test_loss"] < 0.5 * math.log(2)  # (the first frame read may come late in the run: judged
    # against chance, the cross-entropy of predicting 1/2)
    steps = [f["step"] for f in frames]
    assert steps == sorted(steps) and len(set(steps)) == len(steps)
    # the history holds each figure at the steps it was measured: the test loss at the detail frames' steps only
    # (from the first frame streamed on: the run may have trained a while before the stream was opened)
    tracks = client.get(f"/api/runs/{run_id}/metrics").json()["series"]
    assert [step for step in tracks["test_loss"]["step"] if step >= steps[0]] == [f["step"] for f in detail]
    assert [step for step in tracks["train_loss"]["step"] if step >= steps[0]] == steps
    summary = client.get(f"/api/runs/{run_id}").json()["summary"]
    assert summary["test_loss"] == {"value": frames[-1]["test_loss"], "step": small_config["steps"]}


def test_frames_come_at_most_20_per_second(client, small_config):
    small_config["steps"] = 2500
    run_id = client.post("/api/runs", json=small_config).json()["id"]
    with client.websocket_connect(f"/api/runs/{run_id}/stream") as ws:
        ws.receive_json()
        frames = [m for m in read_until_closed(ws) if m["type"] == "frame"]
    times = [f["time"] for f in frames]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert len(frames) >= 10
    assert min(gaps) >= 1 / 20 - 1e-3, min(gaps)
    seqs = [f["seq"] for f in frames]
    assert seqs == sorted(set(seqs))  # newest first never; a client that stalls may miss some (the hub's rule)


def test_a_client_that_keeps_up_loses_no_frame(client, small_config):
    # few frames a second, so that the test client keeps up even on a busy machine: a stall of 1/4 s is allowed
    small_config.update(steps=1500, frame_hz=4)
    run_id = client.post("/api/runs", json=small_config).json()["id"]
    with client.websocket_connect(f"/api/runs/{run_id}/stream") as ws:
        ws.receive_json()
        frames = [m for m in read_until_closed(ws) if m["type"] == "frame"]
    seqs = [f["seq"] for f in frames]
    assert len(seqs) >= 3
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))  # seq counts up by one: no frame lost on the way


def test_a_late_subscriber_gets_the_history_in_hello(client, small_config):
    run_id = client.post("/api/runs", json=small_config).json()["id"]
    with client.websocket_connect(f"/api/runs/{run_id}/stream") as ws:
        ws.receive_json()
        live = [m for m in read_until_closed(ws) if m["type"] == "frame"]
    with client.websocket_connect(f"/api/runs/{run_id}/stream") as ws:
        hello = ws.receive_json()
        assert hello["run"]["status"] == "finished"
        assert read_until_closed(ws) == []  # the run is over: hello, then a normal close
    # the stored history: one point per measurement here (a long run's is decimated), with the same figures
    tracks = hello["history"]["tracks"]
    assert tracks["train_loss"]["step"] == [f["step"] for f in live]
    assert tracks["train_loss"]["last"] == [f["train_loss"] for f in live]
    assert tracks["grad_norm"]["last"] == [f["grad_norm"] for f in live]
    assert tracks["test_loss"]["last"] == [f["test_loss"] for f in live if f["detail"]]
    assert tracks["percentiles"]["last"][-1] == live[-1]["percentiles"]
    # and the run as it finished: its last detail frame, dense views and all
    assert hello["latest"] == live[-1] and hello["latest"]["dense"]["grid"]["shape"] == [24, 24]


def test_a_live_and_an_ended_hello_have_one_shape(client, small_config):
    small_config["steps"] = 100_000
    run_id = client.post("/api/runs", json=small_config).json()["id"]
    with client.websocket_connect(f"/api/runs/{run_id}/stream") as ws:
        live = ws.receive_json()
        while not ws.receive_json().get("detail"):
            pass
    client.post(f"/api/runs/{run_id}/stop")
    with client.websocket_connect(f"/api/runs/{run_id}/stream") as ws:
        ended = ws.receive_json()
    assert live.keys() == ended.keys() and live["history"].keys() == ended["history"].keys()
    assert live["run"]["status"] == "running" and ended["run"]["status"] == "stopped"
    assert ended["latest"]["detail"] and ended["history"]["tracks"].keys() >= {"train_loss", "test_loss", "grad_norm"}


def test_stream_of_an_unknown_run_says_so_and_closes(client):
    with client.websocket_connect("/api/runs/nope/stream") as ws:
        message = ws.receive_json()
        assert message["type"] == "error" and "nope" in message["detail"]
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 4404


@pytest.mark.parametrize(
    ("dataset", "model", "expected"),
    [
        (
            {"name": "digits", "n_samples": 300},
            {"kind": "cnn", "channels": [4], "hidden": [], "activation": "relu"},
            {"input": "image", "task": "multiclass", "classes": 10, "features": None},
        ),
        (
            {"name": "adding", "n_samples": 100, "seq_len": 6},
            {"kind": "rnn", "cell": "gru", "rnn_hidden": 4, "hidden": [], "activation": "tanh"},
            {"input": "sequence", "task": "regression", "classes": 0, "features": ["value", "marker"]},
        ),
    ],
)
def test_hello_describes_images_and_sequences(client, dataset, model, expected):
    config = {"dataset": dataset, "model": model, "optimizer": {"name": "adam"}, "steps": 20}
    run_id = client.post("/api/runs", json=config).json()["id"]
    with client.websocket_connect(f"/api/runs/{run_id}/stream") as ws:
        data = ws.receive_json()["data"]
        frames = [m for m in read_until_closed(ws) if m["type"] == "frame"]
    assert expected.items() <= data.items()
    assert data["extent"] is None and data["train"] is None and data["test"] is None
    if expected["input"] == "image":
        # the images whose feature maps detail frames carry, in the same order: (10, 4, 4, 4) here
        assert len(data["images"]["x"]) == len(data["images"]["y"]) == 10
        assert frames[-1]["dense"]["feature_maps"]["0"]["shape"] == [10, 4, 4, 4]
        assert data["parameters"] == 4 * 9 + 4 + 4 * 4 * 4 * 10 + 10
        assert data["mlp_parameters"] == 64 * 64 + 64 + 64 * 10 + 10  # one dense layer of 4 x 4 x 4 units
    else:
        assert data["images"] is None and data["mlp_parameters"] is None
        assert data["parameters"] == 3 * (2 * 4 + 4 * 4 + 2 * 4) + 4 + 1


def test_gradient_through_time_and_gate_means_outlive_the_run(client):
    """Defect: they were in live frames only. Now they are in the history, its replay and the JSON export."""
    config = {
        "dataset": {"name": "adding", "n_samples": 200, "seq_len": 6},
        "model": {"kind": "rnn", "cell": "lstm", "hidden": [], "rnn_hidden": 4, "activation": "tanh"},
        "optimizer": {"name": "adam"},
        "steps": 60,
    }
    run_id = client.post("/api/runs", json=config).json()["id"]
    with client.websocket_connect(f"/api/runs/{run_id}/stream") as ws:
        ws.receive_json()
        live = [m for m in read_until_closed(ws) if m["type"] == "frame" and m["detail"]]
    with client.websocket_connect(f"/api/runs/{run_id}/stream") as ws:
        tracks = ws.receive_json()["history"]["tracks"]
    # (the history ends with the frames seen live: a frame made before the stream opened is in it too)
    assert tracks["grad_time"]["shape"] == [6] and live
    assert tracks["grad_time"]["last"][-len(live) :] == [f["grad_time"] for f in live]
    assert tracks["gate_forget"]["last"][-1] == live[-1]["gate_forget"]
    assert live[-1]["gate_forget"][0] is not None and live[-1]["gate_forget"][1] is None  # the head has no gate
    assert "gate_update" not in tracks  # a GRU's gate, not an LSTM's
    exported = client.get(f"/api/runs/{run_id}/export", params={"format": "json"}).json()
    assert "min" not in tracks["grad_time"]  # a hello carries the last values only; the export has the extremes too
    exported_track = exported["history"]["tracks"]["grad_time"]
    assert (
        exported_track["last"] == tracks["grad_time"]["last"] and exported_track["step"] == tracks["grad_time"]["step"]
    )
    assert len(exported_track["min"]) == len(exported_track["max"]) == len(tracks["grad_time"]["step"])
    assert exported["metrics"]["series"]["grad_time/5"]["last"] == [f["grad_time"][5] for f in live]
