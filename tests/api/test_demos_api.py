"""The one-click demos reach the UI from the registry (glassnet/demos.py) through GET /api/options, and a run's
hello carries its dataset's trivial baseline, which the Sequences tab draws under the loss."""

import numpy as np
import pytest

from glassnet.config import ExperimentConfig
from glassnet.data import sequences
from glassnet.demos import DEMOS


def test_options_serve_every_demo_with_its_full_config_and_goals(client):
    served = {d["id"]: d for d in client.get("/api/options").json()["demos"]}
    assert set(served) == {"images", "sequences"} == {d.id for d in DEMOS}
    for demo in DEMOS:
        out = served[demo.id]
        assert out["config"] == ExperimentConfig.model_validate(demo.config()).model_dump(mode="json")
        assert out["goals"] == [g.to_json() for g in demo.goals]
        assert out["label"]["en"] and out["label"]["zh"] and out["promise"]["en"] and out["promise"]["zh"]
    assert served["sequences"]["config"]["model"]["cell"] == "lstm"
    assert served["images"]["config"]["model"]["kind"] == "cnn"


@pytest.mark.parametrize("seed", [0, 3])
def test_the_hello_carries_the_baseline_of_predicting_the_mean_on_the_test_set(client, seed):
    """Oracle: the mean of the training targets, as the constant prediction, scored by MSE on the test targets."""
    config = {
        "dataset": {"name": "adding", "n_samples": 200, "seq_len": 8, "noise": 0.0, "train_fraction": 0.75},
        "model": {"kind": "rnn", "cell": "lstm", "hidden": [], "activation": "tanh", "rnn_hidden": 4},
        "optimizer": {"name": "adam", "lr": 0.01},
        "steps": 2,
        "seed": seed,
        "device": "cpu",
    }
    run_id = client.post("/api/runs", json=config).json()["id"]
    with client.websocket_connect(f"/api/runs/{run_id}/stream") as ws:
        hello = ws.receive_json()
    _, y = sequences.make_sequence("adding", 200, 8, 0.0, seed)
    order = np.random.default_rng([seed, 1]).permutation(200)  # the split of glassnet.data.load
    train, test = y[order[:150]].astype(np.float64), y[order[150:]].astype(np.float64)
    expected = float(np.mean((test - train.mean()) ** 2))
    assert hello["data"]["baseline_loss"] == pytest.approx(expected, rel=1e-6)
    assert 0.1 < expected < 0.25  # about Var(U(0,1) + U(0,1)) = 1/6
