"""Models: a config goes in, a plain nn.Module comes out.

Every model is a stack of probed blocks followed by a linear head; `blocks` and `head` are what the probe
instruments, `layer_info` is what the UI labels.
"""

import math
from dataclasses import dataclass

import torch
from torch import nn

from glassnet import registry
from glassnet.config import LayerOverride, ModelConfig
from glassnet.nn.activations import make_activation
from glassnet.nn.blocks import Block, RecurrentBlock
from glassnet.nn.init import init_bias, init_weight


@dataclass(frozen=True)
class LayerInfo:
    """What the UI needs to label a layer; frames list per-layer figures in this order."""

    index: int
    name: str
    kind: str  # linear, conv, rnn_tanh, rnn_relu, lstm, gru
    fan_in: int
    fan_out: int
    activation: str
    norm: str
    residual: bool


class Net(nn.Module):
    blocks: nn.ModuleList
    head: nn.Linear
    infos: list[LayerInfo]

    def layer_info(self) -> list[LayerInfo]:
        head = LayerInfo(
            len(self.blocks), "output", "linear", self.head.in_features, self.head.out_features, "none", "none", False
        )
        return [*self.infos, head]

    def layer_modules(self) -> list[nn.Module]:
        return [*self.blocks, self.head]

    def layer_weights(self) -> list[list[nn.Parameter]]:
        """The weight matrices of each layer (no biases, no norm parameters)."""
        return [*(_weights(block) for block in self.blocks), [self.head.get_parameter("weight")]]


def _weights(block: nn.Module) -> list[nn.Parameter]:
    if not isinstance(block, Block | RecurrentBlock):
        raise TypeError(f"a Net's blocks are Blocks or RecurrentBlocks, not {type(block).__name__}")
    return block.weights()


def _override(config: ModelConfig, index: int, key: str):
    for override in config.layers:
        if override.index == index and getattr(override, key) is not None:
            return getattr(override, key)
    return getattr(config, key)


def _norm(name: str, width: int, conv: bool) -> nn.Module | None:
    if name == "batch":
        return nn.BatchNorm2d(width) if conv else nn.BatchNorm1d(width)
    if name == "layer":
        return nn.GroupNorm(1, width) if conv else nn.LayerNorm(width)
    return None


def _dense_blocks(
    config: ModelConfig, n_in: int, first_index: int, scale: float
) -> tuple[list[Block], list[LayerInfo]]:
    blocks, infos = [], []
    for i, width in enumerate(config.hidden):
        index = first_index + i
        activation = _override(config, i, "activation")
        norm = _override(config, i, "norm")
        residual = _override(config, i, "residual")
        layer = nn.Linear(n_in, width)
        init_weight(layer.weight, config.init, activation)
        init_bias(layer.bias, config.init)
        skip = None
        if residual:
            skip = nn.Identity() if n_in == width else nn.Linear(n_in, width, bias=False)
        blocks.append(
            Block(
                layer,
                make_activation(activation, config),
                _norm(norm, width, conv=False),
                config.norm_position == "after",
                config.dropout,
                skip,
                scale,
            )
        )
        infos.append(LayerInfo(index, f"hidden {index + 1}", "linear", n_in, width, activation, norm, residual))
        n_in = width
    return blocks, infos


def _head(config: ModelConfig, n_in: int, n_outputs: int) -> nn.Linear:
    head = nn.Linear(n_in, n_outputs)
    init_weight(head.weight, config.init, "linear")
    init_bias(head.bias, config.init)
    return head


def _residual_scale(config: ModelConfig, n_blocks: int) -> float:
    return 1.0 / math.sqrt(max(1, n_blocks))


class MLP(Net):
    def __init__(self, input_shape: tuple[int, ...], n_outputs: int, config: ModelConfig) -> None:
        super().__init__()
        n_in = math.prod(input_shape)
        blocks, self.infos = _dense_blocks(config, n_in, 0, _residual_scale(config, len(config.hidden)))
        self.blocks = nn.ModuleList(blocks)
        self.head = _head(config, config.hidden[-1] if config.hidden else n_in, n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.flatten(1)
        for block in self.blocks:
            x = block(x)
        return self.head(x)


def _pools(config: ModelConfig, size: int) -> bool:
    """Whether a conv block whose input maps are size x size pools them (halving the size)."""
    return config.pooling != "none" and size >= 2


class CNN(Net):
    """Conv blocks (conv -> norm -> activation, residual -> pool) on (1, H, W) images, then dense blocks."""

    def __init__(self, input_shape: tuple[int, ...], n_outputs: int, config: ModelConfig) -> None:
        super().__init__()
        channels, size = input_shape[0], input_shape[1]
        blocks, self.infos = [], []
        scale = _residual_scale(config, len(config.channels))
        activation = config.activation
        for i, out in enumerate(config.channels):
            conv = nn.Conv2d(channels, out, config.kernel_size, padding=config.kernel_size // 2)
            init_weight(conv.weight, config.init, activation)
            init_bias(conv.bias, config.init)
            skip = None
            if config.residual:
                skip = nn.Identity() if channels == out else nn.Conv2d(channels, out, 1, bias=False)
            pool = None
            if _pools(config, size):
                pool = nn.MaxPool2d(2) if config.pooling == "max" else nn.AvgPool2d(2)
                size //= 2
            blocks.append(
                Block(
                    conv,
                    make_activation(activation, config),
                    _norm(config.norm, out, conv=True),
                    config.norm_position == "after",
                    0.0,
                    skip,
                    scale,
                    pool,
                )
            )
            self.infos.append(
                LayerInfo(i, f"conv {i + 1}", "conv", channels, out, activation, config.norm, config.residual)
            )
            channels = out
        self.n_conv = len(blocks)
        flat = channels * size * size
        dense, infos = _dense_blocks(config, flat, self.n_conv, _residual_scale(config, len(config.hidden)))
        self.infos += infos
        self.blocks = nn.ModuleList(blocks + dense)
        self.head = _head(config, config.hidden[-1] if config.hidden else flat, n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i, block in enumerate(self.blocks):
            if i == self.n_conv:
                x = x.flatten(1)
            x = block(x)
        if len(self.blocks) == self.n_conv:
            x = x.flatten(1)
        return self.head(x)


class RNN(Net):
    """Recurrent layers over (batch, T, d), the last step's state into dense blocks and the head."""

    def __init__(self, input_shape: tuple[int, ...], n_outputs: int, config: ModelConfig) -> None:
        super().__init__()
        n_in, hidden = input_shape[-1], config.rnn_hidden
        blocks: list[RecurrentBlock] = []
        self.infos = []
        activation = registry.find(registry.RNN_CELLS, config.cell).tags["activation"]
        for i in range(config.rnn_layers):
            block = RecurrentBlock(config.cell, n_in, hidden, config.dropout)
            for name, weight in block.rnn.named_parameters():
                if name.startswith("weight_ih"):
                    init_weight(weight, config.init, activation)
                elif name.startswith("weight_hh"):
                    init_weight(weight, config.recurrent_init, activation)
                else:
                    init_bias(weight, config.init)
                    if config.cell == "lstm" and name.startswith("bias_ih"):
                        # the forget gate starts open, as Keras' unit_forget_bias does (Jozefowicz et al. 2015)
                        with torch.no_grad():
                            weight[hidden : 2 * hidden] += 1.0
            blocks.append(block)
            self.infos.append(
                LayerInfo(i, f"{config.cell} {i + 1}", config.cell, n_in, hidden, activation, "none", False)
            )
            n_in = hidden
        self.n_recurrent = len(blocks)
        dense, infos = _dense_blocks(config, hidden, self.n_recurrent, _residual_scale(config, len(config.hidden)))
        self.infos += infos
        self.blocks = nn.ModuleList([*blocks, *dense])
        self.head = _head(config, config.hidden[-1] if config.hidden else hidden, n_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i, block in enumerate(self.blocks):
            x = block(x)
            if i == self.n_recurrent - 1:
                x = x[:, -1]  # the state after the last step
        return self.head(x)


def build_model(input_shape: tuple[int, ...], n_outputs: int, config: ModelConfig) -> Net:
    cls = {"mlp": MLP, "cnn": CNN, "rnn": RNN}[config.kind]
    return cls(input_shape, n_outputs, config)


def count_parameters(input_shape: tuple[int, ...], n_outputs: int, config: ModelConfig) -> int:
    """Parameters of the model the config describes, counted on the meta device (nothing is allocated)."""
    with torch.device("meta"):
        model = build_model(
            input_shape,
            n_outputs,
            config.model_copy(
                update={
                    "init": config.init.model_copy(update={"name": "default"}),
                    "recurrent_init": config.init.model_copy(update={"name": "default"}),
                }
            ),
        )
    return sum(p.numel() for p in model.parameters())


def mlp_parameters(input_shape: tuple[int, ...], n_outputs: int, config: ModelConfig) -> int | None:
    """For a CNN, the parameters of its "equivalent MLP": a dense layer in place of each conv block, with as
    many units as that block's output (channels x H x W after pooling), then the same dense layers and head.
    What the CNN saves by sharing weights and connecting locally. None for other models."""
    if config.kind != "cnn":
        return None
    size, widths = input_shape[1], []
    for channels in config.channels:
        size = size // 2 if _pools(config, size) else size
        widths.append(channels * size * size)
    n = len(widths)
    overrides = [LayerOverride(index=i, residual=False) for i in range(n)]  # a conv block's skip is a cheap 1x1
    overrides += [o.model_copy(update={"index": o.index + n}) for o in config.layers]
    dense = config.model_copy(update={"kind": "mlp", "hidden": [*widths, *config.hidden], "layers": overrides})
    return count_parameters(input_shape, n_outputs, dense)
