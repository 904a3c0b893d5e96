"""Fan-out of a run's messages to its subscribers. Lives on the server's event loop.

Each subscriber has a small outbox: status and event messages queue in order, but at most one frame
waits in it; a newer frame replaces the unsent one. A slow client therefore gets the newest frame, not a
backlog, and neither training nor the server's memory waits on it. Messages are serialised once per run,
not once per client.
"""

import asyncio
import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

HISTORY_LIMIT = 4000  # frames kept per run for late joiners; older ones are thinned out
EVENT_LIMIT = 500  # events kept per run (detectors re-arm only after a condition clears, so few come)


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
    layers: list[dict[str, Any]] = field(default_factory=list)
    data: dict[str, Any] | None = None  # the hello's data description
    history: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    subscribers: set[Subscriber] = field(default_factory=set)
    # set once the worker has described its layers, or the run ended before it could
    started: asyncio.Event = field(default_factory=asyncio.Event)

    def remember(self, frame: dict[str, Any]) -> None:
        # dense arrays (histograms, grids, maps) only matter for the newest frame
        if self.history and "dense" in self.history[-1]:
            self.history[-1] = {k: v for k, v in self.history[-1].items() if k != "dense"}
        self.history.append(frame)
        if len(self.history) > HISTORY_LIMIT:
            # keep every other old frame, and the newest half whole: a bounded, evenly thinned history
            half = HISTORY_LIMIT // 2
            self.history = self.history[:half:2] + self.history[half:]


class Hub:
    def __init__(self) -> None:
        self.channels: dict[str, Channel] = {}

    def open(self, run_id: str) -> Channel:
        return self.channels.setdefault(run_id, Channel())

    def describe(self, run_id: str, layers: list[dict[str, Any]], data: dict[str, Any] | None) -> None:
        channel = self.open(run_id)
        channel.layers, channel.data = layers, data
        channel.started.set()

    def close(self, run_id: str) -> None:
        self.channels.pop(run_id, None)

    def publish(self, run_id: str, message: dict[str, Any]) -> None:
        channel = self.channels.get(run_id)
        if channel is None:
            return
        kind = message["type"]
        if kind == "status" and message["status"] not in ("pending", "running", "paused"):
            channel.started.set()  # a run that ended before its worker described its layers
        if kind == "frame":
            channel.remember(message)
        elif kind == "event" and len(channel.events) < EVENT_LIMIT:
            channel.events.append(message)
        text = json.dumps(message)
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
