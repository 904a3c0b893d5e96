"""Dying ReLU: a too-large step or a negative bias leaves units that output 0 for every input, for good;
leaky ReLU's small negative slope means no unit is ever exactly 0 everywhere."""

import math

from glassnet.config import merge_config
from tests.phenomena.helpers import make_trainer, measure, train

HIDDEN = [32] * 4

HIGH_LR = {"optimizer": {"name": "adam", "lr": 0.3}}  # 30-300x a usual Adam rate
USUAL_LR = {"optimizer": {"name": "adam", "lr": 0.01}}
NEGATIVE_BIAS = {"model": {"init": {"name": "kaiming_normal", "bias": "constant", "bias_value": -2.0}}}


def dead_fractions(activation: str, setting: dict, seed: int, steps: int = 200) -> tuple[list[float], dict]:
    base = {"model": {"hidden": HIDDEN, "activation": activation, "init": {"name": "kaiming_normal"}}}
    trainer = make_trainer(merge_config(base, setting), seed=seed)
    train(trainer, steps)
    frame = measure(trainer)
    return frame["dead_fraction"][: len(HIDDEN)], frame


def assert_leaky_alive(setting: dict, seed: int) -> None:
    dead, frame = dead_fractions("leaky_relu", setting, seed)
    # the probe counts a unit dead when its output is exactly 0 on every probe input; a NaN output is not 0,
    # so require finite figures first, or "no dead units" would hold vacuously
    assert frame["train_loss"] is not None and math.isfinite(frame["train_loss"]), f"seed {seed}: loss diverged"
    assert all(m is not None for m in frame["act_mean"]), f"seed {seed}: non-finite activations"
    assert dead == [0.0] * len(HIDDEN), f"seed {seed}: leaky ReLU dead fractions {dead}"


def test_a_too_high_learning_rate_kills_relu_units_but_not_leaky_relu_units():
    """4 hidden layers of 32, Kaiming init, circle, Adam lr 0.3 for 200 steps (dead fraction per hidden layer
    on the probe batch).

    measured ReLU, seeds 0-4: every layer 0.59 .. 1.00 (seed 0: 0.94 0.94 1.00 1.00). Threshold: more than half
    the units dead in at least 3 of the 4 layers, and on average over the layers. Control: at Adam lr 0.01 the
    same net ends with 0 .. 0.28 (asserted: mean below 0.5).
    measured leaky ReLU (slope 0.01), same seeds: 0.0 in every layer, losses finite (0.58 .. 19: it is unstable,
    but alive). Threshold: exactly 0.
    """
    for seed in range(3):
        dead, _ = dead_fractions("relu", HIGH_LR, seed)
        assert sum(d > 0.5 for d in dead) >= 3, f"seed {seed}: ReLU dead fractions {dead}"
        assert sum(dead) / len(dead) > 0.5, f"seed {seed}: ReLU dead fractions {dead}"
        assert_leaky_alive(HIGH_LR, seed)
        dead, _ = dead_fractions("relu", USUAL_LR, seed)
        assert sum(dead) / len(dead) < 0.5, f"seed {seed}: ReLU at Adam lr 0.01, dead fractions {dead}"


def test_a_negative_bias_init_kills_relu_units_but_not_leaky_relu_units():
    """The same net with every bias starting at -2 (Kaiming weights), SGD lr 0.1 for 200 steps.

    A unit whose pre-activation is negative for every input gets no gradient, so it stays dead.
    measured ReLU, seeds 0-2: first hidden layer 0.69 .. 0.84 dead, the others 1.00 (at init and after 200
    steps alike); leaky ReLU: 0.0 everywhere. Threshold: every ReLU layer above 0.5; leaky exactly 0.
    """
    for seed in range(3):
        dead, _ = dead_fractions("relu", NEGATIVE_BIAS, seed)
        assert all(d > 0.5 for d in dead), f"seed {seed}: ReLU dead fractions {dead}"
        assert_leaky_alive(NEGATIVE_BIAS, seed)
