"""MSE on a sigmoid output learns slowly when confidently wrong: its gradient carries the sigmoid's slope
p (1 - p), which vanishes exactly where the error is largest; cross-entropy's gradient is p - y."""

from tests.phenomena.helpers import make_trainer, measure, train


def logistic(loss: str, bias: float | None, seed: int):
    """Logistic regression (no hidden layer) on the two Gaussians; with `bias`, the output bias starts there."""
    init = {"name": "default"} if bias is None else {"name": "default", "bias": "constant", "bias_value": bias}
    return make_trainer(
        {
            "dataset": {"name": "gauss"},
            "model": {"hidden": [], "activation": "linear", "init": init},
            "loss": loss,
            "optimizer": {"name": "sgd", "lr": 0.1},
        },
        seed=seed,
    )


def output_grad(loss: str, bias: float | None, seed: int) -> float:
    return measure(logistic(loss, bias, seed))["grad_norm"][-1]


def test_mse_on_a_sigmoid_gives_a_vanishing_gradient_when_confidently_wrong():
    """Output bias -10: every point gets p(class 1) ~ 4.5e-5, so the half of the points in class 1 are
    confidently wrong. Output layer's weight-gradient norm at step 1, measured seeds 0-2: MSE 2.3e-5 .. 2.8e-5,
    BCE 0.22 .. 0.30, ratio 9.1e-5 .. 1.1e-4 (threshold: below 1e-2). Control with the bias at 0 (p ~ 0.5,
    not confident): ratio 0.496 .. 0.499, the 2 p (1 - p) = 1/2 MSE's chain rule gives (threshold: above 0.2).
    After 200 more steps at lr 0.1 from bias -10, test accuracy: MSE 0.51 .. 0.545 (still one class
    everywhere), BCE 0.875 .. 0.915 (thresholds: MSE below 0.6, BCE above 0.8).
    """
    for seed in range(3):
        mse, bce = output_grad("mse", -10.0, seed), output_grad("bce", -10.0, seed)
        assert mse < 1e-2 * bce, f"seed {seed}: confidently wrong, MSE {mse:.2e} vs BCE {bce:.2e}"
        mse, bce = output_grad("mse", None, seed), output_grad("bce", None, seed)
        assert mse > 0.2 * bce, f"seed {seed}: neutral start, MSE {mse:.2e} vs BCE {bce:.2e}"

        accuracy = {}
        for loss in ("mse", "bce"):
            trainer = logistic(loss, -10.0, seed)
            train(trainer, 200)
            accuracy[loss] = measure(trainer)["test_acc"]
        assert accuracy["mse"] < 0.6, f"seed {seed}: {accuracy}"
        assert accuracy["bce"] > 0.8, f"seed {seed}: {accuracy}"
