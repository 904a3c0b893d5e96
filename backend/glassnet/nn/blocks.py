"""A block: Linear/Conv -> (Norm) -> Activation -> (Norm) -> (Dropout), with an optional scaled residual,
and a recurrent block for RNNs. The probe reads each block's output and its activation's output."""

import torch
from torch import nn


class Block(nn.Module):
    """One probed layer of an MLP or CNN.

    `layer` is the Linear or Conv2d; `skip` is the residual path (nn.Identity where shapes match, a learned
    projection where not, None without residual); the branch is scaled by `residual_scale` so the
    residual stream does not grow geometrically with depth.
    """

    def __init__(
        self,
        layer: nn.Linear | nn.Conv2d,
        act: nn.Module,
        norm: nn.Module | None = None,
        norm_after: bool = False,
        dropout: float = 0.0,
        skip: nn.Module | None = None,
        residual_scale: float = 1.0,
        pool: nn.Module | None = None,
    ) -> None:
        super().__init__()
        self.layer = layer
        self.norm = norm
        self.norm_after = norm_after
        self.act = act
        self.skip = skip
        self.residual_scale = residual_scale
        self.pool = pool
        self.dropout = nn.Dropout(dropout) if dropout > 0 else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.layer(x)
        if self.norm is not None and not self.norm_after:
            h = self.norm(h)
        h = self.act(h)
        if self.norm is not None and self.norm_after:
            h = self.norm(h)
        if self.skip is not None:
            h = self.skip(x) + self.residual_scale * h
        if self.pool is not None:
            h = self.pool(h)
        if self.dropout is not None:
            h = self.dropout(h)
        return h

    def weights(self) -> list[nn.Parameter]:
        return [self.layer.get_parameter("weight")]


class RecurrentBlock(nn.Module):
    """One recurrent layer over the whole sequence: (batch, T, in) -> (batch, T, hidden)."""

    def __init__(self, cell: str, n_in: int, hidden: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.cell = cell
        if cell == "lstm":
            self.rnn: nn.RNNBase = nn.LSTM(n_in, hidden, batch_first=True)
        elif cell == "gru":
            self.rnn = nn.GRU(n_in, hidden, batch_first=True)
        else:
            self.rnn = nn.RNN(n_in, hidden, nonlinearity=cell.removeprefix("rnn_"), batch_first=True)
        self.act = nn.Identity()  # the recurrence's own non-linearity is inside the cell
        self.dropout = nn.Dropout(dropout) if dropout > 0 else None  # between layers, never through time

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x)
        out = self.act(out)
        return self.dropout(out) if self.dropout is not None else out

    def weights(self) -> list[nn.Parameter]:
        return [self.rnn.get_parameter("weight_ih_l0"), self.rnn.get_parameter("weight_hh_l0")]
