"""The local worker pool: workers fork from a forkserver that imported torch and the engine once, and a forked
worker trains a job (the API tests train many more through it)."""

import os
import sys
from pathlib import Path

import pytest

from glassnet.config import default_config
from glassnet.runs import messages as m
from glassnet.runs.pool import FORKSERVER_UP, WorkerPool

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def test_a_worker_is_a_fork_of_a_one_threaded_forkserver_that_has_torch_and_it_trains(tmp_path):
    pool = WorkerPool(1, 1)
    pool.fill()  # starts the forkserver (if no test has yet), in the background
    assert FORKSERVER_UP.wait(120)
    process, conn = pool.take()
    try:
        assert process.pid is not None
        forkserver = parent_of(process.pid)
        assert forkserver != os.getpid()  # not a fresh interpreter of this process: a fork of the forkserver
        assert "libtorch_cpu" in Path(f"/proc/{forkserver}/maps").read_text()  # which imported torch
        # one thread: a fork copies only the forking thread, so a thread (an OpenMP team) there would break workers
        assert len(os.listdir(f"/proc/{forkserver}/task")) == 1
        config = default_config().model_copy(update={"steps": 5}).model_dump(mode="json")
        conn.send(m.Job(config=config, replay=[], uploads=str(tmp_path)))
        reports = []
        while not (reports and isinstance(reports[-1], m.StatusChanged) and reports[-1].status == "finished"):
            assert conn.poll(60), reports
            reports.append(conn.recv())
        assert any(isinstance(r, m.Framed) for r in reports)
    finally:
        process.terminate()
        pool.shutdown()
