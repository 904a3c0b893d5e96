"""Optimizers by registry name."""

import torch

from glassnet.config import OptimizerConfig


def make_optimizer(params, config: OptimizerConfig) -> torch.optim.Optimizer:
    name = config.name
    if name == "sgd":
        return torch.optim.SGD(params, lr=config.lr)
    if name == "adam":
        return torch.optim.Adam(params, lr=config.lr)
    raise ValueError(f"unknown optimizer {name!r}")
