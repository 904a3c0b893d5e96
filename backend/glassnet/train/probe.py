"""Instrumentation: what happens inside every layer, measured on frame ticks only.

On a tick the Trainer arms the probe before its forward pass (hooks that record each layer's output
gradient and batch-norm batch statistics), then the probe measures the rest on fixed batches in eval
mode: activation statistics on the probe batch, test figures, the 2-D output grid, RNN gradients through
time. Everything goes into one Pack, copied to the host once. Hooks exist only while a tick is measured,
so ordinary steps pay nothing. See DESIGN.md §3 for each metric's definition.
"""

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from glassnet import registry
from glassnet.data import Dataset
from glassnet.nn.blocks import Block, RecurrentBlock
from glassnet.nn.models import Net
from glassnet.train.losses import Objective
from glassnet.train.pack import Pack

PERCENTILES = (0, 7, 16, 31, 50, 69, 84, 93, 100)
HIST_BINS = 30
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


def unit_dim(module: nn.Module) -> int:
    return -1 if isinstance(module, RecurrentBlock) else 1


class Probe:
    def __init__(self, model: Net, objective: Objective, data: Dataset) -> None:
        self.model, self.objective, self.data = model, objective, data
        self.layers = model.layer_modules()
        self.infos = model.layer_info()
        self.n_layers = len(self.layers)
        self.layer_weights = model.layer_weights()
        self.flat_weights = [w for ws in self.layer_weights for w in ws]
        self.group_of = torch.tensor([i for i, ws in enumerate(self.layer_weights) for _ in ws])
        self.probe_x, self.probe_y = data.x_train[:PROBE_POINTS], data.y_train[:PROBE_POINTS]
        self.test_x, self.test_y = data.x_test[:EVAL_POINTS], data.y_test[:EVAL_POINTS]
        self.grid_x = data.plot_inputs(GRID) if data.input_kind == "plane" else None
        self.curve_x = data.plot_inputs(CURVE_POINTS) if data.input_kind == "curve" else None
        self.recurrent = [b for b in model.blocks if isinstance(b, RecurrentBlock)]
        self.convs = [i for i, info in enumerate(self.infos) if info.kind == "conv"]
        # feature maps are of the first test image of each class (data.examples), in class order
        self.examples_x = data.x_test[torch.as_tensor(data.examples, device=data.x_test.device)]
        if not len(self.examples_x):
            self.examples_x = data.x_test[:1]
        self.edges = [
            i
            for i, info in enumerate(self.infos)
            if info.kind == "linear" and info.fan_in <= NARROW_EDGES and info.fan_out <= NARROW_EDGES
        ]
        self.norms = {
            i: b.norm
            for i, b in enumerate(model.blocks)
            if isinstance(b, Block) and isinstance(b.norm, nn.modules.batchnorm._BatchNorm)
        }
        self.handles: list[torch.utils.hooks.RemovableHandle] = []
        self.act_grads: list[torch.Tensor | None] = []
        self.bn_batch: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}
        self.gate_names: list[list[str]] = []
        self.subsets: dict[int, torch.Tensor] = {}

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
        """L2 norm of each layer's weight gradient (all its weight matrices together), before clipping."""
        grads = [w.grad if w.grad is not None else torch.zeros_like(w) for w in self.flat_weights]
        return self._per_layer(torch.stack(torch._foreach_norm(grads)))

    def snapshot(self) -> list[torch.Tensor]:
        return [w.detach().clone() for w in self.flat_weights]

    def _per_layer(self, norms: torch.Tensor) -> torch.Tensor:
        squares = torch.zeros(self.n_layers, device=norms.device).index_add_(
            0, self.group_of.to(norms.device), norms.float() ** 2
        )
        return squares.sqrt()

    # ---- the frame
    def measure(self, pack: Pack, grad_norms: torch.Tensor, before: list[torch.Tensor], detail: bool) -> None:
        """The rest of a frame, after the optimizer step, into `pack`. Every frame gets the gradient, weight
        and update norms; a `detail` frame also everything measured on the probe and test sets."""
        weight_norms = self._per_layer(torch.stack(torch._foreach_norm([w.detach() for w in self.flat_weights])))
        deltas = torch._foreach_sub([w.detach() for w in self.flat_weights], before)
        update_norms = self._per_layer(torch.stack(torch._foreach_norm(deltas)))
        pack.add("grad_norm", grad_norms)
        pack.add("weight_norm", weight_norms)
        pack.add("update_ratio", torch.log10(update_norms / weight_norms))
        nan = torch.tensor(float("nan"), device=grad_norms.device)
        pack.add("act_grad_norm", torch.stack([nan if g is None else g for g in self.act_grads]))
        if detail:
            self._detail(pack)

    def _detail(self, pack: Pack) -> None:
        model = self.model
        pack.add("unit_diversity", self._diversities())
        self._bn_stats(pack)
        was_training = model.training
        model.eval()
        with torch.no_grad():
            outputs, acts = self._record(self.probe_x)
            self._activation_stats(pack, outputs, acts)
            self._evaluate(pack, probe_logits=outputs[-1])
            self._plots(pack)
        if self.recurrent:
            self._through_time(pack)
        model.train(was_training)

    def _record(self, x: torch.Tensor) -> tuple[list, list]:
        """Forward `x`; the output of every layer and of every block's activation."""
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

    def _activation_stats(self, pack: Pack, outputs: list, acts: list) -> None:
        """Per-layer statistics of the probe batch's outputs. Layers of the same shape and activation are
        measured together (one set of batched ops per group), which keeps deep uniform nets cheap."""
        device, n = self.probe_x.device, self.n_layers
        results = {
            name: torch.full((n, *shape), float("nan"), device=device)
            for name, shape in [
                ("act_mean", ()),
                ("act_std", ()),
                ("percentiles", (len(PERCENTILES),)),
                ("hist", (HIST_BINS,)),
                ("hist_range", (2,)),
                ("dead_fraction", ()),
                ("saturation", ()),
            ]
        }
        groups: dict[tuple, list[int]] = {}
        for i, out in enumerate(outputs):
            act = acts[i]
            key = (
                tuple(out.shape),
                None if act is None else tuple(act.shape),
                self.infos[i].activation,
                unit_dim(self.layers[i]),
            )
            groups.setdefault(key, []).append(i)
        for (_, _, activation, dim), members in groups.items():
            index = torch.tensor(members, device=device)
            flat = torch.stack([outputs[i] for i in members]).float().reshape(len(members), -1)
            mean = flat.mean(1)
            std = (flat - mean[:, None]).pow(2).mean(1).sqrt()  # two passes: faster than std_mean's Welford on CPU
            ordered = flat[:, self._subset(flat.shape[1], device)].sort(dim=1).values
            lo, hi = ordered[:, 0], ordered[:, -1]
            hi = torch.where(hi > lo, hi, lo + 1)
            found = {
                "act_mean": mean,
                "act_std": std,
                "percentiles": _percentiles(ordered),
                "hist": _histogram(ordered, lo, hi),
                "hist_range": torch.stack([lo, hi], 1),
            }
            if acts[members[0]] is not None and activation in DEAD_ACTIVATIONS | set(BOUNDED):
                act = torch.stack([acts[i] for i in members])  # (group, batch, ...)
                # a layer whose outputs are not finite has no dead or saturated share: NaN, sent as null
                finite = torch.isfinite(act.reshape(len(members), -1)).all(1)
                nan = torch.tensor(float("nan"), device=device)
                if activation in DEAD_ACTIVATIONS:
                    axis = dim + 1 if dim > 0 else act.dim() - 1  # the unit axis, after the group axis
                    peak = act.abs().amax(dim=[d for d in range(1, act.dim()) if d != axis])  # (group, units)
                    found["dead_fraction"] = torch.where(finite, (peak == 0).float().mean(1), nan)
                else:
                    low, high = BOUNDED[activation]
                    margin = SATURATION_MARGIN * (high - low)
                    near = (act - low < margin) | (high - act < margin)
                    found["saturation"] = torch.where(finite, near.reshape(len(members), -1).float().mean(1), nan)
            for name, value in found.items():
                results[name].index_copy_(0, index, value.float())
        for name, value in results.items():
            pack.add(name, value)

    def _subset(self, n: int, device: torch.device) -> torch.Tensor | slice:
        """Which of a layer's n values the percentiles and histogram use: all of them up to STAT_ELEMENTS,
        else a fixed random subset. (A stride would alias with the layer's width and skip whole units.)"""
        if n <= STAT_ELEMENTS:
            return slice(None)
        if n not in self.subsets:
            generator = torch.Generator().manual_seed(n)
            self.subsets[n] = torch.randperm(n, generator=generator)[:STAT_ELEMENTS].to(device)
        return self.subsets[n]

    def _diversities(self) -> torch.Tensor:
        """Per layer: the spread of its units' incoming weight vectors, as the RMS distance to unit 0's vector
        over the RMS vector norm. Exactly 0 when every unit has the same weights (as zero init leaves them);
        NaN for a layer of one unit. Layers of one shape are measured together."""
        main = [ws[0].detach() for ws in self.layer_weights]
        result = torch.full((self.n_layers,), float("nan"), device=main[0].device)
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

    def _bn_stats(self, pack: Pack) -> None:
        nan = torch.full((self.n_layers,), float("nan"), device=self.probe_x.device)
        batch_mean, batch_var, run_mean, run_var = nan.clone(), nan.clone(), nan.clone(), nan.clone()
        for i, norm in self.norms.items():
            if i in self.bn_batch:
                batch_mean[i], batch_var[i] = self.bn_batch[i][0].mean(), self.bn_batch[i][1].mean()
            run_mean[i], run_var[i] = norm.running_mean.mean(), norm.running_var.mean()
        for name, value in [
            ("bn_batch_mean", batch_mean),
            ("bn_batch_var", batch_var),
            ("bn_running_mean", run_mean),
            ("bn_running_var", run_var),
        ]:
            pack.add(name, value)

    def _evaluate(self, pack: Pack, probe_logits: torch.Tensor) -> None:
        objective = self.objective
        test_logits = self.model(self.test_x)
        pack.add("test_loss", objective(test_logits, self.test_y))
        nan = torch.tensor(float("nan"), device=self.test_x.device)
        test_acc, train_acc = objective.correct(test_logits, self.test_y), objective.correct(probe_logits, self.probe_y)
        pack.add("test_acc", nan if test_acc is None else test_acc)
        pack.add("train_acc", nan if train_acc is None else train_acc)
        if objective.task == "multiclass":
            n = test_logits.shape[-1]
            cells = self.test_y * n + test_logits.argmax(-1)
            pack.add("confusion", torch.bincount(cells, minlength=n * n).reshape(n, n))

    def _plots(self, pack: Pack) -> None:
        if self.grid_x is not None:
            outputs, _ = self._record(self.grid_x)
            pack.add("grid", self.objective.output(outputs[-1]).reshape(GRID, GRID))
            for i, out in enumerate(outputs[:-1]):
                if self.infos[i].kind == "linear" and out.shape[1] <= NARROW:
                    maps = out.T.reshape(-1, GRID, GRID)[:, ::UNIT_MAP_STRIDE, ::UNIT_MAP_STRIDE]
                    pack.add(f"unit_map_{i}", maps)
        if self.curve_x is not None:
            pack.add("curve", self.objective.output(self.model(self.curve_x)))
        for i in self.edges:
            pack.add(f"edge_weight_{i}", self.layer_weights[i][0])  # (fan_out, fan_in)
        if self.convs:
            outputs, _ = self._record(self.examples_x)
            for i in self.convs:
                pack.add(f"feature_map_{i}", outputs[i])  # (examples, channels, H, W)
            first = self.layers[self.convs[0]].layer.weight
            pack.add("filters", first.detach().mean(1))  # (out channels, k, k), averaged over input channels

    def _through_time(self, pack: Pack) -> None:
        """||dL/dh_t|| of the last recurrent layer for every t, and gate means, by unrolling the cells on the
        probe batch (the cuDNN-style modules hide their per-step states). Gradients go to the states only."""
        x = self.probe_x
        gates_per_layer = []
        with torch.enable_grad():
            states: list[torch.Tensor] = []
            for block in self.recurrent:
                states, gates = unroll(block, x)
                gates_per_layer.append(gates)
                x = torch.stack(states, 1)
            h = states[-1]
            n_recurrent = len(self.recurrent)
            for block in list(self.model.blocks)[n_recurrent:]:
                h = block(h)
            loss = self.objective(self.model.head(h), self.probe_y)
            grads = torch.autograd.grad(loss, states, allow_unused=True)
        norms = [g.norm() if g is not None else torch.zeros((), device=x.device) for g in grads]
        pack.add("grad_time", torch.stack(norms))
        for i, gates in enumerate(gates_per_layer):
            if gates:
                pack.add(f"gates_{i}", torch.stack([g.detach() for g in gates.values()]))
        self.gate_names = [list(g) for g in gates_per_layer]


def _percentiles(ordered: torch.Tensor) -> torch.Tensor:
    """PERCENTILES of each row of sorted values, interpolated linearly as numpy.percentile does."""
    n = ordered.shape[-1]
    position = torch.tensor([p / 100 * (n - 1) for p in PERCENTILES], device=ordered.device)
    low = position.floor().long()
    high = (low + 1).clamp(max=n - 1)
    return torch.lerp(ordered[..., low], ordered[..., high], position - low)


def _histogram(ordered: torch.Tensor, lo: torch.Tensor, hi: torch.Tensor) -> torch.Tensor:
    """Share of each row's sorted values in each of HIST_BINS equal bins over [lo, hi] of that row."""
    steps = torch.linspace(0, 1, HIST_BINS + 1, device=ordered.device)[1:-1]
    edges = lo[:, None] + (hi - lo)[:, None] * steps  # (rows, inner edges)
    cuts = torch.searchsorted(ordered, edges)  # values below each inner edge
    total = ordered.shape[-1]
    counts = torch.diff(cuts, dim=1, prepend=cuts.new_zeros(len(cuts), 1), append=cuts.new_full((len(cuts), 1), total))
    return counts.float() / total


def unroll(block: RecurrentBlock, x: torch.Tensor) -> tuple[list[torch.Tensor], dict[str, torch.Tensor]]:
    """Run one recurrent layer step by step with its own weights: the states h_1..h_T, and gate means."""
    rnn = block.rnn
    w_ih, w_hh, b_ih, b_hh = rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, rnn.bias_hh_l0
    batch, steps = x.shape[0], x.shape[1]
    h = x.new_zeros(batch, rnn.hidden_size)
    c = x.new_zeros(batch, rnn.hidden_size)
    states, sums = [], {}
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
