"""Bounded metric history: every scalar series of a run in at most `capacity` buckets.

Each bucket covers a range of steps and keeps, per series, the minimum, the maximum and the last value in
it, so a spike or a dip survives any amount of decimation. When the buckets are full, neighbours merge in
pairs (each bucket then covers twice the steps), so memory stays bounded however long the run.
"""

import csv
import io
import math
from dataclasses import dataclass, field
from typing import Any

# per-layer series are stored as "<metric>/<layer index>"
SCALARS = ("train_loss", "test_loss", "train_acc", "test_acc", "lr", "epoch", "time")
LAYER_SERIES = (
    "grad_norm",
    "act_grad_norm",
    "weight_norm",
    "update_ratio",
    "act_mean",
    "act_std",
    "dead_fraction",
    "saturation",
    "unit_diversity",
)


@dataclass
class Bucket:
    first_step: int
    last_step: int
    values: dict[str, list[float]] = field(default_factory=dict)  # name -> [min, max, last]

    def add(self, name: str, value: float) -> None:
        current = self.values.get(name)
        if current is None:
            self.values[name] = [value, value, value]
        else:
            current[0], current[1], current[2] = min(current[0], value), max(current[1], value), value

    def merge(self, later: "Bucket") -> "Bucket":
        merged = Bucket(self.first_step, later.last_step, {k: list(v) for k, v in self.values.items()})
        for name, (low, high, last) in later.values.items():
            current = merged.values.get(name)
            merged.values[name] = (
                [low, high, last] if current is None else [min(current[0], low), max(current[1], high), last]
            )
        return merged


def frame_values(frame: dict[str, Any]) -> dict[str, float]:
    """The finite scalar figures of a frame, by series name."""
    values = {name: frame.get(name) for name in SCALARS}
    for name in LAYER_SERIES:
        for i, value in enumerate(frame.get(name) or []):
            values[f"{name}/{i}"] = value
    return {k: float(v) for k, v in values.items() if v is not None and math.isfinite(v)}


class History:
    def __init__(self, capacity: int = 1024, points_per_bucket: int = 1) -> None:
        self.capacity = capacity
        self.points_per_bucket = points_per_bucket  # frames a bucket takes before a new one opens
        self.buckets: list[Bucket] = []
        self.open_count = 0

    def add(self, step: int, values: dict[str, float]) -> None:
        if not self.buckets or self.open_count >= self.points_per_bucket:
            self.buckets.append(Bucket(step, step))
            self.open_count = 0
            if len(self.buckets) > self.capacity:
                self._halve()
        bucket = self.buckets[-1]
        bucket.last_step = step
        for name, value in values.items():
            bucket.add(name, value)
        self.open_count += 1

    def _halve(self) -> None:
        pairs = [self.buckets[i].merge(self.buckets[i + 1]) for i in range(0, len(self.buckets) - 1, 2)]
        if len(self.buckets) % 2:
            pairs.append(self.buckets[-1])
        self.buckets = pairs
        self.points_per_bucket *= 2

    def series(
        self,
        names: list[str] | None = None,
        first: int | None = None,
        last: int | None = None,
        max_points: int | None = None,
    ) -> dict[str, Any]:
        """Columns for the chosen series and step range: step, and per series min, max and last."""
        buckets = [
            b
            for b in self.buckets
            if (first is None or b.last_step >= first) and (last is None or b.first_step <= last)
        ]
        if max_points and len(buckets) > max_points:
            size = math.ceil(len(buckets) / max_points)
            grouped = []
            for i in range(0, len(buckets), size):
                merged = buckets[i]
                for other in buckets[i + 1 : i + size]:
                    merged = merged.merge(other)
                grouped.append(merged)
            buckets = grouped
        wanted = names if names is not None else sorted({n for b in buckets for n in b.values})
        out: dict[str, Any] = {"step": [b.last_step for b in buckets], "series": {}}
        for name in wanted:
            cells = [b.values.get(name) for b in buckets]
            out["series"][name] = {
                "min": [c[0] if c else None for c in cells],
                "max": [c[1] if c else None for c in cells],
                "last": [c[2] if c else None for c in cells],
            }
        return out

    def frames(self, n_layers: int) -> list[dict[str, Any]]:
        """The history as stream frames (each point's last values), for a client joining an ended run."""
        frames = []
        for seq, bucket in enumerate(self.buckets):
            values = {name: cell[2] for name, cell in bucket.values.items()}
            frame: dict[str, Any] = {"type": "frame", "seq": seq, "step": bucket.last_step}
            frame.update({name: values.get(name) for name in SCALARS})
            frame.update({name: [values.get(f"{name}/{i}") for i in range(n_layers)] for name in LAYER_SERIES})
            frame["epoch"] = frame["epoch"] or 0.0
            frame["time"] = frame["time"] or 0.0
            frames.append(frame)
        return frames

    def to_json(self) -> dict[str, Any]:
        return {
            "capacity": self.capacity,
            "points_per_bucket": self.points_per_bucket,
            "open_count": self.open_count,
            "buckets": [[b.first_step, b.last_step, b.values] for b in self.buckets],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "History":
        history = cls(data["capacity"], data["points_per_bucket"])
        history.open_count = data["open_count"]
        history.buckets = [Bucket(first, last, values) for first, last, values in data["buckets"]]
        return history


def metrics_csv(metrics: dict[str, Any]) -> str:
    """A `History.series()` result as CSV: one row per point, the step and each series' last value."""
    out = io.StringIO()
    writer = csv.writer(out)
    names = list(metrics["series"])
    writer.writerow(["step", *names])
    for i, step in enumerate(metrics["step"]):
        writer.writerow([step, *("" if (v := metrics["series"][n]["last"][i]) is None else v for n in names)])
    return out.getvalue()
