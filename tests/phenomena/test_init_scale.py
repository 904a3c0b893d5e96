"""Initialization scale: too large saturates tanh, too small shrinks the signal layer by layer, and the
variance-preserving inits (Xavier for tanh, Kaiming for ReLU) keep it level through 10 layers."""

import itertools

from tests.phenomena.helpers import make_trainer, measure

DEPTH, WIDTH = 10, 64


def at_init(activation: str, init: dict, seed: int) -> dict:
    """The frame of step 1 at lr 1e-6 (the smallest allowed): the network as initialized."""
    trainer = make_trainer(
        {
            "model": {"hidden": [WIDTH] * DEPTH, "activation": activation, "init": init},
            "optimizer": {"name": "sgd", "lr": 1e-6},
        },
        seed=seed,
    )
    return measure(trainer)


def test_too_large_init_saturates_tanh():
    """tanh, weights N(0, 1): pre-activations of std ~8 in layers of 64. measured saturation (share of outputs
    within 3% of +-1), seeds 0-2: first hidden layer 0.008 .. 0.027 (it reads only 2 inputs), layers 2-10 0.49
    .. 0.83, mean of layers 2-10 0.77 .. 0.79. Threshold: mean of layers 2-10 above 0.5. Xavier, the same net:
    0.0 in every layer (threshold: below 0.01)."""
    for seed in range(3):
        saturation = at_init("tanh", {"name": "normal", "std": 1.0}, seed)["saturation"][1:DEPTH]
        assert sum(saturation) / len(saturation) > 0.5, f"seed {seed}: {saturation}"
        saturation = at_init("tanh", {"name": "xavier_normal"}, seed)["saturation"][:DEPTH]
        assert max(saturation) < 0.01, f"seed {seed}: {saturation}"


def test_too_small_init_shrinks_activations_layer_by_layer():
    """tanh, weights N(0, 0.02^2): each layer multiplies the signal's std by about 0.02 * sqrt(64) = 0.16.
    measured act_std ratio of consecutive layers over the first 7 layers, seeds 0-2: 0.14 .. 0.18 (later
    layers reach float32 noise, ~1e-9); last/first hidden layer 1.3e-7 .. 2.6e-7. Thresholds: each of the
    6 steps between the first 7 layers below 0.5, last/first below 1e-3."""
    for seed in range(3):
        std = at_init("tanh", {"name": "normal", "std": 0.02}, seed)["act_std"][:DEPTH]
        assert all(b < 0.5 * a for a, b in itertools.pairwise(std[:7])), f"seed {seed}: {std}"
        assert std[-1] < 1e-3 * std[0], f"seed {seed}: {std}"


def test_xavier_for_tanh_and_kaiming_for_relu_keep_the_activation_scale():
    """10 hidden layers of 64: act_std of the most / least spread hidden layer at init. measured seeds 0-2:
    tanh + Xavier 1.25 .. 1.31, ReLU + Kaiming 1.40 .. 1.53. Threshold: below 2. (Xavier under ReLU, for
    contrast, falls 21-33x over the 10 layers; N(0, 0.02^2) above falls 4e6-8e6x.)"""
    for seed in range(3):
        for activation, init in [("tanh", "xavier_normal"), ("relu", "kaiming_normal")]:
            std = at_init(activation, {"name": init}, seed)["act_std"][:DEPTH]
            assert max(std) < 2 * min(std), f"seed {seed}, {activation} + {init}: {std}"
