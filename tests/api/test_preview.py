"""POST /api/preview against the real app: the untrained network at step 0 is the run's own step 0.

A run of the same config is started paused at step 0 (`?start=pause`) in a real worker: its weights there are
fetched, then it takes one step. The preview's figures of the net's state (weight norms, the output over the
plane, the test loss) are recomputed in numpy from the run's step-0 weights; its figures of the first batch
(loss, weight and activation gradients, batch-norm batch statistics, the learning rate) are the ones the run's
step 1 measured before its update. The route refuses what POST /api/runs refuses, with the same words, and
counts previews per owner key, else per address.
"""

import time
from typing import Any

import numpy as np
import pytest
import torch
from fastapi.testclient import TestClient
from safetensors.numpy import load as load_safetensors

from glassnet.api.app import create_app
from glassnet.config import ExperimentConfig
from glassnet.data import load
from glassnet.runs.owners import KEY_HEADER
from glassnet.runs.rules import check_config
from glassnet.settings import Settings
from glassnet.train.pack import undense
from glassnet.train.probe import GRID
from tests.api.test_runs import BAD_CONFIGS

# measured on the first batch, before step 1's update: the preview's and the run's step 1 must agree
FIRST_BATCH = ("train_loss", "lr", "grad_norm", "act_grad_norm", "bn_batch_mean", "bn_batch_var")

PLAIN = {
    "dataset": {"name": "circle", "n_samples": 400, "noise": 0.05},
    "model": {"hidden": [8, 8], "activation": "tanh"},
    "optimizer": {"name": "adam", "lr": 0.02},
    "batch_size": 16,
    "steps": 50,
    "seed": 1,
}
# every random draw of a step (dropout masks, input noise) and batch norm's statistics, and an lr schedule
# whose step-0 rate is not the base rate
NOISY = {
    **PLAIN,
    "model": {"hidden": [6, 6], "activation": "relu", "norm": "batch", "dropout": 0.2},
    "regularization": {"input_noise": 0.1},
    "schedule": {"name": "warmup_cosine", "warmup_steps": 10},
    "seed": 3,
}


def wait_for(client: TestClient, run_id: str, status: str, step: int) -> dict:
    deadline = time.monotonic() + 60
    while True:
        run = client.get(f"/api/runs/{run_id}").json()
        if run["status"] == status and run["step"] == step:
            return run
        assert run["status"] in {"pending", "running", "paused"}, run
        assert time.monotonic() < deadline, run
        time.sleep(0.05)


def run_step_zero_then_one(client: TestClient, config: dict) -> tuple[dict[str, np.ndarray], dict]:
    """A run's weights at step 0 (paused before its first step) and its hello after one step."""
    run_id = client.post("/api/runs?start=pause", json=config).json()["id"]
    try:
        wait_for(client, run_id, "paused", 0)
        weights = load_safetensors(client.get(f"/api/runs/{run_id}/checkpoint").content)
        assert client.post(f"/api/runs/{run_id}/step").status_code == 200
        wait_for(client, run_id, "paused", 1)
        with client.websocket_connect(f"/api/runs/{run_id}/stream") as ws:
            hello = ws.receive_json()
    finally:
        client.post(f"/api/runs/{run_id}/stop")
    return weights, hello


def close(a: Any, b: Any) -> bool:
    """Figures equal to float32 rounding (None, a figure that is not finite or not measured, only to None)."""
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b, strict=True))
    if a is None or b is None:
        return a is None and b is None
    return bool(a == pytest.approx(b, rel=1e-5, abs=1e-9))


def layer_norms(weights: dict[str, np.ndarray], n_hidden: int) -> list[float]:
    names = [f"blocks.{i}.layer.weight" for i in range(n_hidden)] + ["head.weight"]
    return [float(np.linalg.norm(weights[name].astype(np.float64))) for name in names]


def logits_of(weights: dict[str, np.ndarray], x: np.ndarray, n_hidden: int) -> np.ndarray:
    """The plain tanh MLP's output logit, in numpy."""
    h = x.astype(np.float64)
    for i in range(n_hidden):
        h = np.tanh(h @ weights[f"blocks.{i}.layer.weight"].T + weights[f"blocks.{i}.layer.bias"])
    return (h @ weights["head.weight"].T + weights["head.bias"])[:, 0]


@pytest.mark.parametrize("config", [PLAIN, NOISY], ids=["plain", "dropout-noise-batchnorm-warmup"])
def test_the_preview_is_the_runs_own_step_zero(client, config):
    response = client.post("/api/preview", json=config)
    assert response.status_code == 200, response.text
    preview = response.json()
    weights, hello = run_step_zero_then_one(client, config)
    frame, first = preview["frame"], hello["latest"]

    # what the run's hello describes, the preview describes alike; the frame is a detail frame of step 0
    assert preview["layers"] == hello["layers"] and preview["data"] == hello["data"]
    assert preview["metrics"] == hello["metrics"]
    assert preview["config"] == hello["run"]["config"]
    assert (frame["type"], frame["step"], frame["seq"], frame["detail"]) == ("frame", 0, 0, True)
    assert frame["epoch"] == 0 and frame.keys() >= {"dense", "test_loss", "act_mean", "percentiles"}

    # the first batch: what step 1 measured before its update
    assert first["step"] == 1
    for name in FIRST_BATCH:
        if name.startswith("bn_") and "norm" not in config["model"]:
            assert name not in frame
            continue
        assert close(frame[name], first[name]), (name, frame[name], first[name])
    warm_up = 10 if "schedule" in config else 1  # warm-up starts at a tenth of the base rate
    assert frame["lr"] == pytest.approx(config["optimizer"]["lr"] / warm_up)
    assert frame["update_ratio"] == [None] * 3  # no update yet

    # the net's state: the run's weights at step 0, recomputed in numpy
    n_hidden = len(config["model"]["hidden"])
    assert frame["weight_norm"] == pytest.approx(layer_norms(weights, n_hidden), rel=1e-5)
    if "norm" in config["model"]:  # the first batch left batch norm's running statistics as they were
        running = [float(weights[f"blocks.{i}.norm.running_mean"].mean()) for i in range(n_hidden)]
        assert close(frame["bn_running_mean"], [*running, None]) and running == [0.0] * n_hidden
        return
    data = load(ExperimentConfig.model_validate(config).dataset, config["seed"], torch.device("cpu"))
    grid_x = data.plot_inputs(GRID)
    assert grid_x is not None
    p = 1 / (1 + np.exp(-logits_of(weights, grid_x.numpy(), n_hidden)))
    grid = frame["dense"]["grid"]
    assert np.abs(undense(grid) - p.reshape(GRID, GRID)).max() <= (grid["hi"] - grid["lo"]) / 255
    z, y = logits_of(weights, data.x_test.numpy(), n_hidden), data.y_test.numpy().astype(np.float64)
    bce = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    assert frame["test_loss"] == pytest.approx(bce.mean(), rel=1e-5)


def test_step_before_play_starts_paused_after_one_full_step(client, small_config):
    run_id = client.post("/api/runs?start=step&lease=true", json=small_config).json()["id"]
    try:
        wait_for(client, run_id, "paused", 1)
        with client.websocket_connect(f"/api/runs/{run_id}/stream") as ws:
            hello = ws.receive_json()
        assert hello["latest"]["step"] == 1 and hello["latest"]["detail"]
        assert client.post(f"/api/runs/{run_id}/step").json()["step"] == 2  # Step goes on from there
    finally:
        client.post(f"/api/runs/{run_id}/stop")


def test_a_preview_holds_no_run_and_no_worker(client, small_config):
    manager = client.app.state.manager
    runs, idle = client.get("/api/runs").json()["total"], len(manager.pool.idle)
    assert client.post("/api/preview", json=small_config).status_code == 200
    assert client.get("/api/runs").json()["total"] == runs and len(manager.pool.idle) == idle


@pytest.mark.parametrize(
    "config",
    [
        {"dataset": {"name": "digits"}, "model": {"kind": "cnn", "hidden": [16], "activation": "relu"}},
        {"dataset": {"name": "adding", "seq_len": 10}, "model": {"kind": "rnn", "hidden": [8], "activation": "tanh"}},
        {"dataset": {"name": "sine"}, "model": {"hidden": [8], "activation": "tanh"}},
    ],
    ids=["cnn-digits", "rnn-adding", "curve"],
)
def test_every_kind_of_model_has_a_preview(client, config):
    body = {**config, "optimizer": {"name": "adam", "lr": 0.01}}
    response = client.post("/api/preview", json=body)
    assert response.status_code == 200, response.text
    preview = response.json()
    views = {"cnn": "feature_maps", "rnn": None, "mlp": "curve"}[config["model"].get("kind", "mlp")]
    assert views is None or views in preview["frame"]["dense"]
    if views is None:
        assert len(preview["frame"]["grad_time"]) == 10
    assert preview["frame"]["step"] == 0 and preview["frame"]["train_loss"] is not None


@pytest.mark.parametrize(("case", "change", "field"), BAD_CONFIGS, ids=[c[0] for c in BAD_CONFIGS])
def test_a_preview_refuses_what_a_run_refuses(client, small_config, case, change, field):
    response = client.post("/api/preview", json={**small_config, **change})
    assert response.status_code == 422, response.text
    assert field in response.json()["detail"]


def test_over_the_parameter_limit_the_same_words_as_a_run(client, small_config):
    huge = {**small_config, "model": {"hidden": [1024] * 6, "activation": "relu"}}
    preview, run = client.post("/api/preview", json=huge), client.post("/api/runs", json=huge)
    assert preview.status_code == run.status_code == 422
    assert preview.json()["detail"] == run.json()["detail"]
    assert preview.json()["detail"].startswith("model: ") and "over the limit of 5,000,000" in run.json()["detail"]


def test_previews_are_counted_per_owner_key_else_per_address(tmp_path, small_config):
    settings = Settings(workers=0, previews_per_minute=2, data_dir=tmp_path)
    with TestClient(create_app(settings)) as client:
        client.headers[KEY_HEADER] = client.post("/api/owners").json()["key"]
        bad = {**small_config, "batch_size": 0}
        assert client.post("/api/preview", json=bad).status_code == 422  # refused ones cost nothing
        answers: list[Any] = [client.post("/api/preview", json=small_config) for _ in range(3)]
        # a classmate behind the same address has a budget of their own
        classmate = {KEY_HEADER: client.post("/api/owners").json()["key"]}
        assert client.post("/api/preview", json=small_config, headers=classmate).status_code == 200
        # without a key: the address's budget
        del client.headers[KEY_HEADER]
        keyless = [client.post("/api/preview", json=small_config).status_code for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert keyless == [200, 200, 429]
    detail = answers[-1].json()["detail"]
    assert "at most 2 a minute" in detail and "GLASSNET_PREVIEWS_PER_MINUTE" in detail


def test_a_network_too_large_to_preview_is_left_to_a_run(client, small_config):
    large = {**small_config, "model": {"hidden": [1024] * 4, "activation": "relu"}, "batch_size": 4096}  # ~5e10
    check_config(ExperimentConfig.model_validate(large))  # a run of it is allowed: its worker is its own process
    response = client.post("/api/preview", json=large)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail.startswith("model: ") and "over the preview's limit of 20 billion" in detail and "Play" in detail
