"""Activation modules by registry name, with the model's activation parameters."""

from torch import nn

from glassnet.config import ModelConfig


def make_activation(name: str, config: ModelConfig) -> nn.Module:
    match name:
        case "relu":
            return nn.ReLU()
        case "leaky_relu":
            return nn.LeakyReLU(config.slope)
        case "prelu":
            return nn.PReLU(num_parameters=1, init=0.25)
        case "rrelu":
            return nn.RReLU()
        case "elu":
            return nn.ELU(config.alpha)
        case "selu":
            return nn.SELU()
        case "gelu":
            return nn.GELU()
        case "silu":
            return nn.SiLU()
        case "softplus":
            return nn.Softplus(beta=config.beta)
        case "sigmoid":
            return nn.Sigmoid()
        case "tanh":
            return nn.Tanh()
        case "linear":
            return nn.Identity()
    raise ValueError(f"unknown activation {name!r}")


def kaiming_nonlinearity(name: str) -> tuple[str, float]:
    """The nonlinearity (and leaky slope) whose gain torch.nn.init should use for this activation."""
    if name in ("leaky_relu", "prelu", "rrelu"):
        return "leaky_relu", {"prelu": 0.25, "rrelu": (1 / 8 + 1 / 3) / 2}.get(name, 0.01)
    if name in ("relu", "elu", "gelu", "silu", "softplus"):
        return "relu", 0.0
    if name in ("tanh", "sigmoid", "selu", "linear"):
        return name, 0.0
    return "relu", 0.0
