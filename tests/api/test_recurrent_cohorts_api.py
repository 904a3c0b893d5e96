"""Recurrent runs through the real app, as cohort/compat.py decides for them: a sweep of GRUs trains as one cohort
(its members start together, so K is known), a lone GRU started by itself trains alone and says why, and an LSTM
trains alone even in a sweep (its batched loop is slower than nn.LSTM's fused one)."""

import time
from typing import Any

from fastapi.testclient import TestClient

from glassnet.api.app import create_app
from glassnet.runs.owners import KEY_HEADER
from glassnet.settings import Settings

GRU: dict[str, Any] = {
    "dataset": {"name": "adding", "n_samples": 100, "seq_len": 5},
    "model": {"kind": "rnn", "cell": "gru", "rnn_hidden": 4, "hidden": [], "activation": "tanh"},
    "optimizer": {"name": "adam", "lr": 0.01},
    "batch_size": 16,
    "steps": 80,
}


def until(check: Any, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_a_recurrent_sweep_batches_and_a_lone_run_or_an_lstm_trains_alone(tmp_path: Any) -> None:
    settings = Settings(workers=1, max_runs=4, max_runs_per_owner=4, data_dir=tmp_path)
    with TestClient(create_app(settings)) as client:
        client.headers[KEY_HEADER] = client.post("/api/owners").json()["key"]
        sweep = client.post("/api/sweeps", json={"config": GRU, "grid": {"seed": [0, 1, 2]}})
        assert sweep.status_code == 201, sweep.text
        ids = [m["run_id"] for m in sweep.json()["members"]]
        manager = client.app.state.manager
        hosts = {id(manager.runs[i].host) for i in ids}
        assert manager.runs[ids[0]].host is not None and len(hosts) == 1, "one cohort for the sweep"
        done = until(lambda: (s := client.get(f"/api/sweeps/{sweep.json()['id']}").json())["status"] == "done" and s)
        assert done["counts"] == {"finished": 3}
        for run_id in ids:
            run = client.get(f"/api/runs/{run_id}").json()
            assert run["cohort"] == {"members": 3, "alone": None} and run["step"] == 80, run["cohort"]

        lone = client.post("/api/runs", json=GRU)
        assert lone.status_code == 201, lone.text
        assert "lone GRU run trains alone" in lone.json()["cohort"]["alone"]
        lstm = {**GRU, "model": {**GRU["model"], "cell": "lstm"}}
        member = client.post("/api/sweeps", json={"config": lstm, "grid": {"seed": [0, 1]}}).json()["members"][0]
        assert "LSTM trains alone" in client.get(f"/api/runs/{member['run_id']}").json()["cohort"]["alone"]
        until(lambda: client.get(f"/api/runs/{lone.json()['id']}").json()["status"] == "finished")
