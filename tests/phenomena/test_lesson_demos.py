"""The lessons' one-click demos ("Load & play"): the config a lesson loads into the playground is the one its check
trains, it trains the same whatever the page's frame rate, and it reaches what the lesson promises within its
steps on seeds 0-4 (the lesson's own check, run on each seed; seed 0, the one the arms carry, is
tests/phenomena/test_lessons.py's test_the_lessons_claim_holds).

Duration: 73 s for the 16 network lessons on seeds 1-4, measured on 2 cores shared with other jobs (0.1 .. 5 s a
lesson and seed; the optimizer-lab lesson has no seed: its paths are deterministic)."""

import json
from dataclasses import replace

import pytest

from glassnet.config import ExperimentConfig
from glassnet.lessons import LESSONS
from glassnet.lessons.runner import run_lesson

SEEDS = (1, 2, 3, 4)
NETWORK = [lesson_id for lesson_id, lesson in LESSONS.items() if lesson.kind == "network"]


@pytest.mark.parametrize("lesson_id", NETWORK)
def test_the_demo_keeps_its_promise_on_other_seeds(lesson_id):
    failed = []
    for seed in SEEDS:
        lesson = replace(LESSONS[lesson_id], seed=seed)
        _, verdict = run_lesson(lesson)
        if not verdict.passed:
            figures = ", ".join(f"{name}={value:.4g}" for name, value in verdict.figures.items() if value is not None)
            failed.append(f"seed {seed}: {verdict.summary.en} [{figures}]")
    assert not failed, f"{lesson_id}: " + "\n".join(failed)


def test_what_load_and_play_loads_is_what_the_check_trains():
    for own in LESSONS.values():
        if own.kind != "network":
            continue
        lesson = json.loads(json.dumps(own.to_json()))  # as GET /api/lessons sends it
        for sent, arm in zip(lesson["arms"], own.arms, strict=True):
            # the page copies `config` into its draft as it is and plays it
            played = ExperimentConfig.model_validate(sent["config"])
            checked = ExperimentConfig.model_validate(own.arm_config(arm))
            assert played == checked, f"{lesson['id']} {arm.name}"
            assert played.steps == own.steps and played.seed == own.seed


def test_a_demo_trains_the_same_at_any_frame_rate():
    """The check reads an arm every 25 steps; the playground reads it by the clock. The readings do not change the
    training: the last step's test loss (on the whole test set) is the same either way."""
    import torch

    from glassnet.train.driver import ByClock, BySteps, Callbacks, drive
    from glassnet.train.loop import Trainer

    lesson = LESSONS["dead-relu"]
    config = {**lesson.arm_config(lesson.arms[1]), "device": "cpu"}  # leaky ReLU: it learns, so the loss moves
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        ends = []
        for pacing in (BySteps(25), ByClock(30.0), BySteps(7)):
            readings: list = []
            trainer = Trainer(ExperimentConfig.model_validate(config))
            drive(trainer, trainer.config.total_steps, pacing, Callbacks(on_reading=readings.append))
            ends.append((readings[-1]["step"], readings[-1]["test_loss"]))
    finally:
        torch.set_num_threads(threads)
    assert ends[0][0] == lesson.steps
    assert ends[0] == ends[1] == ends[2], ends
