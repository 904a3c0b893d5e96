"""Ray as the executor (GLASSNET_RAY_ADDRESS): a pool with the local WorkerPool's interface whose workers are
channels to Ray actors, so that the RunManager trains on a cluster as it does with local processes.

`take()` gives a (RayProcess, RayConn) pair for a new channel: what the manager sends on the RayConn goes to the
bridge (runs/ray_bridge.py, a child process that alone imports ray) over one multiplexed pipe; a demux thread
sorts the bridge's reports into each channel's queue, which RayConn.recv reads as the manager's reader thread
reads a pipe. RayProcess mirrors a process: alive until its channel ends; its `lost` says why when the channel
ended with its actor or node (then `retry`: whether the run may continue elsewhere from its last saved state).

A supervisor thread keeps the bridge running: when it exits (a lost head makes a Ray driver give up), every open
channel ends lost, and the bridge is started again after a backoff; the new one connects afresh.
"""

import contextlib
import itertools
import logging
import multiprocessing as mp
import queue
import threading
import time
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from glassnet.runs import messages as m
from glassnet.settings import Settings

BACKOFF = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)  # seconds before each restart of a bridge that exited, in turn
WAIT_LIMIT = 120.0  # seconds a new channel waits for a bridge to connect before its run is interrupted
STABLE_AFTER = 60.0  # seconds a bridge must have run for the backoff to start again from its first step
_END = object()  # in a channel's queue: the channel is over
log = logging.getLogger("glassnet")


class RayProcess:
    """A channel seen as a worker process: alive until its channel ends."""

    def __init__(self, pool: "RayPool", channel: int) -> None:
        self.pool, self.channel = pool, channel
        self.ended = threading.Event()
        self.exitcode: int | None = None
        self.lost: str | None = None  # why the channel ended, when its actor, node or bridge was lost
        self.retry = False  # whether its run may continue elsewhere (False: there was no room)

    def is_alive(self) -> bool:
        return not self.ended.is_set()

    def terminate(self) -> None:
        self.pool.cancel(self.channel)

    kill = terminate

    def join(self, timeout: float | None = None) -> None:
        self.ended.wait(timeout)


class RayConn:
    """A channel seen as a worker's pipe."""

    def __init__(self, pool: "RayPool", channel: int) -> None:
        self.pool, self.channel = pool, channel
        self.inbox: queue.Queue[Any] = queue.Queue()

    def send(self, message: m.Message) -> None:
        self.pool.send(self.channel, message)

    def recv(self) -> Any:
        item = self.inbox.get()
        if item is _END:
            self.inbox.put(_END)
            raise EOFError(f"channel {self.channel} has ended")
        return item

    def poll(self, timeout: float | None = 0.0) -> bool:
        return not self.inbox.empty()

    def close(self) -> None:
        self.pool.close_channel(self.channel)


class RayPool:
    """Channels to Ray actors, behind the WorkerPool interface (take, fill, shutdown) plus `cluster()`."""

    def __init__(self, settings: Settings) -> None:
        assert settings.ray_address is not None
        self.address = settings.ray_address
        self.runs_per_actor = settings.ray_runs_per_actor
        self.torch_threads = settings.torch_threads
        self.context = mp.get_context("spawn")
        self.channels: dict[int, tuple[RayProcess, RayConn]] = {}
        self.ids = itertools.count(1)
        self.lock = threading.Lock()  # the channels, and writes to the bridge's pipe
        self.bridge: BaseProcess | None = None
        self.conn: Connection | None = None
        self.state: dict[str, Any] = {"executor": "ray", "address": self.address, "connected": False}
        self.connected = threading.Event()  # the bridge is up (and has reported the cluster at least once)
        self.stopping = threading.Event()
        self.supervisor: threading.Thread | None = None
        self.restarts = 0
        self.waiting: list[tuple[float, int, m.Message]] = []  # (since, channel, message) until the bridge connects

    # ---- the WorkerPool interface
    def fill(self) -> None:
        """Start the bridge (once: the supervisor keeps it running)."""
        if self.supervisor is None:
            self.supervisor = threading.Thread(target=self._supervise, name="ray-bridge", daemon=True)
            self.supervisor.start()

    def wait_started(self) -> None:
        """Nothing to wait for before serving: the bridge connects in the background (runs wait in `waiting`)."""

    def take(self) -> tuple[RayProcess, RayConn]:
        self.fill()
        channel = next(self.ids)
        pair = RayProcess(self, channel), RayConn(self, channel)
        with self.lock:
            self.channels[channel] = pair
        return pair

    def shutdown(self) -> None:
        self.stopping.set()
        with self.lock:
            conn, bridge = self.conn, self.bridge
        if conn is not None:
            with contextlib.suppress(OSError), self.lock:
                conn.send(("stop",))
        if bridge is not None:
            bridge.join(timeout=10)
            if bridge.is_alive():
                bridge.terminate()
                bridge.join(timeout=2)
        for channel in list(self.channels):
            self._end(channel, -15)

    def cluster(self) -> dict[str, Any]:
        """The cluster's state, as the bridge last reported it (the health endpoint's `cluster`)."""
        state = dict(self.state)
        state["connected"] = bool(state.get("connected")) and self.connected.is_set()
        state["restarts"] = self.restarts
        return state

    # ---- channels
    def send(self, channel: int, message: m.Message) -> None:
        """To the channel's actor; while the bridge (re)connects, the message waits for it (WAIT_LIMIT at most)."""
        with self.lock:
            if channel not in self.channels:
                raise OSError(f"channel {channel} has ended")
            if self.conn is not None and self.connected.is_set():
                with contextlib.suppress(OSError):
                    self.conn.send(("send", channel, message))
                    return
            self.waiting.append((time.monotonic(), channel, message))

    def cancel(self, channel: int) -> None:
        self._to_bridge(("cancel", channel))
        self._end(channel, -15)

    def close_channel(self, channel: int) -> None:
        self._to_bridge(("close", channel))

    def _to_bridge(self, message: tuple) -> None:
        with self.lock:
            if self.conn is not None and message[1] in self.channels:
                with contextlib.suppress(OSError):
                    self.conn.send(message)

    def _end(self, channel: int, exitcode: int, lost: str | None = None, retry: bool = False) -> None:
        with self.lock:
            pair = self.channels.pop(channel, None)
        if pair is None:
            return
        process, conn = pair
        process.exitcode, process.lost, process.retry = exitcode, lost, retry
        conn.inbox.put(_END)
        process.ended.set()

    # ---- the bridge
    def _supervise(self) -> None:
        from glassnet.runs.ray_bridge import bridge_main

        failures = 0
        while not self.stopping.is_set():
            parent, child = self.context.Pipe()
            bridge = self.context.Process(
                target=bridge_main,
                args=(child, self.address, self.runs_per_actor, self.torch_threads),
                name="glassnet-ray-bridge",
                daemon=True,
            )
            bridge.start()
            child.close()
            with self.lock:
                self.bridge, self.conn = bridge, parent
            began = time.monotonic()
            self._demux(parent)
            bridge.join(timeout=5)
            with self.lock:
                self.conn = None
            self.connected.clear()
            why = f"the Ray bridge exited (code {bridge.exitcode}): the connection to {self.address} was lost"
            self.state = {**self.state, "connected": False, "last_error": self.state.get("last_error") or why}
            with self.lock:
                sent = [c for c in self.channels if c not in {w[1] for w in self.waiting}]
            for channel in sent:  # (those still waiting for a bridge wait on for the next one)
                self._end(channel, 1, why, retry=True)
            self._expire_waiting()
            if self.stopping.is_set():
                return
            log.warning("%s; reconnecting", why)
            failures = 0 if time.monotonic() - began > STABLE_AFTER else failures + 1
            self.restarts += 1
            self.stopping.wait(BACKOFF[min(failures, len(BACKOFF) - 1)])

    def _flush_waiting(self, conn: Connection) -> None:
        """The bridge has connected: the messages that waited for it go, in order; from now on, sends go at once."""
        with self.lock:
            for _, channel, message in self.waiting:
                if channel in self.channels:
                    with contextlib.suppress(OSError):
                        conn.send(("send", channel, message))
            self.waiting.clear()
            self.connected.set()

    def _expire_waiting(self) -> None:
        """Channels whose messages have waited WAIT_LIMIT for a bridge end: their runs are interrupted."""
        with self.lock:
            expired = {c for since, c, _ in self.waiting if time.monotonic() - since > WAIT_LIMIT}
            self.waiting = [w for w in self.waiting if w[1] not in expired]
        for channel in expired:
            why = f"the server could not reach the Ray cluster at {self.address} for {WAIT_LIMIT:.0f} s"
            self._end(channel, 1, why, retry=False)

    def _demux(self, conn: Connection) -> None:
        """The bridge's messages to their channels, until its pipe closes."""
        try:
            while True:
                message = conn.recv()
                match message:
                    case ("reports", batch):
                        for channel, report in batch:
                            pair = self.channels.get(channel)
                            if pair is not None:
                                pair[1].inbox.put(report)
                    case ("end", channel, exitcode, lost, retry):
                        self._end(channel, exitcode, lost, retry)
                    case ("cluster", state):
                        self.state = state
                        if state.get("connected") and not self.connected.is_set():
                            self._flush_waiting(conn)
        except (EOFError, OSError):
            pass
