"""Instrumentation: what happens inside every layer, measured on frame ticks only.

On a tick the Trainer arms the probe before its forward pass (hooks that record each layer's output
gradient and batch-norm batch statistics), hands it the step's weight-gradient norms and a copy of the
weights before the update, then asks for a reading: every metric of the registry (train/metrics.py) that
applies to the model and is due, measured on fixed batches in eval mode and copied to the host in one go.
The intermediates several metrics share (the probe batch's layer outputs, their sorted values, the
unrolled recurrence) are computed once per tick. Hooks exist only while a tick is measured, so ordinary
steps pay nothing. See DESIGN.md §3 for each metric's definition.
"""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from glassnet import registry
from glassnet.data import Dataset
from glassnet.nn.blocks import Block, RecurrentBlock
from glassnet.nn.models import Net
from glassnet.train.losses import Objective
from glassnet.train.metrics import METRICS, Metric
from glassnet.train.pack import to_json_value

PROBE_POINTS = 256  # the fixed training batch activation statistics and train accuracy are measured on
EVAL_POINTS = 1024  # test loss and accuracy are measured on at most this many test points
STAT_ELEMENTS = 1024  # percentiles and histograms use at most this many values per layer (a fixed random subset)
SATURATION_MARGIN = 0.03  # share of the output range next to a bound that counts as saturated
GRID = 24  # the 2-D output grid's resolution
UNIT_MAP_STRIDE = 2  # per-unit maps take every other grid point (12 x 12)
NARROW = 16  # layers this wide or narrower get per-unit maps
NARROW_EDGES = 16  # linear layers with fan-in and fan-out at most this send their weight matrix (graph edges)
CURVE_POINTS = 100

DEAD_ACTIVATIONS = {c.name for c in registry.ACTIVATIONS if c.tags.get("dead")}
# activations bounded on both sides (the registry's "bounds" tag): their saturation is measured
BOUNDED = {
    c.name: tuple(c.tags["bounds"])
    for c in registry.ACTIVATIONS
    if all(isinstance(b, float) for b in c.tags.get("bounds", [None, None]))
}


@dataclass
class Tick:
    """What the training step hands the probe for one reading."""

    losses: torch.Tensor | None  # the batch losses since the previous reading (None: no step since)
    lr: float
    epoch: float
    elapsed: float
    grad_norms: torch.Tensor  # per layer, before clipping (NaN where unknown)
    before: list[torch.Tensor] | None  # the weights before the step's update (None: the update is unknown)


@dataclass
class Reading:
    """One measurement, on the host: raw values by metric name (NaN where not finite), views, and when."""

    step: int
    detail: bool
    first_bad_step: int | None
    values: dict[str, np.ndarray]
    views: dict[str, np.ndarray | dict[int, np.ndarray]] = field(default_factory=dict)
    seq: int = 0
    wall: float = field(default_factory=time.time)  # when it was made (Unix seconds), for latency
    # the moment its `time` figure is of (time.monotonic()): frames are paced from it, so no two are closer than
    # the period however long each reading takes
    made: float = field(default_factory=time.monotonic)
    # the layers' verdicts (train/judgement.py), set by the driver's insights on detail readings of live runs
    health: list[Any] | None = None

    def __getitem__(self, name: str) -> Any:
        """A figure as JSON has it (non-finite: None), or a header field; KeyError if not measured."""
        if name in ("step", "seq", "detail", "first_bad_step", "wall"):
            return getattr(self, name)
        return to_json_value(self.values[name])

    def get(self, name: str, default: Any = None) -> Any:
        try:
            return self[name]
        except KeyError:
            return default

    @property
    def diverged(self) -> bool:
        """A loss became non-finite at `first_bad_step` (the Trainer checks every step's loss)."""
        return self.first_bad_step is not None


@dataclass
class LayerGroup:
    """Layers of one output shape and activation, measured together (one set of batched ops)."""

    index: torch.Tensor  # the layers' indices
    members: list[int]
    activation: str | None
    unit_dim: int
    flat: torch.Tensor  # (layers, values): each layer's outputs on the probe batch
    acts: torch.Tensor | None  # (layers, batch, ...): each block activation's own output, where there is one
    _ordered: torch.Tensor | None = None

    @property
    def ordered(self) -> torch.Tensor:
        """Each layer's values (a fixed subset of at most STAT_ELEMENTS), sorted."""
        assert self._ordered is not None
        return self._ordered

    @property
    def lo(self) -> torch.Tensor:
        return self.ordered[:, 0]

    @property
    def hi(self) -> torch.Tensor:
        lo, hi = self.ordered[:, 0], self.ordered[:, -1]
        return torch.where(hi > lo, hi, lo + 1)


def tick_cached(method: Callable) -> Callable:
    """A probe intermediate computed at most once per reading."""

    def cached(self: "Probe", *args: Any) -> Any:
        key = (method.__name__, *args)
        if key not in self.cache:
            self.cache[key] = method(self, *args)
        return self.cache[key]

    return cached


class Probe:
    def __init__(self, model: Net, objective: Objective, data: Dataset) -> None:
        self.model, self.data = model, data
        self.objective: Objective = objective
        self.layers: list[nn.Module] = model.layer_modules()
        self.infos = model.layer_info()
        self.n_layers = len(self.layers)
        self.layer_weights: list[list[nn.Parameter]] = model.layer_weights()
        self.flat_weights = [w for ws in self.layer_weights for w in ws]
        self.group_of = torch.tensor([i for i, ws in enumerate(self.layer_weights) for _ in ws])
        self.probe_x, self.probe_y = data.x_train[:PROBE_POINTS], data.y_train[:PROBE_POINTS]
        self.test_x, self.test_y = data.x_test[:EVAL_POINTS], data.y_test[:EVAL_POINTS]
        self.device = self.probe_x.device
        self.grid_x: torch.Tensor | None = data.plot_inputs(GRID) if data.input_kind == "plane" else None
        self.curve_x: torch.Tensor | None = data.plot_inputs(CURVE_POINTS) if data.input_kind == "curve" else None
        self.recurrent = [b for b in model.blocks if isinstance(b, RecurrentBlock)]
        self.gate_names = [list(GATES.get(b.cell, ())) for b in self.recurrent]
        self.convs: list[int] = [i for i, info in enumerate(self.infos) if info.kind == "conv"]
        # feature maps are of the first test image of each class (data.examples), in class order
        self.examples_x = data.x_test[torch.as_tensor(data.examples, device=data.x_test.device)]
        if not len(self.examples_x):
            self.examples_x = data.x_test[:1]
        self.edges: list[int] = [
            i
            for i, info in enumerate(self.infos)
            if info.kind == "linear" and info.fan_in <= NARROW_EDGES and info.fan_out <= NARROW_EDGES
        ]
        self.norms = {
            i: b.norm
            for i, b in enumerate(model.blocks)
            if isinstance(b, Block) and isinstance(b.norm, nn.modules.batchnorm._BatchNorm)
        }
        # the registry's metrics this model has, by cadence
        self.metrics = [m for m in METRICS if m.applies(self)]
        self.handles: list[torch.utils.hooks.RemovableHandle] = []
        self.act_grads: list[torch.Tensor | None] = []
        self.bn_batch: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}
        self.subsets: dict[int, torch.Tensor] = {}
        self.cache: dict[tuple, Any] = {}
        self._tick: Tick | None = None

    @property
    def tick(self) -> Tick:
        assert self._tick is not None, "a metric was measured outside a reading"
        return self._tick

    def due(self, detail: bool) -> list[Metric]:
        return [m for m in self.metrics if detail or m.cadence == "frame"]

    # ---- on the measured training step
    def arm(self) -> None:
        """Before the training forward: record dL/d(output) of each layer and BN batch statistics."""
        self.act_grads = [None] * self.n_layers
        self.bn_batch = {}
        for i, module in enumerate(self.layers):
            self.handles.append(module.register_forward_hook(self._grad_hook(i)))
        for i, norm in self.norms.items():
            self.handles.append(norm.register_forward_hook(self._bn_hook(i)))

    def _grad_hook(self, i: int) -> Callable:
        def on_output(_module: nn.Module, _inputs: tuple, output: torch.Tensor) -> None:
            if output.requires_grad:
                output.register_hook(lambda grad: self.act_grads.__setitem__(i, grad.norm()))

        return on_output

    def _bn_hook(self, i: int) -> Callable:
        def on_norm(_module: nn.Module, inputs: tuple, _output: torch.Tensor) -> None:
            x = inputs[0].detach()
            dims = [d for d in range(x.dim()) if d != 1]
            self.bn_batch[i] = (x.mean(dims), x.var(dims, unbiased=False))

        return on_norm

    def disarm(self) -> None:
        for handle in self.handles:
            handle.remove()
        self.handles = []

    def weight_grad_norms(self) -> torch.Tensor:
        """L2 norm of each layer's weight gradient (all its weight matrices together), as the grads are now."""
        grads = [w.grad if w.grad is not None else torch.zeros_like(w) for w in self.flat_weights]
        return self._per_layer(torch.stack(torch._foreach_norm(grads)))

    def snapshot(self) -> list[torch.Tensor]:
        return [w.detach().clone() for w in self.flat_weights]

    def _per_layer(self, norms: torch.Tensor) -> torch.Tensor:
        squares = torch.zeros(self.n_layers, device=norms.device).index_add_(
            0, self.group_of.to(norms.device), norms.float() ** 2
        )
        return squares.sqrt()

    # ---- a reading
    def read(self, tick: Tick, detail: bool) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Every due metric, copied to the host in one go: (series values, views)."""
        self._tick, self.cache = tick, {}
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.no_grad():
                measured = {m.name: m.measure(self) for m in self.due(detail)}
            measured = {name: value for name, value in measured.items() if value is not None}
        finally:
            self.model.train(was_training)
            self._tick, self.cache = None, {}
        return fetch(measured)

    # ---- intermediates shared by several metrics
    @tick_cached
    def weight_norms(self) -> torch.Tensor:
        return self._per_layer(torch.stack(torch._foreach_norm([w.detach() for w in self.flat_weights])))

    @tick_cached
    def update_norms(self) -> torch.Tensor:
        before = self.tick.before
        if before is None:
            return torch.full((self.n_layers,), math.nan, device=self.device)
        deltas = torch._foreach_sub([w.detach() for w in self.flat_weights], before)
        return self._per_layer(torch.stack(torch._foreach_norm(deltas)))

    def act_grad_norms(self) -> torch.Tensor:
        nan = torch.tensor(math.nan, device=self.device)
        grads = self.act_grads or [None] * self.n_layers
        return torch.stack([nan if g is None else g for g in grads])

    @tick_cached
    def recorded(self, name: str) -> tuple[list, list]:
        """Forward a fixed batch ("probe", "grid" or "examples"): the output of every layer and of every
        block's activation."""
        x = {"probe": self.probe_x, "grid": self.grid_x, "examples": self.examples_x}[name]
        outputs: list[torch.Tensor | None] = [None] * self.n_layers
        acts: list[torch.Tensor | None] = [None] * self.n_layers
        handles = []
        for i, module in enumerate(self.layers):
            handles.append(module.register_forward_hook(lambda _m, _i, out, i=i: outputs.__setitem__(i, out)))
            act = getattr(module, "act", None)
            if act is not None:
                handles.append(act.register_forward_hook(lambda _m, _i, out, i=i: acts.__setitem__(i, out)))
        try:
            self.model(x)
        finally:
            for handle in handles:
                handle.remove()
        return outputs, acts

    @tick_cached
    def groups(self) -> list[LayerGroup]:
        """The probe batch's layer outputs, grouped by shape and activation (deep uniform nets stay cheap)."""
        outputs, acts = self.recorded("probe")
        keys: dict[tuple, list[int]] = {}
        for i, out in enumerate(outputs):
            act = acts[i]
            unit_dim = -1 if isinstance(self.layers[i], RecurrentBlock) else 1
            key = (tuple(out.shape), None if act is None else tuple(act.shape), self.infos[i].activation, unit_dim)
            keys.setdefault(key, []).append(i)
        groups = []
        for (_, _, activation, unit_dim), members in keys.items():
            flat = torch.stack([outputs[i] for i in members]).float().reshape(len(members), -1)
            ordered = flat[:, self._subset(flat.shape[1])].sort(dim=1).values
            first_act = acts[members[0]]
            groups.append(
                LayerGroup(
                    index=torch.tensor(members, device=self.device),
                    members=members,
                    activation=activation,
                    unit_dim=unit_dim,
                    flat=flat,
                    acts=None if first_act is None else torch.stack([acts[i] for i in members]),
                    _ordered=ordered,
                )
            )
        return groups

    def by_group(self, compute: Callable[[LayerGroup], torch.Tensor | None], *trailing: int) -> torch.Tensor:
        """A per-layer metric computed group by group: (layers, *trailing), NaN where it has no value."""
        result = torch.full((self.n_layers, *trailing), math.nan, device=self.device)
        for group in self.groups():
            value = compute(group)
            if value is not None:
                result.index_copy_(0, group.index, value.float())
        return result

    def _subset(self, n: int) -> torch.Tensor | slice:
        """Which of a layer's n values the percentiles and histogram use: all of them up to STAT_ELEMENTS,
        else a fixed random subset. (A stride would alias with the layer's width and skip whole units.)"""
        if n <= STAT_ELEMENTS:
            return slice(None)
        if n not in self.subsets:
            generator = torch.Generator().manual_seed(n)
            self.subsets[n] = torch.randperm(n, generator=generator)[:STAT_ELEMENTS].to(self.device)
        return self.subsets[n]

    def dead_fractions(self) -> torch.Tensor:
        def dead(g: LayerGroup) -> torch.Tensor | None:
            if g.acts is None or g.activation not in DEAD_ACTIVATIONS:
                return None
            axis = g.unit_dim + 1 if g.unit_dim > 0 else g.acts.dim() - 1  # the unit axis, after the group axis
            peak = g.acts.abs().amax(dim=[d for d in range(1, g.acts.dim()) if d != axis])  # (group, units)
            return _unless_infinite(g, (peak == 0).float().mean(1))

        return self.by_group(dead)

    def saturations(self) -> torch.Tensor:
        def saturated(g: LayerGroup) -> torch.Tensor | None:
            if g.acts is None or g.activation not in BOUNDED:
                return None
            low, high = BOUNDED[g.activation]
            margin = SATURATION_MARGIN * (high - low)
            near = (g.acts - low < margin) | (high - g.acts < margin)
            return _unless_infinite(g, near.reshape(len(g.members), -1).float().mean(1))

        return self.by_group(saturated)

    def diversities(self) -> torch.Tensor:
        """Per layer: the spread of its units' incoming weight vectors, as the RMS distance to unit 0's vector
        over the RMS vector norm. Exactly 0 when every unit has the same weights (as zero init leaves them);
        NaN for a layer of one unit. Layers of one shape are measured together."""
        main = [ws[0].detach() for ws in self.layer_weights]
        result = torch.full((self.n_layers,), math.nan, device=main[0].device)
        groups: dict[tuple, list[int]] = {}
        for i, weight in enumerate(main):
            if weight.shape[0] > 1:
                groups.setdefault(tuple(weight.shape), []).append(i)
        for members in groups.values():
            rows = torch.stack([main[i] for i in members]).flatten(2).float()  # (group, units, fan-in)
            spread = (rows - rows[:, :1]).pow(2).sum(2).mean(1).sqrt()
            scale = rows.pow(2).sum(2).mean(1).sqrt()
            value = torch.where(spread == 0, spread, spread / scale)
            result.index_copy_(0, torch.tensor(members, device=result.device), value)
        return result

    def bn_stat(self, which: int) -> torch.Tensor:
        """Batch-norm statistics, mean over channels: 0 batch mean, 1 batch variance (of the measured training
        step), 2 running mean, 3 running variance."""
        result = torch.full((self.n_layers,), math.nan, device=self.device)
        for i, norm in self.norms.items():
            if which < 2 and i in self.bn_batch:
                result[i] = self.bn_batch[i][which].mean()
            elif which >= 2:
                running = norm.running_mean if which == 2 else norm.running_var
                assert running is not None  # batch norm here always tracks running statistics
                result[i] = running.mean()
        return result

    @tick_cached
    def test_logits(self) -> torch.Tensor:
        return self.model(self.test_x)

    @property
    def test_loss(self) -> torch.Tensor:
        return self.objective(self.test_logits(), self.test_y)

    @property
    def test_acc(self) -> torch.Tensor:
        correct = self.objective.correct(self.test_logits(), self.test_y)
        return torch.tensor(math.nan, device=self.device) if correct is None else correct

    @property
    def train_acc(self) -> torch.Tensor:
        outputs, _ = self.recorded("probe")
        correct = self.objective.correct(outputs[-1], self.probe_y)
        return torch.tensor(math.nan, device=self.device) if correct is None else correct

    def confusion(self) -> torch.Tensor:
        logits = self.test_logits()
        n = logits.shape[-1]
        cells = self.test_y * n + logits.argmax(-1)
        return torch.bincount(cells, minlength=n * n).reshape(n, n)

    def grid_output(self) -> torch.Tensor:
        outputs, _ = self.recorded("grid")
        return self.objective.output(outputs[-1]).reshape(GRID, GRID)

    def unit_maps(self) -> dict[int, torch.Tensor]:
        outputs, _ = self.recorded("grid")
        return {
            i: out.T.reshape(-1, GRID, GRID)[:, ::UNIT_MAP_STRIDE, ::UNIT_MAP_STRIDE]
            for i, out in enumerate(outputs[:-1])
            if self.infos[i].kind == "linear" and out.shape[1] <= NARROW
        }

    def curve_output(self) -> torch.Tensor:
        assert self.curve_x is not None
        return self.objective.output(self.model(self.curve_x))

    def feature_maps(self) -> dict[int, torch.Tensor]:
        outputs, _ = self.recorded("examples")
        return {i: outputs[i] for i in self.convs}  # (examples, channels, H, W)

    def first_filters(self) -> torch.Tensor:
        block = self.layers[self.convs[0]]
        assert isinstance(block, Block)
        return block.layer.weight.detach().mean(1)  # (out channels, k, k), averaged over input channels

    def gate_means(self, gate: str) -> torch.Tensor:
        result = torch.full((self.n_layers,), math.nan, device=self.device)
        for i, gates in enumerate(self.through_time()[1]):
            if gate in gates:
                result[i] = gates[gate]
        return result

    @tick_cached
    def through_time(self) -> tuple[torch.Tensor, list[dict[str, torch.Tensor]]]:
        """||dL/dh_t|| of the last recurrent layer for every t, and each recurrent layer's gate means, by
        unrolling the cells on the probe batch (the cuDNN-style modules hide their per-step states).
        Gradients go to the states only."""
        x = self.probe_x
        gates_per_layer = []
        with torch.enable_grad():
            states: list[torch.Tensor] = []
            for block in self.recurrent:
                states, gates = unroll(block, x)
                gates_per_layer.append(gates)
                x = torch.stack(states, 1)
            h = states[-1]
            for dense_block in list(self.model.blocks)[len(self.recurrent) :]:
                h = dense_block(h)
            loss = self.objective(self.model.head(h), self.probe_y)
            grads = torch.autograd.grad(loss, states, allow_unused=True)
        norms = [g.norm() if g is not None else torch.zeros((), device=x.device) for g in grads]
        return torch.stack(norms), gates_per_layer


def _unless_infinite(g: LayerGroup, value: torch.Tensor) -> torch.Tensor:
    """A layer whose outputs are not finite has no dead or saturated share: NaN."""
    assert g.acts is not None
    finite = torch.isfinite(g.acts.reshape(len(g.members), -1)).all(1)
    return torch.where(finite, value, torch.tensor(math.nan, device=value.device))


def fetch(measured: dict[str, Any]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The one device-to-host copy of a reading: every tensor (and each layer's tensor of a per-layer view)
    flattened into one buffer. Returns (values by metric name, views by metric name)."""
    names: list[tuple[str, int | None]] = []
    parts: list[torch.Tensor] = []
    values: dict[str, np.ndarray] = {}
    for name, value in measured.items():
        if isinstance(value, float):  # measured on the host already (the learning rate, the clock)
            values[name] = np.asarray(value, dtype=np.float64)
            continue
        items = value.items() if isinstance(value, dict) else [(None, value)]
        for layer, tensor in items:
            names.append((name, layer))
            parts.append(torch.as_tensor(tensor).detach().float())
    if not parts:
        return values, {}
    flat = torch.cat([p.reshape(-1).to(parts[0].device) for p in parts]).cpu().numpy()
    views: dict[str, Any] = {}
    offset = 0
    for (name, layer), part in zip(names, parts, strict=True):
        array = flat[offset : offset + part.numel()].reshape(part.shape)
        offset += part.numel()
        if isinstance(measured[name], dict):
            views.setdefault(name, {})[layer] = array
        elif BY_KIND[name] == "view":
            views[name] = array
        else:
            values[name] = array
    for name, value in measured.items():  # a per-layer view with no layer
        if isinstance(value, dict) and not value:
            views[name] = {}
    return values, views


BY_KIND = {m.name: m.kind for m in METRICS}
GATES = {"lstm": ("input", "forget", "output"), "gru": ("update", "reset")}


def unroll(block: RecurrentBlock, x: torch.Tensor) -> tuple[list[torch.Tensor], dict[str, torch.Tensor]]:
    """Run one recurrent layer step by step with its own weights: the states h_1..h_T, and gate means."""
    rnn = block.rnn
    w_ih, w_hh = rnn.get_parameter("weight_ih_l0"), rnn.get_parameter("weight_hh_l0")
    b_ih, b_hh = rnn.get_parameter("bias_ih_l0"), rnn.get_parameter("bias_hh_l0")
    batch, steps = x.shape[0], x.shape[1]
    h = x.new_zeros(batch, rnn.hidden_size)
    c = x.new_zeros(batch, rnn.hidden_size)
    states: list[torch.Tensor] = []
    sums: dict[str, torch.Tensor] = {}
    inputs = F.linear(x, w_ih, b_ih)  # (batch, T, gates * hidden)
    for t in range(steps):
        recurrent = F.linear(h, w_hh, b_hh)
        if block.cell == "lstm":
            i, f, g, o = (inputs[:, t] + recurrent).chunk(4, -1)
            i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
            c = f * c + i * g
            h = o * torch.tanh(c)
            step_gates = {"input": i, "forget": f, "output": o}
        elif block.cell == "gru":
            xr, xz, xn = inputs[:, t].chunk(3, -1)
            hr, hz, hn = recurrent.chunk(3, -1)
            r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
            n = torch.tanh(xn + r * hn)
            h = (1 - z) * n + z * h
            step_gates = {"update": z, "reset": r}
        else:
            pre = inputs[:, t] + recurrent
            h = torch.tanh(pre) if block.cell == "rnn_tanh" else torch.relu(pre)
            step_gates = {}
        states.append(h)
        for name, gate in step_gates.items():
            sums[name] = sums.get(name, 0) + gate.detach().mean()
    return states, {name: total / steps for name, total in sums.items()}
