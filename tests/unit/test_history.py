import math

from glassnet.runs.history import History, frame_values


def test_a_long_run_keeps_a_bounded_number_of_points_and_its_spikes():
    history = History(capacity=100)
    for step in range(1, 100_001):
        loss = 1.0 / math.sqrt(step)
        if step == 54_321:
            loss = 50.0  # one spike
        if step == 77_777:
            loss = -5.0  # one dip
        history.add(step, {"train_loss": loss})
    assert len(history.buckets) <= 100
    out = history.series(["train_loss"])
    series = out["series"]["train_loss"]
    assert max(series["max"]) == 50.0 and min(series["min"]) == -5.0
    spike_bucket = series["max"].index(50.0)
    assert out["step"][spike_bucket - 1] < 54_321 <= out["step"][spike_bucket]
    assert out["step"] == sorted(out["step"]) and out["step"][-1] == 100_000
    assert series["last"][-1] == 1.0 / math.sqrt(100_000)


def test_min_max_last_are_exact_within_a_bucket_after_merging():
    history = History(capacity=4)
    for step, value in enumerate([3, 1, 4, 1, 5, 9, 2, 6, 5, 3], start=1):
        history.add(step, {"x": float(value)})
    out = history.series()
    buckets = list(zip(out["series"]["x"]["min"], out["series"]["x"]["max"], out["series"]["x"]["last"], strict=True))
    assert len(buckets) <= 4
    # the buckets partition the steps in order, so together they keep the global extremes and the final value
    assert min(b[0] for b in buckets) == 1.0 and max(b[1] for b in buckets) == 9.0 and buckets[-1][2] == 3.0


def test_range_and_max_points_select_and_merge():
    history = History(capacity=1000)
    for step in range(1, 501):
        history.add(step, {"a": float(step), "b": -float(step)})
    part = history.series(["a"], first=101, last=200)
    assert part["step"][0] >= 101 and part["step"][-1] <= 200 and list(part["series"]) == ["a"]
    few = history.series(["a"], max_points=10)
    assert len(few["step"]) <= 10
    assert min(few["series"]["a"]["min"]) == 1.0 and max(few["series"]["a"]["max"]) == 500.0


def test_round_trip_through_json_and_frame_values():
    history = History(capacity=8)
    frame = {"train_loss": 0.5, "test_loss": None, "lr": 0.01, "grad_norm": [0.1, None, float("nan")]}
    assert frame_values(frame) == {"train_loss": 0.5, "lr": 0.01, "grad_norm/0": 0.1}
    for step in range(1, 30):
        history.add(step, frame_values(frame))
    again = History.from_json(history.to_json())
    assert again.series() == history.series()
