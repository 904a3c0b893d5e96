"""Exploding gradients: a recurrent matrix with a spectral radius well above 1 makes backpropagation through
time explode; clipping the gradient keeps training finite."""

import math

import pytest

from tests.phenomena.helpers import first_bad_step, make_trainer, measure

STEPS, EVERY = 300, 10


def rnn_trainer(clipping: dict, seed: int):
    return make_trainer(
        {
            "dataset": {"name": "adding", "n_samples": 1000, "noise": 0.0, "seq_len": 20},
            "model": {
                "kind": "rnn",
                "hidden": [],
                "activation": "tanh",
                "cell": "rnn_tanh",
                "rnn_hidden": 32,
                # N(0, 0.5^2) entries in a 32 x 32 matrix: spectral radius ~0.5 * sqrt(32) = 2.8
                "recurrent_init": {"name": "normal", "std": 0.5},
            },
            "optimizer": {"name": "sgd", "lr": 0.1},
            "clipping": clipping,
        },
        seed=seed,
    )


@pytest.mark.parametrize(
    "clipping", [{"name": "norm", "max_norm": 1.0}, {"name": "value", "clip_value": 0.1}], ids=["norm", "value"]
)
def test_clipping_keeps_an_exploding_rnn_finite(clipping):
    """rnn_tanh, hidden 32, recurrent weights N(0, 0.5^2), adding problem T = 20, SGD lr 0.1, batch 32.

    measured, seeds 0-4: largest per-layer gradient norm at step 1 17 .. 790; without clipping the loss is
    not finite from step 28 .. 36 on (threshold: some non-finite step within 300). Clipped by global norm 1
    or by value 0.1: finite through 300 steps, test MSE 0.15 .. 0.26 against a baseline of ~0.17
    (thresholds: no non-finite step, test MSE below 3x the baseline).
    """
    for seed in range(3):
        unclipped = rnn_trainer({"name": "none"}, seed)
        bad = first_bad_step(unclipped, STEPS, EVERY)
        assert bad is not None, f"seed {seed}: the unclipped RNN stayed finite"

        clipped = rnn_trainer(clipping, seed)
        bad = first_bad_step(clipped, STEPS, EVERY)
        assert bad is None, f"seed {seed}: clipped by {clipping}, loss not finite at step {bad}"
        test_loss = measure(clipped)["test_loss"]
        baseline = clipped.data.baseline_loss
        assert test_loss is not None and math.isfinite(test_loss), f"seed {seed}: test loss {test_loss}"
        assert test_loss < 3 * baseline, f"seed {seed}: test MSE {test_loss:.3f}, baseline {baseline:.3f}"
