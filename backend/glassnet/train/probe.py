"""Instrumentation: turns the model's state on a frame tick into a Frame.

Everything is computed on the training device and stacked into one tensor, so a frame costs one
device-to-host copy. Nothing here runs on steps that are not frame ticks.
"""

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn

from glassnet.nn.models import MLP

EVAL_POINTS = 2048  # train/test accuracy and test loss are measured on at most this many points


@dataclass
class Frame:
    seq: int
    step: int
    epoch: float
    time: float
    train_loss: float | None
    test_loss: float | None
    train_acc: float | None
    test_acc: float | None
    act_mean: list[float | None]
    act_std: list[float | None]
    grad_norm: list[float | None]

    def to_message(self) -> dict:
        return {"type": "frame", **asdict(self)}


def finite_or_none(value: float) -> float | None:
    """JSON has no NaN or infinity; a non-finite figure travels as null."""
    return value if math.isfinite(value) else None


class Probe:
    def __init__(
        self,
        model: MLP,
        loss_fn: nn.Module,
        x_train: torch.Tensor,
        y_train: torch.Tensor,
        x_test: torch.Tensor,
        y_test: torch.Tensor,
    ) -> None:
        self.model = model
        self.loss_fn = loss_fn
        # fixed batches, so that frames are comparable over time
        self.x_train, self.y_train = x_train[:EVAL_POINTS], y_train[:EVAL_POINTS]
        self.x_test, self.y_test = x_test[:EVAL_POINTS], y_test[:EVAL_POINTS]
        self.n_layers = len(model.layer_weights())

    def grad_norms(self) -> torch.Tensor:
        """L2 norm of each layer's weight gradient; call after backward, before the optimizer step."""
        grads = [w.grad if w.grad is not None else torch.zeros_like(w) for w in self.model.layer_weights()]
        return torch.stack(torch._foreach_norm(grads))

    @torch.no_grad()
    def measure(self, train_loss: torch.Tensor, grad_norms: torch.Tensor) -> torch.Tensor:
        """All of a frame's figures as one flat tensor on the device (see `unpack`)."""
        was_training = self.model.training
        self.model.eval()
        layer_outputs = self.model.forward_layers(self.x_train)
        logits_train = layer_outputs[-1].squeeze(-1)
        logits_test = self.model(self.x_test).squeeze(-1)
        self.model.train(was_training)
        act_mean = torch.stack([o.mean() for o in layer_outputs])
        act_std = torch.stack([o.std(unbiased=False) for o in layer_outputs])
        test_loss = self.loss_fn(logits_test, self.y_test.float())
        train_acc = ((logits_train > 0).long() == self.y_train).float().mean()
        test_acc = ((logits_test > 0).long() == self.y_test).float().mean()
        scalars = torch.stack([train_loss.float(), test_loss, train_acc, test_acc])
        return torch.cat([scalars, act_mean, act_std, grad_norms.float()])

    def unpack(self, packed: torch.Tensor, seq: int, step: int, epoch: float, elapsed: float) -> Frame:
        values = [finite_or_none(v) for v in packed.cpu().tolist()]  # the one host copy
        n = self.n_layers
        train_loss, test_loss, train_acc, test_acc = values[:4]
        per_layer = values[4:]
        return Frame(
            seq=seq,
            step=step,
            epoch=epoch,
            time=elapsed,
            train_loss=train_loss,
            test_loss=test_loss,
            train_acc=train_acc,
            test_acc=test_acc,
            act_mean=per_layer[:n],
            act_std=per_layer[n : 2 * n],
            grad_norm=per_layer[2 * n : 3 * n],
        )
