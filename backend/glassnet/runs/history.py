"""The one history of a run: every series of the metric registry, decimated, each figure at its own step.

A Track holds one metric's points in at most `capacity` buckets. Each bucket covers a range of steps at
which the metric was measured and keeps the minimum, the maximum and the last value in it (per layer or
time step), so a spike or a dip survives any amount of decimation. When a track is full, neighbouring
buckets merge in pairs and a bucket then takes twice the points, so memory stays bounded however long the
run. A metric measured only on detail frames has points only at those steps: nothing is repeated between
measurements, so no figure is ever shown or stored at a step it was not measured at.

The same history feeds the live stream's hello, an ended run's replay, `/metrics`, the exports and the UI
(which continues it with the frames that follow, by the same rules: frontend/src/lib/history.ts). For
storage it hands out `segments`: the points added since the last hand-out, cut at bucket boundaries, so
the store only ever appends (plus one row per track for the bucket still open) and replaying the segments
rebuilds the same buckets.
"""

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

CAPACITY = 1024  # buckets per track


@dataclass
class Segment:
    """Consecutive points of one track, summarized: what the store appends."""

    track: str
    first: int  # first and last step
    last: int
    count: int  # points
    low: np.ndarray
    high: np.ndarray
    final: np.ndarray  # the last point's value

    @staticmethod
    def of(track: str, step: int, value: np.ndarray) -> "Segment":
        return Segment(track, step, step, 1, value.copy(), value.copy(), value.copy())

    def extend(self, other: "Segment") -> None:
        self.last, self.count, self.final = other.last, self.count + other.count, other.final
        self.low, self.high = np.fmin(self.low, other.low), np.fmax(self.high, other.high)


class Track:
    """One metric's decimated points: arrays of buckets, each (first step, last step, count, min, max, last)."""

    def __init__(self, shape: tuple[int, ...], capacity: int = CAPACITY) -> None:
        self.shape, self.capacity = shape, capacity
        self.per_bucket = 1  # points a bucket takes before the next one opens
        self.n = 0
        self.first = np.zeros(capacity + 1, dtype=np.int64)
        self.last = np.zeros(capacity + 1, dtype=np.int64)
        self.count = np.zeros(capacity + 1, dtype=np.int64)
        self.low = np.zeros((capacity + 1, *shape))
        self.high = np.zeros((capacity + 1, *shape))
        self.final = np.zeros((capacity + 1, *shape))

    def add(self, segment: Segment) -> bool:
        """Take a segment's points (one new point, or a stored segment being replayed). Returns whether
        they opened a new bucket."""
        i = self.n - 1
        if self.n and self.count[i] + segment.count <= self.per_bucket:
            self.last[i], self.count[i], self.final[i] = segment.last, self.count[i] + segment.count, segment.final
            self.low[i], self.high[i] = np.fmin(self.low[i], segment.low), np.fmax(self.high[i], segment.high)
            return False
        i = self.n
        self.first[i], self.last[i], self.count[i] = segment.first, segment.last, segment.count
        self.low[i], self.high[i], self.final[i] = segment.low, segment.high, segment.final
        self.n += 1
        if self.n > self.capacity:
            self._halve()
        return True

    def _halve(self) -> None:
        """Merge neighbours pairwise (an odd last bucket stays as it is); a bucket now takes twice the points."""
        pairs, odd = self.n // 2, self.n % 2
        a, b = slice(0, 2 * pairs, 2), slice(1, 2 * pairs, 2)
        self.first[:pairs] = self.first[a]
        self.last[:pairs] = self.last[b]
        self.count[:pairs] = self.count[a] + self.count[b]
        self.low[:pairs] = np.fmin(self.low[a], self.low[b])
        self.high[:pairs] = np.fmax(self.high[a], self.high[b])
        self.final[:pairs] = self.final[b]
        if odd:
            for column in (self.first, self.last, self.count, self.low, self.high, self.final):
                column[pairs] = column[self.n - 1]
        self.n = pairs + odd
        self.per_bucket *= 2

    def latest(self) -> tuple[int, np.ndarray] | None:
        return None if self.n == 0 else (int(self.last[self.n - 1]), self.final[self.n - 1])

    def to_wire(self, extremes: bool = True) -> dict[str, Any]:
        n = self.n
        wire = {
            "shape": list(self.shape),
            "per_bucket": self.per_bucket,
            "first": self.first[:n].tolist(),
            "step": self.last[:n].tolist(),
            "count": self.count[:n].tolist(),
            "last": _json(self.final[:n]),
        }
        if extremes:
            wire |= {"min": _json(self.low[:n]), "max": _json(self.high[:n])}
        return wire


class History:
    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self.tracks: dict[str, Track] = {}
        self.pending: dict[str, Segment] = {}  # per track: points not yet handed out for storage
        self.closed: list[Segment] = []  # segments of closed buckets, not yet handed out

    def add(self, step: int, values: dict[str, np.ndarray]) -> None:
        """The figures measured at `step` (NaN where not finite); a figure already measured at this step or
        later is not taken twice (a full reading of a step that a light one already read)."""
        for name, value in values.items():
            latest = self.latest(name)
            if latest is None or step > latest[0]:
                self.add_segment(Segment.of(name, step, np.asarray(value, dtype=np.float64)))

    def add_segment(self, segment: Segment) -> None:
        track = self.tracks.get(segment.track)
        if track is None:
            track = self.tracks[segment.track] = Track(segment.low.shape, self.capacity)
        if segment.low.shape != track.shape:  # a different width (cannot happen within one model)
            return
        opened = track.add(segment)
        pending = self.pending.get(segment.track)
        if opened and pending is not None:
            self.closed.append(pending)  # its bucket is complete: stored as it is, never rewritten
            pending = None
        if pending is None:
            self.pending[segment.track] = Segment(**vars(segment))
        else:
            pending.extend(segment)

    def take_segments(self) -> tuple[list[Segment], list[Segment]]:
        """For storage: (segments of closed buckets to append, each track's open part to upsert)."""
        closed, self.closed = self.closed, []
        return closed, list(self.pending.values())

    @classmethod
    def replay(cls, segments: list[Segment], capacity: int = CAPACITY) -> "History":
        """A history rebuilt from stored segments (closed ones in order, then the open parts)."""
        history = cls(capacity)
        for segment in segments:
            history.add_segment(segment)
        history.closed = []
        return history

    def latest(self, name: str) -> tuple[int, np.ndarray] | None:
        """The step and value of a metric's last measurement."""
        track = self.tracks.get(name)
        return None if track is None else track.latest()

    def to_wire(self, extremes: bool = True) -> dict[str, Any]:
        """The JSON export's `history` (every track), and without each bucket's min and max (`extremes`) the
        stream hello's: the page draws the last values, and a third of the bytes loads three times as fast."""
        tracks = {name: track.to_wire(extremes) for name, track in self.tracks.items()}
        return {"capacity": self.capacity, "tracks": tracks}

    def columns(self) -> list[str]:
        """Every column: a run metric's name, `metric/i` for layer or time step i, `metric/i/j` deeper."""
        return [f"{name}{suffix}" for name, track in self.tracks.items() for suffix in _suffixes(track.shape)]

    def series(
        self,
        names: list[str] | None = None,
        first: int | None = None,
        last: int | None = None,
        max_points: int | None = None,
    ) -> dict[str, Any]:
        """/metrics: for each chosen column, its own steps and min, max and last per point, within the step
        range, merged down to at most `max_points` points."""
        out: dict[str, Any] = {}
        for column in names if names is not None else self.columns():
            name, *index = column.split("/")
            track = self.tracks[name]
            n = track.n
            keep = np.ones(n, dtype=bool)
            if first is not None:
                keep &= track.last[:n] >= first
            if last is not None:
                keep &= track.first[:n] <= last
            at: tuple[slice | int, ...] = (slice(None), *map(int, index))
            low, high, final = track.low[:n][at][keep], track.high[:n][at][keep], track.final[:n][at][keep]
            steps = track.last[:n][keep]
            if max_points and len(steps) > max_points:
                size = math.ceil(len(steps) / max_points)
                starts = np.arange(0, len(steps), size)
                ends = np.minimum(starts + size, len(steps)) - 1
                low = np.fmin.reduceat(low, starts)
                high = np.fmax.reduceat(high, starts)
                steps, final = steps[ends], final[ends]
            out[column] = {"step": steps.tolist(), "min": _json(low), "max": _json(high), "last": _json(final)}
        return {"series": out}


def _suffixes(shape: tuple[int, ...]) -> list[str]:
    if not shape:
        return [""]
    return [f"/{i}{rest}" for i in range(shape[0]) for rest in _suffixes(shape[1:])]


def _json(array: np.ndarray) -> list:
    """Floats for JSON, non-finite as None."""
    values = array.astype(object)
    values[~np.isfinite(array)] = None
    return values.tolist()
