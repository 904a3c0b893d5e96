"""The cohort engine: K runs of one architecture trained as one batched model (cohort/model.py), each member
with its own seed (init, data, data order, dropout masks, input noise), its own hyper-parameters, schedule,
clipping and regularization, held per member, so that each member's steps are the ones it would take alone
(train/loop.py's Trainer) within float32 round-off.

A member enters from scratch or from a single run's checkpoint and leaves as one (`checkpoint`), so a member
that stops, pauses or diverges goes on alone exactly where it was. Readings are a single run's readings: the
per-frame figures of all members are measured in the same batched ops and copied to the host in one go; a
detail reading loads the member into a single model of the architecture and reads it with the single run's
probe, so every view and route works unchanged for a member.
"""

import io
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from glassnet.cohort.conv import CohortCNN
from glassnet.cohort.model import Batched, CohortMLP
from glassnet.cohort.objective import member_losses
from glassnet.cohort.optim import CohortOptimizer, clip_cohort_gradients
from glassnet.cohort.recurrent import CohortRNN
from glassnet.config import ExperimentConfig
from glassnet.data import Dataset, load
from glassnet.nn.models import CNN, MLP, RNN, Net, build_model, mlp_parameters
from glassnet.train.loop import evaluated
from glassnet.train.losses import Objective
from glassnet.train.optim import Schedule
from glassnet.train.probe import EVAL_POINTS, Probe, Reading, Tick


@dataclass
class Member:
    """One run in a cohort: what the single Trainer keeps per run, besides the model and optimizer."""

    config: ExperimentConfig
    data: Dataset
    schedule: Schedule
    order_generator: torch.Generator  # the data order (the Trainer's own generator)
    generator: torch.Generator  # dropout masks and input noise (the Trainer's global random stream)
    order: torch.Tensor
    cursor: int = 0
    step_count: int = 0
    frame_count: int = 0
    started: float = field(default_factory=time.monotonic)
    current_lr: float = math.nan
    first_bad_step: int | None = None
    best_test: float = math.inf
    evals_without_improvement: int = 0
    stop_reason: str | None = None
    probe: Probe | None = None  # made at the member's first detail reading

    @property
    def epoch(self) -> float:
        return self.step_count * self.batch_size / len(self.data.x_train)

    @property
    def batch_size(self) -> int:
        return min(self.config.batch_size, len(self.data.x_train))

    @property
    def needs_eval(self) -> bool:
        return self.config.regularization.early_stopping > 0 or self.config.schedule.name == "plateau"


def _member(config: ExperimentConfig) -> tuple[Member, Net]:
    """A member built exactly as Trainer(config) builds a run (same seeding, data and init), and its model."""
    torch.manual_seed(config.seed)
    data = load(config.dataset, config.seed, torch.device("cpu"))
    model = build_model(data.input_shape, data.n_outputs, config.model)
    generator = torch.Generator()
    generator.set_state(torch.get_rng_state())
    order_generator = torch.Generator().manual_seed(config.seed)
    order = torch.randperm(len(data.x_train), generator=order_generator)
    schedule = Schedule(config.schedule, config.optimizer.lr, config.total_steps)
    return Member(config, data, schedule, order_generator, generator, order), model


def batched(models: list[Net], dropouts: list[float]) -> Batched:
    """The batched model of K single models of one architecture (cohort/compat.py says which kinds batch)."""
    if isinstance(models[0], MLP):
        return CohortMLP(models, dropouts)
    if isinstance(models[0], CNN):
        return CohortCNN(models, dropouts)
    if isinstance(models[0], RNN):
        return CohortRNN(models, dropouts)
    raise TypeError(f"no batched model for a {type(models[0]).__name__}")


def layer_weight_names(model: Net) -> list[list[str]]:
    """The parameter names of each layer's weight matrices (Net.layer_weights: the probe's per-layer figures, L1)."""
    names = {id(p): n for n, p in model.named_parameters()}
    return [[names[id(w)] for w in weights] for weights in model.layer_weights()]


class Cohort:
    def __init__(self, configs: list[ExperimentConfig], checkpoints: list[bytes | None] | None = None) -> None:
        """Members for `configs` (one cohort key, cohort/compat.py), each from scratch or from its single run's
        checkpoint (Trainer.checkpoint)."""
        built = [_member(c) for c in configs]
        self.members = [member for member, _ in built]
        models = [model for _, model in built]
        saved = checkpoints or [None] * len(configs)
        states = [None if blob is None else torch.load(io.BytesIO(blob), weights_only=True) for blob in saved]
        for model, state in zip(models, states, strict=True):
            if state is not None:
                model.load_state_dict(state["model"])
        self.model = batched(models, [c.model.dropout for c in configs])
        self.template = models[0]  # a single model of the architecture: the probe reads members through it
        first = self.members[0]
        self.objective = Objective(first.data.task, first.config.loss, 0.0)
        self.optimizer = CohortOptimizer(self.model.parameters, [c.optimizer for c in configs])
        for k, (member, state) in enumerate(zip(self.members, states, strict=True)):
            if state is not None:
                self._resume(k, member, state)
        self._restack()

    def _resume(self, k: int, member: Member, state: dict[str, Any]) -> None:
        if state["optimizer_name"] == member.config.optimizer.name:
            self.optimizer.load_member_state_dict(k, state["optimizer"])
        member.schedule.load_state_dict(state["schedule"])
        member.schedule.base_lr = member.config.optimizer.lr
        member.step_count = state["step"]
        member.order, member.cursor = state["order"], state["cursor"]
        member.order_generator.set_state(state["generator"])
        member.generator.set_state(state["torch_rng"])
        member.best_test, member.evals_without_improvement = state["early_stopping"]

    def _restack(self) -> None:
        """The per-member tensors the batched step uses (after members change)."""
        members = self.members
        self.x_train = torch.stack([m.data.x_train for m in members])
        self.y_train = torch.stack([m.data.y_train for m in members])
        if self.objective.task == "binary":  # (its targets as the loss takes them, once, not at every step)
            self.y_train = self.y_train.float()
        self.test_x = torch.stack([m.data.x_test[:EVAL_POINTS] for m in members])
        self.test_y = torch.stack([m.data.y_test[:EVAL_POINTS] for m in members])
        reg = [m.config.regularization for m in members]
        self.smoothing = (
            torch.tensor([[r.label_smoothing] for r in reg]) if any(r.label_smoothing for r in reg) else None
        )
        self.noise = [r.input_noise for r in reg]
        self.noisy = any(self.noise)
        self.l1 = torch.tensor([r.l1 for r in reg]) if any(r.l1 for r in reg) else None
        self.clipping = [m.config.clipping for m in members]
        self.clips = any(c.name != "none" for c in self.clipping)
        self.arange = torch.arange(len(members)).unsqueeze(1)
        self.batch, self.n_train = members[0].batch_size, len(members[0].data.x_train)  # (one cohort key: equal)
        # the members' training data in their epoch's order, and the cursor into it, while their cursors agree
        self.shuffled: tuple[torch.Tensor, torch.Tensor] | None = None
        self.cursor: int | None = None
        self.evaluating = [m for m in members if m.needs_eval]
        self.generators = [m.generator for m in members]
        self._schedule()
        self.schedules_move = any(m.config.schedule.name != "constant" for m in members)
        # each member's training losses since its last reading (float64 sums: the mean is the single run's within
        # float32 round-off)
        self.loss_sum = torch.zeros(len(members), dtype=torch.float64)
        self._loss_view = (self.loss_sum, self.loss_sum.numpy())  # (the tensor it is of: `step` renews it)
        self.steps = 0  # steps this cohort has taken; a member's losses since its last reading are since read_at
        self.read_at = torch.zeros(len(members), dtype=torch.float64)
        # the probe's records of the last measured step, by member index (which this change may have moved)
        self.act_grads: dict[int, torch.Tensor] = {}
        self.bn_batch: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}
        self.layers = layer_weight_names(self.template)
        self.weight_names = [n for names in self.layers for n in names]  # (flat, as the probe's flat_weights)
        self.layer_of = torch.tensor([i for i, names in enumerate(self.layers) for _ in names])

    @property
    def k(self) -> int:
        return len(self.members)

    # ---- a step of every member
    def _batches(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Each member's next batch from its own data order. While the members' cursors agree (members that
        started together), their data is put in order once per epoch, a batch is a slice of it, and the cursor
        is kept once for all (`cursor`; the members' own are brought up to date by `_sync`)."""
        size = self.batch
        if self.cursor is None or self.cursor + size > self.n_train:
            self._sync()
            members = self.members
            for m in members:
                if m.cursor + size > self.n_train:
                    m.order, m.cursor = torch.randperm(self.n_train, generator=m.order_generator), 0
            self.shuffled, self.cursor = None, None
            if all(m.cursor == members[0].cursor for m in members):
                orders = torch.stack([m.order for m in members])
                self.shuffled = (self.x_train[self.arange, orders], self.y_train[self.arange, orders])
                self.cursor = members[0].cursor
            else:
                index = torch.stack([m.order[m.cursor : m.cursor + size] for m in members])
                for m in members:
                    m.cursor += size
                return self.x_train[self.arange, index], self.y_train[self.arange, index]
        assert self.shuffled is not None
        x, y = self.shuffled
        start, self.cursor = self.cursor, self.cursor + size
        return x[:, start : start + size], y[:, start : start + size]

    def _sync(self) -> None:
        """The shared cursor into each member's own (before a member's state is read or the members change)."""
        if self.cursor is not None:
            for m in self.members:
                m.cursor = self.cursor

    def _schedule(self) -> None:
        """Each member's learning rate for its next step."""
        for m in self.members:
            m.current_lr = m.schedule.lr(m.step_count)
        self.lr = torch.tensor([m.current_lr for m in self.members])

    def set_lr(self, k: int, lr: float) -> None:
        """A live change of member k's base learning rate; its schedule goes on from it."""
        self.members[k].schedule.base_lr = lr
        self._schedule()

    def _autograd_step(self, x: torch.Tensor, y: torch.Tensor, generators: list[torch.Generator]) -> torch.Tensor:
        """The members' losses, with every parameter's .grad that of their sum (and the L1 penalties), by autograd."""
        losses = member_losses(self.objective, self.model(x, generators), y, self.smoothing)
        total = losses.sum()
        if self.l1 is not None:
            weights = [self.model.params[n] for n in self.weight_names]
            total = total + (self.l1 * sum(w.abs().flatten(1).sum(1) for w in weights)).sum()
        for p in self.model.parameters:
            p.grad = None
        total.backward()
        return losses

    def step(self, measure: list[bool] | None = None) -> torch.Tensor:
        """One optimizer step of every member; with `measure` (per member), the per-frame figures of the
        measured members are taken from this step. Returns the members' losses (K,)."""
        members = self.members
        if self.schedules_move:
            self._schedule()
        x, y = self._batches()
        if self.noisy:
            noise = [
                torch.randn(x.shape[1:], generator=m.generator) * s if s > 0 else torch.zeros(x.shape[1:])
                for m, s in zip(members, self.noise, strict=True)
            ]
            x = x + torch.stack(noise)
        watching = measure is not None and any(measure)
        generators = self.generators
        fast = None if watching else self.model.fast  # (a measured step keeps autograd: the probe's hooks need it)
        if watching:
            self._arm()
        try:
            if fast is not None:
                losses = fast.step(self.objective, x, y, generators, self.smoothing, self.l1)
            else:
                losses = self._autograd_step(x, y, generators)
        finally:
            self.model.on_output = self.model.on_norm_input = None
        if watching:
            self.grad_norms = self._per_layer_norms(grads=True)
        if self.clips:
            clip_cohort_gradients(self.model.parameters, self.clipping)
        if watching:
            self.before = [self.model.params[n].detach().clone() for n in self.weight_names]
        self.optimizer.step(self.lr)
        if fast is None:
            losses = losses.detach()
        self.loss_sum.add_(losses)
        self.steps += 1
        for m in members:
            m.step_count += 1
        self.ended_any = False  # whether a member diverged or stopped early at this step
        # one host read per step, as the single Trainer has: of the members' loss sums, whose numpy view costs no
        # tensor op (a sum stays non-finite from a member's first non-finite loss on, until it is read)
        if self._loss_view[0] is not self.loss_sum:
            self._loss_view = (self.loss_sum, self.loss_sum.numpy())
        if not math.isfinite(sum(self._loss_view[1].tolist())):
            values = losses.tolist()
            for m, value in zip(members, values, strict=True):
                if not math.isfinite(value):
                    self.ended_any = True
                    if m.first_bad_step is None:
                        m.first_bad_step = m.step_count
        if self.evaluating and any(m.step_count % m.config.eval_every == 0 for m in self.evaluating):
            self._evaluate()
        return losses

    # ---- the probe's records on a measured step
    def _arm(self) -> None:
        self.act_grads, self.bn_batch = {}, {}

        def on_output(i: int, out: torch.Tensor) -> None:
            if out.requires_grad:
                out.register_hook(lambda grad: self.act_grads.__setitem__(i, grad.flatten(1).norm(dim=1)))

        def on_norm_input(i: int, h: torch.Tensor) -> None:
            h = h.detach()
            self.bn_batch[i] = (h.mean(1), h.var(1, unbiased=False))

        self.model.on_output = on_output
        self.model.on_norm_input = on_norm_input

    def _per_layer_norms(self, grads: bool) -> torch.Tensor:
        """(K, layers): the norm of each member's weight (or weight gradient) of each layer."""
        tensors = [self.model.params[n] for n in self.weight_names]
        if grads:
            tensors = [t.grad if t.grad is not None else torch.zeros_like(t) for t in tensors]
        return self._per_layer([t.detach().flatten(1).norm(dim=1) for t in tensors])

    def _per_layer(self, norms: list[torch.Tensor]) -> torch.Tensor:
        """(K, layers) from each weight matrix's norms (K,): a layer's is that of all its matrices together."""
        if len(norms) == len(self.layers):
            return torch.stack(norms, 1)
        squares = torch.stack(norms, 1).square()
        return torch.zeros(self.k, len(self.layers)).index_add_(1, self.layer_of, squares).sqrt()

    @torch.no_grad()
    def _evaluate(self) -> None:
        """Test loss for plateau decay and early stopping, for the members whose evaluation is due."""
        self.model.training = False
        test = member_losses(self.objective, self.model(self.test_x), self.test_y, self.smoothing).tolist()
        self.model.training = True
        for m, test_loss in zip(self.members, test, strict=True):
            if not (m.needs_eval and m.step_count % m.config.eval_every == 0):
                continue
            evaluated(m, test_loss)
            self.ended_any = self.ended_any or m.stop_reason is not None

    # ---- what a member's run tells the server
    def probe(self, k: int) -> Probe:
        """Member k's probe: the single run's, reading the member through the cohort's template model."""
        m = self.members[k]
        if m.probe is None:
            objective = Objective(m.data.task, m.config.loss, m.config.regularization.label_smoothing)
            m.probe = Probe(self.template, objective, m.data)
        return m.probe

    def describe_data(self, k: int) -> dict[str, Any]:
        """As Trainer.describe_data: the stream hello's data description."""
        m = self.members[k]
        return {
            **m.data.describe(),
            "parameters": sum(p.numel() for p in self.template.parameters()),
            "mlp_parameters": mlp_parameters(m.data.input_shape, m.data.n_outputs, m.config.model),
        }

    def metric_names(self, k: int) -> list[str]:
        return [metric.name for metric in self.probe(k).metrics]

    # ---- readings: a single run's, per member
    def read(self, k: int, detail: bool, measured: bool) -> Reading:
        """Member k's reading, as its single run's probe makes it; `measured`: of the step just taken (its
        gradient norms before clipping, its update), else of the net as it is between steps."""
        made = time.monotonic()
        m = self.members[k]
        self.model.load_member(k, self.template)
        probe = self.probe(k)
        probe.act_grads = [self.act_grads[i][k] if i in self.act_grads else None for i in range(probe.n_layers)]
        probe.bn_batch = {i: (mean[k], var[k]) for i, (mean, var) in self.bn_batch.items()}
        tick = Tick(
            losses=self._mean_losses([k]) if self.read_at[k] < self.steps else None,
            lr=float(m.current_lr),
            epoch=m.epoch,
            elapsed=made - m.started,
            grad_norms=self.grad_norms[k] if measured else probe.weight_grad_norms(),
            before=[b[k] for b in self.before] if measured else None,
        )
        values, views = probe.read(tick, detail)
        reading = Reading(m.step_count, detail, m.first_bad_step, values, views, seq=m.frame_count, made=made)
        m.frame_count += 1
        return reading

    def read_frames(self, ks: list[int]) -> list[Reading]:
        """The per-frame readings of members `ks` after a measured step, all measured in the same batched ops
        and copied to the host in one go (what probe.read(tick, detail=False) gives each alone)."""
        made = time.monotonic()
        weights = self._per_layer_norms(grads=False)
        deltas = [
            (self.model.params[n].detach() - b).flatten(1).norm(dim=1)
            for n, b in zip(self.weight_names, self.before, strict=True)
        ]
        updates = self._per_layer(deltas)
        n_layers = len(self.layers)
        nan = torch.full((self.k,), math.nan)
        act = torch.stack([self.act_grads.get(i, nan) for i in range(n_layers)], 1)
        losses = torch.zeros(self.k)
        losses[ks] = self._mean_losses(ks)
        table = {
            "train_loss": losses.unsqueeze(1),
            "grad_norm": self.grad_norms,
            "act_grad_norm": act,
            "weight_norm": weights,
            "update_norm": updates,
            "update_ratio": torch.log10(updates / weights),
        }
        host = torch.cat([t.float() for t in table.values()], 1)[ks].numpy()
        readings = []
        for row, k in zip(host, ks, strict=True):
            m = self.members[k]
            values: dict[str, np.ndarray] = {}
            offset = 0
            for name, tensor in table.items():
                width = tensor.shape[1]
                values[name] = row[offset : offset + width].reshape(tensor.shape[2:] if name == "train_loss" else -1)
                offset += width
            values["lr"] = np.asarray(float(m.current_lr), dtype=np.float64)
            values["epoch"] = np.asarray(m.epoch, dtype=np.float64)
            values["time"] = np.asarray(made - m.started, dtype=np.float64)
            readings.append(Reading(m.step_count, False, m.first_bad_step, values, {}, seq=m.frame_count, made=made))
            m.frame_count += 1
        return readings

    def _mean_losses(self, ks: list[int]) -> torch.Tensor:
        """Members `ks`' mean training loss since their last reading, which starts a new mean."""
        mean = (self.loss_sum[ks] / (self.steps - self.read_at[ks])).float()
        self.loss_sum[ks], self.read_at[ks] = 0.0, float(self.steps)
        return mean

    # ---- members leaving and entering
    def checkpoint(self, k: int) -> bytes:
        """Member k's training state as its single run's Trainer.checkpoint has it: Trainer.resume continues it."""
        self._sync()
        m = self.members[k]
        state = {
            "model": self.model.member_state(k),
            "optimizer": self.optimizer.member_state_dict(k),
            "optimizer_name": m.config.optimizer.name,
            "schedule": m.schedule.state_dict(),
            "step": m.step_count,
            "order": m.order.clone(),
            "cursor": m.cursor,
            "generator": m.order_generator.get_state(),
            "torch_rng": m.generator.get_state(),
            "cuda_rng": None,
            "early_stopping": (m.best_test, m.evals_without_improvement),
        }
        buffer = io.BytesIO()
        torch.save(state, buffer)
        return buffer.getvalue()

    def add(self, configs: list[ExperimentConfig]) -> None:
        """New members, from scratch, after the others (which go on where they are)."""
        self._sync()
        built = [_member(c) for c in configs]
        optimizer_states = [self.optimizer.member_state_dict(k) for k in range(self.k)]
        self.model.extend(batched([model for _, model in built], [c.model.dropout for c in configs]))
        sums, since = self.loss_sum, self.steps - self.read_at
        self.members += [member for member, _ in built]
        self._rebuild_optimizer(optimizer_states)
        self._restack()
        self.loss_sum[: len(sums)], self.read_at[: len(since)] = sums, self.steps - since

    def _rebuild_optimizer(self, states: list[dict]) -> None:
        """A new optimizer for the members now, the first of them continuing from `states`."""
        self.optimizer = CohortOptimizer(self.model.parameters, [m.config.optimizer for m in self.members])
        for k, state in enumerate(states):
            self.optimizer.load_member_state_dict(k, state)

    def remove(self, ks: list[int]) -> None:
        """Members `ks` leave (take their checkpoint first); the others go on where they are."""
        self._sync()
        keep = [k for k in range(self.k) if k not in set(ks)]
        optimizer_states = [self.optimizer.member_state_dict(k) for k in keep]
        self.model.select(keep)
        self.members = [self.members[k] for k in keep]
        sums, since = self.loss_sum[keep], (self.steps - self.read_at)[keep]
        if self.members:  # (an empty cohort waits for members to join: add() builds its optimizer again)
            self._rebuild_optimizer(optimizer_states)
            self._restack()
        self.loss_sum, self.read_at = sums, self.steps - since
