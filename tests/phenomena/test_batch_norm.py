"""Batch norm: normalizing every layer's pre-activations lets a deep net train at a learning rate where the
plain net fails."""

import math

from tests.phenomena.helpers import make_trainer, mean_tail, measure, train_losses

STEPS, EVERY = 500, 50


def run(norm: str, lr: float, seed: int) -> tuple[float, float | None]:
    """(train loss over the last 100 steps, test accuracy) after STEPS steps."""
    trainer = make_trainer(
        {
            "model": {"hidden": [32] * 10, "activation": "relu", "init": {"name": "kaiming_normal"}, "norm": norm},
            "optimizer": {"name": "sgd", "lr": lr},
        },
        seed=seed,
    )
    loss = mean_tail(train_losses(trainer, STEPS, EVERY), 2)
    return loss, measure(trainer)["test_acc"]


def test_batch_norm_trains_a_deep_net_at_a_learning_rate_where_the_plain_net_stalls():
    """10 hidden ReLU layers of 32, Kaiming init, circle, plain SGD for 500 steps; train loss over the last 100
    steps. measured, seeds 0-4:

    - plain, lr 1.0: 0.682 .. 0.696 = ln 2, the loss of a constant guess (test accuracy 0.45 .. 0.51).
      Threshold: above 0.6 (or not finite).
    - batch norm (before the activation), lr 1.0: 0.142 .. 0.187, test accuracy 0.955 .. 0.990.
      Thresholds: loss below 0.35, test accuracy above 0.9.
    - control, plain at lr 0.1: 0.034 .. 0.065 (test accuracy 0.965 .. 0.98): the plain net is trainable, the
      learning rate is what it cannot take. Threshold: below 0.2.
    """
    for seed in range(2):
        plain, _ = run("none", 1.0, seed)
        assert plain > 0.6 or not math.isfinite(plain), f"seed {seed}: plain net at lr 1.0, loss {plain:.3f}"
        normed, accuracy = run("batch", 1.0, seed)
        assert normed < 0.35, f"seed {seed}: batch-norm net at lr 1.0, loss {normed:.3f}"
        assert accuracy is not None and accuracy > 0.9, f"seed {seed}: batch-norm net, test accuracy {accuracy}"
        control, _ = run("none", 0.1, seed)
        assert control < 0.2, f"seed {seed}: plain net at lr 0.1, loss {control:.3f}"
