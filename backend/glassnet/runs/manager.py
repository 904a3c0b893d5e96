"""Run lifecycle: each run trains in its own worker process, taken from a pool of pre-warmed ones.

A reader thread per run turns the worker's pipe (runs/messages.py) into calls on the event loop, which
update the run, add to its history, persist it, and publish to the hub. A worker that dies without a last
word turns its run `failed` with the exit code. Runs survive restarts through the store; those that were
active when the server stopped come back `interrupted`.
"""

import asyncio
import copy
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from pydantic import ValidationError

from glassnet.config import ExperimentConfig, merge_config
from glassnet.data import tabular
from glassnet.protocol import Status
from glassnet.runs import messages as m
from glassnet.runs.history import History
from glassnet.runs.hub import Hub
from glassnet.runs.pool import WorkerPool
from glassnet.runs.rules import (
    InvalidRequest,
    InvalidTransition,
    RunLimitReached,
    RunNotFound,
    check_config,
    check_fork_changes,
)
from glassnet.runs.status import ACTIVE, TERMINAL
from glassnet.runs.store import Store, segment_row
from glassnet.settings import Settings
from glassnet.train.metrics import SUMMARY
from glassnet.train.pack import finite_or_none

COMMAND_TIMEOUT = 5.0  # seconds the API waits for a worker to act on pause, resume, step or an lr change
STOP_TIMEOUT = 1.0  # seconds a worker has to stop before it is terminated
HISTORY_FLUSH = 10.0  # seconds between writes of a training run's history
EVENT_LIMIT = 500
log = logging.getLogger("glassnet")


class InvalidChanges(ValueError):
    """A fork's changes make a config that does not validate: pydantic's errors, located under `changes`."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors))
        self.errors = errors


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


STORED = (  # the run's fields that the store keeps (besides its config)
    *("id", "created_at", "updated_at", "status", "step", "device", "error", "parent", "layers", "data"),
    *("events", "lr_changes", "lineage", "summary", "metrics", "latest"),
)


@dataclass
class Run:
    id: str
    config: ExperimentConfig  # as it is now (a live lr change updates it)
    created_at: str
    updated_at: str = ""
    status: str = "pending"
    step: int = 0
    device: str | None = None
    error: str | None = None
    parent: str | None = None
    layers: list[dict[str, Any]] = field(default_factory=list)
    data: dict[str, Any] | None = None  # the stream hello's data description, once the worker has built the data
    metrics: list[str] = field(default_factory=list)  # the registry metrics the run measures
    events: list[dict[str, Any]] = field(default_factory=list)
    # live learning-rate changes: {"step": the worker's step when applied, "lr": new, "from": old}
    lr_changes: list[dict[str, Any]] = field(default_factory=list)
    # how to rebuild the state this run started from: [{"config", "until", "lr_changes"}, ...] (forks)
    lineage: list[dict[str, Any]] = field(default_factory=list)
    # the headline figures, each with the step it was measured at (kept for runs whose history is not loaded)
    summary: dict[str, Any] = field(default_factory=dict)
    latest: str | None = None  # the newest detail frame (JSON): an ended run is shown as it finished
    history: History | None = field(default_factory=History)  # None: in the store, not loaded yet
    process: BaseProcess | None = None
    conn: Connection | None = None
    flushed_at: float = 0.0
    weights_waiters: dict[str, asyncio.Future] = field(default_factory=dict)

    def start_config(self) -> dict[str, Any]:
        """The config the run was started with (before live changes)."""
        config = self.config.model_dump(mode="json")
        if self.lr_changes:
            config["optimizer"]["lr"] = self.lr_changes[0]["from"]
        return config

    def current_summary(self) -> dict[str, Any]:
        """Each headline figure's last measurement: {name: {"value", "step"}} (value null if not finite)."""
        if self.history is None:
            return self.summary
        figures = {}
        for name in SUMMARY:
            latest = self.history.latest(name)
            if latest is not None:
                step, value = latest
                figures[name] = {"value": finite_or_none(value), "step": step}
        return figures

    def info(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "step": self.step,
            "config": self.config.model_dump(mode="json"),
            "created_at": self.created_at,
            "updated_at": self.updated_at or self.created_at,
            "device": self.device,
            "error": self.error,
            "parent": self.parent,
            "summary": self.current_summary(),
        }

    def row(self) -> dict[str, Any]:
        self.summary = self.current_summary()
        row = {k: getattr(self, k) for k in STORED}
        row["updated_at"] = self.updated_at or self.created_at
        return {**row, "config": self.config.model_dump(mode="json")}

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "Run":
        fields = {k: row[k] for k in STORED}
        # a summary stored by an earlier version has bare values: take them as of the run's last step
        fields["summary"] = {
            name: figure if isinstance(figure, dict) else {"value": figure, "step": row["step"]}
            for name, figure in row["summary"].items()
            if figure is None or isinstance(figure, dict | float | int)
        }
        return cls(config=ExperimentConfig.model_validate(row["config"]), history=None, **fields)


class RunManager:
    def __init__(self, settings: Settings, hub: Hub, loop: asyncio.AbstractEventLoop) -> None:
        self.settings = settings
        self.hub = hub
        self.loop = loop
        self.pool = WorkerPool(settings.workers, settings.torch_threads)
        self.store = Store(settings.data_dir / "glassnet.db")
        self.weights_dir = settings.data_dir / "weights"
        self.uploads = settings.data_dir / "datasets"
        tabular.set_uploads_dir(self.uploads)
        self.runs: dict[str, Run] = {}

    def start(self) -> None:
        interrupted = self.store.mark_interrupted(ACTIVE)
        for row in self.store.load_runs():
            try:
                self.runs[row["id"]] = Run.from_row(row)
            except ValidationError as exc:  # a run saved by a version with another config schema
                log.warning("run %s is not loaded: its config no longer validates (%s)", row["id"], exc)
        if interrupted:
            log.warning("%d run(s) were active when the server stopped; they are marked interrupted", interrupted)
        self.pool.fill()

    def shutdown(self) -> None:
        for run in self.runs.values():
            if run.process is not None and run.process.is_alive():
                run.process.terminate()
            if run.status in ACTIVE:
                self._set_status(run, "interrupted", run.step, "the server stopped while the run was active")
        self.pool.shutdown()
        self.store.close()

    # ---- queries
    def get(self, run_id: str) -> Run:
        try:
            return self.runs[run_id]
        except KeyError:
            raise RunNotFound(run_id) from None

    def list(self, status: str | None = None) -> list[Run]:
        runs = [r for r in self.runs.values() if status is None or r.status == status]
        return sorted(runs, key=lambda r: r.created_at, reverse=True)

    def active_count(self) -> int:
        return sum(run.status in ACTIVE for run in self.runs.values())

    def history(self, run: Run) -> History:
        if run.history is None:
            run.history = History.replay(self.store.load_history(run.id))
        return run.history

    # ---- lifecycle
    def create(self, config: ExperimentConfig, parent: Run | None = None, fork_step: int | None = None) -> Run:
        check_config(config)
        if self.active_count() >= self.settings.max_runs:
            raise RunLimitReached(
                f"too many active runs: the limit is {self.settings.max_runs} running or paused at once "
                "(GLASSNET_MAX_RUNS); stop one first"
            )
        created = now_iso()
        run = Run(id=uuid.uuid4().hex[:12], config=config, created_at=created, updated_at=created)
        if parent is not None:
            run.parent = parent.id
            run.lineage = [
                *copy.deepcopy(parent.lineage),
                {
                    "config": parent.start_config(),
                    "until": fork_step,
                    "lr_changes": [c for c in parent.lr_changes if c["step"] < (fork_step or 0)],
                },
            ]
        run.process, run.conn = self.pool.take()
        self.runs[run.id] = run
        self.hub.open(run.id)
        self.store.save_run(run.row())
        replay = [m.ReplaySegment.model_validate(segment) for segment in run.lineage]
        run.conn.send(m.Job(config=config.model_dump(mode="json"), replay=replay, uploads=str(self.uploads)))
        threading.Thread(target=self._read, args=(run,), name=f"run-{run.id}", daemon=True).start()
        self.pool.fill()
        return run

    def fork(self, run_id: str, step: int | None, changes: dict[str, Any]) -> Run:
        """A new run that continues `run_id` from `step` (default: its current step) with `changes`."""
        check_fork_changes(changes)
        parent = self.get(run_id)
        at = parent.step if step is None else step
        if not 0 <= at <= parent.step:
            raise InvalidRequest(f"step: {at} is outside 0..{parent.step}, the steps run {parent.id} has trained")
        merged = merge_config(parent.start_config(), changes)
        if parent.lr_changes and "lr" not in changes.get("optimizer", {}):
            applied = [c for c in parent.lr_changes if c["step"] < at]  # the lr in force at the fork
            if applied:
                merged["optimizer"]["lr"] = applied[-1]["lr"]
        try:
            config = ExperimentConfig.model_validate(merged)
        except ValidationError as exc:
            raise InvalidChanges(
                [{**e, "loc": ("changes", *e["loc"])} for e in exc.errors(include_url=False)]
            ) from None
        return self.create(config, parent=parent, fork_step=at)

    async def command(self, run_id: str, command: str) -> Run:
        """pause, resume, step or stop; waits (briefly) until the worker has acted on it."""
        run = self.get(run_id)
        allowed = {"pause": {"running"}, "resume": {"paused"}, "step": {"paused"}, "stop": ACTIVE}[command]
        if run.status not in allowed:
            raise InvalidTransition(
                f"run {run.id} is {run.status}; '{command}' needs it to be {' or '.join(sorted(allowed))}"
            )
        step = run.step
        # what the command's own outcome looks like (a frame already on its way changes the step, not that)
        done = {
            "pause": lambda: run.status != "running",
            "resume": lambda: run.status != "paused",
            "step": lambda: run.step > step or run.status != "paused",
            "stop": lambda: run.status not in ACTIVE,
        }[command]
        self._send(run, m.COMMANDS[command]())
        deadline = time.monotonic() + (STOP_TIMEOUT if command == "stop" else COMMAND_TIMEOUT)
        while not done() and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        if command == "stop" and run.status in ACTIVE:
            self._kill(run, "stopped", None)  # the worker did not answer in time
        return run

    async def set_lr(self, run_id: str, lr: float) -> Run:
        """A live change of the learning rate of an active run; waits (briefly) for the worker's word."""
        run = self.get(run_id)
        if run.status not in ACTIVE:
            raise InvalidTransition(f"run {run.id} is {run.status}; the learning rate can change while it is active")
        changes = len(run.lr_changes)
        self._send(run, m.SetLr(lr=lr))
        deadline = time.monotonic() + COMMAND_TIMEOUT
        while len(run.lr_changes) == changes and run.status in ACTIVE and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        return run

    async def weights(self, run_id: str) -> bytes | None:
        """The model's weights as safetensors: the final ones of an ended run, the current ones of an active
        run (asked of its worker). None if the run ended before it had any."""
        run = self.get(run_id)
        path = self.weights_dir / f"{run.id}.safetensors"
        if run.status not in ACTIVE or run.conn is None:
            return path.read_bytes() if path.is_file() else None
        request = uuid.uuid4().hex
        future = self.loop.create_future()
        run.weights_waiters[request] = future
        self._send(run, m.GetWeights(request=request))
        try:
            return await asyncio.wait_for(future, timeout=10)
        except TimeoutError:
            return path.read_bytes() if path.is_file() else None
        finally:
            run.weights_waiters.pop(request, None)

    async def delete(self, run_id: str) -> None:
        run = self.get(run_id)
        if run.status in ACTIVE:
            await self.command(run_id, "stop")
        del self.runs[run_id]
        self.hub.close(run_id)
        self.store.delete(run_id)
        (self.weights_dir / f"{run_id}.safetensors").unlink(missing_ok=True)

    # ---- plumbing
    def _send(self, run: Run, message: m.Message) -> None:
        try:
            assert run.conn is not None
            run.conn.send(message)
        except (OSError, AssertionError):
            pass  # the worker is gone; its reader thread reports that

    def _kill(self, run: Run, status: str, error: str | None) -> None:
        if run.process is not None and run.process.is_alive():
            run.process.terminate()
        self._set_status(run, status, run.step, error)

    def _read(self, run: Run) -> None:
        """Runs in a thread: forwards the worker's messages to the loop until the pipe closes."""
        assert run.conn is not None and run.process is not None
        try:
            while True:
                message = run.conn.recv()
                self.loop.call_soon_threadsafe(self._on_message, run, message)
        except (EOFError, OSError):
            pass
        run.process.join(timeout=5)
        self.loop.call_soon_threadsafe(self._on_exit, run, run.process.exitcode)

    def _on_message(self, run: Run, message: m.Report) -> None:
        match message:
            case m.Framed():
                self._on_frame(run, message)
            case m.Noticed(event=event):
                if len(run.events) < EVENT_LIMIT:
                    run.events.append(event.model_dump(mode="json"))
                self.hub.publish(run.id, event)
            case m.StatusChanged(status=status, step=step, error=error):
                self._set_status(run, status, run.step if step is None else step, error)
            case m.Started():
                run.layers = [layer.model_dump(mode="json") for layer in message.layers]
                run.device, run.data = message.device, message.data.model_dump(mode="json")
                run.metrics = message.metrics
                self.hub.describe(run.id, message.layers, message.data, message.metrics)
                self.store.save_run(run.row())
            case m.LrApplied(step=step, lr=lr, old=old):
                run.lr_changes.append({"step": step, "lr": lr, "from": old})
                optimizer = run.config.optimizer.model_copy(update={"lr": lr})
                run.config = run.config.model_copy(update={"optimizer": optimizer})
                self.store.save_run(run.row())
            case m.Weights(request=request, data=data):
                if request is None:  # the final weights, as the run ends
                    self.weights_dir.mkdir(parents=True, exist_ok=True)
                    (self.weights_dir / f"{run.id}.safetensors").write_bytes(data)
                elif request in run.weights_waiters and not run.weights_waiters[request].done():
                    run.weights_waiters[request].set_result(data)

    def _on_frame(self, run: Run, frame: m.Framed) -> None:
        run.step = frame.step
        self.history(run).add(frame.step, frame.values)
        if frame.detail:
            run.latest = frame.text
        if time.monotonic() - run.flushed_at > HISTORY_FLUSH:
            self._flush(run)
        self.hub.publish_frame(run.id, frame.text, frame.detail)

    def _flush(self, run: Run) -> None:
        """Queue the run's row and the history added since the last flush for the store's writer."""
        run.flushed_at = time.monotonic()
        run.updated_at = now_iso()
        self.store.save_run(run.row())
        if run.history is not None:
            closed, open_parts = run.history.take_segments()
            self.store.append_history(run.id, [segment_row(s) for s in closed], [segment_row(s) for s in open_parts])

    def _on_exit(self, run: Run, exitcode: int | None) -> None:
        if run.status in ACTIVE:
            how = f"was killed by signal {-exitcode}" if exitcode and exitcode < 0 else f"exited with code {exitcode}"
            self._set_status(run, "failed", run.step, f"the worker process {how} before the run ended")
        for future in run.weights_waiters.values():
            if not future.done():
                future.set_result(None)

    def _set_status(self, run: Run, status: str, step: int, error: str | None) -> None:
        if run.status in TERMINAL:
            return  # the first ending wins
        run.status, run.step, run.error = status, step, error
        self._flush(run)
        self.hub.publish(run.id, Status.model_validate({"status": status, "step": step, "error": error}))
        if status in TERMINAL:
            self.hub.close(run.id)  # clients joining later get the stored history
