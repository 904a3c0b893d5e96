"""The cohort's fast path (cohort/fast.py: forward and backward without autograd) gives autograd's gradients and
losses: every parameter's .grad after a step from the same state, for every activation, residual, dropout, L1,
input noise and every task and loss (label smoothing per member); 100 steps track the autograd path within float32
round-off; measured steps and normed nets keep autograd."""

import math
from collections.abc import Callable
from typing import Any

import pytest
import torch

from glassnet import registry
from glassnet.cohort.engine import Cohort
from glassnet.config import DEFAULT_CONFIG, ExperimentConfig, merge_config

BASE = merge_config(DEFAULT_CONFIG, {"dataset": {"n_samples": 200}, "batch_size": 16, "steps": 100})
DIGITS = {"dataset": {"name": "digits", "n_samples": 400}, "model": {"hidden": [16]}}
# every path of a block: projection skips (2 -> 8, 8 -> 4), an identity one (8 -> 8), dropout, L1 and input noise
EVERYTHING = {"model": {"residual": True, "hidden": [8, 8, 4], "dropout": 0.2}}
PER_MEMBER_REGULARIZATION = [
    {},
    {"regularization": {"l1": 1e-3, "input_noise": 0.1}, "model": {"dropout": 0.1}},
    {"regularization": {"l1": 1e-2}, "model": {"dropout": 0.0}},
]


def members(changes: dict[str, Any], per_member: list[dict[str, Any]]) -> list[ExperimentConfig]:
    base = merge_config(BASE, changes)
    return [
        ExperimentConfig.model_validate(merge_config(base, {"seed": k, **extra})) for k, extra in enumerate(per_member)
    ]


def pair(configs: list[ExperimentConfig]) -> tuple[Cohort, Cohort]:
    """The same cohort twice: one on the fast path, one stepping through autograd."""
    fast, slow = Cohort(configs), Cohort(configs)
    assert fast.model.fast is not None, fast.model.fast_reason
    slow.model.fast = None
    return fast, slow


def _named(name: str) -> Callable[[str], str]:
    return lambda message: f"{name}: {message}"


def assert_same_step(configs: list[ExperimentConfig]) -> None:
    fast, slow = pair(configs)
    losses = fast.step(), slow.step()
    torch.testing.assert_close(losses[0], losses[1], rtol=1e-6, atol=0.0)
    for name, param in slow.model.params.items():
        mine = fast.model.params[name].grad
        assert mine is not None and param.grad is not None, name
        assert mine.shape == param.grad.shape and mine.is_contiguous(), name
        torch.testing.assert_close(mine, param.grad, rtol=1e-5, atol=1e-7, msg=_named(name))
    # every parameter of the net has its gradient
    assert set(fast.model.params) == {n for n, _ in fast.template.named_parameters()}


@pytest.mark.parametrize("activation", [c.name for c in registry.ACTIVATIONS if c.name != "rrelu"])
@pytest.mark.parametrize("blocks", [{}, EVERYTHING], ids=["plain", "residual-dropout-l1-noise"])
def test_every_activation_gives_autograds_gradients(activation: str, blocks: dict[str, Any]) -> None:
    model = {"activation": activation, "slope": 0.05, "alpha": 0.7, "beta": 2.0}
    per = PER_MEMBER_REGULARIZATION if blocks else [{}, {}]
    assert_same_step(members(merge_config(blocks, {"model": model}), per))


def test_softplus_past_its_threshold() -> None:
    # beta * x > 20: softplus is x there and its gradient 1 (torch's threshold), also where exp(beta * x) overflows
    config = {"model": {"activation": "softplus", "beta": 8.0, "init": {"name": "normal", "std": 10.0}}}
    configs = members(config, [{}, {}])
    fast, _ = pair(configs)
    x, _ = fast._batches()
    params = fast.model.params
    h = torch.baddbmm(params["blocks.0.layer.bias"].unsqueeze(1), x, params["blocks.0.layer.weight"].mT)
    assert bool((h * 8.0 > 89).any()), "the test should put some unit where exp(beta * x) overflows"
    assert_same_step(configs)


SMOOTHING = [{}, {"regularization": {"label_smoothing": 0.1}}, {"regularization": {"label_smoothing": 0.3}}]


@pytest.mark.parametrize(
    ("task", "per"),
    [
        ({"dataset": {"name": "circle"}}, SMOOTHING),  # binary, BCE with logits
        ({"dataset": {"name": "circle"}, "loss": "mse"}, SMOOTHING),  # binary, MSE of the sigmoid
        ({"dataset": {"name": "plane"}}, [{}, {}]),  # regression
        (DIGITS, SMOOTHING),  # multiclass, cross-entropy
        (DIGITS, [{}, {}]),  # (no member smooths)
        (merge_config(DIGITS, {"loss": "mse"}), SMOOTHING),  # multiclass, MSE of the softmax
    ],
    ids=["binary-bce", "binary-mse", "regression", "multiclass-ce", "multiclass-ce-unsmoothed", "multiclass-mse"],
)
def test_every_task_and_loss_gives_autograds_gradients(task: dict[str, Any], per: list[dict[str, Any]]) -> None:
    assert_same_step(members(task, per))


def assert_tracks(fast: torch.Tensor, slow: torch.Tensor, configs: list[ExperimentConfig], label: str) -> None:
    """The fast path's losses (K, steps) as the autograd path's, within float32 round-off: tightly, or no further
    than 10x what one ulp of change in one weight does to the autograd path (as test_cohort_exact's
    assert_within_round_off)."""
    if torch.allclose(fast, slow, rtol=2e-4, atol=2e-6):
        return
    nudged = Cohort(configs)
    nudged.model.fast = None
    with torch.no_grad():
        weight = nudged.model.params["blocks.0.layer.weight"].view(-1)
        weight[0] = torch.nextafter(weight[0], torch.tensor(math.inf))
    drift = (torch.stack([nudged.step() for _ in range(slow.shape[1])], 1) - slow).abs()
    allowed = 10 * torch.maximum(drift.cummax(1).values, slow.abs() * 2e-4)
    gap = (fast - slow).abs()
    assert bool((gap <= allowed).all()), f"{label}: the fast path left the autograd path by more than round-off"


@pytest.mark.parametrize(
    ("changes", "per"),
    [
        ({}, [{}, {"optimizer": {"lr": 0.003}}]),
        (merge_config(EVERYTHING, {"model": {"activation": "relu"}}), PER_MEMBER_REGULARIZATION),
        (merge_config(DIGITS, {"optimizer": {"name": "sgd", "lr": 0.3}}), SMOOTHING),
        ({"dataset": {"name": "plane"}, "clipping": {"name": "norm", "max_norm": 0.1}}, [{}, {}]),
    ],
    ids=["default", "residual-dropout-l1-relu", "digits-smoothing-sgd", "regression-clipped"],
)
def test_a_hundred_steps_track_the_autograd_path(changes: dict[str, Any], per: list[dict[str, Any]]) -> None:
    configs = members(changes, per)
    fast, slow = pair(configs)
    steps = 100
    got = torch.stack([fast.step() for _ in range(steps)], 1)
    expected = torch.stack([slow.step() for _ in range(steps)], 1)
    assert_tracks(got, expected, configs, str(changes))
    for name, param in slow.model.params.items():
        torch.testing.assert_close(fast.model.params[name].detach(), param.detach(), rtol=1e-3, atol=1e-5)


def test_after_a_member_leaves_the_fast_path_steps_the_others() -> None:
    # (the fast path keeps views of the parameter tensors, which a member's leaving replaces)
    fast, slow = pair(members({"model": {"dropout": 0.2}}, [{}, {"optimizer": {"lr": 0.003}}, {}]))
    for cohort in (fast, slow):
        for _ in range(5):
            cohort.step()
        cohort.remove([1])
    got = torch.stack([fast.step() for _ in range(5)])
    torch.testing.assert_close(got, torch.stack([slow.step() for _ in range(5)]), rtol=1e-5, atol=1e-7)
    for name, param in slow.model.params.items():
        torch.testing.assert_close(fast.model.params[name].grad, param.grad, rtol=1e-5, atol=1e-7)


def test_measured_steps_keep_autograd_and_the_others_take_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    cohort = Cohort(members({}, [{}, {}]))
    fast = cohort.model.fast
    assert fast is not None
    calls: list[int] = []
    step = fast.step

    def counted(*args: Any) -> torch.Tensor:
        calls.append(1)
        return step(*args)

    monkeypatch.setattr(fast, "step", counted)
    cohort.step()
    cohort.step([False, False])
    assert len(calls) == 2
    cohort.step([False, True])  # the probe's hooks record activation gradients: autograd's
    assert len(calls) == 2 and set(cohort.act_grads) == {0, 1, 2}


@pytest.mark.parametrize(
    ("model", "reason"),
    [({"norm": "batch"}, "batch norm"), ({"norm": "layer"}, "LayerNorm")],
)
def test_normed_nets_fall_back_to_autograd_and_say_why(model: dict[str, Any], reason: str) -> None:
    cohort = Cohort(members({"model": model}, [{}]))
    assert cohort.model.fast is None and reason in (cohort.model.fast_reason or "")
    assert torch.isfinite(cohort.step()).all()
    plain = Cohort(members({}, [{}]))
    assert plain.model.fast is not None and plain.model.fast_reason is None
