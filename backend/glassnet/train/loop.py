"""The Trainer: owns data, model and optimizer; advances one step at a time and makes frames.

It knows nothing of processes or sockets: runs/worker.py drives it and decides when a frame is due.
"""

import time

import torch
from torch import nn

from glassnet.config import ExperimentConfig
from glassnet.data import load
from glassnet.nn.models import LayerInfo, build_model
from glassnet.train.optim import make_optimizer
from glassnet.train.probe import Frame, Probe


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device 'cuda' was asked for but this server has no CUDA GPU")
    return torch.device(name)


class Trainer:
    def __init__(self, config: ExperimentConfig) -> None:
        self.config = config
        self.device = resolve_device(config.device)
        torch.manual_seed(config.seed)
        data = load(config.dataset, config.seed, self.device)
        self.x_train, self.y_train = data.x_train, data.y_train
        self.model = build_model(data.n_inputs, data.n_outputs, config.model).to(self.device)
        self.optimizer = make_optimizer(self.model.parameters(), config.optimizer)
        self.loss_fn = nn.BCEWithLogitsLoss()
        self.probe = Probe(self.model, self.loss_fn, data.x_train, data.y_train, data.x_test, data.y_test)
        self.batch_size = min(config.batch_size, len(self.x_train))
        self.generator = torch.Generator(device="cpu").manual_seed(config.seed)
        self.order = self._new_order()
        self.cursor = 0
        self.step_count = 0
        self.frame_count = 0
        self.started = time.monotonic()
        # running sum of the train loss since the last frame, kept on the device (no host sync per step)
        self.loss_sum = torch.zeros((), device=self.device)
        self.loss_steps = 0

    def _new_order(self) -> torch.Tensor:
        return torch.randperm(len(self.x_train), generator=self.generator).to(self.device)

    def _next_batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        if self.cursor + self.batch_size > len(self.order):
            self.order, self.cursor = self._new_order(), 0
        idx = self.order[self.cursor : self.cursor + self.batch_size]
        self.cursor += self.batch_size
        return self.x_train[idx], self.y_train[idx]

    @property
    def layers(self) -> list[LayerInfo]:
        return self.model.layer_info()

    @property
    def epoch(self) -> float:
        return self.step_count * self.batch_size / len(self.x_train)

    def step(self, measure: bool = False) -> Frame | None:
        """One optimizer step; with `measure`, also the frame describing it."""
        x, y = self._next_batch()
        logits = self.model(x).squeeze(-1)
        loss = self.loss_fn(logits, y.float())
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        grad_norms = self.probe.grad_norms() if measure else None
        self.optimizer.step()
        self.step_count += 1
        self.loss_sum += loss.detach()
        self.loss_steps += 1
        if grad_norms is None:
            return None
        return self._frame(grad_norms)

    def _frame(self, grad_norms: torch.Tensor) -> Frame:
        train_loss = self.loss_sum / max(1, self.loss_steps)
        packed = self.probe.measure(train_loss, grad_norms)
        frame = self.probe.unpack(
            packed, self.frame_count, self.step_count, self.epoch, time.monotonic() - self.started
        )
        self.frame_count += 1
        self.loss_sum.zero_()
        self.loss_steps = 0
        return frame
