"""Killing the server (SIGKILL) during a run loses no finished run and leaves a sound database."""

import signal
import sqlite3

from glassnet.client import Client
from tests.live_server import ARTIFACTS, running_server
from tests.scripting.test_client_and_cli import CONFIG


def test_sigkill_during_a_run_loses_no_finished_run(tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    data = {"GLASSNET_DATA_DIR": str(tmp_path)}
    with running_server(ARTIFACTS, "kill-server", **data) as url, Client(url) as gn:
        key = gn.owner_key()
        finished = [gn.create_run({**CONFIG, "seed": seed}) for seed in range(2)]
        finished = [gn.wait(run["id"], timeout=60) for run in finished]
        metrics = gn.metrics(finished[0]["id"])
        active = gn.create_run({**CONFIG, "steps": 1_000_000})
        for frame in gn.frames(active["id"]):
            if frame["step"] > 100:
                break
        url.process.send_signal(signal.SIGKILL)
        url.process.wait(timeout=10)

    db = sqlite3.connect(tmp_path / "glassnet.db")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()

    # the same data dir (and secret) on another port: the same owner key
    with running_server(ARTIFACTS, "kill-server", **data) as url, Client(url, key=key) as gn:
        runs = {r["id"]: r for r in gn.runs()["items"]}
        for run in finished:
            assert runs[run["id"]]["status"] == "finished"
            assert runs[run["id"]]["summary"] == run["summary"]
        assert gn.metrics(finished[0]["id"]) == metrics
        exported = gn.export(finished[1]["id"], format="json")
        assert exported["metrics"]["series"]["train_loss"]["step"][-1] == CONFIG["steps"]
        assert gn.weights(finished[0]["id"])["head.weight"].shape == (1, 8)
        assert runs[active["id"]]["status"] == "interrupted"
        # the server goes on: a new run trains
        assert gn.wait(gn.create_run(CONFIG)["id"], timeout=60)["status"] == "finished"
