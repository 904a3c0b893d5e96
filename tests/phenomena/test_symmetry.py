"""Symmetry: zero init gives every unit of a layer the same weights, and gradient descent never separates them."""

import torch

from tests.phenomena.helpers import make_trainer, measure, train

HIDDEN = [16, 16, 16]
STEPS = 1000


def trained(init: str, seed: int):
    trainer = make_trainer(
        {
            "model": {"hidden": HIDDEN, "activation": "sigmoid", "init": {"name": init}},
            "optimizer": {"name": "sgd", "lr": 1.0},
        },
        seed=seed,
    )
    train(trainer, STEPS)
    return trainer, measure(trainer)


def test_zero_init_units_stay_identical_while_random_init_units_differ():
    """Sigmoid MLP 2-16-16-16-1 on the circle, SGD lr 1.0, 1001 steps.

    Sigmoid, not tanh or ReLU: at zero weights a sigmoid layer outputs 0.5, so gradients reach every layer
    and the weights do move (measured weight norms after 1001 steps, seeds 0-2: first hidden layer
    0.003 .. 0.011, second 0.63 .. 0.67, third 2.4 .. 2.5); with tanh or ReLU they would stay exactly 0.
    Yet every unit of a layer gets the same gradient, so unit_diversity stays exactly 0.0 in every hidden
    layer (measured: 0.0 for seeds 0-2; the rows of each weight matrix are bit-for-bit equal).
    Xavier init, the same run: unit_diversity 0.99 .. 1.44 (threshold 0.5).
    """
    for seed in range(3):
        trainer, frame = trained("zeros", seed)
        hidden = range(len(HIDDEN))
        assert [frame["unit_diversity"][i] for i in hidden] == [0.0] * len(HIDDEN), f"seed {seed}"
        assert all(frame["weight_norm"][i] > 1e-3 for i in hidden), f"seed {seed}: weights did not move"
        for weights in trainer.model.layer_weights()[: len(HIDDEN)]:
            w = weights[0].detach()
            assert torch.equal(w, w[:1].expand_as(w)), f"seed {seed}: rows differ"

        _, frame = trained("xavier_normal", seed)
        assert all(frame["unit_diversity"][i] > 0.5 for i in hidden), f"seed {seed}: {frame['unit_diversity']}"
