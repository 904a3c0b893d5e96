"""Optimizers and gradient clipping for a cohort: K copies of one architecture trained as one batched model.

Every parameter is a leaf tensor of shape [K, *shape]; member k's parameter is p[k]. Each member has its own
OptimizerConfig (the same optimizer name for all) and ClippingConfig, and follows, step for step, the arithmetic
of torch.optim's single-tensor implementation for that config (as train/optim.py's make_optimizer builds it and
clip_gradients clips), with its hyper-parameters as [K, 1, ...] tensors broadcast over each parameter.

Scalars that torch computes as Python floats (1 - beta, bias corrections, lr / bias correction) are computed here
in float64 and only then cast to the parameters' dtype, so the round-off matches torch's as closely as it can.
"""

import functools
import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import torch
from torch import Tensor

from glassnet.cohort.gradmode import without_grad
from glassnet.config import ClippingConfig, OptimizerConfig
from glassnet.train.optim import make_optimizer

WIDE = torch.float64  # for per-member scalars torch keeps as Python floats

# The per-parameter state tensors each optimizer keeps, in torch.optim's order (rmsprop's momentum_buffer only
# when some member has momentum; "step" is kept per member, not per tensor).
_BUFFERS: dict[str, tuple[str, ...]] = {
    "sgd": (),
    "momentum": ("momentum_buffer",),
    "nesterov": ("momentum_buffer",),
    "adagrad": ("sum",),
    "rmsprop": ("square_avg", "momentum_buffer"),
    "adadelta": ("square_avg", "acc_delta"),
    "adam": ("exp_avg", "exp_avg_sq"),
    "adamw": ("exp_avg", "exp_avg_sq"),
}
_SGD_FAMILY = ("sgd", "momentum", "nesterov")


def _member_views(values: Tensor, shapes: Sequence[tuple[int, ...]]) -> list[Tensor]:
    """A [K] tensor as one [K, 1, ...] view per parameter, broadcastable to it."""
    return [values.view(shape) for shape in shapes]


def _broadcast_shapes(params: Sequence[Tensor]) -> list[tuple[int, ...]]:
    return [(p.shape[0],) + (1,) * (p.dim() - 1) for p in params]


class CohortOptimizer:
    """One torch.optim optimizer per member, run as a few batched tensor operations per step."""

    def __init__(self, params: list[Tensor], configs: list[OptimizerConfig]) -> None:
        if not params:
            raise ValueError("a cohort optimizer needs at least one parameter")
        if not configs:
            raise ValueError("a cohort needs at least one member")
        names = {c.name for c in configs}
        if len(names) != 1:
            raise ValueError(f"all members of a cohort share one optimizer, not {sorted(names)}")
        size = len(configs)
        for p in params:
            if p.dim() == 0 or p.shape[0] != size:
                raise ValueError(f"a parameter of shape {tuple(p.shape)} does not lead with the {size} members")
        self.name: str = configs[0].name
        if self.name not in _BUFFERS:
            raise ValueError(f"unknown optimizer {self.name!r}")
        for config in configs:  # torch's own checks of each member's hyper-parameters (nesterov needs momentum...)
            make_optimizer([torch.nn.Parameter(torch.zeros(0))], config)
        self.params = list(params)
        self.configs = list(configs)
        self.size = size
        self.device = params[0].device
        self.dtype = params[0].dtype
        self._shapes = _broadcast_shapes(self.params)
        # steps each member has taken (Adam's bias correction needs them; members may join at different steps),
        # and the steps of all of them not yet added in (`steps` adds them)
        self._steps = torch.zeros(size, dtype=WIDE, device=self.device)
        self._steps_to_add = 0
        self._last_lr: Tensor | None = None  # a copy of the last lr (for member_state_dict's param group)
        # the lr tensor it was copied from and its version (while they hold, the copy and its views are current)
        self._lr_source: tuple[Tensor, int] | None = None
        self._neg_lr: list[Tensor] = []  # -lr in the parameters' dtype, a [K, 1, ...] view per parameter
        self._all = list(range(len(self.params)))

        def wide(field: str) -> Tensor:
            return torch.tensor([getattr(c, field) for c in configs], dtype=WIDE, device=self.device)

        def narrow(values: Tensor) -> list[Tensor]:
            return _member_views(values.to(self.dtype), self._shapes)

        self._momentum = [c.momentum for c in configs]
        self._any_weight_decay = any(c.weight_decay != 0 for c in configs)
        self._weight_decay64 = wide("weight_decay")
        self._weight_decay = narrow(self._weight_decay64)
        self._eps = narrow(wide("eps"))
        self._hyper: dict[str, list[Tensor]] = {}
        self._wide: dict[str, Tensor] = {}
        if self.name in ("momentum", "nesterov", "rmsprop"):
            self._hyper["momentum"] = narrow(wide("momentum"))
        if self.name in ("rmsprop", "adadelta"):
            self._hyper["rho"] = narrow(wide("rho"))
            self._hyper["one_minus_rho"] = narrow(1 - wide("rho"))
        if self.name in ("adam", "adamw"):
            self._wide["beta1"], self._wide["beta2"] = wide("beta1"), wide("beta2")
            self._hyper["one_minus_beta1"] = narrow(1 - self._wide["beta1"])
            self._hyper["beta2"] = narrow(self._wide["beta2"])
            self._hyper["one_minus_beta2"] = narrow(1 - self._wide["beta2"])
        if self.name == "rmsprop":
            # members without momentum take torch's other branch; with a mix, each branch gets a learning rate of
            # 0 for the members of the other (adding the exact 0 it then yields keeps the round-off torch's)
            self._has_momentum = torch.tensor([m > 0 for m in self._momentum], device=self.device)

        self.buffers: dict[str, list[Tensor]] = {
            key: [torch.zeros_like(p) for p in self.params] for key in self._buffer_names()
        }
        updates: dict[str, Callable[[list[Tensor], list[Tensor], Tensor, list[int]], None]] = {
            "sgd": self._sgd,
            "momentum": self._sgd,
            "nesterov": self._sgd,
            "adagrad": self._adagrad,
            "rmsprop": self._rmsprop,
            "adadelta": self._adadelta,
            "adam": self._adam,
            "adamw": self._adam,
        }
        self._update = updates[self.name]

    def _buffer_names(self) -> tuple[str, ...]:
        names = _BUFFERS[self.name]
        if self.name == "rmsprop" and not any(m > 0 for m in self._momentum):
            names = ("square_avg",)
        return names

    # ---- the step

    @property
    def steps(self) -> Tensor:
        """[K]: the steps each member has taken."""
        if self._steps_to_add:  # (added when read: one tensor op less per step, where no update reads them)
            self._steps += self._steps_to_add
            self._steps_to_add = 0
        return self._steps

    @without_grad
    def step(self, lr: Tensor) -> None:
        """One step of every member from each p.grad, member k with learning rate lr[k].

        lr is a [K] tensor, float32 or float64 (as exact as the Python float torch.optim would be given).
        """
        source = self._lr_source
        if source is None or source[0] is not lr or source[1] != lr._version:  # (else: the same values as before)
            self._take_lr(lr)
        last_lr = self._last_lr
        assert last_lr is not None
        # like torch.optim, a parameter without a gradient is left alone (here for every member at once)
        grads = [p.grad for p in self.params if p.grad is not None]
        params, active = self.params, self._all
        if len(grads) != len(params):
            if not grads:
                return
            active = [i for i, p in enumerate(params) if p.grad is not None]
            params = [params[i] for i in active]
        self._steps_to_add += 1
        self._update(params, grads, last_lr, active)

    def _take_lr(self, lr: Tensor) -> None:
        """A copy of `lr` (which the caller may change afterwards), and the views of it the updates take."""
        if lr.shape != (self.size,):
            raise ValueError(f"lr must have shape ({self.size},), not {tuple(lr.shape)}")
        self._last_lr = lr.to(self.device, copy=True)
        self._lr_source = (lr, lr._version)
        self._neg_lr = self._views(-self._last_lr, self._all)

    def _pick(self, values: list[Tensor], active: list[int]) -> list[Tensor]:
        return values if len(active) == len(self.params) else [values[i] for i in active]

    def _views(self, values: Tensor, active: list[int]) -> list[Tensor]:
        """A [K] tensor, in the parameters' dtype, as [K, 1, ...] views for the active parameters."""
        values = values.to(self.dtype)
        return [values.view(self._shapes[i]) for i in active]

    def _decayed(self, params: list[Tensor], grads: list[Tensor], active: list[int]) -> list[Tensor]:
        """grad + weight_decay * param (a new list: the gradients themselves stay as they are)."""
        if not self._any_weight_decay:
            return grads
        return list(torch._foreach_addcmul(grads, params, self._pick(self._weight_decay, active)))

    def _sgd(self, params: list[Tensor], grads: list[Tensor], lr: Tensor, active: list[int]) -> None:
        neg_lr = self._pick(self._neg_lr, active)
        grads = self._decayed(params, grads, active)
        if self.name != "sgd":
            momentum = self._pick(self._hyper["momentum"], active)
            buffers = self._pick(self.buffers["momentum_buffer"], active)
            # torch starts the buffer as a copy of the gradient; momentum * 0 + grad is the same
            torch._foreach_mul_(buffers, momentum)
            torch._foreach_add_(buffers, grads)
            grads = list(torch._foreach_addcmul(grads, buffers, momentum)) if self.name == "nesterov" else buffers
        torch._foreach_addcmul_(params, grads, neg_lr)

    def _adagrad(self, params: list[Tensor], grads: list[Tensor], lr: Tensor, active: list[int]) -> None:
        neg_lr = self._pick(self._neg_lr, active)
        # lr_decay 0 and initial_accumulator_value 0, as make_optimizer leaves them
        grads = self._decayed(params, grads, active)
        sums = self._pick(self.buffers["sum"], active)
        torch._foreach_addcmul_(sums, grads, grads)
        std = torch._foreach_sqrt(sums)
        torch._foreach_add_(std, self._pick(self._eps, active))
        torch._foreach_addcdiv_(params, torch._foreach_mul(grads, neg_lr), std)

    def _rmsprop(self, params: list[Tensor], grads: list[Tensor], lr: Tensor, active: list[int]) -> None:
        neg_lr = self._pick(self._neg_lr, active)
        # alpha is the config's rho; centered=False
        grads = self._decayed(params, grads, active)
        square_avgs = self._pick(self.buffers["square_avg"], active)
        torch._foreach_mul_(square_avgs, self._pick(self._hyper["rho"], active))
        torch._foreach_addcmul_(
            square_avgs, torch._foreach_mul(grads, self._pick(self._hyper["one_minus_rho"], active)), grads
        )
        avg = torch._foreach_sqrt(square_avgs)
        torch._foreach_add_(avg, self._pick(self._eps, active))
        with_momentum = [m > 0 for m in self._momentum]
        if not all(with_momentum):  # torch: param.addcdiv_(grad, avg, value=-lr)
            plain_lr = neg_lr if not any(with_momentum) else self._views(-lr * ~self._has_momentum, active)
            torch._foreach_addcdiv_(params, torch._foreach_mul(grads, plain_lr), avg)
        if any(with_momentum):  # torch: buf = momentum * buf + grad / avg; param.add_(buf, alpha=-lr)
            buffers = self._pick(self.buffers["momentum_buffer"], active)
            torch._foreach_mul_(buffers, self._pick(self._hyper["momentum"], active))
            torch._foreach_addcdiv_(buffers, grads, avg)
            moving_lr = neg_lr if all(with_momentum) else self._views(-lr * self._has_momentum, active)
            torch._foreach_addcmul_(params, buffers, moving_lr)

    def _adadelta(self, params: list[Tensor], grads: list[Tensor], lr: Tensor, active: list[int]) -> None:
        neg_lr = self._pick(self._neg_lr, active)
        grads = self._decayed(params, grads, active)
        rho = self._pick(self._hyper["rho"], active)
        one_minus_rho = self._pick(self._hyper["one_minus_rho"], active)
        eps = self._pick(self._eps, active)
        square_avgs = self._pick(self.buffers["square_avg"], active)
        acc_deltas = self._pick(self.buffers["acc_delta"], active)
        torch._foreach_mul_(square_avgs, rho)
        torch._foreach_addcmul_(square_avgs, torch._foreach_mul(grads, one_minus_rho), grads)
        std = torch._foreach_add(square_avgs, eps)
        torch._foreach_sqrt_(std)
        delta = torch._foreach_add(acc_deltas, eps)
        torch._foreach_sqrt_(delta)
        torch._foreach_div_(delta, std)
        torch._foreach_mul_(delta, grads)
        torch._foreach_mul_(acc_deltas, rho)
        torch._foreach_addcmul_(acc_deltas, torch._foreach_mul(delta, one_minus_rho), delta)
        torch._foreach_addcmul_(params, delta, neg_lr)

    def _adam(self, params: list[Tensor], grads: list[Tensor], lr: Tensor, active: list[int]) -> None:
        lr64 = lr.to(WIDE)
        if self._any_weight_decay:
            if self.name == "adamw":  # decoupled: param *= 1 - lr * weight_decay, a Python float in torch
                shrink = 1 - lr64 * self._weight_decay64
                torch._foreach_mul_(params, self._views(shrink, active))
            else:
                grads = self._decayed(params, grads, active)
        exp_avgs = self._pick(self.buffers["exp_avg"], active)
        exp_avg_sqs = self._pick(self.buffers["exp_avg_sq"], active)
        torch._foreach_lerp_(exp_avgs, grads, self._pick(self._hyper["one_minus_beta1"], active))
        torch._foreach_mul_(exp_avg_sqs, self._pick(self._hyper["beta2"], active))
        torch._foreach_addcmul_(
            exp_avg_sqs, torch._foreach_mul(grads, self._pick(self._hyper["one_minus_beta2"], active)), grads
        )
        bias_correction1 = 1 - self._wide["beta1"] ** self.steps
        bias_correction2_sqrt = (1 - self._wide["beta2"] ** self.steps).sqrt()
        neg_step_size = -(lr64 / bias_correction1)
        denom = torch._foreach_sqrt(exp_avg_sqs)
        torch._foreach_div_(denom, self._views(bias_correction2_sqrt, active))
        torch._foreach_add_(denom, self._pick(self._eps, active))
        scaled = torch._foreach_mul(exp_avgs, self._views(neg_step_size, active))
        torch._foreach_addcdiv_(params, scaled, denom)

    # ---- one member's state, in torch.optim's format

    def member_state_dict(self, k: int) -> dict[str, Any]:
        """Member k's state as torch.optim's state_dict() of make_optimizer(its params alone, configs[k])."""
        config = self.configs[k]
        placeholders = [torch.nn.Parameter(torch.zeros(0)) for _ in self.params]
        groups = make_optimizer(placeholders, config).state_dict()["param_groups"]
        if self._last_lr is not None:
            groups[0]["lr"] = float(self._last_lr[k])
        steps = float(self.steps[k])
        state: dict[int, dict[str, Any]] = {}
        keys = self._member_keys(k)
        if keys and (steps > 0 or self.name == "adagrad"):  # torch's Adagrad has its state from the start
            for i in range(len(self.params)):
                entry: dict[str, Any] = {}
                for key in keys:
                    if key == "step":
                        entry["step"] = torch.tensor(steps, dtype=_step_dtype())
                    else:
                        entry[key] = self.buffers[key][i][k].clone()
                state[i] = entry
        return {"state": state, "param_groups": groups}

    def _member_keys(self, k: int) -> tuple[str, ...]:
        """The keys of member k's per-parameter state in torch.optim, in its order."""
        if self.name == "sgd" or (self.name in _SGD_FAMILY and self._momentum[k] == 0):
            return ()
        if self.name in _SGD_FAMILY:
            return ("momentum_buffer",)
        keys = _BUFFERS[self.name]
        if self.name == "rmsprop" and not self._momentum[k] > 0:
            keys = ("square_avg",)
        return ("step", *keys)

    @without_grad
    def load_member_state_dict(self, k: int, state: dict[str, Any]) -> None:
        """Member k continues from a torch.optim state_dict of make_optimizer(its params alone, configs[k]).

        Hyper-parameters stay configs[k]'s (as a fork's own do in train/loop.py); the learning rate comes with
        each step.
        """
        ids = [i for group in state["param_groups"] for i in group["params"]]
        if len(ids) != len(self.params):
            raise ValueError(f"the state has {len(ids)} parameters, the cohort {len(self.params)}")
        entries: dict[int, dict[str, Any]] = state["state"]
        copies: list[tuple[Tensor, Tensor | None]] = []  # (member k's slice, its value; None: fresh)
        counts = set()
        for i, param_id in enumerate(ids):
            entry = entries.get(param_id, {})
            for key, buffers in self.buffers.items():
                member, value = buffers[i][k], entry.get(key)
                if value is not None and tuple(value.shape) != tuple(member.shape):
                    raise ValueError(f"state {key!r} of parameter {i} has shape {tuple(value.shape)}")
                copies.append((member, value))
            # SGD keeps no step count; a loaded momentum buffer marks a member that has stepped
            counts.add(float(entry["step"]) if "step" in entry else float(bool(entry)))
        if len(counts) != 1:
            raise ValueError(f"the parameters of this state were stepped different numbers of times: {counts}")
        for member, value in copies:
            if value is None:
                member.zero_()  # torch's fresh state: zeros (Adagrad's initial_accumulator_value is 0)
            else:
                member.copy_(value)
        self.steps[k] = counts.pop()


def _step_dtype() -> torch.dtype:
    """The dtype torch.optim gives a (non-fused) "step" tensor."""
    return torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32


# ---- clipping


@torch.no_grad()
def clip_cohort_gradients(params: list[Tensor], configs: list[ClippingConfig]) -> None:
    """Clip each member's gradients in place as train/optim.py's clip_gradients clips a model trained alone."""
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return
    size = len(configs)
    for g in grads:
        if g.dim() == 0 or g.shape[0] != size:
            raise ValueError(f"a gradient of shape {tuple(g.shape)} does not lead with the {size} members")
    limits = _clip_limits(tuple((c.name, c.max_norm, c.clip_value) for c in configs), grads[0].device, grads[0].dtype)
    shapes = _broadcast_shapes(grads)
    if limits.max_norm is not None:
        # clip_grad_norm_: total = norm of the per-tensor norms; coef = max_norm / (total + 1e-6), at most 1.
        # [K, n] with each member's norms contiguous, as torch stacks them, so that the sums round alike
        norms = torch.stack([torch.linalg.vector_norm(g.reshape(size, -1), dim=1) for g in grads], dim=1)
        total = torch.linalg.vector_norm(norms, dim=1)
        coef = ((total + 1e-6).reciprocal() * limits.max_norm).clamp(max=1.0)
        if limits.by_norm is not None:  # the others keep their gradients, even infinite ones
            coef = torch.where(limits.by_norm, coef, 1.0)
        torch._foreach_mul_(grads, _member_views(coef, shapes))
    if limits.clip_value is not None:
        torch._foreach_clamp_min_(grads, _member_views(-limits.clip_value, shapes))
        torch._foreach_clamp_max_(grads, _member_views(limits.clip_value, shapes))


class _ClipLimits(NamedTuple):
    max_norm: Tensor | None  # [K], when some member clips by norm
    by_norm: Tensor | None  # [K] bool, when only some do
    clip_value: Tensor | None  # [K] (inf for the members that do not clip by value), when some member does


@functools.lru_cache(maxsize=64)
def _clip_limits(
    members: tuple[tuple[str, float, float], ...], device: torch.device, dtype: torch.dtype
) -> _ClipLimits:
    """Each member's thresholds as tensors, made once per cohort: made each step, they would cost a GPU a copy."""
    by_norm = [name == "norm" for name, _, _ in members]
    by_value = [name == "value" for name, _, _ in members]

    def tensor(values: list[float]) -> Tensor:
        return torch.tensor(values, dtype=WIDE, device=device).to(dtype)  # rounded from the Python float

    return _ClipLimits(
        max_norm=tensor([m for _, m, _ in members]) if any(by_norm) else None,
        by_norm=torch.tensor(by_norm, device=device) if any(by_norm) and not all(by_norm) else None,
        clip_value=tensor([v if b else math.inf for (_, _, v), b in zip(members, by_value, strict=True)])
        if any(by_value)
        else None,
    )
