"""A pool worker warms up at the lowest CPU priority and takes its normal one back when a job comes."""

import multiprocessing as mp
import os
import threading
import time

import pytest

from glassnet.runs import warmup


def nice() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


pytestmark = pytest.mark.skipif(not warmup._can_renice(nice()), reason="this user may not raise a priority back")


def test_waiting_in_the_pool_is_at_the_lowest_priority_and_leaving_it_restores_the_normal_one():
    normal = nice()
    worker_end, _server_end = mp.Pipe()  # (the other end kept open)
    with warmup.waiting_quietly(worker_end):
        assert nice() == warmup.LOWEST
    assert nice() == normal


def test_a_job_that_comes_during_the_warm_up_gives_the_normal_priority_back_at_once_and_stays_unread():
    normal = nice()
    worker_end, server_end = mp.Pipe()
    with warmup.waiting_quietly(worker_end):
        assert nice() == warmup.LOWEST
        server_end.send("job")
        deadline = time.monotonic() + 10
        while nice() != normal and time.monotonic() < deadline:
            time.sleep(0.01)
        assert nice() == normal  # while the warm-up is still inside
        assert worker_end.recv() == "job"  # left for the worker's loop


def test_a_job_already_waiting_is_served_at_the_normal_priority_without_a_warm_up(monkeypatch):
    trained = []
    monkeypatch.setattr(warmup, "_train_a_little", lambda: trained.append(True))
    normal = nice()
    worker_end, server_end = mp.Pipe()
    server_end.send("job")
    with warmup.waiting_quietly(worker_end):
        assert nice() == normal
        warmup.warm_up(worker_end)
    assert trained == []
    worker_end2, _ = mp.Pipe()
    warmup.warm_up(worker_end2)
    assert trained == [True]
