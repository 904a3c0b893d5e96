"""K CNNs of one architecture as one batched model: the conv blocks run as grouped convolutions.

The members' feature maps lie side by side along the channel axis, (B, K * C, H, W), member k's channels at
k * C .. (k + 1) * C. In that layout every op of a conv block is exactly K single ops in one call:
  - the convolution is F.conv2d with groups=K and the stacked weights (K, out, C, kh, kw) seen as (K * out, C, kh,
    kw): group k reads member k's channels with member k's filters;
  - BatchNorm2d normalises each channel over (B, H, W): F.batch_norm over the K * C channels, with the stacked
    running statistics (K, C) seen flat (updated in place, as the MLP's BatchNorm1d is);
  - GroupNorm(1, C) normalises each member's (C, H, W): F.group_norm with K groups, the affine parameters flat;
  - elementwise activations, the residual sum and per-channel pooling need nothing per member but PReLU's slope
    (one per member, repeated over its channels) and RReLU's draws (each member's from its own stream);
  - a residual projection (a 1x1 conv without bias) is a grouped conv too.
The conv blocks' outputs are then flattened per member in the single model's (C, H, W) order into (K, B, C*H*W),
and the dense blocks and head are the MLP's (cohort/model.py). Each conv block's output goes to the probe's hook
as (K, B, C, H, W), a view whose gradient is each member's dL/d(output) (so act_grad_norm is a single run's); a
batch norm's input goes to its hook as (K, B*H*W, C), whose mean and variance over dim 1 are the single probe's
per-channel batch statistics.
"""

import torch
import torch.nn.functional as F
from torch import nn

from glassnet.cohort.model import Batched, _rrelu
from glassnet.nn.blocks import Block
from glassnet.nn.models import CNN, Net


class CohortCNN(Batched):
    """K CNNs: conv blocks as grouped convolutions on the members' channels side by side, then dense blocks."""

    def __init__(self, members: list[Net], dropouts: list[float]) -> None:
        template = members[0]
        if not isinstance(template, CNN):
            raise TypeError("CohortCNN batches CNNs")
        super().__init__(members, dropouts)
        self.n_conv = template.n_conv
        self.fast_reason = "a CNN steps through autograd (grouped convolutions)"

    def __call__(self, x: torch.Tensor, generators: list[torch.Generator] | None = None) -> torch.Tensor:
        """(K, B, C, H, W) -> (K, B, outputs)."""
        k, b = x.shape[0], x.shape[1]
        h = x.transpose(0, 1).reshape(b, k * x.shape[2], *x.shape[3:])
        for i in range(self.n_conv):
            block = self.blocks[i]
            assert isinstance(block, Block)
            h = self._conv_block(i, block, h, generators)
        flat = h.reshape(b, k, -1).transpose(0, 1)  # each member's (C, H, W) flattened as x.flatten(1) does
        return self._head(self._dense(flat, self.n_conv, generators))

    def _conv_block(
        self, i: int, block: Block, x: torch.Tensor, generators: list[torch.Generator] | None
    ) -> torch.Tensor:
        """(B, K * C_in, H, W) -> (B, K * C_out, H', W'): Block.forward of every member."""
        p = f"blocks.{i}."
        h = self._grouped_conv(x, self.params[p + "layer.weight"], self.params[p + "layer.bias"])
        if block.norm is not None and not block.norm_after:
            h = self._norm2d(i, block.norm, h)
        h = self._activation2d(i, block.act, h, generators)
        if block.norm is not None and block.norm_after:
            h = self._norm2d(i, block.norm, h)
        if block.skip is not None:
            skip = self.params.get(p + "skip.weight")
            h = (x if skip is None else self._grouped_conv(x, skip, None)) + block.residual_scale * h
        if block.pool is not None:
            h = block.pool(h)  # max or average pooling is per channel
        if self.on_output is not None:
            # the probe's hook sees (K, B, C, H, W); the forward pass goes on through that view, so its gradient
            # is recorded (the view back to the side-by-side layout copies nothing)
            b, _, height, width = h.shape
            members = h.view(b, self.k, -1, height, width).transpose(0, 1)
            self.on_output(i, members)
            h = members.transpose(0, 1).reshape(h.shape)
        return h

    def _grouped_conv(self, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        """Each member's conv (stride 1, 'same' padding) on its own channels: weight (K, out, C, kh, kw)."""
        kernel = weight.shape[-1]
        return F.conv2d(
            x,
            weight.reshape(-1, *weight.shape[2:]),
            None if bias is None else bias.reshape(-1),
            padding=kernel // 2,
            groups=self.k,
        )

    def _norm2d(self, i: int, norm: nn.Module, h: torch.Tensor) -> torch.Tensor:
        p = f"blocks.{i}.norm."
        weight, bias = self.params[p + "weight"].reshape(-1), self.params[p + "bias"].reshape(-1)
        if isinstance(norm, nn.BatchNorm2d):
            if self.on_norm_input is not None:
                b, _, height, width = h.shape
                channels = h.detach().view(b, self.k, -1, height, width).permute(1, 0, 3, 4, 2)
                self.on_norm_input(i, channels.reshape(self.k, b * height * width, -1))
            out = F.batch_norm(
                h,
                self.buffers[p + "running_mean"].view(-1),
                self.buffers[p + "running_var"].view(-1),
                weight,
                bias,
                self.training,
                norm.momentum if norm.momentum is not None else 0.1,
                norm.eps,
            )
            if self.training:
                self.buffers[p + "num_batches_tracked"].add_(1)
            return out
        assert isinstance(norm, nn.GroupNorm) and norm.num_groups == 1
        return F.group_norm(h, self.k, weight, bias, norm.eps)

    def _activation2d(
        self, i: int, act: nn.Module, h: torch.Tensor, generators: list[torch.Generator] | None
    ) -> torch.Tensor:
        if isinstance(act, nn.PReLU):  # one slope per member, over all its channels
            slope = self.params[f"blocks.{i}.act.weight"].reshape(self.k, 1)
            channels = h.shape[1] // self.k
            return torch.where(h > 0, h, slope.expand(self.k, channels).reshape(1, -1, 1, 1) * h)
        if isinstance(act, nn.RReLU) and self.training:
            assert generators is not None, "RReLU in training draws from each member's generator"
            parts = h.chunk(self.k, 1)  # (each member's channels, made contiguous: drawn in its single order)
            return torch.cat([_rrelu(act, part.contiguous(), g) for part, g in zip(parts, generators, strict=True)], 1)
        return act(h)
