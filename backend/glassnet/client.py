"""A Python client for a Glassnet server: start runs, follow their frames, fetch metrics and weights.

    from glassnet.client import Client
    gn = Client("http://127.0.0.1:8000")            # token=... if the server has GLASSNET_TOKEN
    run = gn.create_run({"dataset": {"name": "spiral"},
                         "model": {"hidden": [16, 16], "activation": "relu"},
                         "optimizer": {"name": "adam", "lr": 0.01}, "steps": 2000})
    for frame in gn.frames(run["id"]):                # live, until the run ends
        print(frame["step"], frame["train_loss"])
    gn.metrics(run["id"], series=["test_loss"])       # the stored history
    fork = gn.fork(run["id"], step=500, changes={"optimizer": {"lr": 0.001}})
    sweep = gn.create_sweep(run["config"], grid={"seed": [0, 1, 2], "optimizer.lr": [0.1, 0.01]})
    gn.wait_sweep(sweep["id"], on_progress=lambda s: print(s["steps_done"], "/", s["steps_total"]))

Every method returns the server's JSON (dicts and lists) and raises GlassnetError with the server's
message (which names the field or limit) on a 4xx or 5xx answer.

The runs a client starts are its owner's: the client sends an owner key (X-Glassnet-Owner) that the server
issued. Pass `key=`, or set GLASSNET_OWNER_KEY, or let the client ask the server for one and keep it, per
server, in the user's config dir (~/.config/glassnet/owners.json), so `glassnet runs` lists the runs that
`glassnet run --server` started.
"""

import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from glassnet.runs.owners import KEY_HEADER, KEY_QUERY
from glassnet.runs.status import TERMINAL

SWEEP_ACTIVE = frozenset({"pending", "running"})  # a sweep's statuses before it ends


def keys_file() -> Path:
    """Where the client keeps its owner keys, one per server."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "glassnet" / "owners.json"


def _kept_keys() -> dict[str, str]:
    try:
        keys = json.loads(keys_file().read_text())
    except (OSError, ValueError):
        return {}
    return keys if isinstance(keys, dict) else {}


def _keep_key(url: str, key: str | None) -> None:
    keys = {**_kept_keys(), url: key}
    path = keys_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({u: k for u, k in keys.items() if k}, indent=1))
    path.chmod(0o600)


def history_frames(history: dict[str, Any]) -> list[dict[str, Any]]:
    """A hello's history as frames, oldest first: at each step, the last value of every figure measured there
    (a long run's history is decimated, so one frame stands for a range of steps)."""
    by_step: dict[int, dict[str, Any]] = {}
    for name, track in history["tracks"].items():
        for step, value in zip(track["step"], track["last"], strict=True):
            by_step.setdefault(step, {"type": "frame", "step": step})[name] = value
    return [by_step[step] for step in sorted(by_step)]


class GlassnetError(RuntimeError):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"{status}: {detail}")
        self.status, self.detail = status, detail


class Client:
    def __init__(
        self,
        url: str = "http://127.0.0.1:8000",
        token: str | None = None,
        timeout: float = 30.0,
        key: str | None = None,
        keep_key: bool = True,
    ) -> None:
        """`key`: the owner key to send (default: GLASSNET_OWNER_KEY, else the one kept for this server, else a
        new one from the server, kept when `keep_key`)."""
        self.url = url.rstrip("/")
        self.token = token
        self.keep_key = keep_key and key is None
        self.key = key or os.environ.get("GLASSNET_OWNER_KEY") or (_kept_keys().get(self.url) if keep_key else None)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def owner_key(self) -> str:
        """This client's owner key, asking the server for one the first time."""
        if self.key is None:
            self.key = self._call("POST", "/api/owners", owned=False)["key"]
            if self.keep_key:
                _keep_key(self.url, self.key)
        return self.key

    def _call(self, method: str, path: str, owned: bool = True, **kwargs: Any) -> Any:
        headers = {KEY_HEADER: self.owner_key()} if owned else {}
        try:
            response = self.http.request(method, path, headers=headers, **kwargs)
            if owned and response.status_code == 401 and "did not issue" in response.text and self.keep_key:
                self.key = None  # the server's data was reset since the key was kept: get a new one, once
                response = self.http.request(method, path, headers={KEY_HEADER: self.owner_key()}, **kwargs)
        except httpx.TransportError as exc:
            raise GlassnetError(0, f"cannot reach {self.url}: {exc}") from exc
        if response.is_error:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise GlassnetError(response.status_code, str(detail))
        if response.status_code == 204 or not response.content:
            return None
        if response.headers.get("content-type", "").startswith("application/json"):
            return response.json()
        return response.content

    # ---- the server
    def health(self) -> dict[str, Any]:
        return self._call("GET", "/api/health")

    def options(self) -> dict[str, Any]:
        """Every choice, parameter range, limit and the default config."""
        return self._call("GET", "/api/options")

    # ---- runs
    def create_run(self, config: dict[str, Any], lease: bool = False) -> dict[str, Any]:
        """Start a run (this client's owner's). `lease`: it pauses while nobody watches its stream, as the
        page's runs do; a scripted run (the default) trains on unwatched."""
        return self._call("POST", "/api/runs", json=config, params={"lease": "true"} if lease else None)

    def run(self, run_id: str) -> dict[str, Any]:
        return self._call("GET", f"/api/runs/{run_id}")

    def runs(
        self, status: str | None = None, limit: int = 50, offset: int = 0, everyone: bool = False
    ) -> dict[str, Any]:
        """This owner's runs, newest first (`everyone`: all owners' runs, which needs the server token)."""
        params = {"limit": limit, "offset": offset} | ({"status": status} if status else {})
        return self._call("GET", "/api/runs", params=params | ({"owner": "all"} if everyone else {}))

    def pause(self, run_id: str) -> dict[str, Any]:
        return self._call("POST", f"/api/runs/{run_id}/pause")

    def resume(self, run_id: str) -> dict[str, Any]:
        return self._call("POST", f"/api/runs/{run_id}/resume")

    def step(self, run_id: str) -> dict[str, Any]:
        """One optimizer step of a paused run."""
        return self._call("POST", f"/api/runs/{run_id}/step")

    def stop(self, run_id: str) -> dict[str, Any]:
        return self._call("POST", f"/api/runs/{run_id}/stop")

    def set_lr(self, run_id: str, lr: float) -> dict[str, Any]:
        return self._call("PATCH", f"/api/runs/{run_id}", json={"lr": lr})

    def rename(self, run_id: str, name: str) -> dict[str, Any]:
        return self._call("PATCH", f"/api/runs/{run_id}", json={"name": name})

    def continue_run(self, run_id: str, steps: int | None) -> dict[str, Any]:
        """Train an ended run on for `steps` more (None: until stopped), as the same run."""
        return self._call("POST", f"/api/runs/{run_id}/continue", json={"steps": steps})

    def stop_all(self) -> list[str]:
        """Stop every active run of this owner's; their ids."""
        return self._call("POST", "/api/runs/stop-all")["stopped"]

    def fork(self, run_id: str, step: int | None = None, changes: dict[str, Any] | None = None) -> dict[str, Any]:
        """A new run continuing `run_id` from `step` (default: its current step) with `changes`."""
        return self._call("POST", f"/api/runs/{run_id}/fork", json={"step": step, "changes": changes or {}})

    def delete(self, run_id: str) -> None:
        self._call("DELETE", f"/api/runs/{run_id}")

    def metrics(
        self,
        run_id: str,
        series: list[str] | None = None,
        first: int | None = None,
        last: int | None = None,
        max_points: int = 1000,
    ) -> dict[str, Any]:
        params: dict[str, Any] = {"max_points": max_points}
        if series:
            params["series"] = ",".join(series)
        if first is not None:
            params["first"] = first
        if last is not None:
            params["last"] = last
        return self._call("GET", f"/api/runs/{run_id}/metrics", params=params)

    def export(self, run_id: str, format: str = "csv") -> str | dict[str, Any]:
        """The run's metrics as CSV text, or everything about it as a dict (format="json")."""
        result = self._call("GET", f"/api/runs/{run_id}/export", params={"format": format})
        return result.decode() if isinstance(result, bytes) else result

    def weights(self, run_id: str) -> dict[str, Any]:
        """The model's weights as torch tensors (loaded from safetensors, never pickle)."""
        from safetensors.torch import load

        return load(self._call("GET", f"/api/runs/{run_id}/checkpoint"))

    # ---- sweeps
    def create_sweep(
        self, config: dict[str, Any], grid: dict[str, list[Any]], name: str | None = None
    ) -> dict[str, Any]:
        """Start a sweep (this client's owner's): a run per combination of the grid's values ({path: values},
        e.g. {"seed": [0, 1], "optimizer.lr": [0.1, 0.01]}) around the base `config`. Its SweepInfo."""
        return self._call("POST", "/api/sweeps", json={"config": config, "grid": grid, "name": name})

    def get_sweep(self, sweep_id: str) -> dict[str, Any]:
        """The sweep's SweepInfo: status, members (run id, values, status, step, summary), counts, steps."""
        return self._call("GET", f"/api/sweeps/{sweep_id}")

    def list_sweeps(self) -> list[dict[str, Any]]:
        return self._call("GET", "/api/sweeps")

    def stop_sweep(self, sweep_id: str) -> dict[str, Any]:
        """Stop every member that is still pending or training."""
        return self._call("POST", f"/api/sweeps/{sweep_id}/stop")

    def export_sweep(self, sweep_id: str, format: str = "csv") -> str | list[dict[str, Any]]:
        """A row per member as CSV text, or the members as a list (format="json")."""
        result = self._call("GET", f"/api/sweeps/{sweep_id}/export", params={"format": format})
        return result.decode() if isinstance(result, bytes) else result

    def wait_sweep(
        self,
        sweep_id: str,
        on_progress: Callable[[dict[str, Any]], object] | None = None,
        poll_s: float = 0.5,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """Poll until the sweep has ended (neither pending nor running), calling `on_progress` with each
        SweepInfo; the final one."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            sweep = self.get_sweep(sweep_id)
            if on_progress is not None:
                on_progress(sweep)
            if sweep["status"] not in SWEEP_ACTIVE:
                return sweep
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"sweep {sweep_id} is still {sweep['status']} after {timeout} s")
            time.sleep(poll_s)

    # ---- lessons
    def lessons(self) -> list[dict[str, Any]]:
        """Every guided lesson, in order: question, predictions, arms (with full configs), explanation."""
        return self._call("GET", "/api/lessons")

    def lesson(self, lesson_id: str) -> dict[str, Any]:
        return self._call("GET", f"/api/lessons/{lesson_id}")

    def run_lesson(self, lesson_id: str, timeout: float | None = 300.0) -> dict[str, Any]:
        """Run a lesson's check on the server (it trains every arm first): {"lesson", "verdict", "runs"}."""
        return self._call("POST", f"/api/lessons/{lesson_id}/run", timeout=timeout)

    # ---- following a run
    def stream(self, run_id: str) -> Iterator[dict[str, Any]]:
        """Every message of the run's stream (hello, frame, event, status) until the server closes it."""
        from websockets.exceptions import ConnectionClosed
        from websockets.sync.client import connect

        ws_url = self.url.replace("http", "ws", 1) + f"/api/runs/{run_id}/stream"
        query = {KEY_QUERY: self.owner_key()} | ({"token": self.token} if self.token else {})
        ws_url += "?" + urlencode(query)
        with connect(ws_url, max_size=None) as ws:
            try:
                for text in ws:
                    message = json.loads(text)
                    if message["type"] == "error":
                        raise GlassnetError(404, message["detail"])
                    yield message
            except ConnectionClosed:
                return

    def frames(self, run_id: str) -> Iterator[dict[str, Any]]:
        """The run's frames: those so far (rebuilt from the hello's history), then live ones until the run ends.
        A frame holds what was measured at its step: detail figures (test loss, ...) only where measured."""
        for message in self.stream(run_id):
            if message["type"] == "hello":
                yield from history_frames(message["history"])
            elif message["type"] == "frame":
                yield message

    def wait(self, run_id: str, timeout: float | None = None, poll: float = 0.25) -> dict[str, Any]:
        """Block until the run has ended; its final RunInfo."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while (run := self.run(run_id))["status"] not in TERMINAL:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"run {run_id} is still {run['status']} after {timeout} s")
            time.sleep(poll)
        return run
