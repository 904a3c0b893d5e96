"""A CNN cohort member (cohort/conv.py: grouped convolutions) trains exactly as the same config alone: its loss at
every step equals the single Trainer's within float32 round-off, for the conv blocks' options (batch and layer
norm before or after, residual, max/avg/no pooling, activations with parameters or random draws) and the dense
part's dropout, with members that differ in seed, init and hyper-parameters; its checkpoint continues alone, and
its readings are its single run's."""

from collections.abc import Iterator
from typing import Any

import pytest
import torch

from glassnet.cohort.alone import make_trainer
from glassnet.cohort.compat import Alone, cohort_key
from glassnet.cohort.engine import Cohort
from glassnet.config import DEFAULT_CONFIG, ExperimentConfig, merge_config
from glassnet.train.loop import Trainer
from tests.unit.test_cohort_exact import assert_checkpoint_continues_alone, assert_within_round_off
from tests.unit.test_cohort_frames import assert_same_reading, readings_alone_and_in_cohort

STEPS = 100
BASE = merge_config(
    DEFAULT_CONFIG,
    {
        "dataset": {"name": "digits", "n_samples": 300},
        "model": {"kind": "cnn", "channels": [4, 6], "hidden": [8], "activation": "tanh"},
        "batch_size": 16,
        "steps": STEPS,
    },
)


@pytest.fixture(autouse=True, scope="module")
def one_thread() -> Iterator[None]:
    """One thread, as a worker trains (and as the shared CPU of a test run is best used)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def members(changes: dict[str, Any], per_member: list[dict[str, Any]]) -> list[ExperimentConfig]:
    base = merge_config(BASE, changes)
    return [
        ExperimentConfig.model_validate(merge_config(base, {"seed": k, **extra})) for k, extra in enumerate(per_member)
    ]


def assert_exact(configs: list[ExperimentConfig], steps: int = STEPS) -> Cohort:
    keys = {cohort_key(c, len(configs)) for c in configs}  # (started together, as a sweep's members)
    assert len(keys) == 1 and not isinstance(next(iter(keys)), Alone), keys
    cohort = Cohort(configs)
    batched = torch.stack([cohort.step() for _ in range(steps)], 1)  # (K, steps)
    for k, config in enumerate(configs):
        assert_within_round_off(batched[k], config, f"member {k}")
    return cohort


PER_MEMBER = [{}, {"optimizer": {"lr": 0.003}}, {"model": {"init": {"name": "xavier_normal"}}}]


@pytest.mark.parametrize(
    "model",
    [
        {},
        {"norm": "batch"},
        # (with batch norm, max pooling's and ReLU's switches turn round-off into jumps that one ulp alone does not
        # show: alone on another convolution algorithm (oneDNN off) then drifts from alone by up to 0.3 within 100
        # steps, and a comparison says nothing. Average pooling keeps these runs smooth.)
        {"norm": "batch", "norm_position": "after", "pooling": "avg"},
        {"norm": "batch", "activation": "relu", "pooling": "avg"},
        {"norm": "layer"},
        {"norm": "layer", "norm_position": "after"},
        # 1 -> 4 and 4 -> 6 channels: projections; 4 -> 4: the identity
        {"residual": True, "channels": [4, 4, 6]},
        {"pooling": "avg", "activation": "elu"},
        {"pooling": "none", "channels": [3], "activation": "gelu"},
        {"hidden": [8, 8], "dropout": 0.3},
        {"activation": "prelu"},
        {"activation": "rrelu"},
        {"activation": "relu", "hidden": []},
    ],
    ids=lambda m: "-".join(f"{k}={v}" for k, v in m.items())[:40] or "default",
)
def test_every_conv_block_option(model: dict[str, Any]) -> None:
    per = [
        *PER_MEMBER[:2],
        {"model": {"init": {"name": "xavier_normal"}, "dropout": 0.1}} if "dropout" in model else PER_MEMBER[2],
    ]
    assert_exact(members({"model": model}, per))


@pytest.mark.parametrize("name", ["sgd", "momentum", "adam", "rmsprop"])
def test_optimizers_with_hyper_parameters_per_member(name: str) -> None:
    lr = {"sgd": 0.1, "momentum": 0.02, "rmsprop": 0.002}.get(name, 0.005)
    per = [
        {"optimizer": {"name": name, "lr": lr}},
        {"optimizer": {"name": name, "lr": lr * 0.5, "momentum": 0.5, "beta1": 0.8, "weight_decay": 1e-3}},
        {"optimizer": {"name": name, "lr": lr * 2, "beta2": 0.99}, "regularization": {"l1": 1e-4}},
    ]
    assert_exact(members({}, per))


def test_a_members_checkpoint_continues_alone_exactly() -> None:
    configs = members({"model": {"norm": "batch", "dropout": 0.2}}, [{}, {"optimizer": {"lr": 0.003}}])
    assert_checkpoint_continues_alone(configs, 30, 20)


@pytest.mark.parametrize(
    "changes",
    [
        # (with SGD: see test_cohort_frames.py on a batch norm's bias under Adam)
        {"model": {"norm": "batch", "residual": True}, "optimizer": {"name": "sgd", "lr": 0.1}},
        {"model": {"norm": "layer", "pooling": "avg", "hidden": [8], "dropout": 0.2}},
    ],
    ids=["batchnorm-residual", "layernorm-dropout"],
)
def test_a_members_readings_are_its_single_runs(changes: dict[str, Any]) -> None:
    configs = members(changes, [{}, {"optimizer": {"lr": 0.003}}])
    measured = [(step % 4 == 0 or step % 10 == 0, step % 10 == 0) for step in range(1, 31)]
    got, expected = readings_alone_and_in_cohort(configs, list(measured))
    for mine, alone in zip(got, expected, strict=True):
        assert len(mine) == len(alone) == 9
        assert {"feature_maps", "filters"} <= set(alone[-1].views)  # (the image net's own views are compared)
        for a, b in zip(mine, alone, strict=True):
            assert_same_reading(a, b)
    assert Cohort(configs).describe_data(0) == Trainer(configs[0]).describe_data()


def test_cnns_of_one_shape_share_a_key_when_started_together_and_a_lone_one_trains_alone() -> None:
    a, b = members({}, [{}, {"optimizer": {"lr": 0.5}, "model": {"dropout": 0.2}}])
    assert cohort_key(a, 2) == cohort_key(b, 2) and not isinstance(cohort_key(a, 2), Alone)
    (wider,) = members({"model": {"channels": [4, 8]}}, [{}])
    (pooled,) = members({"model": {"pooling": "avg"}}, [{}])
    assert len({cohort_key(a, 2), cohort_key(wider, 2), cohort_key(pooled, 2)}) == 3
    # alone, a cohort of one is no faster than the nn.Module Trainer (bench/cohort.py case d): it keeps the Trainer
    lone = cohort_key(a)
    assert isinstance(lone, Alone) and "lone CNN" in lone.reason
    assert isinstance(make_trainer(a), Trainer)
