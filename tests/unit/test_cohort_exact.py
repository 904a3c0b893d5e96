"""A cohort member trains exactly as the same config alone: its loss at every step equals the single Trainer's
within float32 round-off, for every optimizer, schedule, clipping and regularization option of the registry,
with members that differ in seed and hyper-parameters; and a member's checkpoint continues alone exactly."""

import copy
import math
from typing import Any

import pytest
import torch

from glassnet import registry
from glassnet.cohort.compat import Alone, cohort_key
from glassnet.cohort.engine import Cohort
from glassnet.config import DEFAULT_CONFIG, ExperimentConfig, merge_config
from glassnet.train.loop import Trainer

STEPS = 200
BASE = merge_config(DEFAULT_CONFIG, {"dataset": {"n_samples": 200}, "batch_size": 16, "steps": STEPS})


def alone(config: ExperimentConfig, steps: int = STEPS, nudge: bool = False) -> list[float]:
    """The training losses of `config` trained alone, step by step, until `steps` or early stopping; with
    `nudge`, from a start one float32 ulp away in every weight, up or down at random (how far round-off alone
    carries the run: a batched kernel rounds differently from the single one everywhere, not in one weight)."""
    trainer = Trainer(config)
    if nudge:
        generator = torch.Generator().manual_seed(0)
        with torch.no_grad():
            for weight in trainer.params:
                up = torch.rand(weight.shape, generator=generator) < 0.5
                toward = torch.where(up, torch.tensor(math.inf), torch.tensor(-math.inf))
                weight.copy_(torch.nextafter(weight, toward))
    losses = []
    for _ in range(steps):
        reading = trainer.step()  # (the step early stopping ends on is read, which takes its loss)
        losses.append(float(trainer.recent_losses.pop()) if reading is None else reading["train_loss"])
        if trainer.stop_reason:
            break
    return losses


def assert_within_round_off(batched: torch.Tensor, config: ExperimentConfig, label: str) -> None:
    """Each step's loss as alone, within float32 round-off: tightly, or, where the run amplifies round-off (a
    chaotic one: layer or batch norm, high learning rates), no further from alone than alone is from itself
    after one ulp of change in every weight (with a margin of 10)."""
    expected = torch.tensor(alone(config, len(batched)))
    batched = batched[: len(expected)]
    if torch.allclose(batched, expected, rtol=2e-4, atol=2e-6):
        return
    drift = (torch.tensor(alone(config, len(expected), nudge=True)) - expected).abs()
    gap = (batched - expected).abs()
    allowed = 10 * torch.maximum(drift.cummax(0).values, expected.abs() * 2e-4)
    worst = int((gap - allowed).argmax())
    assert bool((gap <= allowed).all()), (
        f"{label}: step {worst + 1}: |{float(batched[worst]):.7g} - {float(expected[worst]):.7g}| is more than "
        f"10x the drift one ulp in every weight causes alone ({float(drift[: worst + 1].max()):.2g})"
    )


def members(changes: dict[str, Any], per_member: list[dict[str, Any]]) -> list[ExperimentConfig]:
    base = merge_config(BASE, changes)
    return [
        ExperimentConfig.model_validate(merge_config(base, {"seed": k, **extra})) for k, extra in enumerate(per_member)
    ]


def assert_exact(configs: list[ExperimentConfig], steps: int = STEPS) -> Cohort:
    keys = {cohort_key(c) for c in configs}
    assert len(keys) == 1 and not isinstance(next(iter(keys)), Alone), keys
    cohort = Cohort(configs)
    batched = torch.stack([cohort.step() for _ in range(steps)], 1)  # (K, steps)
    for k, config in enumerate(configs):
        assert_within_round_off(batched[k], config, f"member {k}")
    return cohort


def _optimizer_members(name: str) -> list[dict[str, Any]]:
    lrs = {"sgd": 0.3, "momentum": 0.05, "nesterov": 0.05, "adagrad": 0.05, "rmsprop": 0.003, "adadelta": 1.0}
    lr = lrs.get(name, 0.01)
    return [
        {"optimizer": {"name": name, "lr": lr}},
        {"optimizer": {"name": name, "lr": lr * 0.5, "momentum": 0.5, "beta1": 0.8, "rho": 0.8, "weight_decay": 1e-3}},
        {"optimizer": {"name": name, "lr": lr * 2, "beta2": 0.99, "eps": 1e-6, "weight_decay": 1e-2}},
    ]


@pytest.mark.parametrize("name", [c.name for c in registry.OPTIMIZERS])
def test_every_optimizer_with_hyper_parameters_per_member(name: str) -> None:
    assert_exact(members({}, _optimizer_members(name)))


@pytest.mark.parametrize("name", [c.name for c in registry.SCHEDULES])
def test_every_schedule(name: str) -> None:
    schedule = {"name": name, "step_size": 40, "gamma": 0.9, "warmup_steps": 30, "patience": 1, "factor": 0.5}
    per = [{}, {"optimizer": {"lr": 0.02}}, {"schedule": {"gamma": 0.95, "warmup_steps": 10}}]
    assert_exact(members({"schedule": schedule, "eval_every": 10}, per))


@pytest.mark.parametrize("name", [c.name for c in registry.CLIPPING])
def test_every_clipping_mixed_across_members(name: str) -> None:
    clip = {"name": name, "max_norm": 0.05, "clip_value": 0.01}
    per = [
        {"clipping": clip},
        {"clipping": {**clip, "max_norm": 0.5, "clip_value": 0.1}},
        {"clipping": {"name": "none"}},
    ]
    assert_exact(members({"optimizer": {"name": "sgd", "lr": 0.5}}, per))


@pytest.mark.parametrize(
    "regularization",
    [
        {"l1": 1e-3},
        {"label_smoothing": 0.1},
        {"input_noise": 0.2},
        {"early_stopping": 2},
    ],
    ids=lambda r: next(iter(r)),
)
def test_every_regularization(regularization: dict[str, Any]) -> None:
    half = {k: v / 2 if isinstance(v, float) else v for k, v in regularization.items()}
    per = [{"regularization": regularization}, {"regularization": half}, {}]
    cohort = assert_exact(members({"eval_every": 5}, per))
    if "early_stopping" in regularization:  # (the others' steps after it are not compared)
        stopped = [m.stop_reason is not None for m in cohort.members]
        assert stopped[0] and not stopped[2], "the test should see a member stop early and one that cannot"


@pytest.mark.parametrize(
    "model",
    [
        {"dropout": 0.3},
        {"norm": "batch"},
        {"norm": "batch", "norm_position": "after"},
        {"norm": "layer"},
        {"norm": "layer", "norm_position": "after"},
        {"residual": True, "hidden": [8, 8, 4]},
        {"activation": "prelu"},
        {"layers": [{"index": 1, "activation": "relu", "norm": "layer", "residual": True}]},
    ],
    ids=lambda m: "-".join(f"{k}={v}" for k, v in m.items())[:40],
)
def test_every_block_option(model: dict[str, Any]) -> None:
    per = [
        {},
        {"model": {"dropout": 0.1}} if "dropout" in model else {},
        {"model": {"init": {"name": "xavier_normal"}}},
    ]
    assert_exact(members({"model": model}, per))


@pytest.mark.parametrize("activation", [c.name for c in registry.ACTIVATIONS])
def test_every_activation(activation: str) -> None:
    assert_exact(members({"model": {"activation": activation}}, [{}, {}]), steps=60)


@pytest.mark.parametrize(
    "task",
    [
        {"dataset": {"name": "spiral"}},  # binary
        {"dataset": {"name": "plane"}},  # regression
        {"dataset": {"name": "digits", "n_samples": 400}, "model": {"hidden": [16]}},  # multiclass
        {"dataset": {"name": "digits", "n_samples": 400}, "model": {"hidden": [16]}, "loss": "mse"},
        {"dataset": {"name": "circle"}, "loss": "mse"},
    ],
    ids=["binary", "regression", "multiclass", "multiclass-mse", "binary-mse"],
)
def test_every_task_and_loss(task: dict[str, Any]) -> None:
    smoothing = {} if task["dataset"]["name"] == "plane" else {"regularization": {"label_smoothing": 0.1}}
    assert_exact(members(task, [{}, smoothing]), steps=100)


def assert_checkpoint_continues_alone(configs: list[ExperimentConfig], before: int, after: int) -> None:
    """Member 1's checkpoint after `before` steps in the cohort, resumed alone, takes the `after` steps it takes
    in the cohort (once member 0 has left)."""
    cohort = Cohort(configs)
    for _ in range(before):
        cohort.step()
    resumed = Trainer.resume(configs[1], cohort.checkpoint(1))
    cohort.remove([0])
    batched = torch.stack([cohort.step()[0] for _ in range(after)])
    single = []
    for _ in range(after):
        resumed.step()
        single.append(float(resumed.recent_losses.pop()))
    torch.testing.assert_close(batched, torch.tensor(single), rtol=2e-4, atol=2e-6)


def test_a_members_checkpoint_continues_alone_exactly() -> None:
    assert_checkpoint_continues_alone(members({"model": {"dropout": 0.2}}, [{}, {"optimizer": {"lr": 0.003}}]), 50, 30)


def test_a_run_joins_from_its_checkpoint() -> None:
    configs = members({}, [{}, {}])
    trainer = Trainer(configs[1])
    for _ in range(40):
        trainer.step()
    cohort = Cohort(configs, [None, trainer.checkpoint()])
    assert [m.step_count for m in cohort.members] == [0, 40]
    joined = torch.stack([cohort.step()[1] for _ in range(30)])
    torch.testing.assert_close(joined, torch.tensor(alone(configs[1], 70)[40:]), rtol=2e-4, atol=2e-6)
    assert cohort.members[1].step_count == 70


def test_what_cannot_batch_says_why() -> None:
    cnn = ExperimentConfig.model_validate(
        {
            **copy.deepcopy(BASE),
            "dataset": {"name": "digits"},
            "model": {"kind": "cnn", "hidden": [], "activation": "relu"},
        }
    )
    assert isinstance(cohort_key(cnn), Alone) and "CNN" in cohort_key(cnn).reason  # type: ignore[union-attr]
    # RReLU's slopes are drawn element by element: each member's from its own stream, and it batches
    rrelu = [
        ExperimentConfig.model_validate(merge_config(BASE, {"seed": s, "model": {"activation": "rrelu"}}))
        for s in (0, 1)
    ]
    assert cohort_key(rrelu[0]) == cohort_key(rrelu[1]) and not isinstance(cohort_key(rrelu[0]), Alone)
    a, b = members({}, [{}, {"optimizer": {"lr": 0.5}, "seed": 9}])
    assert cohort_key(a) == cohort_key(b)
    wider = ExperimentConfig.model_validate(merge_config(BASE, {"model": {"hidden": [8, 9]}}))
    assert cohort_key(wider) != cohort_key(a)
