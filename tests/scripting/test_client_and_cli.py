"""The Python client and the CLI against a real server process, and the CLI headless."""

import csv
import io
import json
import math
import os
import subprocess
import sys

import pytest

from glassnet.client import Client, GlassnetError
from tests.live_server import ARTIFACTS, running_server

CONFIG = {
    "dataset": {"name": "circle", "n_samples": 300},
    "model": {"hidden": [8, 8], "activation": "tanh"},
    "optimizer": {"name": "adam", "lr": 0.02},
    "steps": 600,
    "seed": 3,
}


@pytest.fixture(scope="module")
def server():
    ARTIFACTS.mkdir(exist_ok=True)
    with running_server(ARTIFACTS, "client-server") as url:
        yield url


@pytest.fixture(scope="module")
def gn(server):
    with Client(server) as client:
        yield client


def test_a_script_trains_follows_and_reads_back_a_run(gn):
    run = gn.create_run(CONFIG)
    frames = list(gn.frames(run["id"]))
    assert frames[-1]["step"] == CONFIG["steps"]
    measured = [f for f in frames if "test_loss" in f]  # a test loss only where one was measured
    # the last frame measures it; trained, it lies far below chance (ln 2, where every test point is a coin toss)
    assert measured[-1] is frames[-1] and measured[-1]["test_loss"] < 0.5 * math.log(2)
    final = gn.wait(run["id"], timeout=30)
    assert final["status"] == "finished"
    assert final["summary"]["test_loss"] == {"value": frames[-1]["test_loss"], "step": CONFIG["steps"]}
    metrics = gn.metrics(run["id"], series=["train_loss", "grad_norm/0"])
    assert set(metrics["series"]) == {"train_loss", "grad_norm/0"}
    rows = list(csv.DictReader(io.StringIO(gn.export(run["id"]))))
    assert int(rows[-1]["step"]) == CONFIG["steps"]
    assert gn.export(run["id"], format="json")["run"]["id"] == run["id"]
    weights = gn.weights(run["id"])
    assert weights["head.weight"].shape == (1, 8)
    assert run["id"] in [r["id"] for r in gn.runs(status="finished")["items"]]


def test_control_fork_and_errors(gn):
    run = gn.create_run({**CONFIG, "steps": 1_000_000})
    messages = gn.stream(run["id"])
    assert next(messages)["type"] == "hello"
    assert gn.pause(run["id"])["status"] == "paused"
    assert gn.step(run["id"])["status"] == "paused"
    assert gn.set_lr(run["id"], 0.005)["config"]["optimizer"]["lr"] == 0.005
    assert gn.resume(run["id"])["status"] == "running"
    fork = gn.fork(run["id"], changes={"optimizer": {"name": "sgd", "lr": 0.1}, "steps": 2000})
    assert fork["parent"] == run["id"] and fork["config"]["optimizer"]["name"] == "sgd"
    assert gn.stop(run["id"])["status"] == "stopped"
    assert gn.wait(fork["id"], timeout=60)["status"] == "finished"
    gn.delete(run["id"])
    with pytest.raises(GlassnetError) as missing:
        gn.run(run["id"])
    assert missing.value.status == 404
    with pytest.raises(GlassnetError) as invalid:
        gn.create_run({**CONFIG, "model": {"hidden": [0], "activation": "tanh"}})
    assert invalid.value.status == 422 and "model.hidden.0" in invalid.value.detail


def glassnet(*args: str, **env: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "glassnet.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env={**os.environ, **env})


def test_cli_trains_headless_with_a_summary_and_writes_metrics(tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps(CONFIG))
    out = tmp_path / "metrics.csv"
    result = glassnet("run", str(config), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "status          finished" in result.stdout and "test loss" in result.stdout
    assert "step 600/600" in result.stderr  # the progress bar's last line
    rows = list(csv.DictReader(out.open()))
    assert int(rows[-1]["step"]) == 600 and float(rows[-1]["train_loss"]) < float(rows[0]["train_loss"])
    as_json = tmp_path / "metrics.json"
    assert glassnet("run", str(config), "--out", str(as_json)).returncode == 0
    written = json.loads(as_json.read_text())
    assert written["metrics"]["series"]["test_loss"]["step"][-1] == 600
    assert written["history"]["tracks"]["train_loss"]["step"][-1] == 600


def test_cli_trains_on_a_server_and_lists_its_runs(server, tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps(CONFIG))
    result = glassnet("run", str(config), "--server", server, "--out", str(tmp_path / "m.json"))
    assert result.returncode == 0, result.stderr
    run_id = next(line.split()[1] for line in result.stdout.splitlines() if line.startswith("run "))
    listing = glassnet("runs", "--server", server)
    assert listing.returncode == 0 and run_id in listing.stdout and "finished" in listing.stdout
    assert f"{server}/?run={run_id}" in result.stderr  # where to watch it
    assert "circle · mlp 8-8 tanh" in listing.stdout and "600/600" in listing.stdout  # its name, its steps
    assert json.loads((tmp_path / "m.json").read_text())["run"]["id"] == run_id
    # the CLI kept its owner key for this server: another user (another config dir) sees none of its runs
    kept = json.loads((config_home_of() / "glassnet" / "owners.json").read_text())
    assert set(kept) == {server}
    elsewhere = glassnet("runs", "--server", server, XDG_CONFIG_HOME=str(tmp_path / "someone-else"))
    assert elsewhere.returncode == 0 and run_id not in elsewhere.stdout and "0 of 0 run(s)" in elsewhere.stdout
    assert run_id in glassnet("runs", "--server", server, "--key", kept[server], XDG_CONFIG_HOME=str(tmp_path)).stdout


def config_home_of():
    from pathlib import Path

    return Path(os.environ["XDG_CONFIG_HOME"])


def test_the_clients_owner_key_owns_its_runs(server):
    with Client(server) as mine, Client(server, keep_key=False) as stranger:
        run = mine.create_run({**CONFIG, "steps": 200})
        assert mine.wait(run["id"], timeout=60)["status"] == "finished"
        assert mine.key == json.loads((config_home_of() / "glassnet" / "owners.json").read_text())[server]
        assert stranger.owner_key() != mine.key
        with pytest.raises(GlassnetError) as refused:
            stranger.continue_run(run["id"], 100)
        assert refused.value.status == 403 and run["id"] in refused.value.detail
        assert run["id"] not in [r["id"] for r in stranger.runs()["items"]]
        assert mine.rename(run["id"], "first try")["name"] == "first try"
        assert mine.continue_run(run["id"], 100)["config"]["steps"] == 300
        assert mine.stop_all() in ([run["id"]], [])  # stopped, unless it had finished already
        assert mine.wait(run["id"], timeout=60)["status"] in ("finished", "stopped")
        assert next(m["type"] for m in mine.stream(run["id"])) == "hello"  # a stream sends its key in the query
    log = (ARTIFACTS / "client-server.log").read_text()
    assert "key=[redacted]" in log and mine.key not in log and stranger.key not in log


def test_cli_says_what_is_wrong(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**CONFIG, "optimizer": {"name": "sgd", "lr": -1}}))
    result = glassnet("run", str(bad))
    assert result.returncode == 2 and "optimizer.lr" in result.stderr
    result = glassnet("run", str(tmp_path / "missing.json"))
    assert result.returncode == 2 and "cannot read" in result.stderr
    result = glassnet("runs", "--server", "http://127.0.0.1:9")
    assert result.returncode == 2 and "127.0.0.1:9" in result.stderr


def test_a_sweep_from_the_client_and_the_cli(gn, server, tmp_path):
    """A sweep through the client (its members train and export as a table) and through the CLI (progress on
    stderr, the members' figures sorted by test loss on stdout, the CSV written, a bad grid said plainly)."""
    sweep = gn.create_sweep({**CONFIG, "steps": 200}, {"seed": [0, 1], "optimizer.lr": [0.003, 0.03]})
    done = gn.wait_sweep(sweep["id"], timeout=120)
    assert done["status"] == "done" and done["counts"] == {"finished": 4}
    rows = gn.export_sweep(sweep["id"], format="json")
    assert [(r["seed"], r["optimizer.lr"]) for r in rows] == [(0, 0.003), (0, 0.03), (1, 0.003), (1, 0.03)]
    assert all(r["status"] == "finished" and r["test_loss"] is not None for r in rows)

    config = tmp_path / "config.json"
    config.write_text(json.dumps({**CONFIG, "steps": 150}))
    out = tmp_path / "sweep.csv"
    grids = ("--grid", "seed=0..2", "--grid", "model.hidden=[4];[8,8]")
    result = glassnet("sweep", str(config), *grids, "--server", server, "--csv", str(out))
    assert result.returncode == 0, result.stderr
    table = list(csv.DictReader(io.StringIO(out.read_text())))
    assert len(table) == 6 and {r["model.hidden"] for r in table} == {"[4]", "[8, 8]"}
    losses = [float(r["test_loss"]) for r in table]
    printed = [line for line in result.stdout.splitlines() if line.strip()]
    assert any(f"{min(losses):.4g}" in line for line in printed[:3]), result.stdout  # the best first
    assert "6 finished" in result.stdout
    bad = glassnet("sweep", str(config), "--grid", "optimizer.lrr=0.1", "--server", server)
    assert bad.returncode != 0 and "did you mean optimizer.lr" in bad.stderr


def test_a_killed_cli_sweep_stops_its_sweep_on_the_server(gn, server, tmp_path):
    """SIGTERM (a kill, a closed terminal, `timeout`) stops the sweep as Ctrl-C does, and the table still prints."""
    import re
    import signal
    import time

    config = tmp_path / "config.json"
    config.write_text(json.dumps({**CONFIG, "steps": None}))
    command = [sys.executable, "-m", "glassnet.cli", "sweep", str(config), "--grid", "seed=0..1", "--server", server]
    cli = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert cli.stderr is not None
        line = cli.stderr.readline()
        found = re.search(r"sweep ([0-9a-f]{12})", line)
        assert found, line
        deadline = time.monotonic() + 30
        while gn.get_sweep(found.group(1))["status"] != "running" and time.monotonic() < deadline:
            time.sleep(0.1)
        cli.send_signal(signal.SIGTERM)
        out, err = cli.communicate(timeout=60)
    finally:
        cli.kill()
    assert cli.returncode == 1, err
    assert gn.get_sweep(found.group(1))["status"] == "stopped"
    assert "stopped sweep" in err and "2 stopped" in out
