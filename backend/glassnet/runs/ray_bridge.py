"""The Ray bridge: a child process of the server, the only one that imports ray. It is the Ray driver: it
connects to the cluster (GLASSNET_RAY_ADDRESS), keeps long-lived actors (runs/ray_actor.py's Host, one CPU each,
a share of the node's GPUs where it has some) on the cluster's nodes, and carries the messages of many channels
(a channel: one run alone, or one cohort) over its one pipe to the server (runs/ray_pool.py).

Server -> bridge: ("send", channel, message): a channel's first message (its Job or CohortJob) places it on an
actor with room (a new actor on the node with the most free CPUs, if none has room); the others follow it there.
("cancel", channel), ("close", channel), ("stop",).
Bridge -> server: ("reports", [(channel, message), ...]) as the actors' polls bring them; ("end", channel,
exitcode, lost, retry): the channel is over (lost: why, when its actor or node died, or it found no room; retry:
whether it may continue elsewhere); ("cluster", {...}): the cluster's state, every CLUSTER_EVERY seconds.

A Ray driver gives up on its own about a minute after it loses the cluster's head; the server restarts the
bridge when it exits (runs/ray_pool.py), and the new one connects afresh.
"""

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from glassnet.runs import messages as m
from glassnet.runs.ray_actor import CANCEL, ENDED, EOF, Host

POLL_WAIT = 0.5  # seconds an actor's poll waits for a report before it answers empty (then it is called again)
TICK = 0.02  # seconds the bridge waits for polls to answer before it looks at the server's messages again
CLUSTER_EVERY = 1.0  # seconds between reports of the cluster's state (and checks of the actors' nodes)
READY_TIMEOUT = 30.0  # seconds a new actor has to be placed and built
LOST_NODE_AVOIDED = 60.0  # seconds no new actor goes to a node where one of ours died
HEAD_LOST_AFTER = 20.0  # seconds without an answer from the cluster's head before the bridge exits (to reconnect)
log = logging.getLogger("glassnet.ray")
T = TypeVar("T")


@dataclass
class Actor:
    handle: Any  # ActorHandle
    node: str
    slots: int
    channels: set[int] = field(default_factory=set)
    poll: Any = None  # the outstanding poll's object ref


@dataclass
class Placed:
    actor: Actor
    seq: int = 1  # the next message's sequence number (the job was 0)


class Bridge:
    def __init__(self, conn: Connection, address: str, runs_per_actor: int, torch_threads: int) -> None:
        import ray

        self.ray = ray
        self.conn, self.address = conn, address
        self.runs_per_actor, self.torch_threads = runs_per_actor, torch_threads
        self.actors: list[Actor] = []
        self.channels: dict[int, Placed] = {}
        self.inbound: queue.Queue[Any] = queue.Queue()
        self.send_lock = threading.Lock()
        self.last_error: str | None = None
        self.lost_nodes: dict[str, float] = {}  # node -> when an actor of ours died there (placed on it again
        # before the cluster notices that the node is dead, an actor would wait for it)
        self.remote_host: Any = ray.remote(Host)  # (an actor class: its options and methods are Ray's)

    # ---- to the server
    def tell(self, *message: Any) -> None:
        with self.send_lock:
            self.conn.send(message)

    def end(self, channel: int, exitcode: int, lost: str | None = None, retry: bool = False) -> None:
        placed = self.channels.pop(channel, None)
        if placed is not None:
            placed.actor.channels.discard(channel)
        self.tell("end", channel, exitcode, lost, retry)

    # ---- placing
    def node_room(self) -> list[tuple[float, str, float]]:
        """Alive nodes with a CPU free: (free CPUs, node id, GPUs per CPU), most free first."""
        from ray._private import state  # per-node free resources: no public API without the dashboard

        free = self.ask(state.available_resources_per_node)
        rooms = []
        for node in self.ask(self.ray.nodes):
            lost_at = self.lost_nodes.get(node["NodeID"], -LOST_NODE_AVOIDED)
            if not node["Alive"] or time.monotonic() - lost_at < LOST_NODE_AVOIDED:
                continue
            total = node["Resources"]
            cpus = free.get(node["NodeID"], {}).get("CPU", 0.0)
            if cpus >= 1:
                gpus = total.get("GPU", 0.0) / max(total.get("CPU", 1.0), 1.0)
                rooms.append((cpus, node["NodeID"], gpus))
        return sorted(rooms, key=lambda r: (-r[0], r[1]))

    def new_actor(self) -> Actor | None:
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        for _, node, gpus in self.node_room():
            handle = self.remote_host.options(
                num_cpus=1,
                num_gpus=gpus,
                max_concurrency=4 * self.runs_per_actor + 8,  # its runs' threads wait in calls too
                scheduling_strategy=NodeAffinitySchedulingStrategy(node_id=node, soft=False),
            ).remote(self.torch_threads)
            try:
                self.ray.get(handle.ready.remote(), timeout=READY_TIMEOUT)
            except Exception as exc:  # taken meanwhile, or the node died: the next one
                self.last_error = f"an actor on node {node[:12]} did not start: {type(exc).__name__}: {exc}"
                with contextlib.suppress(Exception):
                    self.ray.kill(handle)
                continue
            actor = Actor(handle, node, self.runs_per_actor)
            actor.poll = handle.poll.remote(POLL_WAIT)
            self.actors.append(actor)
            return actor
        return None

    def place(self, channel: int, job: m.Job | m.CohortJob) -> None:
        actor = next((a for a in self.actors if len(a.channels) < a.slots), None) or self.new_actor()
        if actor is None:
            self.end(channel, 1, "no room on the Ray cluster: every node's CPUs are taken", retry=False)
            return
        actor.channels.add(channel)
        self.channels[channel] = Placed(actor)
        actor.handle.deliver.remote(channel, 0, job)

    def deliver(self, channel: int, message: Any) -> None:
        placed = self.channels.get(channel)
        if placed is None:
            return  # (a channel that has ended: the server hears of that, if it has not yet)
        placed.actor.handle.deliver.remote(channel, placed.seq, message)
        placed.seq += 1

    # ---- the loop
    def on_server(self, message: tuple) -> bool:
        """One message from the server; False: stop."""
        match message:
            case ("send", int(channel), m.Job() | m.CohortJob() as job) if channel not in self.channels:
                self.place(channel, job)
            case ("send", int(channel), payload):
                self.deliver(channel, payload)
            case ("cancel", int(channel)):
                self.deliver(channel, CANCEL)
                self.end(channel, -15)
            case ("close", int(channel)):
                self.deliver(channel, EOF)
            case ("stop",):
                return False
        return True

    def lose(self, actor: Actor, why: str) -> None:
        if actor in self.actors:
            self.actors.remove(actor)
        self.lost_nodes[actor.node] = time.monotonic()
        self.last_error = why
        for channel in list(actor.channels):
            self.end(channel, 1, why, retry=True)
        with contextlib.suppress(Exception):
            self.ray.kill(actor.handle)

    def on_polls(self) -> None:
        polls = {actor.poll: actor for actor in self.actors}
        if not polls:
            time.sleep(TICK)
            return
        ready, _ = self.ray.wait(list(polls), num_returns=len(polls), timeout=TICK)
        for ref in ready:
            actor = polls[ref]
            try:
                batch = self.ray.get(ref)
            except Exception as exc:  # the actor died, with its node or alone
                self.lose(actor, f"its Ray actor on node {actor.node[:12]} was lost ({type(exc).__name__})")
                continue
            reports: list[tuple[int, Any]] = []
            for channel, item in batch:
                if channel not in self.channels:
                    continue  # cancelled: the server has forgotten it
                if item == ENDED:
                    if reports:
                        self.tell("reports", reports)
                        reports = []
                    self.end(channel, 0)
                else:
                    reports.append((channel, item))
            if reports:
                self.tell("reports", reports)
            actor.poll = actor.handle.poll.remote(POLL_WAIT)

    def check_nodes(self) -> dict[str, Any]:
        """Lose the actors of nodes that died; the cluster's state for the server's health report."""
        nodes = self.ask(self.ray.nodes)
        alive = {n["NodeID"] for n in nodes if n["Alive"]}
        for actor in list(self.actors):
            if actor.node not in alive:
                self.lose(actor, f"its Ray node {actor.node[:12]} died")
        total, free = self.ask(self.ray.cluster_resources), self.ask(self.ray.available_resources)
        return {
            "executor": "ray",
            "address": self.address,
            "connected": True,
            "nodes": len(alive),
            "cpus": total.get("CPU", 0.0),
            "cpus_free": free.get("CPU", 0.0),
            "gpus": total.get("GPU", 0.0),
            "gpus_free": free.get("GPU", 0.0),
            "actors": len(self.actors),
            "runs": len(self.channels),
            "last_error": self.last_error,
        }

    def ask(self, question: Callable[[], T]) -> T:
        """The cluster's answer to `question` (a call to its head), or ConnectionError when the head does not
        answer within HEAD_LOST_AFTER: the bridge exits, and the server starts a new one that connects afresh."""
        answer: list[T] = []
        failure: list[BaseException] = []

        def asking() -> None:
            try:
                answer.append(question())
            except BaseException as exc:
                failure.append(exc)

        thread = threading.Thread(target=asking, name="ask-head", daemon=True)
        thread.start()
        thread.join(timeout=HEAD_LOST_AFTER)
        if failure:
            raise failure[0]
        if not answer:
            raise ConnectionError(f"the Ray cluster's head at {self.address} does not answer")
        return answer[0]

    def read_server(self) -> None:
        """Runs in a thread: the server's messages into `inbound`, then None when the pipe closes."""
        try:
            while True:
                self.inbound.put(self.conn.recv())
        except (EOFError, OSError):
            self.inbound.put(None)

    def run(self) -> None:
        threading.Thread(target=self.read_server, name="server", daemon=True).start()
        state_at = 0.0
        while True:
            while not self.inbound.empty():
                message = self.inbound.get_nowait()
                if message is None or not self.on_server(message):
                    return
            self.on_polls()
            if time.monotonic() - state_at > CLUSTER_EVERY:
                state_at = time.monotonic()
                self.tell("cluster", self.check_nodes())


def bridge_main(conn: Connection, address: str, runs_per_actor: int, torch_threads: int) -> None:
    """The bridge process's entry point: connect, then carry messages until the server stops it or the
    cluster is lost (the exception ends the process; the server restarts it)."""
    import ray

    logging.basicConfig(level=logging.WARNING)
    try:
        ray.init(address=address, namespace="glassnet", log_to_driver=False, logging_level=logging.WARNING)
    except Exception as exc:
        conn.send(("cluster", {"executor": "ray", "address": address, "connected": False, "last_error": str(exc)}))
        raise
    try:
        Bridge(conn, address, runs_per_actor, torch_threads).run()
    finally:
        with contextlib.suppress(Exception):
            ray.shutdown()
