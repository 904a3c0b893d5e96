"""Optimizers, learning-rate schedules and gradient clipping, by registry name."""

import math
from collections.abc import Iterable

import torch

from glassnet.config import ClippingConfig, OptimizerConfig, ScheduleConfig


def make_optimizer(params: Iterable[torch.nn.Parameter], config: OptimizerConfig) -> torch.optim.Optimizer:
    c = config
    match c.name:
        case "sgd":
            return torch.optim.SGD(params, lr=c.lr, weight_decay=c.weight_decay)
        case "momentum":
            return torch.optim.SGD(params, lr=c.lr, momentum=c.momentum, weight_decay=c.weight_decay)
        case "nesterov":
            return torch.optim.SGD(params, lr=c.lr, momentum=c.momentum, nesterov=True, weight_decay=c.weight_decay)
        case "adagrad":
            return torch.optim.Adagrad(params, lr=c.lr, eps=c.eps, weight_decay=c.weight_decay)
        case "rmsprop":
            return torch.optim.RMSprop(
                params, lr=c.lr, alpha=c.rho, eps=c.eps, momentum=c.momentum, weight_decay=c.weight_decay
            )
        case "adadelta":
            return torch.optim.Adadelta(params, lr=c.lr, rho=c.rho, eps=c.eps, weight_decay=c.weight_decay)
        case "adam":
            return torch.optim.Adam(params, lr=c.lr, betas=(c.beta1, c.beta2), eps=c.eps, weight_decay=c.weight_decay)
        case "adamw":
            return torch.optim.AdamW(params, lr=c.lr, betas=(c.beta1, c.beta2), eps=c.eps, weight_decay=c.weight_decay)
    raise ValueError(f"unknown optimizer {c.name!r}")


class Schedule:
    """The learning rate as a function of the step (and, for `plateau`, of the evaluations so far).

    It is recomputed from `base_lr` each step, so a live change of the learning rate simply sets base_lr.
    """

    def __init__(self, config: ScheduleConfig, base_lr: float, total_steps: int) -> None:
        self.config = config
        self.base_lr = base_lr
        self.total_steps = total_steps
        self.plateau_factor = 1.0  # product of the reductions so far (plateau only)
        self.best = math.inf
        self.bad_evals = 0

    def lr(self, step: int) -> float:
        c, t = self.config, step
        match c.name:
            case "constant":
                factor = 1.0
            case "step":
                factor = c.gamma ** (t // c.step_size)
            case "exponential":
                factor = c.gamma**t
            case "cosine":
                factor = _cosine(t / max(1, self.total_steps), c.min_lr_ratio)
            case "warmup_cosine":
                if t < c.warmup_steps:
                    factor = (t + 1) / c.warmup_steps
                else:
                    span = max(1, self.total_steps - c.warmup_steps)
                    factor = _cosine((t - c.warmup_steps) / span, c.min_lr_ratio)
            case "plateau":
                factor = self.plateau_factor
            case _:
                raise ValueError(f"unknown schedule {c.name!r}")
        return self.base_lr * factor

    def observe(self, test_loss: float) -> None:
        """An evaluation's test loss; on a plateau of `patience` evaluations, reduce by `factor`."""
        if self.config.name != "plateau":
            return
        if test_loss < self.best * (1 - 1e-4):
            self.best, self.bad_evals = test_loss, 0
        else:
            self.bad_evals += 1
            if self.bad_evals >= self.config.patience:
                self.plateau_factor *= self.config.factor
                self.bad_evals = 0

    def state_dict(self) -> dict:
        return {
            "base_lr": self.base_lr,
            "plateau_factor": self.plateau_factor,
            "best": self.best,
            "bad": self.bad_evals,
        }

    def load_state_dict(self, state: dict) -> None:
        self.base_lr, self.plateau_factor = state["base_lr"], state["plateau_factor"]
        self.best, self.bad_evals = state["best"], state["bad"]


def _cosine(progress: float, floor: float) -> float:
    progress = min(1.0, max(0.0, progress))
    return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress))


def clip_gradients(params: list[torch.nn.Parameter], config: ClippingConfig) -> None:
    if config.name == "norm":
        torch.nn.utils.clip_grad_norm_(params, config.max_norm, foreach=True)
    elif config.name == "value":
        torch.nn.utils.clip_grad_value_(params, config.clip_value, foreach=True)
