"""A per-client budget of requests a minute (a sliding window), for routes that cost the server work."""

import time
from collections import deque


class PerMinute:
    """At most `per_minute` requests from one client in any 60 seconds."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self.recent: dict[str, deque[float]] = {}

    def allow(self, client: str) -> bool:
        """Whether `client` may make one more request now (and if so, count it)."""
        now = time.monotonic()
        recent = self.recent.setdefault(client, deque())
        while recent and now - recent[0] > 60:
            recent.popleft()
        if len(recent) >= self.per_minute:
            return False
        recent.append(now)
        if len(self.recent) > 10_000:  # forget quiet clients, so the table stays small
            self.recent = {c: q for c, q in self.recent.items() if q and now - q[-1] <= 60}
        return True
