"""A Ray actor that hosts runs and cohorts on a cluster's node: each run (or cohort) it hosts is a channel,
trained in a thread of its own by the very code a local worker process runs (runs/worker.py's serve_job), with
a queue-backed stand-in for the worker's pipe.

The bridge (runs/ray_bridge.py) delivers a channel's messages (its Job, then commands) with a sequence number
each: a threaded actor runs its calls concurrently, so the actor puts them back in order. It collects every
channel's reports in one outbox, which the bridge drains with one `poll` call per frame tick, whatever the
number of runs. This module imports no ray: the bridge wraps `Host` with ray.remote.
"""

import contextlib
import threading
import time
from collections import deque
from multiprocessing.connection import Connection
from typing import Any, cast

from glassnet.runs import messages as m

ENDED = "ended"  # in a poll's batch: the channel's job is over (its thread has closed its pipe)
CANCEL = "cancel"  # delivered: the server gave up on the channel; drop its reports, end its commands
EOF = "eof"  # delivered: the server closed the channel's pipe
WARM_UP_WAIT = 120.0  # seconds a job waits at most for the actor's warm-up
BATCH_WAIT = 0.02  # seconds a poll that has found a report waits for more before it returns them together


class QueueConn:
    """A channel's side of its 'pipe' in an actor: commands in from the bridge, reports out to the actor's outbox.
    Enough of multiprocessing's Connection for serve_job: send, recv, poll, close."""

    def __init__(self, channel: int, outbox: "Outbox") -> None:
        self.channel, self.outbox = channel, outbox
        self.inbox: deque[Any] = deque()
        self.ready = threading.Condition()
        self.closed = self.cancelled = False

    def put(self, message: Any) -> None:
        with self.ready:
            self.inbox.append(message)
            self.ready.notify_all()

    def send(self, message: m.Message) -> None:
        if self.closed:
            raise OSError(f"channel {self.channel} is closed")
        if not self.cancelled:
            self.outbox.put((self.channel, message))

    def recv(self) -> Any:
        with self.ready:
            self.ready.wait_for(lambda: bool(self.inbox))
            if self.inbox[0] == EOF:
                raise EOFError(f"channel {self.channel} is closed")  # (EOF stays: every later recv ends too)
            return self.inbox.popleft()

    def poll(self, timeout: float | None = 0.0) -> bool:
        with self.ready:
            return self.ready.wait_for(lambda: bool(self.inbox), timeout)

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.put(EOF)  # (a cohort's command reader still waiting in recv ends)
            self.outbox.put((self.channel, ENDED))


class Outbox:
    """Every channel's reports, in order, until the bridge's next poll takes them."""

    def __init__(self) -> None:
        self.items: deque[tuple[int, Any]] = deque()
        self.ready = threading.Condition()

    def put(self, item: tuple[int, Any]) -> None:
        with self.ready:
            self.items.append(item)
            self.ready.notify_all()

    def take(self, wait: float) -> list[tuple[int, Any]]:
        """Everything queued, waiting up to `wait` seconds for the first report (and BATCH_WAIT for its company)."""
        with self.ready:
            if not self.ready.wait_for(lambda: bool(self.items), wait):
                return []
        time.sleep(BATCH_WAIT)
        with self.ready:
            batch = list(self.items)
            self.items.clear()
        return batch


class Host:
    """The actor: hosts channels (runs alone, or cohorts), each in a thread."""

    def __init__(self, torch_threads: int) -> None:
        import torch

        torch.set_num_threads(torch_threads)
        self.outbox = Outbox()
        self.conns: dict[int, QueueConn] = {}
        self.expected: dict[int, int] = {}  # per channel: the sequence number of the next message to deliver
        self.held: dict[int, dict[int, Any]] = {}  # per channel: messages that came before their turn
        self.lock = threading.Lock()
        self.warm = threading.Event()  # set once the first-time costs are paid (a job waits for it, as locally)
        threading.Thread(target=_warm_up, args=(self.warm,), name="warm-up", daemon=True).start()

    def ready(self) -> str:
        """The id of the node the actor lives on (the bridge waits for it: the actor is placed and built)."""
        import ray

        return cast(str, ray.get_runtime_context().get_node_id())

    def deliver(self, channel: int, seq: int, message: Any) -> None:
        """A channel's message number `seq` (0: its Job or CohortJob), applied in order of `seq`."""
        with self.lock:
            self.held.setdefault(channel, {})[seq] = message
            expected = self.expected.setdefault(channel, 0)
            due = []
            while expected in self.held[channel]:
                due.append(self.held[channel].pop(expected))
                expected += 1
            self.expected[channel] = expected
            for item in due:
                self._apply(channel, item)

    def _apply(self, channel: int, message: Any) -> None:
        if isinstance(message, m.Job | m.CohortJob):
            conn = self.conns[channel] = QueueConn(channel, self.outbox)
            thread = threading.Thread(target=self._serve, args=(conn, message), name=f"channel-{channel}", daemon=True)
            thread.start()
            return
        known = self.conns.get(channel)
        if known is None:
            return
        if message == CANCEL:
            known.cancelled = True
            known.put(EOF)
        else:
            known.put(message)

    def _serve(self, conn: QueueConn, job: m.Job | m.CohortJob) -> None:
        from glassnet.runs.worker import serve_job

        self.warm.wait(timeout=WARM_UP_WAIT)
        serve_job(cast("Connection", conn), job)

    def poll(self, wait: float) -> list[tuple[int, Any]]:
        """Every report of every channel since the last poll (waiting up to `wait` seconds for one)."""
        batch = self.outbox.take(wait)
        with self.lock:
            for channel, item in batch:
                if item == ENDED:
                    self.conns.pop(channel, None)
                    self.expected.pop(channel, None)
                    self.held.pop(channel, None)
        return batch


def _warm_up(done: threading.Event) -> None:
    """The first-time costs of training (imports, first passes), paid once, before the first run trains (never
    alongside it: torch's first-time imports are not for two threads at once)."""
    from glassnet.runs.warmup import _train_a_little

    try:
        with contextlib.suppress(Exception):  # (only ever a head start)
            _train_a_little()
    finally:
        done.set()
