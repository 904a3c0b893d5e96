"""A pool of pre-warmed worker processes: each has imported torch and the engine and waits for one run."""

import contextlib
import multiprocessing as mp
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, cast

from glassnet.runs.worker import worker_main
from glassnet.settings import Settings


def make_pool(settings: Settings) -> "WorkerPool":
    """The executor: Ray actors on a cluster with GLASSNET_RAY_ADDRESS (ray is imported only then, and only by
    the bridge process), else local worker processes. A RayPool has the WorkerPool's interface (its processes
    and pipes are channels to actors), so the manager uses either alike."""
    if settings.ray_address:
        from glassnet.runs.ray_pool import RayPool

        return cast(WorkerPool, RayPool(settings))
    return WorkerPool(settings.workers, settings.torch_threads)


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

    def cluster(self) -> dict[str, Any]:
        """Where runs train (the health endpoint's `cluster`): here, in local worker processes."""
        return {"executor": "local", "connected": True, "workers_idle": len(self.idle)}

    def shutdown(self) -> None:
        for _, conn in self.idle:
            with contextlib.suppress(OSError):
                conn.send(None)
        for process, _ in self.idle:
            process.join(timeout=2)
            if process.is_alive():
                process.terminate()
        self.idle.clear()
