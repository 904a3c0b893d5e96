"""The cohort worker over a real pipe, in this process: members join at step boundaries and leave on their own,
each with its own messages, and an empty cohort says it is idle and admits more before the server closes it."""

import multiprocessing as mp
import threading
from typing import Any

from glassnet.config import DEFAULT_CONFIG, ExperimentConfig
from glassnet.runs import messages as m
from glassnet.runs.cohort_worker import train_cohort
from tests.conftest import SMALL_CONFIG


def reports(server: Any, until_idle: int) -> list[Any]:
    """Every message until the `until_idle`-th Idle."""
    seen, idles = [], 0
    while idles < until_idle:
        assert server.poll(60), "the worker went quiet"
        message = server.recv()
        seen.append(message)
        idles += isinstance(message, m.Idle)
    return seen


def statuses(messages: list[Any]) -> dict[int, list[tuple[str, int | None]]]:
    found: dict[int, list[tuple[str, int | None]]] = {}
    for message in messages:
        if isinstance(message, m.FromMember) and isinstance(message.report, m.StatusChanged):
            found.setdefault(message.member, []).append((message.report.status, message.report.step))
    return found


def test_members_join_and_leave_on_their_own_and_an_idle_cohort_admits_more() -> None:
    short = ExperimentConfig.model_validate({**DEFAULT_CONFIG, "steps": 5})
    server, worker = mp.Pipe()
    thread = threading.Thread(target=train_cohort, args=(worker, [short]), daemon=True)
    thread.start()
    # joins while the first trains, outlives it, and saves its state on the way (step 100)
    server.send(m.Join(member=1, config={**SMALL_CONFIG, "steps": 150}))
    first = reports(server, until_idle=1)
    assert statuses(first) == {0: [("running", 0), ("finished", 5)], 1: [("running", 0), ("finished", 150)]}
    saved = [x.report.step for x in first if isinstance(x, m.FromMember) and isinstance(x.report, m.Checkpointed)]
    assert 100 in saved and saved.count(150) == 1 and saved.count(5) == 1
    frames = [x for x in first if isinstance(x, m.FromMember) and isinstance(x.report, m.Framed)]
    assert {x.member for x in frames} == {0, 1} and frames[-1].report.step == 150
    assert first[-1] == m.Idle(seen=2)
    # idle, it admits another before it is closed
    server.send(m.Join(member=2, config={**SMALL_CONFIG, "steps": 20, "seed": 4}))
    second = reports(server, until_idle=1)
    assert statuses(second) == {2: [("running", 0), ("finished", 20)]} and second[-1] == m.Idle(seen=3)
    server.send(m.Close())
    thread.join(10)
    assert not thread.is_alive()
