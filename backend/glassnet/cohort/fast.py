"""A cohort's step without autograd, for the MLPs where a hand-written backward is simple and exact: Linear blocks
with an elementwise activation (and PReLU), an optional scaled residual, dropout, the head and every member loss of
cohort/objective.py, plus L1. On the tiny nets of the playground autograd's per-op bookkeeping costs more than the
arithmetic, so this forward keeps what its backward needs and the backward writes each parameter's `.grad` itself.

Each gradient is computed with the formula (mostly the very kernel, through torch.ops.aten) that autograd's
backward uses, in the same order, so the gradients are autograd's within float32 round-off (the forward is the
batched model's op for op: the losses are the same). Norms fall back to autograd (`fallback_reason`).
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from glassnet.cohort.gradmode import without_grad
from glassnet.nn.blocks import Block
from glassnet.train.losses import Objective

if TYPE_CHECKING:
    from glassnet.cohort.model import CohortMLP

aten = torch.ops.aten
# the constants ATen's selu passes to elu (aten/src/ATen/native/Activation.cpp)
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

Forward = Callable[[Tensor], Tensor]
Backward = Callable[[Tensor, Tensor, Tensor], Tensor]  # (grad of the output, input, output) -> grad of the input
# (logits, targets, smoothing) -> (each member's loss (K,), the gradient of their sum with respect to the logits)
LossAndGrad = Callable[[Tensor, Tensor, Tensor | None], tuple[Tensor, Tensor]]


def _activation(act: nn.Module) -> tuple[Forward, Backward] | None:
    """The forward the module computes and autograd's backward for it (derivatives.yaml), or None if not elementwise
    and parameter-free (PReLU is handled by its block)."""
    if isinstance(act, nn.Identity):
        return (lambda h: h), (lambda g, h, y: g)
    if isinstance(act, nn.ReLU):
        return torch.relu, lambda g, h, y: aten.threshold_backward.default(g, y, 0)
    if isinstance(act, nn.LeakyReLU):
        slope = act.negative_slope
        return (
            lambda h: torch._C._nn.leaky_relu(h, slope),
            lambda g, h, y: aten.leaky_relu_backward.default(g, h, slope, False),
        )
    if isinstance(act, nn.ELU):
        alpha = act.alpha
        return (
            lambda h: torch._C._nn.elu(h, alpha),
            lambda g, h, y: aten.elu_backward.default(g, alpha, 1, 1, False, h),
        )
    if isinstance(act, nn.SELU):  # torch.selu is elu with SELU's constants: its backward is elu's
        return torch.selu, lambda g, h, y: aten.elu_backward.default(g, SELU_ALPHA, SELU_SCALE, 1, False, h)
    if isinstance(act, nn.GELU):
        approximate = act.approximate
        return (
            lambda h: torch._C._nn.gelu(h, approximate=approximate),
            lambda g, h, y: aten.gelu_backward.default(g, h, approximate=approximate),
        )
    if isinstance(act, nn.SiLU):
        return torch._C._nn.silu, lambda g, h, y: aten.silu_backward.default(g, h)
    if isinstance(act, nn.Softplus):
        beta, threshold = act.beta, act.threshold
        return (
            lambda h: torch._C._nn.softplus(h, beta, threshold),
            lambda g, h, y: aten.softplus_backward.default(g, h, beta, threshold),
        )
    if isinstance(act, nn.Sigmoid):
        return torch.sigmoid, lambda g, h, y: aten.sigmoid_backward.default(g, y)
    if isinstance(act, nn.Tanh):
        return torch.tanh, lambda g, h, y: aten.tanh_backward.default(g, y)
    return None


def fallback_reason(blocks: list[nn.Module]) -> str | None:
    """Why a cohort of these blocks steps through autograd; None when it takes the fast path."""
    for i, block in enumerate(blocks):
        if not isinstance(block, Block):
            return f"block {i} is a {type(block).__name__}"
        if isinstance(block.norm, nn.BatchNorm1d):
            return f"block {i} has batch norm"
        if block.norm is not None:
            return f"block {i} has {type(block.norm).__name__}"
        if block.pool is not None:
            return f"block {i} pools"
        if not isinstance(block.layer, nn.Linear):
            return f"block {i} is not Linear"
        if not isinstance(block.act, nn.PReLU) and _activation(block.act) is None:
            return f"block {i}'s activation {type(block.act).__name__} has no hand-written backward"
    return None


@dataclass(frozen=True, slots=True)
class _Block:
    """What one block's forward and backward need, resolved once: parameter names, activation, residual."""

    weight: str
    bias: str | None
    forward: Forward | None  # None: PReLU, whose slope is `slope`
    backward: Backward | None
    slope: str | None
    residual: bool
    projection: str | None  # the skip's weight (None: identity skip)
    scale: float


def _block_spec(i: int, block: Block, names: set[str]) -> _Block:
    prefix = f"blocks.{i}."
    functions = None if isinstance(block.act, nn.PReLU) else _activation(block.act)
    forward, backward = functions if functions is not None else (None, None)
    bias = prefix + "layer.bias"
    projection = prefix + "skip.weight"
    return _Block(
        weight=prefix + "layer.weight",
        bias=bias if bias in names else None,
        forward=forward,
        backward=backward,
        slope=prefix + "act.weight" if functions is None else None,
        residual=block.skip is not None,
        projection=projection if block.skip is not None and projection in names else None,
        scale=block.residual_scale,
    )


@dataclass(frozen=True, slots=True)
class _Layer:
    """A block's parameter tensors of the moment and the views its ops take."""

    weight: Tensor
    weight_t: Tensor
    bias_column: Tensor | None
    projection: Tensor | None
    projection_t: Tensor | None
    slope: Tensor | None
    slope_column: Tensor | None

    @staticmethod
    def of(spec: _Block, params: dict[str, Tensor]) -> "_Layer":
        weight = params[spec.weight]
        projection = None if spec.projection is None else params[spec.projection]
        slope = None if spec.slope is None else params[spec.slope]
        return _Layer(
            weight,
            weight.transpose(1, 2),
            None if spec.bias is None else params[spec.bias].unsqueeze(1),
            projection,
            None if projection is None else projection.transpose(1, 2),
            slope,
            None if slope is None else slope.view(-1, 1, 1),
        )


def _linear(x: Tensor, weight_t: Tensor, bias_column: Tensor | None) -> Tensor:
    """As cohort/model.py's linear, op for op, from the views it takes: weight.transpose(1, 2), bias.unsqueeze(1)."""
    if bias_column is None:
        return torch.bmm(x, weight_t)
    return torch.baddbmm(bias_column, x, weight_t)


@functools.lru_cache(maxsize=256)
def _reciprocal(n: int, dtype: torch.dtype) -> float:
    """1 / n rounded as the dtype rounds it: what a mean's backward divides a gradient of 1 into."""
    return float(torch.ones((), dtype=dtype) / n)


class FastMLP:
    """A CohortMLP's training step (forward, member losses, backward) without autograd."""

    def __init__(self, model: "CohortMLP") -> None:
        reason = fallback_reason(model.blocks)
        if reason is not None:
            raise ValueError(f"no fast path: {reason}")
        self.model = model
        names = set(model.params)
        self.blocks = [_block_spec(i, b, names) for i, b in enumerate(model.blocks) if isinstance(b, Block)]
        self.l1_weights = [b.weight for b in self.blocks] + ["head.weight"]  # what the engine's L1 penalizes
        self._objective: Objective | None = None
        self._loss: LossAndGrad = _regression
        self._key: tuple[int, ...] = ()
        self._cached: list[_Layer] = []
        self._ce_key: tuple[Tensor, int, int] | None = None
        self._ce_grads = (torch.empty(0), torch.empty(0))

    def _loss_for(self, objective: Objective) -> LossAndGrad:
        if objective is not self._objective:
            self._objective = objective
            if objective.task == "regression":
                self._loss = _regression
            elif objective.task == "binary":
                self._loss = _binary_mse if objective.loss == "mse" else _binary_bce
            else:
                self._loss = _softmax_mse if objective.loss == "mse" else self._cross_entropy
        return self._loss

    def _layers(self, params: dict[str, Tensor]) -> list["_Layer"]:
        """Each block's parameters (and the head's, last) with the views the ops take, made again only when the
        parameter tensors change (members leave or join): the optimizer updates them in place, so views stay."""
        key = tuple(map(id, params.values()))
        if key != self._key:
            heads = [_Block("head.weight", "head.bias", None, None, None, False, None, 1.0)]
            self._cached = [_Layer.of(spec, params) for spec in [*self.blocks, *heads]]
            self._key = key  # (the cached views hold the tensors: their ids are not reused meanwhile)
        return self._cached

    @without_grad
    def step(
        self,
        objective: Objective,
        x: Tensor,
        y: Tensor,
        generators: list[torch.Generator],
        smoothing: Tensor | None,
        l1: Tensor | None,
    ) -> Tensor:
        """Each member's loss on its batch (K,), as member_losses(objective, model(x, generators), y, smoothing),
        with every parameter's `.grad` set to the gradient of their sum (plus each member's L1 penalty)."""
        model = self.model
        params = model.params
        layers = self._layers(params)
        drops = model.drops and model.training
        if x.dim() != 3:
            x = x.flatten(2)
        saved: list[tuple[Tensor, Tensor, Tensor, Tensor | None]] = []  # per block: input, pre-activation, act, mask
        for spec, layer in zip(self.blocks, layers, strict=False):
            h = _linear(x, layer.weight_t, layer.bias_column)
            a = spec.forward(h) if spec.forward is not None else torch.where(h > 0, h, layer.slope_column * h)  # type: ignore[operator]
            out = a
            if spec.residual:
                skip = x if layer.projection_t is None else torch.bmm(x, layer.projection_t)
                out = skip + spec.scale * a
            mask = None
            if drops:
                mask = model.dropout_mask(out.shape[1:], generators)
                out = out * mask
            saved.append((x, h, a, mask))
            x = out
        head = layers[-1]
        losses, grad = self._loss_for(objective)(_linear(x, head.weight_t, head.bias_column), y, smoothing)

        grads: dict[str, Tensor] = {"head.weight": torch.bmm(grad.mT, x), "head.bias": grad.sum(1)}
        grad = torch.bmm(grad, head.weight)
        for i in range(len(self.blocks) - 1, -1, -1):
            spec, layer = self.blocks[i], layers[i]
            x, h, a, mask = saved[i]
            if mask is not None:
                grad = grad * mask
            skip_grad = None
            if spec.residual:
                if layer.projection is None:
                    skip_grad = grad
                else:
                    grads[spec.projection] = torch.bmm(grad.mT, x)  # type: ignore[index]
                    if i > 0:
                        skip_grad = torch.bmm(grad, layer.projection)
                grad = grad * spec.scale
            if spec.backward is not None:
                grad = spec.backward(grad, h, a)
            else:  # PReLU: torch.where's backward, then the product's (derivatives.yaml)
                cond = h > 0
                below = torch.where(cond, 0, grad)
                grads[spec.slope] = (below * h).sum((1, 2)).view(layer.slope.shape)  # type: ignore[index,union-attr]
                grad = torch.where(cond, grad, below * layer.slope_column)  # type: ignore[operator]
            grads[spec.weight] = torch.bmm(grad.mT, x)
            if spec.bias is not None:
                grads[spec.bias] = grad.sum(1)
            if i > 0:
                grad = torch.bmm(grad, layer.weight)
                if skip_grad is not None:
                    grad = grad + skip_grad
        if l1 is not None:  # the penalty's gradient: l1 * sgn(w), as abs's backward
            penalty = l1.view(-1, 1, 1)
            for name in self.l1_weights:
                grads[name] = grads[name] + penalty * torch.sgn(params[name])
        for name, tensor in params.items():
            tensor.grad = grads[name]
        return losses

    # ---- cross-entropy: its per-member constants depend on the smoothing tensor only
    def _cross_entropy(self, logits: Tensor, y: Tensor, smoothing: Tensor | None) -> tuple[Tensor, Tensor]:
        logp = torch.log_softmax(logits, -1)
        index = y.unsqueeze(-1)
        nll = -logp.gather(-1, index).squeeze(-1).mean(1)
        k, b, n = logp.shape
        if smoothing is None:
            losses = nll
            # gather's backward: zeros with the gradient scattered in; the gradient: ones, negated, / B
            grad_logp = torch.zeros_like(logp).scatter_(-1, index, -_reciprocal(b, logp.dtype))
        else:
            uniform = -logp.mean(-1).mean(1)
            s = smoothing.squeeze(1)
            losses = (1 - s) * nll + s * uniform
            on_target, everywhere = self._smoothed_ce_grads(smoothing, b, n)
            grad_logp = everywhere.expand(k, b, n).clone().scatter_add_(-1, index, on_target.expand(k, b, 1))
        return losses, torch._log_softmax_backward_data(grad_logp, logp, -1, logp.dtype)

    def _smoothed_ce_grads(self, smoothing: Tensor, b: int, n: int) -> tuple[Tensor, Tensor]:
        """(K, 1, 1) each: the nll part's gradient on the target log-probability, -(1 - s) / B, and the uniform
        part's on every one, -s / B / C (divided as the means' backward divides); made again only when the
        members' smoothing or the batch's shape changes."""
        key = self._ce_key
        if key is None or key[0] is not smoothing or key[1] != b or key[2] != n:
            s = smoothing.view(-1, 1, 1)
            self._ce_grads = (-(1 - s) / b, -s / b / n)
            self._ce_key = (smoothing, b, n)
        return self._ce_grads


# what F.mse_loss calls, without its broadcast (the shapes here are equal); it takes the reduction as an int
# (0: none), whatever its stub says
_squared_error: Callable[[Tensor, Tensor, int], Tensor] = torch._C._nn.mse_loss  # type: ignore[assignment]


def _regression(logits: Tensor, y: Tensor, smoothing: Tensor | None) -> tuple[Tensor, Tensor]:
    out = logits.squeeze(-1)
    losses = _squared_error(out, y, 0).mean(1)
    # mse_loss_backward: 2 * (x - t) * grad, the grad 1 / B (times 2: exact)
    return losses, ((out - y) * (2 * _reciprocal(out.shape[1], out.dtype))).unsqueeze(-1)


def _binary_target(y: Tensor, smoothing: Tensor | None) -> Tensor:
    y = y if y.dtype is torch.float32 else y.float()  # (the engine's binary targets are floats already)
    return y if smoothing is None else y * (1 - smoothing) + 0.5 * smoothing


def _binary_bce(logits: Tensor, y: Tensor, smoothing: Tensor | None) -> tuple[Tensor, Tensor]:
    target = _binary_target(y, smoothing)
    logit = logits.squeeze(-1)
    losses = torch.binary_cross_entropy_with_logits(logit, target, None, None, 0).mean(1)
    # binary_cross_entropy_with_logits_backward: (sigmoid(x) - t) * grad
    grad = (torch.sigmoid(logit) - target) * _reciprocal(logit.shape[1], logit.dtype)
    return losses, grad.unsqueeze(-1)


def _binary_mse(logits: Tensor, y: Tensor, smoothing: Tensor | None) -> tuple[Tensor, Tensor]:
    target = _binary_target(y, smoothing)
    p = torch.sigmoid(logits.squeeze(-1))
    losses = _squared_error(p, target, 0).mean(1)
    grad = (p - target) * (2 * _reciprocal(p.shape[1], p.dtype))
    return losses, aten.sigmoid_backward.default(grad, p).unsqueeze(-1)


def _softmax_mse(logits: Tensor, y: Tensor, smoothing: Tensor | None) -> tuple[Tensor, Tensor]:
    n = logits.shape[-1]
    target = F.one_hot(y, n).float()
    if smoothing is not None:
        target = target * (1 - smoothing.unsqueeze(-1)) + smoothing.unsqueeze(-1) / n
    p = torch.softmax(logits, -1)
    losses = _squared_error(p, target, 0).flatten(1).mean(1)
    grad = (p - target) * (2 * _reciprocal(p.shape[1] * n, p.dtype))
    return losses, torch._softmax_backward_data(grad, p, -1, p.dtype)
