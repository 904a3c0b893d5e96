"""The Trainer: owns data, model, optimizer and schedule; advances one step at a time and makes frames.

It knows nothing of processes or sockets: runs/worker.py drives it and decides when a frame is due.
Per-step work is only what training needs plus two device-side accumulators (the running train loss and
the first non-finite step); everything else waits for a frame tick.
"""

import io
import math
import time
from typing import Any

import numpy as np
import torch

from glassnet.config import ExperimentConfig
from glassnet.data import Dataset, load
from glassnet.nn.models import LayerInfo, build_model, mlp_parameters
from glassnet.train.losses import Objective
from glassnet.train.optim import Schedule, clip_gradients, make_optimizer
from glassnet.train.pack import Pack, dense, finite_or_none, floats
from glassnet.train.probe import Probe

# every frame measures these; the rest (DETAIL) at most DETAIL_HZ times a second, carried over in between
EVERY_FRAME = ("grad_norm", "weight_norm", "update_ratio", "act_grad_norm")
DETAIL = (
    "act_mean",
    "act_std",
    "dead_fraction",
    "saturation",
    "unit_diversity",
    "bn_batch_mean",
    "bn_batch_var",
    "bn_running_mean",
    "bn_running_var",
)
# the probe's per-layer dense arrays: its name prefix (followed by the layer index) -> the key under `dense`
PER_LAYER_DENSE = {"unit_map_": "unit_maps", "feature_map_": "feature_maps", "edge_weight_": "weights"}
DETAIL_HZ = 10.0  # at most this many detail frames a second ...
DETAIL_BUDGET = 0.03  # ... and no more than this share of the time spent on them (fewer for costly models)


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device 'cuda' was asked for but this server has no CUDA GPU")
    return torch.device(name)


class Trainer:
    def __init__(self, config: ExperimentConfig, data: Dataset | None = None) -> None:
        self.config = config
        self.device = resolve_device(config.device)
        torch.manual_seed(config.seed)  # the init, dropout masks and input noise all follow from the seed
        self.data = data if data is not None else load(config.dataset, config.seed, self.device)
        self.model = build_model(self.data.input_shape, self.data.n_outputs, config.model).to(self.device)
        self.objective = Objective(self.data.task, config.loss, config.regularization.label_smoothing)
        self.optimizer = make_optimizer(self.model.parameters(), config.optimizer)
        self.schedule = Schedule(config.schedule, config.optimizer.lr, config.steps)
        self.probe = Probe(self.model, self.objective, self.data)
        self.params = list(self.model.parameters())
        self.l1_weights = self.probe.flat_weights
        n_train = len(self.data.x_train)
        self.batch_size = min(config.batch_size, n_train)
        self.generator = torch.Generator(device="cpu").manual_seed(config.seed)
        self.order = self._new_order()
        self.cursor = 0
        self.step_count = 0
        self.frame_count = 0
        self.started = time.monotonic()
        self.current_lr = config.optimizer.lr
        # the losses since the last frame, kept on the device (no host sync per step)
        self.recent_losses: list[torch.Tensor] = []
        self.model.train()
        self.last_detail_time = -math.inf
        self.detail_cost = 0.0  # seconds the last detail frame took
        self.detail: dict[str, Any] = {}  # the latest detail figures, repeated in light frames
        # evaluation every eval_every steps, only when a decision depends on it (deterministic in steps)
        reg = config.regularization
        self.needs_eval = reg.early_stopping > 0 or config.schedule.name == "plateau"
        self.best_test = math.inf
        self.evals_without_improvement = 0
        self.stop_reason: str | None = None

    # ---- data order
    def _new_order(self) -> torch.Tensor:
        return torch.randperm(len(self.data.x_train), generator=self.generator).to(self.device)

    def _next_batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        if self.cursor + self.batch_size > len(self.order):
            self.order, self.cursor = self._new_order(), 0
        idx = self.order[self.cursor : self.cursor + self.batch_size]
        self.cursor += self.batch_size
        return self.data.x_train[idx], self.data.y_train[idx]

    @property
    def layers(self) -> list[LayerInfo]:
        return self.model.layer_info()

    @property
    def epoch(self) -> float:
        return self.step_count * self.batch_size / len(self.data.x_train)

    def describe_data(self) -> dict[str, Any]:
        """The stream hello's `data`: the dataset's description and the model's parameter counts."""
        return {
            **self.data.describe(),
            "parameters": sum(p.numel() for p in self.params),
            "mlp_parameters": mlp_parameters(self.data.input_shape, self.data.n_outputs, self.config.model),
        }

    def set_lr(self, lr: float) -> None:
        """A live change of the (base) learning rate; the schedule goes on from it."""
        self.schedule.base_lr = lr

    # ---- training
    def step(self, measure: bool = False, detail: bool | None = None) -> dict[str, Any] | None:
        """One optimizer step; with `measure`, also the frame describing it. `detail` (default: when
        1/DETAIL_HZ has passed since the last detail frame) adds the probe's full measurement."""
        lr = self.schedule.lr(self.step_count)
        if lr != self.current_lr:
            for group in self.optimizer.param_groups:
                group["lr"] = lr
            self.current_lr = lr
        x, y = self._next_batch()
        reg = self.config.regularization
        if reg.input_noise > 0:
            x = x + reg.input_noise * torch.randn_like(x)
        if measure:
            self.probe.arm()
        try:
            loss = self.objective(self.model(x), y)
            total = loss + reg.l1 * sum(w.abs().sum() for w in self.l1_weights) if reg.l1 > 0 else loss
            self.optimizer.zero_grad(set_to_none=True)
            total.backward()
        finally:
            if measure:
                self.probe.disarm()
        grad_norms = self.probe.weight_grad_norms() if measure else None
        clip_gradients(self.params, self.config.clipping)
        before = self.probe.snapshot() if measure else None
        self.optimizer.step()
        self.step_count += 1
        self.recent_losses.append(loss.detach())
        if self.needs_eval and self.step_count % self.config.eval_every == 0:
            self._evaluate()
        if grad_norms is None or before is None:
            return None
        if detail is None:
            interval = max(1 / DETAIL_HZ, self.detail_cost / DETAIL_BUDGET)
            detail = time.monotonic() - self.last_detail_time >= interval
        detail = detail or not self.detail  # the first frame has every figure, so every frame carries them
        return self._frame(grad_norms, before, detail)

    @torch.no_grad()
    def _evaluate(self) -> None:
        """Test loss for plateau decay and early stopping (one host sync per evaluation)."""
        self.model.eval()
        test_loss = float(self.objective(self.model(self.probe.test_x), self.probe.test_y))
        self.model.train()
        self.schedule.observe(test_loss)
        patience = self.config.regularization.early_stopping
        if test_loss < self.best_test * (1 - 1e-4):
            self.best_test, self.evals_without_improvement = test_loss, 0
        else:
            self.evals_without_improvement += 1
            if patience and self.evals_without_improvement >= patience:
                self.stop_reason = (
                    f"early stopping at step {self.step_count}: the test loss has not improved on "
                    f"{self.best_test:.4g} for {patience} evaluations (every {self.config.eval_every} steps)"
                )

    def _frame(self, grad_norms: torch.Tensor, before: list[torch.Tensor], detail: bool) -> dict[str, Any]:
        pack = Pack()
        losses = torch.stack(self.recent_losses)
        pack.add("train_loss", losses.mean())
        # the first step since the last frame whose loss was not finite (-1: none)
        bad = ~torch.isfinite(losses)
        pack.add("first_bad", torch.where(bad.any(), bad.float().argmax(), -1))
        started = time.monotonic()
        self.probe.measure(pack, grad_norms, before, detail)
        values = pack.fetch()  # the one host copy (on a GPU, where the queued work completes)
        if detail:
            self.last_detail_time = time.monotonic()
            self.detail_cost = self.last_detail_time - started
        frame = self._frame_message(values, first_step=self.step_count - len(losses) + 1)
        self.frame_count += 1
        self.recent_losses = []
        return frame

    def _frame_message(self, v: dict[str, np.ndarray], first_step: int) -> dict[str, Any]:
        frame: dict[str, Any] = {
            "type": "frame",
            "seq": self.frame_count,
            "step": self.step_count,
            "epoch": self.epoch,
            "time": time.monotonic() - self.started,
            "wall": time.time(),  # when the frame was made (Unix seconds), for latency on the receiving side
            "lr": self.current_lr,
            "train_loss": finite_or_none(v["train_loss"]),
            "first_bad_step": first_step + int(v["first_bad"]) if v["first_bad"] >= 0 else None,
        }
        for name in EVERY_FRAME:
            frame[name] = floats(v[name])
        if "test_loss" in v:
            self.detail = self._detail_message(v)
        frame.update(self.detail)
        return frame

    def _detail_message(self, v: dict[str, np.ndarray]) -> dict[str, Any]:
        detail: dict[str, Any] = {
            "detail_step": self.step_count,
            "test_loss": finite_or_none(v["test_loss"]),
            "train_acc": finite_or_none(v["train_acc"]),
            "test_acc": finite_or_none(v["test_acc"]),
            "percentiles": floats(v["percentiles"]),
            "hist_range": floats(v["hist_range"]),
        }
        for name in DETAIL:
            detail[name] = floats(v[name])
        if "grad_time" in v:
            detail["grad_time"] = floats(v["grad_time"])
            detail["gates"] = [
                dict(zip(names, floats(v[f"gates_{i}"]), strict=True)) if names else {}
                for i, names in enumerate(self.probe.gate_names)
            ]
        dense_part: dict[str, Any] = {"hist": dense(v["hist"])}
        for name in ("grid", "curve", "filters", "confusion"):
            if name in v:
                dense_part[name] = dense(v[name])
        for prefix, key in PER_LAYER_DENSE.items():
            maps = {k.removeprefix(prefix): dense(a) for k, a in v.items() if k.startswith(prefix)}
            if maps:
                dense_part[key] = maps
        detail["dense"] = dense_part
        return detail

    def first_bad_layer(self, frame: dict[str, Any]) -> str | None:
        """The first layer (input side) whose gradients, weights or activations are no longer finite."""
        for i, info in enumerate(self.layers):
            if any(frame[k][i] is None for k in ("grad_norm", "weight_norm")):
                return info.name
        return None

    # ---- checkpoints and forks
    def checkpoint(self) -> bytes:
        """Everything needed to continue exactly from here: weights, optimizer, schedule, data order, RNG."""
        state = {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "optimizer_name": self.config.optimizer.name,
            "schedule": self.schedule.state_dict(),
            "step": self.step_count,
            "order": self.order.cpu(),
            "cursor": self.cursor,
            "generator": self.generator.get_state(),
            "torch_rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state_all() if self.device.type == "cuda" else None,
            "early_stopping": (self.best_test, self.evals_without_improvement),
        }
        buffer = io.BytesIO()
        torch.save(state, buffer)
        return buffer.getvalue()

    @classmethod
    def resume(cls, config: ExperimentConfig, checkpoint: bytes) -> "Trainer":
        """A trainer for `config` that continues from `checkpoint` (a fork when `config` changed)."""
        state = torch.load(io.BytesIO(checkpoint), weights_only=True)
        trainer = cls(config)
        trainer.model.load_state_dict(state["model"])
        if state["optimizer_name"] == config.optimizer.name:
            trainer.optimizer.load_state_dict(state["optimizer"])
            for group in trainer.optimizer.param_groups:  # the fork's own hyper-parameters win
                group.update(_optimizer_hyper(trainer))
        trainer.schedule.load_state_dict(state["schedule"])
        trainer.schedule.base_lr = config.optimizer.lr
        trainer.step_count = state["step"]
        trainer.current_lr = math.nan  # force the schedule's lr into the optimizer on the next step
        trainer.order, trainer.cursor = state["order"].to(trainer.device), state["cursor"]
        trainer.generator.set_state(state["generator"])
        torch.set_rng_state(state["torch_rng"])
        if state["cuda_rng"] is not None:
            torch.cuda.set_rng_state_all(state["cuda_rng"])
        trainer.best_test, trainer.evals_without_improvement = state["early_stopping"]
        return trainer


def _optimizer_hyper(trainer: Trainer) -> dict[str, Any]:
    """The fresh optimizer's hyper-parameters (everything in its param group but the params)."""
    fresh = make_optimizer([torch.nn.Parameter(torch.zeros(1))], trainer.config.optimizer)
    return {k: v for k, v in fresh.param_groups[0].items() if k != "params"}
