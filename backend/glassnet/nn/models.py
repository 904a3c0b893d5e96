"""Models. A config goes in, a plain nn.Module comes out."""

import itertools
from dataclasses import dataclass

import torch
from torch import nn

from glassnet.config import ModelConfig
from glassnet.nn.activations import make_activation


@dataclass(frozen=True)
class LayerInfo:
    """What the UI needs to label a layer; frames list per-layer figures in this order."""

    index: int
    name: str
    kind: str
    fan_in: int
    fan_out: int
    activation: str


class Block(nn.Module):
    """Linear -> activation."""

    def __init__(self, fan_in: int, fan_out: int, activation: str) -> None:
        super().__init__()
        self.linear = nn.Linear(fan_in, fan_out)
        self.act = make_activation(activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.linear(x))


class MLP(nn.Module):
    def __init__(self, n_inputs: int, n_outputs: int, config: ModelConfig) -> None:
        super().__init__()
        widths = [n_inputs, *config.hidden]
        self.activation = config.activation
        self.blocks = nn.ModuleList(Block(a, b, self.activation) for a, b in itertools.pairwise(widths))
        self.head = nn.Linear(widths[-1], n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = block(x)
        return self.head(x)

    def forward_layers(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The output of every layer (hidden blocks, then the head), for the probe."""
        outputs = []
        for block in self.blocks:
            x = block(x)
            outputs.append(x)
        outputs.append(self.head(x))
        return outputs

    def layer_weights(self) -> list[nn.Parameter]:
        return [block.linear.weight for block in self.blocks] + [self.head.weight]

    def layer_info(self) -> list[LayerInfo]:
        infos = [
            LayerInfo(i, f"hidden {i + 1}", "linear", b.linear.in_features, b.linear.out_features, self.activation)
            for i, b in enumerate(self.blocks)
        ]
        infos.append(
            LayerInfo(len(self.blocks), "output", "linear", self.head.in_features, self.head.out_features, "none")
        )
        return infos


def build_model(n_inputs: int, n_outputs: int, config: ModelConfig) -> MLP:
    return MLP(n_inputs, n_outputs, config)
