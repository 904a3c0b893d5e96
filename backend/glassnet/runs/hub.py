"""Fan-out of a run's messages to its subscribers. Lives on the server's event loop.

Each subscriber has a small outbox: status and event messages queue in order, but at most one frame
waits in it; a newer frame replaces the unsent one. A slow client therefore gets the newest frame, not a
backlog, and neither training nor the server's memory waits on it. Frames arrive already serialised (by
the worker); other messages are serialised once per run, not once per client.

A channel keeps no frames but the newest detail frame (for a joiner's hello; the history lives in the run's
History and the events with the run), so what the hub holds per run is bounded in bytes.
"""

import asyncio
from collections import deque
from dataclasses import dataclass, field

from glassnet.protocol import DataInfo, Event, Layer, Status
from glassnet.runs.status import ACTIVE


class Subscriber:
    def __init__(self) -> None:
        self.outbox: deque[tuple[str, str]] = deque()  # (type, text)
        self.ready = asyncio.Event()

    def push(self, kind: str, text: str) -> None:
        if kind == "frame":
            for i, (queued_kind, _) in enumerate(self.outbox):
                if queued_kind == "frame":
                    del self.outbox[i]  # the client never saw it; the newer frame supersedes it
                    break
        self.outbox.append((kind, text))
        self.ready.set()

    async def take(self) -> list[tuple[str, str]]:
        await self.ready.wait()
        self.ready.clear()
        items = list(self.outbox)
        self.outbox.clear()
        return items


@dataclass
class Channel:
    layers: list[Layer] = field(default_factory=list)
    data: DataInfo | None = None
    metrics: list[str] = field(default_factory=list)
    latest_detail: str | None = None  # the newest detail frame's JSON, dense views and all
    subscribers: set[Subscriber] = field(default_factory=set)
    # set once the worker has described its layers, or the run ended before it could
    started: asyncio.Event = field(default_factory=asyncio.Event)

    def held_bytes(self) -> int:
        return len(self.latest_detail or "")


class Hub:
    def __init__(self) -> None:
        self.channels: dict[str, Channel] = {}

    def open(self, run_id: str) -> Channel:
        return self.channels.setdefault(run_id, Channel())

    def describe(self, run_id: str, layers: list[Layer], data: DataInfo | None, metrics: list[str]) -> None:
        channel = self.open(run_id)
        channel.layers, channel.data, channel.metrics = layers, data, metrics
        channel.started.set()

    def close(self, run_id: str) -> None:
        self.channels.pop(run_id, None)

    def publish_frame(self, run_id: str, text: str, detail: bool) -> None:
        channel = self.channels.get(run_id)
        if channel is None:
            return
        if detail:
            channel.latest_detail = text
        for subscriber in channel.subscribers:
            subscriber.push("frame", text)

    def publish(self, run_id: str, message: Event | Status) -> None:
        channel = self.channels.get(run_id)
        if channel is None:
            return
        kind = message.type
        if isinstance(message, Status) and message.status not in ACTIVE:
            channel.started.set()  # a run that ended before its worker described its layers
        text = message.model_dump_json()
        for subscriber in channel.subscribers:
            subscriber.push(kind, text)

    def subscribe(self, run_id: str) -> tuple[Channel, Subscriber]:
        channel = self.channels[run_id]
        subscriber = Subscriber()
        channel.subscribers.add(subscriber)
        return channel, subscriber

    def unsubscribe(self, run_id: str, subscriber: Subscriber) -> None:
        channel = self.channels.get(run_id)
        if channel is not None:
            channel.subscribers.discard(subscriber)
