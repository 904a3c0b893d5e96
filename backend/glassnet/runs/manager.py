"""Run lifecycle: each run trains in its own worker process, taken from a pool of pre-warmed ones.

A reader thread per run turns the worker's pipe into calls on the event loop, which update the run and
publish to the hub. A worker that dies without a last word turns its run `failed` with the exit code.
"""

import asyncio
import contextlib
import multiprocessing as mp
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from glassnet.config import ExperimentConfig
from glassnet.runs.hub import Hub
from glassnet.runs.worker import worker_main
from glassnet.settings import Settings

ACTIVE = frozenset({"pending", "running", "paused"})
TERMINAL = frozenset({"finished", "stopped", "failed", "diverged"})
COMMAND_TIMEOUT = 1.0  # seconds a worker has to answer a command before it is stopped by force


class RunNotFound(KeyError):
    pass


class RunLimitReached(RuntimeError):
    pass


class InvalidTransition(RuntimeError):
    pass


@dataclass
class Run:
    id: str
    config: ExperimentConfig
    created_at: str
    status: str = "pending"
    step: int = 0
    device: str | None = None
    error: str | None = None
    layers: list[dict[str, Any]] = field(default_factory=list)
    process: BaseProcess | None = None
    conn: Connection | None = None

    def info(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "step": self.step,
            "config": self.config.model_dump(mode="json"),
            "created_at": self.created_at,
            "device": self.device,
            "error": self.error,
        }


class WorkerPool:
    """Keeps `size` idle worker processes that have already imported torch."""

    def __init__(self, size: int, torch_threads: int) -> None:
        self.size = size
        self.torch_threads = torch_threads
        self.context = mp.get_context("spawn")
        self.idle: list[tuple[BaseProcess, Connection]] = []

    def _spawn(self) -> tuple[BaseProcess, Connection]:
        parent, child = self.context.Pipe()
        process = self.context.Process(target=worker_main, args=(child, self.torch_threads), daemon=True)
        process.start()
        child.close()
        return process, parent

    def fill(self) -> None:
        self.idle = [(p, c) for p, c in self.idle if p.is_alive()]
        while len(self.idle) < self.size:
            self.idle.append(self._spawn())

    def take(self) -> tuple[BaseProcess, Connection]:
        while self.idle:
            process, conn = self.idle.pop(0)
            if process.is_alive():
                return process, conn
        return self._spawn()

    def shutdown(self) -> None:
        for _, conn in self.idle:
            with contextlib.suppress(OSError):
                conn.send(None)
        for process, _ in self.idle:
            process.join(timeout=2)
            if process.is_alive():
                process.terminate()
        self.idle.clear()


class RunManager:
    def __init__(self, settings: Settings, hub: Hub, loop: asyncio.AbstractEventLoop) -> None:
        self.settings = settings
        self.hub = hub
        self.loop = loop
        self.pool = WorkerPool(settings.prewarm, settings.torch_threads)
        self.runs: dict[str, Run] = {}

    def start(self) -> None:
        self.pool.fill()

    def shutdown(self) -> None:
        for run in self.runs.values():
            if run.process is not None and run.process.is_alive():
                run.process.terminate()
        self.pool.shutdown()

    # ---- queries
    def get(self, run_id: str) -> Run:
        try:
            return self.runs[run_id]
        except KeyError:
            raise RunNotFound(run_id) from None

    def list(self) -> list[Run]:
        return sorted(self.runs.values(), key=lambda r: r.created_at, reverse=True)

    def active_count(self) -> int:
        return sum(run.status in ACTIVE for run in self.runs.values())

    # ---- lifecycle
    def create(self, config: ExperimentConfig, checkpoint: bytes | None = None) -> Run:
        if self.active_count() >= self.settings.max_runs:
            raise RunLimitReached(
                f"too many active runs: the limit is {self.settings.max_runs} running or paused at once "
                "(GLASSNET_MAX_RUNS); stop one first"
            )
        created = datetime.now(UTC).isoformat(timespec="microseconds")
        run = Run(id=uuid.uuid4().hex[:12], config=config, created_at=created)
        run.process, run.conn = self.pool.take()
        self.runs[run.id] = run
        self.hub.open(run.id)
        run.conn.send((config.model_dump(mode="json"), checkpoint))
        threading.Thread(target=self._read, args=(run,), name=f"run-{run.id}", daemon=True).start()
        self.pool.fill()
        return run

    async def command(self, run_id: str, command: str) -> Run:
        """pause, resume, step or stop; waits (briefly) until the worker has acted on it."""
        run = self.get(run_id)
        allowed = {"pause": {"running"}, "resume": {"paused"}, "step": {"paused"}, "stop": ACTIVE}[command]
        if run.status not in allowed:
            raise InvalidTransition(
                f"run {run.id} is {run.status}; '{command}' needs it to be {' or '.join(sorted(allowed))}"
            )
        before = (run.status, run.step)
        self._send(run, command)
        deadline = time.monotonic() + COMMAND_TIMEOUT
        while (run.status, run.step) == before and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        if command == "stop" and run.status in ACTIVE:
            self._kill(run, "stopped", None)  # the worker did not answer in time
        return run

    def set_lr(self, run_id: str, lr: float) -> Run:
        """A live change of the learning rate of an active run."""
        run = self.get(run_id)
        if run.status not in ACTIVE:
            raise InvalidTransition(f"run {run.id} is {run.status}; the learning rate can change while it is active")
        self._send(run, ("set", {"lr": lr}))
        run.config = run.config.model_copy(update={"optimizer": run.config.optimizer.model_copy(update={"lr": lr})})
        return run

    async def delete(self, run_id: str) -> None:
        run = self.get(run_id)
        if run.status in ACTIVE:
            await self.command(run_id, "stop")
        del self.runs[run_id]
        self.hub.close(run_id)

    # ---- plumbing
    def _send(self, run: Run, message: Any) -> None:
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

    def _on_message(self, run: Run, message: tuple) -> None:
        kind = message[0]
        if kind == "frame":
            run.step = message[1]["step"]
            self.hub.publish(run.id, message[1])
        elif kind == "event":
            self.hub.publish(run.id, message[1])
        elif kind == "status":
            _, status, step, error = message
            self._set_status(run, status, run.step if step is None else step, error)
        elif kind == "layers":
            run.layers, run.device = message[1], message[2]
            self.hub.describe(run.id, run.layers)

    def _on_exit(self, run: Run, exitcode: int | None) -> None:
        if run.status in ACTIVE:
            how = f"was killed by signal {-exitcode}" if exitcode and exitcode < 0 else f"exited with code {exitcode}"
            self._set_status(run, "failed", run.step, f"the worker process {how} before the run ended")

    def _set_status(self, run: Run, status: str, step: int, error: str | None) -> None:
        if run.status in TERMINAL:
            return  # the first ending wins
        run.status, run.step, run.error = status, step, error
        self.hub.publish(run.id, {"type": "status", "status": status, "step": step, "error": error})
