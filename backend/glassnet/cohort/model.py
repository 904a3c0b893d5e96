"""K nets of one architecture as one batched model: every parameter and buffer of the single model is held
stacked, with a leading member dimension (`Batched`), and the forward pass runs all members in the same batched
ops (`CohortMLP` here; other kinds of net in their own modules, chosen by `cohort/engine.py`).

The members are built as the single Trainer builds its model (nn/models.py, with the member's seed), so each
starts exactly where it would alone; `member_state` and `load_member` convert to and from the single model's
state_dict, which is how a member leaves the cohort (a checkpoint of its own) and how the probe reads it.
Where the blocks allow it, `fast` steps the members without autograd (cohort/fast.py).
"""

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from glassnet.cohort.fast import FastMLP, fallback_reason
from glassnet.nn.blocks import Block
from glassnet.nn.models import MLP, Net

Stacked = dict[str, torch.Tensor]


def linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """(K, B, in) x (K, out, in) -> (K, B, out): each member's own F.linear."""
    if bias is None:
        return torch.bmm(x, weight.transpose(1, 2))
    return torch.baddbmm(bias.unsqueeze(1), x, weight.transpose(1, 2))


class Batched:
    """What every batched model holds and does: the stacked parameters (leaves that train) and buffers of K
    single models of one architecture, each member's dropout, the probe's per-step hooks, and the conversions to
    and from a single model's state_dict. A kind of net adds its batched forward pass (`__call__`)."""

    def __init__(self, members: list[Net], dropouts: list[float]) -> None:
        self.template = members[0]
        self.k = len(members)
        states = [dict(m.named_parameters()) for m in members]
        self.names = list(states[0])
        self.params: Stacked = {
            n: torch.stack([s[n].detach() for s in states]).requires_grad_(True) for n in self.names
        }
        buffers = [dict(m.named_buffers()) for m in members]
        self.buffers: Stacked = {n: torch.stack([b[n] for b in buffers]) for n in buffers[0]}
        self.keep = [1 - p for p in dropouts]  # as Python floats: nn.Dropout draws with exactly these
        self.drops = any(p > 0 for p in dropouts)
        self.training = True
        self.blocks: list[nn.Module] = list(self.template.blocks)  # (the single model's: what each layer is)
        # per-step hooks of the probe (set only on measured steps): a layer's output (by layer index), and
        # batch-norm inputs
        self.on_output: Callable[[int, torch.Tensor], None] | None = None
        self.on_norm_input: Callable[[int, torch.Tensor], None] | None = None
        # the training step without autograd (cohort/fast.py), where a kind of net has one; else why not
        self.fast: FastMLP | None = None
        self.fast_reason: str | None = f"no step without autograd for a {type(self.template).__name__}"

    @property
    def parameters(self) -> list[torch.Tensor]:
        return [self.params[n] for n in self.names]

    def __call__(self, x: torch.Tensor, generators: list[torch.Generator] | None = None) -> torch.Tensor:
        """(K, B, *input) -> (K, B, outputs). In training, dropout masks come from each member's `generators`,
        drawn as the single model's nn.Dropout draws them."""
        raise NotImplementedError

    def _dropout(self, h: torch.Tensor, generators: list[torch.Generator] | None) -> torch.Tensor:
        assert generators is not None, "dropout in training draws from each member's generator"
        return h * self.dropout_mask(h.shape[1:], generators)

    def dropout_mask(self, shape: torch.Size, generators: list[torch.Generator]) -> torch.Tensor:
        """(K, *shape): each member's dropout mask, drawn from its generator as F.dropout draws it on a CPU (a
        Bernoulli(1 - p) mask divided by 1 - p)."""
        masks = [
            torch.empty(shape).bernoulli_(keep, generator=g).div_(keep) if keep < 1 else torch.ones(shape)
            for keep, g in zip(self.keep, generators, strict=True)
        ]
        return torch.stack(masks)

    # ---- dense blocks and the head, as every kind of net ends
    def _dense(self, x: torch.Tensor, first: int, generators: list[torch.Generator] | None) -> torch.Tensor:
        """(K, B, width) through the dense blocks from index `first` on (an MLP's all; a CNN's or RNN's after its
        conv or recurrent ones), each output to the probe's hook."""
        for i in range(first, len(self.blocks)):
            block = self.blocks[i]
            assert isinstance(block, Block)
            x = self._dense_block(i, block, x, generators)
            if self.on_output is not None:
                self.on_output(i, x)
        return x

    def _head(self, x: torch.Tensor) -> torch.Tensor:
        out = linear(x, self.params["head.weight"], self.params["head.bias"])
        if self.on_output is not None:
            self.on_output(len(self.blocks), out)
        return out

    def _dense_block(
        self, i: int, block: Block, x: torch.Tensor, generators: list[torch.Generator] | None
    ) -> torch.Tensor:
        p = f"blocks.{i}."
        h = linear(x, self.params[p + "layer.weight"], self.params.get(p + "layer.bias"))
        if block.norm is not None and not block.norm_after:
            h = self._norm(i, block.norm, h)
        h = self._activation(i, block.act, h, generators)
        if block.norm is not None and block.norm_after:
            h = self._norm(i, block.norm, h)
        if block.skip is not None:
            skip = self.params.get(p + "skip.weight")
            h = (x if skip is None else linear(x, skip, None)) + block.residual_scale * h
        if self.drops and self.training:
            h = self._dropout(h, generators)
        return h

    def _activation(
        self, i: int, act: nn.Module, h: torch.Tensor, generators: list[torch.Generator] | None
    ) -> torch.Tensor:
        if isinstance(act, nn.PReLU):  # its slope is a parameter of each member
            slope = self.params[f"blocks.{i}.act.weight"].view(-1, 1, 1)
            return torch.where(h > 0, h, slope * h)
        if isinstance(act, nn.RReLU) and self.training:
            assert generators is not None, "RReLU in training draws from each member's generator"
            return torch.stack([_rrelu(act, h[k], g) for k, g in enumerate(generators)])
        return act(h)  # every other activation is elementwise and parameter-free

    def _norm(self, i: int, norm: nn.Module, h: torch.Tensor) -> torch.Tensor:
        p = f"blocks.{i}.norm."
        weight, bias = self.params[p + "weight"], self.params[p + "bias"]
        if self.on_norm_input is not None:
            self.on_norm_input(i, h)
        if isinstance(norm, nn.BatchNorm1d):
            # the members' channels side by side: (B, K * width) is exactly K single batch norms
            k, b, width = h.shape
            flat = h.transpose(0, 1).reshape(b, k * width)
            out = F.batch_norm(
                flat,
                self.buffers[p + "running_mean"].view(-1),
                self.buffers[p + "running_var"].view(-1),
                weight.reshape(-1),
                bias.reshape(-1),
                self.training,
                norm.momentum if norm.momentum is not None else 0.1,
                norm.eps,
            )
            if self.training:
                self.buffers[p + "num_batches_tracked"].add_(1)
            return out.reshape(b, k, width).transpose(0, 1)
        assert isinstance(norm, nn.LayerNorm)
        # normalised as the fused kernel does, then each member's scale and shift (its gradients round differently
        # in the last bits, within round-off)
        return F.layer_norm(h, h.shape[-1:], None, None, norm.eps) * weight.unsqueeze(1) + bias.unsqueeze(1)

    # ---- members as single models
    def member_state(self, k: int) -> dict[str, torch.Tensor]:
        """Member k's state_dict, as its single model would have it."""
        return {
            **{n: t[k].detach().clone() for n, t in self.params.items()},
            **{n: t[k].clone() for n, t in self.buffers.items()},
        }

    @torch.no_grad()
    def load_member(self, k: int, into: nn.Module) -> None:
        """Member k's weights and buffers into a single model of the same architecture (the probe's view)."""
        params, buffers = dict(into.named_parameters()), dict(into.named_buffers())
        for n, t in self.params.items():
            params[n].copy_(t[k])
            grad = t.grad
            params[n].grad = None if grad is None else grad[k]
        for n, t in self.buffers.items():
            buffers[n].copy_(t[k])

    def extend(self, other: "Batched") -> None:
        """`other`'s members after these (same architecture)."""
        self.params = {
            n: torch.cat([t.detach(), other.params[n].detach()]).requires_grad_(True) for n, t in self.params.items()
        }
        self.buffers = {n: torch.cat([t, other.buffers[n]]) for n, t in self.buffers.items()}
        self.keep = self.keep + other.keep
        self.drops = any(p < 1 for p in self.keep)
        self.k = len(self.keep)

    def select(self, members: list[int]) -> None:
        """Only `members` (by index, in that order) from here on."""
        index = torch.tensor(members, dtype=torch.long)
        self.params = {n: t.detach()[index].requires_grad_(True) for n, t in self.params.items()}
        self.buffers = {n: t[index] for n, t in self.buffers.items()}
        self.keep = [self.keep[k] for k in members]
        self.drops = any(p < 1 for p in self.keep)
        self.k = len(members)


class CohortMLP(Batched):
    """K MLPs: their batched forward pass, and the step without autograd where the blocks allow it."""

    def __init__(self, members: list[Net], dropouts: list[float]) -> None:
        if not isinstance(members[0], MLP):
            raise TypeError("CohortMLP batches MLPs")
        super().__init__(members, dropouts)
        self.fast_reason = fallback_reason(self.blocks)
        self.fast = FastMLP(self) if self.fast_reason is None else None

    def __call__(self, x: torch.Tensor, generators: list[torch.Generator] | None = None) -> torch.Tensor:
        """(K, B, *input) -> (K, B, outputs). In training, dropout masks come from each member's `generators`,
        drawn as the single model's nn.Dropout draws them."""
        return self._head(self._dense(x.flatten(2), 0, generators))


def _rrelu(act: nn.RReLU, h: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """RReLU in training for one member, exactly as its single model draws it: the kernel draws each slope from
    torch's default generator, element by element, so that generator is given the member's state for the call
    (and the member's generator takes the state it leaves)."""
    default = torch.default_generator
    saved = default.get_state()
    default.set_state(generator.get_state())
    try:
        out = act(h)
        generator.set_state(default.get_state())
    finally:
        default.set_state(saved)
    return out
