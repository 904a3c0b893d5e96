import math

import numpy as np
import pytest
import torch

from glassnet.config import ExperimentConfig
from glassnet.train.loop import Trainer


def make(config: dict) -> Trainer:
    return Trainer(ExperimentConfig.model_validate(config))


def test_training_lowers_the_loss_on_a_fixed_seed(small_config):
    trainer = make(small_config)
    first = trainer.step(measure=True, detail=True)
    for _ in range(400):
        trainer.step()
    last = trainer.step(measure=True, detail=True)
    assert first["test_loss"] > 0.6  # an untrained net on balanced classes: about log 2
    assert last["test_loss"] < 0.5 * first["test_loss"]
    assert last["test_acc"] > 0.9


def test_a_frame_carries_every_field_with_finite_numbers(small_config):
    trainer = make(small_config)
    frame = trainer.step(measure=True, detail=True)
    n_layers = len(small_config["model"]["hidden"]) + 1
    assert frame["step"] == 1 and frame["seq"] == 0
    for name in ("train_loss", "test_loss", "train_acc", "test_acc", "epoch", "time"):
        assert math.isfinite(frame[name]), name
    for name in ("act_mean", "act_std", "grad_norm"):
        values = frame[name]
        assert len(values) == n_layers, name
        assert all(v is not None and math.isfinite(v) for v in values), name
    assert all(v > 0 for v in frame["grad_norm"])
    assert trainer.step(measure=True)["seq"] == 1


def test_frame_figures_match_a_naive_recomputation(small_config):
    """Oracle: act mean/std per layer with numpy on the probe batch, and the weight-gradient norms."""
    small_config["model"]["hidden"] = [5, 3]
    trainer = make(small_config)
    for _ in range(20):
        trainer.step()
    weights_before = [ws[0].detach().clone() for ws in trainer.model.layer_weights()]
    # the gradient of the frame's step, recomputed from the same batch the trainer will draw
    state = (trainer.order.clone(), trainer.cursor)
    x, y = trainer._next_batch()
    trainer.order, trainer.cursor = state
    logits = trainer.model(x).squeeze(-1)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, y.float())
    expected_grads = torch.autograd.grad(loss, [ws[0] for ws in trainer.model.layer_weights()])
    expected_grad_norms = [float(np.sqrt((g.numpy().astype(np.float64) ** 2).sum())) for g in expected_grads]

    frame = trainer.step(measure=True, detail=True)
    assert frame["grad_norm"] == pytest.approx(expected_grad_norms, rel=1e-5)
    assert not torch.equal(weights_before[0], trainer.model.layer_weights()[0][0])  # the step did happen

    # activations of the probe batch after the step, layer by layer, in numpy
    h = trainer.probe.probe_x.numpy().astype(np.float64)
    means, stds = [], []
    for block in trainer.model.blocks:
        w, b = block.layer.weight.detach().numpy(), block.layer.bias.detach().numpy()
        h = np.tanh(h @ w.T + b)
        means.append(h.mean())
        stds.append(h.std())
    w, b = trainer.model.head.weight.detach().numpy(), trainer.model.head.bias.detach().numpy()
    out = h @ w.T + b
    means.append(out.mean())
    stds.append(out.std())
    assert frame["act_mean"] == pytest.approx(means, rel=1e-4, abs=1e-6)
    assert frame["act_std"] == pytest.approx(stds, rel=1e-4, abs=1e-6)

    # test accuracy: share of test points on the right side of 0
    with torch.no_grad():
        test_logits = trainer.model(trainer.probe.test_x).numpy().ravel()
    expected_acc = ((test_logits > 0).astype(int) == trainer.probe.test_y.numpy()).mean()
    assert frame["test_acc"] == pytest.approx(expected_acc, abs=1e-6)


def test_train_loss_is_the_mean_over_the_steps_since_the_last_frame(small_config):
    trainer = make(small_config)
    trainer.step(measure=True)
    losses = []
    original = trainer.objective

    def recording_loss(logits, target):
        value = original(logits, target)
        losses.append(value.item())
        return value

    trainer.objective = recording_loss
    for _ in range(9):
        trainer.step()
    frame = trainer.step(measure=True)
    # the probe's test loss also calls loss_fn; the first 10 calls are the training steps
    assert frame["train_loss"] == pytest.approx(np.mean(losses[:10]), rel=1e-5)


def test_the_same_seed_gives_the_same_losses(small_config):
    a, b = make(small_config), make(small_config)
    for _ in range(50):
        fa, fb = a.step(measure=True), b.step(measure=True)
        assert fa["train_loss"] == fb["train_loss"]
        assert fa["grad_norm"] == fb["grad_norm"]
