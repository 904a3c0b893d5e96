"""`glassnet sweep` and the client's sweep methods, without a server: the client against a mock transport, the
command against a fake client."""

import csv
import io
import json
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

import glassnet.client
from glassnet.cli import main, sweep_table
from glassnet.client import Client, GlassnetError
from glassnet.runs.owners import KEY_HEADER

BASE = {
    "dataset": {"name": "circle"},
    "model": {"hidden": [8, 8], "activation": "tanh"},
    "optimizer": {"name": "adam", "lr": 0.01},
    "steps": 100,
}


def member(index: int, values: dict[str, Any], status: str, step: int, **figures: float | None) -> dict[str, Any]:
    summary = {name: {"value": value, "step": step} for name, value in figures.items()}
    return {
        "index": index,
        "run_id": f"run{index}",
        "values": values,
        "status": status,
        "step": step,
        "summary": summary,
    }


def sweep_info(status: str, members: list[dict[str, Any]], grid: dict[str, list[Any]]) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for m in members:
        counts[m["status"]] = counts.get(m["status"], 0) + 1
    return {
        "id": "sw1",
        "name": None,
        "status": status,
        "created_at": "2025-01-01T00:00:00Z",
        "owner": "o",
        "mine": True,
        "config": BASE,
        "grid": grid,
        "members": members,
        "counts": counts,
        "steps_total": 100 * len(members),
        "steps_done": sum(m["step"] for m in members),
    }


GRID = {"seed": [0, 1], "model.hidden": [[8], [8, 8]]}
VALUES = [{"seed": s, "model.hidden": h} for s in GRID["seed"] for h in GRID["model.hidden"]]
RUNNING = sweep_info("running", [member(i, v, "running", 50) for i, v in enumerate(VALUES)], GRID)
DONE = sweep_info(
    "done",
    [
        member(0, VALUES[0], "finished", 100, train_loss=0.30, test_loss=0.40, train_acc=0.8, test_acc=0.75),
        member(1, VALUES[1], "finished", 100, train_loss=0.10, test_loss=0.20, train_acc=0.95, test_acc=0.9),
        member(2, VALUES[2], "diverged", 30, train_loss=None),
        member(3, VALUES[3], "finished", 100, train_loss=0.05, test_loss=0.30, train_acc=0.99, test_acc=0.85),
    ],
    GRID,
)


# ---- the client


def mock_client(handler: Any) -> Client:
    client = Client("http://glassnet.test", key="k" * 32)
    client.http = httpx.Client(base_url=client.url, transport=httpx.MockTransport(handler))
    return client


def test_the_client_sends_the_sweep_with_the_owner_key_and_reads_the_answers():
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/api/sweeps/sw1/export":
            if request.url.params["format"] == "csv":
                return httpx.Response(200, text="index,run_id\n0,run0\n", headers={"content-type": "text/csv"})
            return httpx.Response(200, json=DONE["members"])
        if request.url.path == "/api/sweeps" and request.method == "GET":
            return httpx.Response(200, json=[DONE])
        return httpx.Response(200, json=DONE)

    with mock_client(handler) as client:
        assert client.create_sweep(BASE, GRID, name="widths")["id"] == "sw1"
        assert client.get_sweep("sw1")["status"] == "done"
        assert client.list_sweeps()[0]["id"] == "sw1"
        assert client.stop_sweep("sw1")["id"] == "sw1"
        assert client.export_sweep("sw1") == "index,run_id\n0,run0\n"
        assert client.export_sweep("sw1", format="json") == DONE["members"]
    calls = [(r.method, r.url.path) for r in seen]
    assert calls == [
        ("POST", "/api/sweeps"),
        ("GET", "/api/sweeps/sw1"),
        ("GET", "/api/sweeps"),
        ("POST", "/api/sweeps/sw1/stop"),
        ("GET", "/api/sweeps/sw1/export"),
        ("GET", "/api/sweeps/sw1/export"),
    ]
    assert json.loads(seen[0].content) == {"config": BASE, "grid": GRID, "name": "widths"}
    assert all(r.headers[KEY_HEADER] == "k" * 32 for r in seen)


def test_a_refused_sweep_raises_the_servers_message():
    message = "grid.optimizer.lrr: not a field of the config (did you mean optimizer.lr?)"

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(422, json={"detail": message, "errors": []})

    with mock_client(handler) as client, pytest.raises(GlassnetError) as refused:
        client.create_sweep(BASE, {"optimizer.lrr": [0.1]})
    assert refused.value.status == 422 and refused.value.detail == message


def test_wait_sweep_polls_until_the_sweep_ends_and_reports_each_poll():
    answers = iter([sweep_info("pending", [], GRID), RUNNING, RUNNING, DONE])

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=next(answers))

    polled: list[str] = []
    with mock_client(handler) as client:
        final = client.wait_sweep("sw1", on_progress=lambda info: polled.append(info["status"]), poll_s=0)
    assert final["status"] == "done" and polled == ["pending", "running", "running", "done"]


def test_wait_sweep_gives_up_after_its_timeout():
    with (
        mock_client(lambda request: httpx.Response(200, json=RUNNING)) as client,
        pytest.raises(TimeoutError, match="sweep sw1 is still running"),
    ):
        client.wait_sweep("sw1", poll_s=0.01, timeout=0.05)


# ---- the table


def test_the_table_puts_the_best_test_loss_first_and_runs_without_figures_last():
    table = sweep_table(DONE)
    header, *rows = table
    assert header == ["seed", "model.hidden", "status", "train loss", "test loss", "train accuracy", "test accuracy"]
    assert rows == [
        ["0", "[8, 8]", "finished", "0.1", "0.2", "95.0%", "90.0%"],
        ["1", "[8, 8]", "finished", "0.05", "0.3", "99.0%", "85.0%"],
        ["0", "[8]", "finished", "0.3", "0.4", "80.0%", "75.0%"],
        ["1", "[8]", "diverged", "-", "-", "-", "-"],
    ]


def test_the_table_falls_back_on_train_loss_and_leaves_out_figures_no_run_has():
    members = [
        member(0, {"optimizer.lr": 0.1}, "finished", 100, train_loss=0.5),
        member(1, {"optimizer.lr": 0.01}, "stopped", 40, train_loss=0.25),
        member(2, {"optimizer.lr": 0.001}, "pending", 0),
    ]
    header, *rows = sweep_table(sweep_info("stopped", members, {"optimizer.lr": [0.1, 0.01, 0.001]}))
    assert header == ["optimizer.lr", "status", "train loss"]
    assert rows == [["0.01", "stopped", "0.25"], ["0.1", "finished", "0.5"], ["0.001", "pending", "-"]]


# ---- the command


class FakeClient:
    """Stands in for glassnet.client.Client: answers from a script, records what the command asked."""

    instances: ClassVar[list["FakeClient"]] = []
    create_error: GlassnetError | None = None
    interrupt = False

    def __init__(self, url: str, token: str | None = None, key: str | None = None) -> None:
        self.url, self.token, self.key = url, token, key
        self.calls: list[tuple[str, Any]] = []
        FakeClient.instances.append(self)

    def __enter__(self) -> "FakeClient":
        return self

    def __exit__(self, *_: object) -> None:
        pass

    def create_sweep(self, config: dict[str, Any], grid: dict[str, list[Any]], name: str | None = None) -> dict:
        self.calls.append(("create", (config, grid, name)))
        if self.create_error is not None:
            raise self.create_error
        return RUNNING

    def wait_sweep(self, sweep_id: str, on_progress: Any = None, poll_s: float = 0.5, timeout: Any = None) -> dict:
        self.calls.append(("wait", sweep_id))
        if self.interrupt and timeout is None:
            on_progress(RUNNING)
            raise KeyboardInterrupt
        if on_progress is not None:
            on_progress(RUNNING)
            on_progress(DONE)
        return DONE if not self.interrupt else {**DONE, "status": "stopped"}

    def stop_sweep(self, sweep_id: str) -> dict:
        self.calls.append(("stop", sweep_id))
        return RUNNING

    def export_sweep(self, sweep_id: str, format: str = "csv") -> str | list:
        self.calls.append(("export", format))
        return "index,run_id\n0,run0\n" if format == "csv" else DONE["members"]


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> type[FakeClient]:
    FakeClient.instances, FakeClient.create_error, FakeClient.interrupt = [], None, False
    monkeypatch.setattr(glassnet.client, "Client", FakeClient)
    return FakeClient


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "base.json"
    path.write_text(json.dumps(BASE))
    return path


def test_the_command_starts_the_sweep_shows_progress_and_prints_the_table(fake, config_file, tmp_path, capsys):
    out_csv, out_json = tmp_path / "runs.csv", tmp_path / "runs.json"
    argv = ["sweep", str(config_file), "--grid", "seed=0..1", "--grid", "model.hidden=[8];[8,8]", "--name", "w"]
    code = main([*argv, "--csv", str(out_csv), "--json", str(out_json), "--server", "http://s:1", "--key", "k"])
    assert code == 0
    (client,) = fake.instances
    assert (client.url, client.key) == ("http://s:1", "k")
    assert client.calls[0] == ("create", (BASE, GRID, "w"))
    assert ("export", "csv") in client.calls and ("export", "json") in client.calls
    assert list(csv.reader(io.StringIO(out_csv.read_text())))[1] == ["0", "run0"]
    assert json.loads(out_json.read_text()) == DONE["members"]
    captured = capsys.readouterr()
    assert "sweep sw1: 4 runs" in captured.err
    assert "step 200/400  runs 0/4 ended" in captured.err  # the bar while running (not a terminal: a line)
    lines = captured.out.splitlines()
    header = ["seed", "model.hidden", "status", "train", "loss", "test", "loss", "train", "accuracy", "test"]
    assert lines[0].split() == [*header, "accuracy"]
    assert lines[1].split()[:4] == ["0", "[8,", "8]", "finished"] and "0.2" in lines[1]
    assert lines[-1] == "sweep sw1 done: 3 finished, 1 diverged"


def test_a_refused_sweep_prints_the_servers_message_and_fails(fake, config_file, capsys):
    message = "grid.optimizer.lrr: not a field of the config (did you mean optimizer.lr?)"
    fake.create_error = GlassnetError(422, message)
    assert main(["sweep", str(config_file), "--grid", "optimizer.lrr=0.1"]) != 0
    assert message in capsys.readouterr().err


def test_a_grid_over_a_group_of_settings_fails_in_one_line_that_says_what_can_vary(monkeypatch, config_file, capsys):
    """`--grid optimizer=sgd,adam` through the real client and app: one line naming the axis and the fields that can
    vary (the optimizer's name among them), no traceback, a failing exit code."""
    from fastapi.testclient import TestClient

    from glassnet.api.app import create_app
    from glassnet.settings import Settings

    with TestClient(create_app(Settings(workers=1, data_dir=config_file.parent / "data"))) as app:

        class AppClient(Client):  # the real client, its requests answered by the app in this process
            def __init__(self, url: str, token: str | None = None, key: str | None = None) -> None:
                super().__init__(url, token=token, key=None, keep_key=False)
                self.http = app

            def close(self) -> None:
                pass

        monkeypatch.setattr(glassnet.client, "Client", AppClient)
        code = main(["sweep", str(config_file), "--grid", "optimizer=sgd,adam"])
    err = capsys.readouterr().err
    assert code != 0
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert "422: grid.optimizer: optimizer is a group of settings" in err
    assert "did you mean optimizer.name=sgd,adam?" in err and "optimizer.lr" in err


def test_ctrl_c_stops_the_sweep_and_says_so(fake, config_file, capsys):
    fake.interrupt = True
    assert main(["sweep", str(config_file), "--grid", "seed=0,1"]) == 1
    (client,) = fake.instances
    assert ("stop", "sw1") in client.calls
    captured = capsys.readouterr()
    assert "stopped sweep sw1" in captured.err and "sweep sw1 stopped" in captured.out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--grid", "seed"], "argument --grid: seed: expected PATH=VALUES"),
        (["--grid", "seed=4..1"], "argument --grid: seed=4..1: the range 4..1 is empty"),
        (["--grid", "seed=0,1", "--grid", "seed=2"], "--grid seed: given twice"),
        ([], "the following arguments are required: --grid"),
    ],
)
def test_bad_arguments_fail_before_any_request(fake, config_file, capsys, argv, message):
    try:
        code = main(["sweep", str(config_file), *argv])
    except SystemExit as exit:  # argparse's own errors
        code = exit.code
    assert code == 2 and message in capsys.readouterr().err
    assert fake.instances == []


def test_an_unreadable_config_is_named(fake, tmp_path, capsys):
    assert main(["sweep", str(tmp_path / "missing.json"), "--grid", "seed=0,1"]) == 2
    assert "cannot read" in capsys.readouterr().err and fake.instances == []
