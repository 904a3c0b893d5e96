"""The CSV export of a run's history, with columns a reader can name without the code (docs/protocol.md).

A column is the metric's registry name (GET /api/metrics gives its unit and meaning), then, for a layer metric, the
layer's name as the run calls it ("hidden 1" becomes `hidden_1`), then, for a metric with several values per layer,
what each value is (the percentile `p50`, the histogram range's `low` and `high`); a time-step metric's column ends in
the time step, counted from 1 (`grad_time.t3`). Each row is a step at which anything was measured; a figure is written
only at the steps it was measured (the test loss at its evaluations, never repeated in between), else left empty.
"""

import csv
import io
import re
from typing import Any

from glassnet.runs.history import History
from glassnet.train.metrics import BY_NAME


def layer_key(name: str) -> str:
    """A layer's name as a column part: lowercase, words joined by `_` ("hidden 1" -> "hidden_1")."""
    return re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_")


def column_title(column: str, layers: list[str]) -> str:
    """The CSV name of a history column (`metric`, `metric/i`, `metric/i/j`), given the run's layer names."""
    name, *index = column.split("/")
    metric = BY_NAME.get(name)
    if metric is None or not index:
        return name
    first = int(index[0])
    if metric.scope == "time":
        parts = [f"t{first + 1}"]
    else:
        parts = [layer_key(layers[first]) if first < len(layers) else f"layer_{first + 1}"]
    for j in index[1:]:
        trailing = metric.trailing[int(j)] if int(j) < len(metric.trailing) else j
        parts.append(f"p{trailing}" if name == "percentiles" else trailing)
    return ".".join([name, *parts])


def metrics_csv(history: History, layers: list[str] | None = None) -> str:
    """The history as CSV: one row per step at which anything was measured, a column per series (its last value at
    that step; empty where it was not measured there), named by `column_title` from the run's layer names."""
    series = history.series()["series"]
    rows: dict[int, dict[str, Any]] = {}
    for column, points in series.items():
        for step, value in zip(points["step"], points["last"], strict=True):
            rows.setdefault(step, {})[column] = value
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["step", *(column_title(c, layers or []) for c in series)])
    for step in sorted(rows):
        writer.writerow([step, *("" if (v := rows[step].get(c)) is None else v for c in series)])
    return out.getvalue()
