"""The Trainer: owns data, model, optimizer and schedule; advances one step at a time and, when asked,
reads the probe.

It knows nothing of processes, sockets or clocks: train/driver.py decides when a reading is due, and
train/wire.py turns a reading into the stream's frame. Per-step work is only what training needs, a device-side
running train loss, and one cheap check that the loss is finite (so a divergence is caught at its very step).
"""

import io
import math
import time
from functools import cached_property
from typing import Any, Protocol

import torch

from glassnet.config import ExperimentConfig
from glassnet.data import Dataset, load
from glassnet.nn.models import LayerInfo, build_model, mlp_parameters
from glassnet.train.losses import Objective
from glassnet.train.optim import Schedule, clip_gradients, make_optimizer
from glassnet.train.probe import Probe, Reading, Tick


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device 'cuda' was asked for but this server has no CUDA GPU")
    return torch.device(name)


class Trainer:
    def __init__(self, config: ExperimentConfig, data: Dataset | None = None, trains: bool = True) -> None:
        """A trainer of `config`; with `trains` false, one that is only read at step 0 (read_step_zero, the page's
        preview), which builds no optimizer."""
        self.config = config
        self.device = resolve_device(config.device)
        torch.manual_seed(config.seed)  # the init, dropout masks and input noise all follow from the seed
        self.data = data if data is not None else load(config.dataset, config.seed, self.device)
        self.model = build_model(self.data.input_shape, self.data.n_outputs, config.model).to(self.device)
        self.objective = Objective(self.data.task, config.loss, config.regularization.label_smoothing)
        self.schedule = Schedule(config.schedule, config.optimizer.lr, config.total_steps)
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
        # the losses since the last reading, kept on the device (no host copy per step)
        self.recent_losses: list[torch.Tensor] = []
        self.first_bad_step: int | None = None  # the first step whose loss was not finite
        self.read_seconds = 0.0  # how long the last reading took
        self.model.train()
        # evaluation every eval_every steps, only when a decision depends on it (deterministic in steps)
        reg = config.regularization
        self.needs_eval = reg.early_stopping > 0 or config.schedule.name == "plateau"
        self.best_test = math.inf
        self.evals_without_improvement = 0
        self.stop_reason: str | None = None
        if trains:  # the optimizer now, so that the first step pays none of its first-time cost
            _ = self.optimizer

    # ---- data order
    def _new_order(self) -> torch.Tensor:
        return torch.randperm(len(self.data.x_train), generator=self.generator).to(self.device)

    def _next_batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        if self.cursor + self.batch_size > len(self.order):
            self.order, self.cursor = self._new_order(), 0
        idx = self.order[self.cursor : self.cursor + self.batch_size]
        self.cursor += self.batch_size
        return self.data.x_train[idx], self.data.y_train[idx]

    @cached_property
    def optimizer(self) -> torch.optim.Optimizer:
        """Made as the trainer is (or at the first step of one that `trains` not): a trainer only read at step 0
        builds none, and so skips the torch._dynamo import the first optimizer of a process costs (about 2 s)."""
        return make_optimizer(self.model.parameters(), self.config.optimizer)

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

    def state_dict(self) -> dict[str, torch.Tensor]:
        """The model's weights."""
        return self.model.state_dict()

    def set_lr(self, lr: float) -> None:
        """A live change of the (base) learning rate; the schedule goes on from it."""
        self.schedule.base_lr = lr

    # ---- training
    def step(self, measure: bool = False, detail: bool = False) -> Reading | None:
        """One optimizer step; with `measure`, also the reading that describes it (with `detail`, every
        metric; else the per-frame ones). A step whose loss is not finite, and the step early stopping ends on,
        are always read in full."""
        lr = self.schedule.lr(self.step_count)
        if lr != self.current_lr:
            for group in self.optimizer.param_groups:
                group["lr"] = lr
            self.current_lr = lr
        loss = self._gradients(measure)
        grad_norms = self.probe.weight_grad_norms() if measure else None
        clip_gradients(self.params, self.config.clipping)
        before = self.probe.snapshot() if measure else None
        self.optimizer.step()
        self.step_count += 1
        self.recent_losses.append(loss.detach())
        # one scalar read per step (about 0.2 us on a CPU; on a GPU it waits for the step to finish)
        if self.first_bad_step is None and not math.isfinite(loss.item()):
            self.first_bad_step = self.step_count
            measure = detail = True
        if self.needs_eval and self.step_count % self.config.eval_every == 0:
            self._evaluate()
            if self.stop_reason:  # the run ends here: its last reading, with this step's training loss
                measure = detail = True
        if not measure:
            return None
        return self.read(detail, grad_norms, before)

    def _gradients(self, measure: bool) -> torch.Tensor:
        """The next batch's forward and backward pass (with `measure`, seen by the probe's hooks): the gradients
        are left on the weights; returns the batch's loss."""
        x, y = self._next_batch()
        reg = self.config.regularization
        if reg.input_noise > 0:
            x = x + reg.input_noise * torch.randn_like(x)
        if measure:
            self.probe.arm()
        try:
            loss = self.objective(self.model(x), y)
            total = loss + reg.l1 * sum(w.abs().sum() for w in self.l1_weights) if reg.l1 > 0 else loss
            for weight in self.params:  # as optimizer.zero_grad(set_to_none=True)
                weight.grad = None
            total.backward()
        finally:
            if measure:
                self.probe.disarm()
        return loss

    def read_step_zero(self) -> Reading:
        """Step 0 in full, as the page previews it before a run: the untrained net, with the loss and the
        gradients of the batch the first step trains on (the figures step 1's reading measures before its
        update) and the learning rate it uses. The net does not change (batch norm's running statistics are put
        back as they were), but the batch and the random numbers it drew are spent: a trainer read this way is
        for throwing away, not for training."""
        assert self.step_count == 0, "step 0 is read before the first step"
        buffers = [buffer.clone() for buffer in self.model.buffers()]
        self.current_lr = self.schedule.lr(0)
        self.recent_losses = [self._gradients(measure=True).detach()]
        with torch.no_grad():
            for buffer, saved in zip(self.model.buffers(), buffers, strict=True):
                buffer.copy_(saved)
        return self.read(detail=True)

    def read(
        self, detail: bool = True, grad_norms: torch.Tensor | None = None, before: list[torch.Tensor] | None = None
    ) -> Reading:
        """The probe's reading of the net as it is now. Without the step's `grad_norms` and weights `before`
        its update (a reading between steps), the gradients are those left by the last backward pass and the
        update ratio is unknown."""
        started = time.monotonic()
        tick = Tick(
            losses=torch.stack(self.recent_losses) if self.recent_losses else None,
            lr=float(self.current_lr),
            epoch=self.epoch,
            elapsed=started - self.started,
            grad_norms=self.probe.weight_grad_norms() if grad_norms is None else grad_norms,
            before=before,
        )
        values, views = self.probe.read(tick, detail)
        reading = Reading(
            self.step_count, detail, self.first_bad_step, values, views, seq=self.frame_count, made=started
        )
        self.frame_count += 1
        self.recent_losses = []
        self.read_seconds = time.monotonic() - started
        return reading

    @torch.no_grad()
    def _evaluate(self) -> None:
        """Test loss for plateau decay and early stopping (one host sync per evaluation)."""
        self.model.eval()
        test_loss = float(self.objective(self.model(self.probe.test_x), self.probe.test_y))
        self.model.train()
        evaluated(self, test_loss)

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


class Evaluated(Protocol):
    """What an evaluation updates: a Trainer, or a member of a cohort (cohort/engine.py)."""

    config: ExperimentConfig
    schedule: Schedule
    step_count: int
    best_test: float
    evals_without_improvement: int
    stop_reason: str | None


def evaluated(run: Evaluated, test_loss: float) -> None:
    """An evaluation's test loss: plateau decay, and early stopping (the run's `stop_reason`)."""
    run.schedule.observe(test_loss)
    patience = run.config.regularization.early_stopping
    if test_loss < run.best_test * (1 - 1e-4):
        run.best_test, run.evals_without_improvement = test_loss, 0
    else:
        run.evals_without_improvement += 1
        if patience and run.evals_without_improvement >= patience:
            run.stop_reason = (
                f"early stopping at step {run.step_count}: the test loss has not improved on "
                f"{run.best_test:.4g} for {patience} evaluations (every {run.config.eval_every} steps)"
            )


def _optimizer_hyper(trainer: Trainer) -> dict[str, Any]:
    """The fresh optimizer's hyper-parameters (everything in its param group but the params)."""
    fresh = make_optimizer([torch.nn.Parameter(torch.zeros(1))], trainer.config.optimizer)
    return {k: v for k, v in fresh.param_groups[0].items() if k != "params"}
