"""Activation modules by registry name."""

from torch import nn

_ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
}


def make_activation(name: str) -> nn.Module:
    return _ACTIVATIONS[name]()
