"""The one history: bounded tracks per metric, each figure at the step it was measured, stored by appending."""

import math

import numpy as np
import pytest

from glassnet.runs.export import metrics_csv
from glassnet.runs.history import History, Segment


def test_a_long_run_keeps_a_bounded_number_of_points_and_its_spikes():
    history = History(capacity=100)
    for step in range(1, 100_001):
        loss = 1.0 / math.sqrt(step)
        if step == 54_321:
            loss = 50.0  # one spike
        if step == 77_777:
            loss = -5.0  # one dip
        history.add(step, {"train_loss": np.array(loss)})
    assert history.tracks["train_loss"].n <= 100
    series = history.series(["train_loss"])["series"]["train_loss"]
    assert max(series["max"]) == 50.0 and min(series["min"]) == -5.0
    spike_bucket = series["max"].index(50.0)
    assert series["step"][spike_bucket - 1] < 54_321 <= series["step"][spike_bucket]
    assert series["step"] == sorted(series["step"]) and series["step"][-1] == 100_000
    assert series["last"][-1] == 1.0 / math.sqrt(100_000)


def test_min_max_last_are_exact_within_a_bucket_after_merging():
    history = History(capacity=4)
    for step, value in enumerate([3, 1, 4, 1, 5, 9, 2, 6, 5, 3], start=1):
        history.add(step, {"x": np.array(float(value))})
    out = history.series()["series"]["x"]
    buckets = list(zip(out["min"], out["max"], out["last"], strict=True))
    assert len(buckets) <= 4
    # the buckets partition the steps in order, so together they keep the global extremes and the final value
    assert min(b[0] for b in buckets) == 1.0 and max(b[1] for b in buckets) == 9.0 and buckets[-1][2] == 3.0


def test_range_and_max_points_select_and_merge():
    history = History(capacity=1000)
    for step in range(1, 501):
        history.add(step, {"a": np.array(float(step)), "b": np.array(-float(step))})
    part = history.series(["a"], first=101, last=200)["series"]
    assert part["a"]["step"][0] >= 101 and part["a"]["step"][-1] <= 200 and list(part) == ["a"]
    few = history.series(["a"], max_points=10)["series"]["a"]
    assert len(few["step"]) <= 10
    assert min(few["min"]) == 1.0 and max(few["max"]) == 500.0 and few["last"][-1] == 500.0


def test_each_figure_keeps_its_own_steps():
    """A detail figure measured at steps 10 and 30 has points there only, never at the frames between."""
    history = History()
    for step in range(1, 41):
        values = {"train_loss": np.array(1.0 / step)}
        if step in (10, 30):
            values["test_loss"] = np.array(float(step))
        history.add(step, values)
    series = history.series()["series"]
    assert series["test_loss"]["step"] == [10, 30] and series["test_loss"]["last"] == [10.0, 30.0]
    assert series["train_loss"]["step"] == list(range(1, 41))
    assert history.latest("test_loss") == (30, 30.0)


def test_per_layer_and_per_time_step_figures_are_tracks_with_columns():
    history = History()
    history.add(1, {"grad_norm": np.array([0.5, np.nan, 2.0]), "grad_time": np.arange(4.0)})
    history.add(2, {"grad_norm": np.array([0.25, np.inf, 1.0]), "grad_time": np.arange(4.0) * 2})
    assert history.columns() == [f"grad_norm/{i}" for i in range(3)] + [f"grad_time/{t}" for t in range(4)]
    series = history.series(["grad_norm/1", "grad_time/3"])["series"]
    assert series["grad_norm/1"]["last"] == [None, None]  # not finite: null, at the steps it was measured
    assert series["grad_time/3"] == {"step": [1, 2], "min": [3.0, 6.0], "max": [3.0, 6.0], "last": [3.0, 6.0]}
    wire = history.to_wire()["tracks"]["grad_time"]
    assert wire["shape"] == [4] and wire["last"] == [[0.0, 1.0, 2.0, 3.0], [0.0, 2.0, 4.0, 6.0]]


@pytest.mark.parametrize("flush_every", [1, 7, 1000])
def test_stored_segments_rebuild_the_same_history(flush_every):
    """The store appends segments of closed buckets and replaces the open ones; replaying them gives back the
    same buckets however often it was flushed, through any number of halvings."""
    rng = np.random.default_rng(0)
    history = History(capacity=8)
    closed: list[Segment] = []
    open_parts: list[Segment] = []
    for step in range(1, 300):
        values = {"loss": np.array(rng.normal()), "norms": rng.normal(size=3)}
        if step % 3 == 0:
            values["test"] = np.array(rng.normal())
        history.add(step, values)
        if step % flush_every == 0:
            new_closed, open_parts = history.take_segments()
            closed += new_closed
            open_parts = [Segment(**vars(s)) for s in open_parts]  # as stored: a copy
    new_closed, open_parts = history.take_segments()
    rebuilt = History.replay([*closed, *new_closed, *open_parts], capacity=8)
    assert rebuilt.to_wire() == history.to_wire()


def test_csv_has_a_row_per_measured_step_and_blanks_where_a_figure_was_not_measured():
    history = History()
    history.add(1, {"train_loss": np.array(0.5)})
    history.add(2, {"train_loss": np.array(0.25), "test_loss": np.array(0.3)})
    lines = metrics_csv(history).strip().splitlines()
    assert lines == ["step,train_loss,test_loss", "1,0.5,", "2,0.25,0.3"]
