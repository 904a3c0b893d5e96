"""A pool of pre-warmed worker processes: each has imported torch and the engine and waits for one run.

Workers fork from a forkserver that imported torch and the engine once (runs/preload.py): a fork takes
milliseconds where a fresh interpreter's imports take seconds of CPU (about 7 s on a small CPU, per run). The
server starts serving once its forkserver is up (the seconds its imports take, once per server process), so
that no run waits for it, nor spawns a fresh interpreter that would compete with it for the CPU. Where a
platform has no forkserver, or it fails to start, a worker is a fresh spawned interpreter.
"""

import contextlib
import logging
import multiprocessing as mp
import threading
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext
from multiprocessing.process import BaseProcess
from typing import Any, cast

from glassnet.runs.worker import worker_main
from glassnet.settings import Settings

log = logging.getLogger(__name__)
FORKSERVER_WAIT_S = 120.0  # the longest a run waits for the forkserver to come up before a fresh interpreter


def make_pool(settings: Settings) -> "WorkerPool":
    """The executor: Ray actors on a cluster with GLASSNET_RAY_ADDRESS (ray is imported only then, and only by
    the bridge process), else local worker processes. A RayPool has the WorkerPool's interface (its processes
    and pipes are channels to actors), so the manager uses either alike."""
    if settings.ray_address:
        from glassnet.runs.ray_pool import RayPool

        return cast(WorkerPool, RayPool(settings))
    return WorkerPool(settings.workers, settings.torch_threads)


def _forkserver() -> ForkServerContext | None:
    if "forkserver" not in mp.get_all_start_methods():
        return None
    context = mp.get_context("forkserver")
    context.set_forkserver_preload(["glassnet.runs.preload"])  # (one forkserver per process, made on first use)
    return context


def _ready() -> None:
    """A probe's whole life: that it was forked says the forkserver is up."""


# a process has one forkserver (made on first use), so whether it is up is known process-wide: once a pool has
# forked from it, the next pools (a test's next app) fork at once
FORKSERVER_UP = threading.Event()


class WorkerPool:
    """Keeps `size` idle worker processes that have already imported torch."""

    def __init__(self, size: int, torch_threads: int) -> None:
        self.size = size
        self.torch_threads = torch_threads
        self.spawner = mp.get_context("spawn")
        self.forker = _forkserver()
        self.starting: threading.Thread | None = None
        self.started = threading.Event()  # the forkserver is up, or failed (then self.forker is None)
        self.closed = False
        self.lock = threading.Lock()  # the idle list (the forkserver's starter fills it too)
        self.idle: list[tuple[BaseProcess, Connection]] = []

    def _start(self) -> None:
        """Start the forkserver in the background (it imports for seconds); it fills the pool once up."""
        with self.lock:
            if self.starting is not None:
                return
            self.starting = threading.Thread(target=self._start_forkserver, name="forkserver", daemon=True)
            self.starting.start()

    def _start_forkserver(self) -> None:
        assert self.forker is not None
        try:
            probe = self.forker.Process(target=_ready, daemon=True)
            probe.start()  # returns once the forkserver has imported what it preloads and forked the probe
            probe.join()
        except Exception:
            log.exception("the worker forkserver did not start; workers start as fresh interpreters")
            self.forker = None
        else:
            FORKSERVER_UP.set()
        self.started.set()
        self.fill()

    def _spawn(self) -> tuple[BaseProcess, Connection]:
        context = self.forker if self.forker is not None and FORKSERVER_UP.is_set() else self.spawner
        parent, child = context.Pipe()
        process = context.Process(target=worker_main, args=(child, self.torch_threads), daemon=True)
        process.start()
        child.close()
        return process, parent

    def fill(self) -> None:
        if self.forker is not None and not FORKSERVER_UP.is_set():
            self._start()  # its starter fills the pool once it is up
            return
        with self.lock:
            if self.closed:
                return
            self.idle = [(p, c) for p, c in self.idle if p.is_alive()]
            while len(self.idle) < self.size:
                self.idle.append(self._spawn())

    def wait_started(self) -> None:
        """Until the forkserver is up (or has failed); at once where there is none or it is up. The server waits
        for it in a thread before it serves, so that a run never waits for it on the event loop."""
        if self.forker is not None and not FORKSERVER_UP.is_set():
            self._start()
            self.started.wait(FORKSERVER_WAIT_S)

    def take(self) -> tuple[BaseProcess, Connection]:
        self.wait_started()
        with self.lock:
            while self.idle:
                process, conn = self.idle.pop(0)
                if process.is_alive():
                    return process, conn
        return self._spawn()

    def cluster(self) -> dict[str, Any]:
        """Where runs train (the health endpoint's `cluster`): here, in local worker processes."""
        return {"executor": "local", "connected": True, "workers_idle": len(self.idle)}

    def shutdown(self) -> None:
        with self.lock:
            self.closed = True
            idle, self.idle = self.idle, []
        for _, conn in idle:
            with contextlib.suppress(OSError):
                conn.send(None)
        for process, _ in idle:
            process.join(timeout=2)
            if process.is_alive():
                process.terminate()
