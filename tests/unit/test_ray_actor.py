"""The Ray actor's hosting logic, without Ray: a channel's messages apply in their order whatever order they come
in (a threaded actor runs its calls concurrently), a run trains through the local worker's own code over the
queue-backed pipe, and one poll returns every report queued since the last, ending with the channel's end."""

import time

from glassnet.runs import messages as m
from glassnet.runs.ray_actor import ENDED, Host
from tests.conftest import SMALL_CONFIG


def test_a_channel_trains_in_a_thread_and_its_messages_apply_in_order(tmp_path):
    host = Host(torch_threads=1)
    job = m.Job(config={**SMALL_CONFIG, "steps": 5000}, replay=[], uploads=str(tmp_path))
    host.deliver(7, 1, m.Pause())  # before the job: held until the job (number 0) has come
    host.deliver(7, 0, job)
    reports: list = []
    deadline = time.monotonic() + 60
    while not any(isinstance(r, m.StatusChanged) and r.status == "paused" for r in reports):
        assert time.monotonic() < deadline
        reports += [report for channel, report in host.poll(0.5) if channel == 7]
    paused = next(r for r in reports if isinstance(r, m.StatusChanged) and r.status == "paused")
    assert paused.step == 0  # the pause came first: not one step trained
    host.deliver(7, 2, m.Stop())
    while ENDED not in reports:
        assert time.monotonic() < deadline
        reports += [report for channel, report in host.poll(0.5) if channel == 7]
    statuses = [r.status for r in reports if isinstance(r, m.StatusChanged)]
    assert statuses == ["running", "paused", "stopped"]
    assert any(isinstance(r, m.Started) for r in reports) and reports[-1] == ENDED
    assert host.conns == {}  # the channel is forgotten once its end is polled


def test_one_poll_brings_the_reports_of_every_channel_the_actor_hosts(tmp_path):
    host = Host(torch_threads=1)
    for channel, seed in ((1, 1), (2, 2)):
        job = m.Job(config={**SMALL_CONFIG, "steps": 3000, "seed": seed}, replay=[], uploads=str(tmp_path))
        host.deliver(channel, 0, job)
    batches = []
    ended: set[int] = set()
    deadline = time.monotonic() + 60
    while ended != {1, 2}:
        assert time.monotonic() < deadline
        batch = host.poll(0.5)
        batches.append(batch)
        ended |= {channel for channel, report in batch if report == ENDED}
    assert any({channel for channel, _ in batch} == {1, 2} for batch in batches)  # both runs' frames in one call
    reports = [(channel, report) for batch in batches for channel, report in batch]
    for channel in (1, 2):
        last = [r for c, r in reports if c == channel and isinstance(r, m.StatusChanged)][-1]
        assert (last.status, last.step) == ("finished", 3000)
