"""Shared helpers of the phenomena tests: build a trainer from a partial config, train, measure."""

import math
from typing import Any

import torch

from glassnet.config import ExperimentConfig, merge_config
from glassnet.train.loop import Trainer

BASE: dict[str, Any] = {
    "dataset": {"name": "circle", "n_samples": 400, "noise": 0.1, "train_fraction": 0.5},
    "model": {"kind": "mlp", "hidden": [32, 32], "activation": "relu"},
    "optimizer": {"name": "sgd", "lr": 0.1},
    "batch_size": 32,
    "steps": 1000,
    "seed": 0,
    "device": "cpu",
}


def make_trainer(changes: dict[str, Any], seed: int = 0) -> Trainer:
    """A CPU trainer for BASE with `changes` merged in, on `seed`."""
    config = merge_config(BASE, {**changes, "seed": seed, "device": "cpu"})
    return Trainer(ExperimentConfig.model_validate(config))


def train(trainer: Trainer, steps: int) -> None:
    """`steps` plain optimizer steps (no measurement)."""
    for _ in range(steps):
        trainer.step()


def measure(trainer: Trainer) -> dict[str, Any]:
    """One more step, with the full (detail) frame describing it."""
    frame = trainer.step(measure=True, detail=True)
    assert frame is not None
    return frame


def train_losses(trainer: Trainer, steps: int, every: int) -> list[float | None]:
    """Train `steps` steps, framing every `every`: the mean train loss of each window (None: not finite)."""
    losses = []
    for i in range(1, steps + 1):
        if i % every == 0:
            frame = trainer.step(measure=True, detail=False)
            assert frame is not None
            losses.append(frame["train_loss"])
        else:
            trainer.step()
    return losses


def mean_tail(values: list[float | None], n: int) -> float:
    """Mean of the last `n` values; inf when any of them is not finite (None)."""
    tail = values[-n:]
    if any(v is None for v in tail):
        return math.inf
    return sum(tail) / len(tail)  # type: ignore[arg-type]


@torch.no_grad()
def eval_loss(trainer: Trainer, x: torch.Tensor, y: torch.Tensor) -> float:
    """The objective on (x, y) with the model in eval mode (no dropout, running BN statistics)."""
    model = trainer.model
    was_training = model.training
    model.eval()
    try:
        return float(trainer.objective(model(x), y))
    finally:
        model.train(was_training)


def gap(trainer: Trainer) -> tuple[float, float, float]:
    """(train loss, test loss, test - train), both losses on whole sets in eval mode."""
    data = trainer.data
    train_loss = eval_loss(trainer, data.x_train, data.y_train)
    test_loss = eval_loss(trainer, data.x_test, data.y_test)
    return train_loss, test_loss, test_loss - train_loss


def first_bad_step(trainer: Trainer, steps: int, every: int) -> int | None:
    """Train `steps` steps, framing every `every`: the first step whose loss was not finite, or None."""
    for i in range(1, steps + 1):
        if i % every == 0:
            frame = trainer.step(measure=True, detail=False)
            assert frame is not None
            if frame["first_bad_step"] is not None:
                return frame["first_bad_step"]
            if frame["train_loss"] is None:
                return i
        else:
            trainer.step()
    return None
