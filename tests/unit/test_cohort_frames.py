"""A cohort member's readings are its single run's: the same figures (within float32 round-off) and views, from
the per-frame figures measured for all members at once and from a member read in full through the single probe;
and the cohort driver ends each member as the single driver would (finished, diverged, stopped, early stopping)."""

import math
from typing import Any

import numpy as np
import pytest
import torch

from glassnet.cohort.alone import CohortTrainer, hand_over
from glassnet.cohort.driver import Seat, drive_cohort
from glassnet.cohort.engine import Cohort
from glassnet.config import DEFAULT_CONFIG, ExperimentConfig, merge_config
from glassnet.protocol import frame_of
from glassnet.train.driver import BySteps, Callbacks, Ending
from glassnet.train.loop import Trainer
from glassnet.train.probe import Reading

BASE = merge_config(DEFAULT_CONFIG, {"dataset": {"n_samples": 200}, "steps": 60})


def configs(*changes: dict[str, Any]) -> list[ExperimentConfig]:
    return [ExperimentConfig.model_validate(merge_config(BASE, {"seed": k, **c})) for k, c in enumerate(changes)]


def assert_same_reading(member: Reading, alone: Reading) -> None:
    assert (member.step, member.detail, member.seq) == (alone.step, alone.detail, alone.seq)
    assert set(member.values) == set(alone.values)
    for name, value in alone.values.items():
        assert isinstance(member.values[name], np.ndarray), name  # (the pipe's messages take arrays only)
        if name == "time":
            continue
        np.testing.assert_allclose(member.values[name], value, rtol=1e-4, atol=1e-5, err_msg=name)
    assert set(member.views) == set(alone.views)
    for name, view in alone.views.items():
        mine = member.views[name]
        pairs = [(mine[i], view[i]) for i in view] if isinstance(view, dict) else [(mine, view)]
        for a, b in pairs:
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5, err_msg=name)
    # the same frame on the wire: the same fields
    assert set(frame_of(member).model_dump(exclude_unset=True)) == set(frame_of(alone).model_dump(exclude_unset=True))


def readings_alone_and_in_cohort(
    configs: list[ExperimentConfig], measured: list[tuple[bool, bool]]
) -> tuple[list[list[Reading]], list[list[Reading]]]:
    """Two members' readings at the steps `measured` marks (light, detail): in one cohort, and each alone."""
    expected: list[list[Reading]] = []
    for config in configs:  # alone, one after the other (single runs share torch's global random stream)
        trainer = Trainer(config)
        readings = [trainer.step(measure=light, detail=detail) for light, detail in measured]
        expected.append([r for r in readings if r is not None])
    cohort = Cohort(configs)
    got: list[list[Reading]] = [[], []]
    for light, detail in measured:
        cohort.step([light, light])
        if detail:
            for k in range(2):
                got[k].append(cohort.read(k, detail=True, measured=True))
        elif light:
            for k, reading in enumerate(cohort.read_frames([0, 1])):
                got[k].append(reading)
    return got, expected


@pytest.mark.parametrize(
    "changes",
    [
        {},
        # (with SGD: the bias before a batch norm has a gradient of pure round-off, which Adam scales to full steps,
        # so its running mean, and the test loss, would differ by more than round-off alone and in a cohort)
        {"model": {"norm": "batch", "activation": "relu"}, "optimizer": {"name": "sgd", "lr": 0.1}},
        {"model": {"hidden": [4, 3], "activation": "relu", "dropout": 0.2}},
    ],
    ids=["tanh", "batchnorm-relu", "narrow-dropout"],
)
def test_a_members_readings_are_its_single_runs(changes: dict[str, Any]) -> None:
    members = configs(changes, merge_config(changes, {"optimizer": {"lr": 0.003}}))
    measured = {step: (step % 4 == 0 or step % 10 == 0, step % 10 == 0) for step in range(1, 41)}
    got, expected = readings_alone_and_in_cohort(members, list(measured.values()))
    for mine, alone in zip(got, expected, strict=True):
        assert len(mine) == len(alone) == 12
        for a, b in zip(mine, alone, strict=True):
            assert_same_reading(a, b)


def seat_run(
    cohort: Cohort, frame_hz: float = 1000.0, **calls: Any
) -> tuple[list[Seat], dict[int, Ending | None], list[list[Reading]]]:
    readings: list[list[Reading]] = [[] for _ in cohort.members]
    endings: dict[int, Ending | None] = {}
    seats = []
    for i, m in enumerate(cohort.members):
        callbacks = Callbacks(on_reading=readings[i].append, **{k: v(i) for k, v in calls.items()})
        seats.append(Seat(callbacks, m.config.total_steps, frame_hz, member=i).bind(cohort, i))

    def leave(k: int, seat: Seat, ending: Ending | None) -> None:
        endings[seat.member] = ending

    drive_cohort(cohort, list(seats), leave)
    return seats, endings, readings


def test_members_end_on_their_own_and_the_others_go_on() -> None:
    # regression with SGD: at lr 5 the weights grow geometrically until they overflow (tests/unit/test_engine.py)
    plane = {"dataset": {"name": "plane"}, "optimizer": {"name": "sgd", "lr": 0.01}}
    members = configs(
        merge_config(plane, {"steps": 30}),
        merge_config(plane, {"steps": 50}),
        # (a learning rate too small to improve the test loss: early stopping ends it)
        merge_config(
            plane, {"steps": 40, "regularization": {"early_stopping": 1}, "eval_every": 5, "optimizer": {"lr": 1e-6}}
        ),
    )
    diverging = ExperimentConfig.model_validate(
        merge_config(BASE, merge_config(plane, {"seed": 3, "optimizer": {"lr": 5.0}}))
    )
    cohort = Cohort([*members, diverging])
    _, endings, readings = seat_run(cohort)
    assert endings[0] == Ending("finished") and readings[0][-1].step == 30 and readings[0][-1].detail
    assert endings[1] == Ending("finished") and readings[1][-1].step == 50
    assert endings[2] is not None and endings[2].status == "finished" and "early stopping" in (endings[2].reason or "")
    assert endings[3] is not None and endings[3].status == "diverged", endings[3]
    assert "non-finite at step" in (endings[3].reason or "")
    assert readings[3][-1].diverged and readings[3][-1].detail
    assert all(r[0].detail and r[0].step == 1 for r in readings), "a run's first step is read in full"


def test_a_stopped_member_leaves_with_a_full_reading_and_a_paused_one_goes_on_alone() -> None:
    cohort = Cohort(configs({"steps": 200}, {"steps": 200}, {"steps": 60}))
    commands = {0: iter([None] * 10 + ["stop"]), 1: iter([None] * 20 + ["pause"])}

    def control(i: int) -> Any:
        return lambda paused: next(commands[i], None) if i in commands else None

    _, endings, readings = seat_run(cohort, frame_hz=1.0, control=control)  # (no reading by the clock meanwhile)
    assert endings[0] == Ending("stopped") and readings[0][-1].detail and readings[0][-1].step == 10
    assert endings[1] is None and readings[1][-1].step < 200  # handed over, not ended
    assert endings[2] == Ending("finished") and readings[2][-1].step == 60


def test_a_member_handed_over_goes_on_alone_exactly() -> None:
    members = configs({"model": {"dropout": 0.2}, "steps": 100}, {"steps": 100})
    reference = Trainer(members[0])  # alone first (single runs share torch's global random stream)
    for _ in range(35):
        reference.step()
    cohort = Cohort(members)
    for _ in range(25):
        cohort.step()
    trainer = hand_over(cohort, 0, last_full=-1)
    assert trainer.step_count == 25 and math.isclose(trainer.current_lr, members[0].optimizer.lr)
    got = torch.stack([trainer.cohort.step([False])[0] for _ in range(10)])
    torch.testing.assert_close(got, torch.stack(reference.recent_losses[-10:]), rtol=1e-4, atol=1e-6)


def test_a_member_handed_over_keeps_what_its_detectors_have_reported() -> None:
    """Zero init never breaks symmetry: the condition is reported once, in the cohort, and not again when the member,
    paused, goes on alone (its detectors' state goes with it)."""
    import time

    from glassnet.train.driver import drive

    member = configs({"model": {"init": {"name": "zeros"}}, "steps": None})[0]
    cohort = Cohort([member])
    events: list[dict] = []
    until = time.monotonic() + 120.0  # (a loaded machine reads fewer steps in full a second)

    def control(paused: bool) -> str | None:  # paused once the condition is reported (detail readings past step 20)
        reported = any(e["kind"] == "no_symmetry_breaking" for e in events)
        return "pause" if reported or time.monotonic() > until else None

    seat = Seat(Callbacks(on_reading=lambda r: None, on_event=events.append, control=control), 10**6, 20.0)
    seat.bind(cohort, 0)
    handed: list[Trainer] = []

    def leave(k: int, seat: Seat, ending: Ending | None) -> None:
        assert ending is None  # paused: it goes on alone
        handed.append(hand_over(cohort, k, seat.last_full, seat.reporter.insights))

    drive_cohort(cohort, [seat], leave)
    before = [e["kind"] for e in events]
    assert before.count("no_symmetry_breaking") == 1, before
    alone = handed[0]
    drive(alone, alone.step_count + 400, BySteps(10), Callbacks(on_reading=lambda r: None, on_event=events.append))
    assert [e["kind"] for e in events].count("no_symmetry_breaking") == 1, [e["kind"] for e in events]


def test_a_large_cohort_reads_each_member_in_full_about_as_often_as_a_run_alone() -> None:
    """Each member's detail readings (its output, test loss, histograms) take the share a run alone would give
    them (DETAIL_BUDGET each), up to COHORT_DETAIL_SHARE of the cohort's time: a class of 24 runs still sees its
    outputs move, where one DETAIL_BUDGET for the whole cohort would read each member in full 17 times less often."""
    import time

    from glassnet.cohort.driver import COHORT_DETAIL_SHARE, detail_share
    from glassnet.train.driver import DETAIL_BUDGET

    assert detail_share(1) == DETAIL_BUDGET and detail_share(4) == 4 * DETAIL_BUDGET
    assert detail_share(64) == COHORT_DETAIL_SHARE
    k = 24
    cohort = Cohort(configs(*[{"steps": 100_000} for _ in range(k)]))
    read = cohort.read
    costs: list[float] = []

    def costly(member: int, detail: bool, measured: bool) -> Reading:  # as if every detail reading took 5 ms more
        started = time.monotonic()
        if detail:
            time.sleep(0.005)
        reading = read(member, detail, measured)
        if detail:
            costs.append(time.monotonic() - started)
        return reading

    cohort.read = costly  # type: ignore[method-assign]
    started = time.monotonic()

    def control(_: int) -> Any:
        # six of the intervals the share gives (by what detail readings cost here): one budget would give none
        def stop(paused: bool) -> str | None:
            interval = (sum(costs) / max(1, len(costs))) * k / COHORT_DETAIL_SHARE
            return "stop" if time.monotonic() - started > max(2.0, 6 * interval) else None

        return stop

    _, _, readings = seat_run(cohort, frame_hz=20.0, control=control)
    middle = [sum(r.detail for r in rs[1:-1]) for rs in readings]  # (the first and the last are always in full)
    assert min(middle) >= 2, middle


@pytest.mark.parametrize("make", [Trainer, CohortTrainer])
def test_a_pause_at_a_step_read_only_lightly_reads_the_net_in_full(make: Any) -> None:
    """A light reading (the loss, the norms) does not show the net: a pause or a stop at a step it read still
    reads the net in full there, so that a viewer joining the paused run sees it as it is (its `latest`)."""
    from glassnet.train.driver import drive

    trainer = make(configs({"steps": 100})[0])
    readings: list[Reading] = []
    commands = iter(["pause", "stop"])

    def control(paused: bool) -> str | None:
        return next(commands) if trainer.step_count == 10 else None

    drive(trainer, 100, BySteps(5), Callbacks(on_reading=readings.append, control=control))
    at_ten = [r.detail for r in readings if r.step == 10]
    assert at_ten == [False, True], at_ten  # light (every 5 steps), then in full as it pauses; not again at the stop


def test_a_member_stopped_at_a_step_read_only_lightly_leaves_with_a_full_reading() -> None:
    cohort = Cohort(configs({"steps": 100}))
    seat = Seat(Callbacks(on_reading=(readings := []).append), 100, 1.0, by_steps=BySteps(5)).bind(cohort, 0)
    seat.calls.control = lambda paused: "stop" if cohort.members[0].step_count == 10 else None
    endings: list[Ending | None] = []
    drive_cohort(cohort, [seat], lambda k, seat, ending: endings.append(ending))
    assert endings == [Ending("stopped")]
    assert [(r.step, r.detail) for r in readings if r.step == 10] == [(10, False), (10, True)]


def test_a_class_whose_frames_cost_more_than_the_frame_budget_gets_fewer_frames_and_keeps_training() -> None:
    """40 members at 20 frames/s whose light frames take 1.5 ms each to send would spend all the cohort's time on
    frames (1.2 s a second), between steps that then each read every member. The frame budget gives them at most
    COHORT_FRAME_SHARE of the time: fewer frames per member, and steps between them."""
    import time

    from glassnet.cohort.driver import COHORT_FRAME_SHARE

    k, seconds = 40, 3.0
    cohort = Cohort(configs(*[{"steps": 10**6} for _ in range(k)]))
    sending = [0.0]
    readings: list[Reading] = []

    def on_reading(reading: Reading) -> None:
        readings.append(reading)
        if not reading.detail:  # a slow pipe: the light frame's send is what costs
            started = time.monotonic()
            time.sleep(0.0015)
            sending[0] += time.monotonic() - started

    end = time.monotonic() + seconds

    def stop(paused: bool) -> str | None:
        return "stop" if time.monotonic() > end else None

    seats = [Seat(Callbacks(on_reading=on_reading, control=stop), 10**6, 20.0) for _ in range(k)]
    for i, seat in enumerate(seats):
        seat.member = i
        seat.bind(cohort, i)
    started = time.monotonic()
    drive_cohort(cohort, seats, lambda k, seat, ending: None)
    took = time.monotonic() - started
    assert sending[0] / took < COHORT_FRAME_SHARE + 0.1, (sending[0], took)
    light = sum(not r.detail for r in readings)
    steps = max(r.step for r in readings)
    assert light / k < steps / 2, (light / k, steps)  # a member is read at most every other step, on average


def test_the_frame_budget_stretches_the_gap_to_the_share_and_shrinks_it_back_by_halves() -> None:
    from glassnet.cohort.driver import COHORT_FRAME_SHARE, FRAME_WINDOW, MAX_FRAME_INTERVAL, FrameBudget

    def window(budget: FrameBudget, share: float, frames: int, members: int = 10) -> float:
        budget.since -= FRAME_WINDOW  # (a window of exactly FRAME_WINDOW seconds, give or take the call)
        budget.add(share * FRAME_WINDOW, frames, members)
        return budget.interval

    budget = FrameBudget()
    assert window(budget, 0.1, 200) == 0.0  # within the budget: each member's own frame rate
    # frames took twice their share, at a gap of 10 members * 1 s / 200 frames = 0.05 s: twice that gap
    assert math.isclose(window(budget, 2 * COHORT_FRAME_SHARE, 200), 0.1, rel_tol=0.01)
    assert window(budget, 100.0, 10) == MAX_FRAME_INTERVAL  # however costly, a frame every 2 s
    assert math.isclose(window(budget, 0.0, 5), MAX_FRAME_INTERVAL / 2, rel_tol=0.01)  # back by half a window
