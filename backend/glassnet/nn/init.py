"""Initializers by registry name, applied to a weight tensor of any layer kind."""

import torch
from torch import nn

from glassnet.config import InitConfig
from glassnet.nn.activations import kaiming_nonlinearity


@torch.no_grad()
def init_weight(weight: torch.Tensor, config: InitConfig, activation: str) -> None:
    """Set a weight in place; `activation` is the one that follows the layer (for Kaiming's gain)."""
    match config.name:
        case "default":
            return  # what PyTorch's constructor already did
        case "zeros":
            nn.init.zeros_(weight)
        case "constant":
            nn.init.constant_(weight, config.value)
        case "normal":
            nn.init.normal_(weight, 0.0, config.std)
        case "uniform":
            nn.init.uniform_(weight, -config.bound, config.bound)
        case "xavier_uniform":
            nn.init.xavier_uniform_(weight, gain=config.gain)
        case "xavier_normal":
            nn.init.xavier_normal_(weight, gain=config.gain)
        case "kaiming_uniform" | "kaiming_normal":
            nonlinearity, slope = kaiming_nonlinearity(activation)
            fn = nn.init.kaiming_uniform_ if config.name == "kaiming_uniform" else nn.init.kaiming_normal_
            fn(weight, a=slope, mode=config.mode, nonlinearity=nonlinearity)
        case "orthogonal":
            nn.init.orthogonal_(weight, gain=config.gain)
        case "identity":
            if weight.dim() == 2:
                nn.init.eye_(weight)
            else:
                nn.init.dirac_(weight)
            weight.mul_(config.gain)
        case _:
            raise ValueError(f"unknown initializer {config.name!r}")


@torch.no_grad()
def init_bias(bias: torch.Tensor | None, config: InitConfig) -> None:
    if bias is None:
        return
    if config.bias == "zeros":
        nn.init.zeros_(bias)
    else:
        nn.init.constant_(bias, config.bias_value)
