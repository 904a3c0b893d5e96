"""Oracle tests for the probe (DESIGN.md §3): every metric of a frame, recomputed naively on a tiny model.

Each test builds a small model, takes one measured step and recomputes the figure from the model's
weights, the training batch and the probe/test sets in numpy (float64), or, for the RNN's gradients through
time, with torch autograd through a hand-written unroll in float64. Nothing here calls the probe's helpers.

Conventions the probe follows (see DESIGN.md §3 and train/probe.py's docstring):
- gradient figures (grad_norm, act_grad_norm, BN batch statistics) come from the frame's own training batch,
  with the weights before the optimizer step;
- activation figures, weight norms and test figures come from the weights after the step, in eval mode, on
  the fixed probe batch (the first 256 training points) and the test set;
- dense arrays are 8-bit quantized: decoded with `undense`, within (hi - lo) / 255.
"""

import copy
import json
import math
from typing import Any

import numpy as np
import pytest
import torch

from glassnet.config import ExperimentConfig
from glassnet.protocol import frame_of
from glassnet.train.loop import Trainer
from glassnet.train.pack import undense

PERCENTILES = (0, 7, 16, 31, 50, 69, 84, 93, 100)  # DESIGN.md §3: TensorBoard's distribution bands
BINS = 30
GRID = 24
CURVE_POINTS = 100
BN_EPS, BN_MOMENTUM = 1e-5, 0.1
RTOL, ATOL = 1e-4, 1e-5

ACTIVATIONS = {
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0.0),
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "linear": lambda z: z,
}
# the derivative of each activation, from its output
DERIVATIVES = {
    "tanh": lambda a: 1.0 - a**2,
    "relu": lambda a: (a > 0).astype(np.float64),
    "sigmoid": lambda a: a * (1.0 - a),
    "linear": lambda a: np.ones_like(a),
}
BOUNDS = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}


# ---------------------------------------------------------------------------------------------- setup helpers
def make_config(name: str, model: dict, **overrides: Any) -> dict:
    config = {
        "dataset": {"name": name, "n_samples": 80, "noise": 0.1},
        "model": model,
        "optimizer": {"name": "sgd", "lr": 0.1},
        "batch_size": 8,
        "steps": 100,
        "seed": 3,
        "device": "cpu",
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(config.get(key), dict):
            config[key] = {**config[key], **value}
        else:
            config[key] = value
    return config


def make(config: dict) -> Trainer:
    return Trainer(ExperimentConfig.model_validate(copy.deepcopy(config)))


def state(trainer: Trainer) -> dict[str, np.ndarray]:
    """Every parameter and buffer of the model, as float64 numpy arrays."""
    return {k: v.detach().cpu().numpy().astype(np.float64) for k, v in trainer.model.state_dict().items()}


def peek_batch(trainer: Trainer) -> tuple[np.ndarray, np.ndarray]:
    """The training batch the trainer's next step will draw, without consuming it."""
    saved = (trainer.order.clone(), trainer.cursor, trainer.generator.get_state())
    x, y = trainer._next_batch()
    trainer.order, trainer.cursor = saved[0], saved[1]
    trainer.generator.set_state(saved[2])
    return x.cpu().numpy().astype(np.float64), y.cpu().numpy()


def measured_step(trainer: Trainer) -> dict[str, Any]:
    """One measured detail step, with what an oracle needs: the batch and the weights before and after."""
    before = state(trainer)
    x, y = peek_batch(trainer)
    reading = trainer.step(measure=True, detail=True)
    assert reading is not None
    frame = json.loads(frame_of(reading).model_dump_json(exclude_unset=True))  # as the stream sends it
    return {"frame": frame, "x": x, "y": y, "before": before, "after": state(trainer)}


def probe_set(trainer: Trainer) -> tuple[np.ndarray, np.ndarray]:
    n = min(256, len(trainer.data.x_train))
    return (
        trainer.data.x_train[:n].cpu().numpy().astype(np.float64),
        trainer.data.y_train[:n].cpu().numpy(),
    )


def eval_set(trainer: Trainer) -> tuple[np.ndarray, np.ndarray]:
    n = min(1024, len(trainer.data.x_test))
    return (
        trainer.data.x_test[:n].cpu().numpy().astype(np.float64),
        trainer.data.y_test[:n].cpu().numpy(),
    )


def close(actual: Any, expected: Any, rtol: float = RTOL, atol: float = ATOL) -> None:
    actual = np.array([math.nan if v is None else v for v in np.ravel(np.array(actual, dtype=object))], float)
    np.testing.assert_allclose(actual, np.ravel(np.asarray(expected, float)), rtol=rtol, atol=atol)


def decoded(message: dict, expected: np.ndarray) -> np.ndarray:
    """A dense array from a frame, checked against `expected` within its quantization step."""
    values = undense(message)
    expected = np.asarray(expected, float)
    assert values.shape == expected.shape
    step = (message["hi"] - message["lo"]) / 255
    assert message["lo"] == pytest.approx(expected.min(), rel=RTOL, abs=ATOL)
    assert message["hi"] == pytest.approx(expected.max(), rel=RTOL, abs=ATOL)
    np.testing.assert_allclose(values, expected, rtol=0, atol=step + RTOL * np.abs(expected).max() + ATOL)
    return values


# ---------------------------------------------------------------------------------------------- naive models
def batch_norm(z: np.ndarray, s: dict, prefix: str, train: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BatchNorm over every axis but 1; returns the output and the (biased) batch mean and variance."""
    axes = tuple(d for d in range(z.ndim) if d != 1)
    shape = [1] * z.ndim
    shape[1] = -1
    mean, var = z.mean(axes), z.var(axes)
    if not train:
        mean, var = s[prefix + "running_mean"], s[prefix + "running_var"]
    out = (z - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + BN_EPS)
    out = out * s[prefix + "weight"].reshape(shape) + s[prefix + "bias"].reshape(shape)
    return out, z.mean(axes), z.var(axes)


def mlp_forward(
    s: dict, x: np.ndarray, activation: str, n_blocks: int, train: bool = False, norm_after: bool = False
) -> dict[str, list]:
    """Block outputs (head last), activation outputs and batch-norm inputs of an MLP, layer by layer."""
    h = x.reshape(len(x), -1)
    outputs, acts, norm_inputs = [], [], []
    for i in range(n_blocks):
        p = f"blocks.{i}."
        z = h @ s[p + "layer.weight"].T + s[p + "layer.bias"]
        has_norm = p + "norm.running_mean" in s
        if has_norm and not norm_after:
            norm_inputs.append(z)
            z = batch_norm(z, s, p + "norm.", train)[0]
        a = ACTIVATIONS[activation](z)
        acts.append(a)
        h = a
        if has_norm and norm_after:
            norm_inputs.append(a)
            h = batch_norm(a, s, p + "norm.", train)[0]
        outputs.append(h)
    outputs.append(h @ s["head.weight"].T + s["head.bias"])
    return {"outputs": outputs, "acts": acts, "norm_inputs": norm_inputs}


def loss_and_grad(logits: np.ndarray, y: np.ndarray, task: str) -> tuple[float, np.ndarray]:
    """The mean loss of a batch and its gradient with respect to the logits."""
    n = len(logits)
    if task == "binary":
        z = logits[:, 0]
        loss = np.mean(np.logaddexp(0.0, z) - y * z)
        return float(loss), ((1.0 / (1.0 + np.exp(-z)) - y) / n)[:, None]
    if task == "multiclass":
        shifted = logits - logits.max(1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
        onehot = np.eye(logits.shape[1])[y]
        return float(-np.mean(log_p[np.arange(n), y])), (np.exp(log_p) - onehot) / n
    z = logits[:, 0]
    return float(np.mean((z - y) ** 2)), (2.0 * (z - y) / n)[:, None]


def mlp_backward(s: dict, x: np.ndarray, y: np.ndarray, activation: str, n_blocks: int, task: str) -> dict:
    """Loss, dL/d(block output) and dL/d(weight) of every layer of a plain MLP (no norm, no residual)."""
    forward = mlp_forward(s, x, activation, n_blocks, train=True)
    outputs = forward["outputs"]
    loss, g = loss_and_grad(outputs[-1], y, task)
    inputs = [x.reshape(len(x), -1), *outputs[:-1]]
    act_grads: list = [None] * (n_blocks + 1)
    weight_grads: list = [None] * (n_blocks + 1)
    act_grads[-1], weight_grads[-1] = g, g.T @ inputs[-1]
    dh = g @ s["head.weight"]
    for i in reversed(range(n_blocks)):
        act_grads[i] = dh
        dz = dh * DERIVATIVES[activation](outputs[i])
        weight_grads[i] = dz.T @ inputs[i]
        dh = dz @ s[f"blocks.{i}.layer.weight"]
    return {"loss": loss, "act_grads": act_grads, "weight_grads": weight_grads}


def conv2d(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """'same' convolution (cross-correlation, as torch) of (n, c, H, W) with (o, c, k, k)."""
    k = w.shape[-1]
    pad = k // 2
    n, _, height, width = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((n, w.shape[0], height, width)) + b[None, :, None, None]
    for di in range(k):
        for dj in range(k):
            out += np.einsum("nchw,oc->nohw", xp[:, :, di : di + height, dj : dj + width], w[:, :, di, dj])
    return out


def max_pool2(x: np.ndarray) -> np.ndarray:
    n, c, height, width = x.shape
    return x[:, :, : height // 2 * 2, : width // 2 * 2].reshape(n, c, height // 2, 2, width // 2, 2).max((3, 5))


def cnn_forward(s: dict, x: np.ndarray, train: bool = False) -> dict[str, list]:
    """One conv block (conv -> (BN) -> relu -> max pool) and the head, as make_config's CNN builds it."""
    z = conv2d(x, s["blocks.0.layer.weight"], s["blocks.0.layer.bias"])
    norm_inputs = []
    if "blocks.0.norm.running_mean" in s:
        norm_inputs.append(z)
        z = batch_norm(z, s, "blocks.0.norm.", train)[0]
    a = np.maximum(z, 0.0)
    out = max_pool2(a)
    logits = out.reshape(len(x), -1) @ s["head.weight"].T + s["head.bias"]
    return {"outputs": [out, logits], "acts": [a], "norm_inputs": norm_inputs}


# ---------------------------------------------------------------------------------------------- loss, accuracy
def test_train_loss_is_the_mean_of_the_batch_losses_since_the_last_frame():
    config = make_config("circle", {"hidden": [4, 4], "activation": "tanh"})
    trainer = make(config)
    trainer.step(measure=True, detail=False)  # a frame: the running mean starts afresh after it
    losses = []
    for i in range(5):
        x, y = peek_batch(trainer)
        logits = mlp_forward(state(trainer), x, "tanh", 2, train=True)["outputs"][-1]
        losses.append(loss_and_grad(logits, y, "binary")[0])
        frame = trainer.step(measure=i == 4, detail=False)
    assert frame is not None
    assert frame["train_loss"] == pytest.approx(np.mean(losses), rel=RTOL, abs=ATOL)
    assert frame["first_bad_step"] is None


@pytest.mark.parametrize(("dataset", "task"), [("circle", "binary"), ("digits", "multiclass"), ("sine", "regression")])
def test_test_loss_test_accuracy_and_train_accuracy(dataset, task):
    config = make_config(dataset, {"hidden": [5, 3], "activation": "tanh"}, dataset={"n_samples": 100})
    trainer = make(config)
    for _ in range(3):
        trainer.step()
    step = measured_step(trainer)
    frame, s = step["frame"], step["after"]

    x_test, y_test = eval_set(trainer)
    test_logits = mlp_forward(s, x_test, "tanh", 2)["outputs"][-1]
    assert frame["test_loss"] == pytest.approx(loss_and_grad(test_logits, y_test, task)[0], rel=RTOL, abs=ATOL)

    x_probe, y_probe = probe_set(trainer)
    probe_logits = mlp_forward(s, x_probe, "tanh", 2)["outputs"][-1]
    if task == "regression":
        assert "test_acc" not in frame and "train_acc" not in frame  # a regression measures no accuracy
        return

    def accuracy(logits: np.ndarray, y: np.ndarray) -> float:
        predicted = (logits[:, 0] > 0).astype(int) if task == "binary" else logits.argmax(1)
        return float((predicted == y).mean())

    assert frame["test_acc"] == pytest.approx(accuracy(test_logits, y_test), abs=1e-6)
    assert frame["train_acc"] == pytest.approx(accuracy(probe_logits, y_probe), abs=1e-6)


# ---------------------------------------------------------------------------------------------- activations
def stat_sample(values: np.ndarray) -> np.ndarray:
    """The values a layer's percentiles and histogram are measured on: all of them up to 1024, else the
    probe's fixed random subset (the first 1024 of a permutation seeded with the number of values)."""
    if values.size <= 1024:
        return values
    index = torch.randperm(values.size, generator=torch.Generator().manual_seed(values.size))[:1024]
    return values[index.numpy()]


def check_distribution(frame: dict, outputs: list[np.ndarray]) -> None:
    """act_mean, act_std (all values), percentiles, hist and hist_range (the stat sample) against numpy."""
    everything = [out.ravel() for out in outputs]
    close(frame["act_mean"], [v.mean() for v in everything])
    close(frame["act_std"], [v.std() for v in everything])
    values = [stat_sample(v) for v in everything]
    close(frame["percentiles"], [np.percentile(v, PERCENTILES) for v in values])
    ranges = [(v.min(), v.max() if v.max() > v.min() else v.min() + 1) for v in values]
    close(frame["hist_range"], ranges)
    shares = np.array([np.histogram(v, bins=BINS, range=r)[0] / v.size for v, r in zip(values, ranges, strict=True)])
    hist = decoded(frame["dense"]["hist"], shares)
    # where the quantization step is small enough, recover every count exactly
    step = (frame["dense"]["hist"]["hi"] - frame["dense"]["hist"]["lo"]) / 255
    for i, v in enumerate(values):
        if step * v.size >= 1:
            continue
        counts = np.rint(hist[i] * v.size).astype(int)
        expected = np.histogram(v, bins=BINS, range=ranges[i])[0]
        np.testing.assert_array_equal(counts, expected, err_msg=f"layer {i}")


@pytest.mark.parametrize(("hidden", "activation"), [([4, 4], "tanh"), ([5, 3], "relu"), ([6, 2], "sigmoid")])
def test_activation_mean_std_percentiles_and_histogram(hidden, activation):
    config = make_config("circle", {"hidden": hidden, "activation": activation})
    trainer = make(config)
    for _ in range(3):
        trainer.step()
    step = measured_step(trainer)
    x_probe, _ = probe_set(trainer)
    outputs = mlp_forward(step["after"], x_probe, activation, len(hidden))["outputs"]
    assert all(out.size < 1024 for out in outputs)  # below the probe's subsampling threshold: all values count
    check_distribution(step["frame"], outputs)


def test_subsampled_statistics_cover_every_unit():
    """Above 1024 values a layer's percentiles and histogram come from a subsample, which must still cover
    every unit: a layer of 8 ReLU units whose even units are dead and odd ones alive has about half of its
    values at 0, and the largest of them far above 0."""
    config = make_config("circle", {"hidden": [8], "activation": "relu"}, dataset={"n_samples": 600})
    trainer = make(config)
    with torch.no_grad():
        layer = trainer.model.blocks[0].layer
        layer.weight[0::2] = 0.0
        layer.bias[0::2] = -100.0  # even units: always 0
        layer.weight[1::2] = 0.0
        layer.bias[1::2] = torch.tensor([1.0, 2.0, 3.0, 4.0])  # odd units: constants 1, 2, 3, 4
    frame = measured_step(trainer)["frame"]
    x_probe, _ = probe_set(trainer)
    out = mlp_forward(state(trainer), x_probe, "relu", 1)["outputs"][0]
    assert out.size > 1024
    assert frame["act_mean"][0] == pytest.approx(out.mean(), rel=RTOL)  # the mean uses every value
    low, high = frame["hist_range"][0]
    assert low == pytest.approx(0.0, abs=1e-6)
    assert high == pytest.approx(out.max(), rel=1e-3)  # about 4: the odd units are in the sample
    hist = undense(frame["dense"]["hist"])[0]
    assert hist[0] == pytest.approx(0.5, abs=0.05)  # about half the values are the dead units' zeros
    assert frame["percentiles"][0][-1] == pytest.approx(out.max(), rel=1e-3)


def test_dead_fraction_counts_units_that_are_zero_for_every_probe_sample():
    config = make_config("circle", {"hidden": [5, 4], "activation": "relu"})
    trainer = make(config)
    with torch.no_grad():
        for block, units in [(trainer.model.blocks[0], [1, 3]), (trainer.model.blocks[1], [2])]:
            block.layer.weight[units] = 0.0
            block.layer.bias[units] = -100.0
    for _ in range(2):
        trainer.step()
    frame = measured_step(trainer)["frame"]
    x_probe, _ = probe_set(trainer)
    acts = mlp_forward(state(trainer), x_probe, "relu", 2)["acts"]
    expected = [float((np.abs(a).max(0) == 0).mean()) for a in acts]
    assert expected[0] == 0.4 and expected[1] >= 0.25
    assert frame["dead_fraction"][:2] == pytest.approx(expected, abs=1e-7)
    assert frame["dead_fraction"][2] is None  # the head has no ReLU: NaN, sent as null


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_saturation_is_the_share_of_outputs_near_a_bound(activation):
    config = make_config(
        "circle",
        {"hidden": [5, 3], "activation": activation, "init": {"name": "normal", "std": 3.0}},
    )
    trainer = make(config)
    trainer.step()
    frame = measured_step(trainer)["frame"]
    x_probe, _ = probe_set(trainer)
    acts = mlp_forward(state(trainer), x_probe, activation, 2)["acts"]
    low, high = BOUNDS[activation]
    margin = 0.03 * (high - low)
    expected = [float(((a - low < margin) | (high - a < margin)).mean()) for a in acts]
    assert min(expected) > 0 and max(expected) < 1  # non-trivial
    assert frame["saturation"][:2] == pytest.approx(expected, abs=1e-6)
    assert frame["saturation"][2] is None


# ---------------------------------------------------------------------------------------------- gradients, weights
@pytest.mark.parametrize("clipping", ["none", "norm"])
def test_weight_and_activation_gradient_norms_on_the_training_batch(clipping):
    config = make_config(
        "circle",
        {"hidden": [5, 3], "activation": "tanh"},
        clipping={"name": clipping, "max_norm": 1e-3},
    )
    trainer = make(config)
    for _ in range(3):
        trainer.step()
    step = measured_step(trainer)
    grads = mlp_backward(step["before"], step["x"], step["y"], "tanh", 2, "binary")
    close(step["frame"]["grad_norm"], [np.linalg.norm(g) for g in grads["weight_grads"]])  # before clipping
    close(step["frame"]["act_grad_norm"], [np.linalg.norm(g) for g in grads["act_grads"]])
    if clipping == "norm":  # the step itself used the clipped gradient: the figure is not the clipped one
        assert min(step["frame"]["grad_norm"]) > 1e-3


@pytest.mark.parametrize("optimizer", [{"name": "sgd", "lr": 0.1}, {"name": "adam", "lr": 0.01}])
def test_weight_norm_and_update_ratio(optimizer):
    config = make_config("circle", {"hidden": [5, 3], "activation": "tanh"}, optimizer=optimizer)
    trainer = make(config)
    for _ in range(3):
        trainer.step()
    step = measured_step(trainer)
    names = ["blocks.0.layer.weight", "blocks.1.layer.weight", "head.weight"]
    before, after = step["before"], step["after"]
    close(step["frame"]["weight_norm"], [np.linalg.norm(after[k]) for k in names])
    ratios = [np.log10(np.linalg.norm(after[k] - before[k]) / np.linalg.norm(after[k])) for k in names]
    close(step["frame"]["update_ratio"], ratios, rtol=0, atol=1e-4)


@pytest.mark.parametrize("optimizer", [{"name": "sgd", "lr": 0.1}, {"name": "adam", "lr": 0.01}])
def test_update_norm_is_the_norm_of_each_layers_weight_change(optimizer):
    """‖ΔW‖ per layer in the measured step: both weight matrices of a recurrent layer count, biases do not."""
    model = {"kind": "rnn", "hidden": [3], "activation": "tanh", "cell": "gru", "rnn_hidden": 2}
    config = make_config("adding", model, dataset={"n_samples": 40, "seq_len": 4}, optimizer=optimizer)
    trainer = make(config)
    trainer.step()
    step = measured_step(trainer)
    layers = [["blocks.0.rnn.weight_ih_l0", "blocks.0.rnn.weight_hh_l0"], ["blocks.1.layer.weight"], ["head.weight"]]
    before, after = step["before"], step["after"]
    expected = [math.sqrt(sum(np.sum((after[k] - before[k]) ** 2) for k in names)) for names in layers]
    close(step["frame"]["update_norm"], expected)
    assert all(v > 0 for v in step["frame"]["update_norm"])


def test_unit_diversity_of_random_weights():
    config = make_config("circle", {"hidden": [5, 3], "activation": "tanh"})
    trainer = make(config)
    trainer.step()
    step = measured_step(trainer)
    expected = []
    for name in ["blocks.0.layer.weight", "blocks.1.layer.weight"]:
        rows = step["after"][name]
        spread = np.sqrt(np.mean([np.sum((row - rows[0]) ** 2) for row in rows]))
        scale = np.sqrt(np.mean([np.sum(row**2) for row in rows]))
        expected.append(spread / scale)
    close(step["frame"]["unit_diversity"][:2], expected)
    assert step["frame"]["unit_diversity"][2] is None  # one output unit: no spread to measure


@pytest.mark.parametrize("optimizer", [{"name": "sgd", "lr": 0.1}, {"name": "adam", "lr": 0.01}])
def test_unit_diversity_is_exactly_zero_under_zero_init(optimizer):
    init = {"name": "zeros", "bias": "constant", "bias_value": 0.5}
    config = make_config("circle", {"hidden": [5, 3], "activation": "tanh", "init": init}, optimizer=optimizer)
    trainer = make(config)
    for _ in range(5):
        trainer.step()
    frame = measured_step(trainer)["frame"]
    assert frame["unit_diversity"][:2] == [0.0, 0.0]
    assert frame["weight_norm"][1] > 0  # the weights did move, all units alike


@pytest.mark.parametrize("norm_position", ["before", "after"])
def test_batch_norm_batch_and_running_statistics(norm_position):
    model = {"hidden": [4, 3], "activation": "relu", "norm": "batch", "norm_position": norm_position}
    trainer = make(make_config("circle", model))
    for _ in range(3):
        trainer.step()
    step = measured_step(trainer)
    frame, before, after = step["frame"], step["before"], step["after"]
    after_norm = norm_position == "after"
    norm_inputs = mlp_forward(before, step["x"], "relu", 2, train=True, norm_after=after_norm)["norm_inputs"]
    close(frame["bn_batch_mean"][:2], [z.mean(0).mean() for z in norm_inputs])
    close(frame["bn_batch_var"][:2], [z.var(0).mean() for z in norm_inputs])
    n = len(step["x"])
    for i, z in enumerate(norm_inputs):  # the buffers moved by momentum toward this batch (unbiased variance)
        p = f"blocks.{i}.norm."
        expected_mean = (1 - BN_MOMENTUM) * before[p + "running_mean"] + BN_MOMENTUM * z.mean(0)
        expected_var = (1 - BN_MOMENTUM) * before[p + "running_var"] + BN_MOMENTUM * z.var(0) * n / (n - 1)
        close(after[p + "running_mean"], expected_mean)
        close(after[p + "running_var"], expected_var)
    close(frame["bn_running_mean"][:2], [after[f"blocks.{i}.norm.running_mean"].mean() for i in range(2)])
    close(frame["bn_running_var"][:2], [after[f"blocks.{i}.norm.running_var"].mean() for i in range(2)])
    for name in ("bn_batch_mean", "bn_batch_var", "bn_running_mean", "bn_running_var"):
        assert frame[name][2] is None  # the head has no norm
    # activation figures on the probe batch use the running statistics (eval mode)
    x_probe, _ = probe_set(trainer)
    outputs = mlp_forward(after, x_probe, "relu", 2, norm_after=after_norm)["outputs"]
    check_distribution(frame, outputs)


# ---------------------------------------------------------------------------------------------- plots
def test_grid_and_unit_maps_over_the_input_plane():
    config = make_config("circle", {"hidden": [17, 3], "activation": "tanh"})
    trainer = make(config)
    for _ in range(3):
        trainer.step()
    frame = measured_step(trainer)["frame"]
    grid_x = trainer.data.plot_inputs(GRID).cpu().numpy().astype(np.float64)
    outputs = mlp_forward(state(trainer), grid_x, "tanh", 2)["outputs"]
    probability = 1.0 / (1.0 + np.exp(-outputs[-1][:, 0]))
    decoded(frame["dense"]["grid"], probability.reshape(GRID, GRID))
    maps = frame["dense"]["unit_maps"]
    assert set(maps) == {"1"}  # layer 0 (17 units) is wider than 16: no maps
    expected = outputs[1].T.reshape(3, GRID, GRID)[:, ::2, ::2]
    decoded(maps["1"], expected)


@pytest.mark.parametrize(
    ("dataset", "model", "expected"),
    [
        # widths 16 and 17 around the limit of 16: layer 0 (16 x 2) and the head (1 x 3) only
        ("circle", {"hidden": [16, 17, 3], "activation": "tanh"}, {"0": (16, 2), "3": (1, 3)}),
        # a recurrent layer has no edge weights; the dense block after it (4 x 8) and the head (1 x 4) do
        ("parity", {"kind": "rnn", "cell": "gru", "rnn_hidden": 8, "hidden": [4], "activation": "relu"}, None),
    ],
)
def test_edge_weights_of_narrow_linear_layers(dataset, model, expected):
    trainer = make(make_config(dataset, model, dataset={"seq_len": 5}))
    for _ in range(3):
        trainer.step()
    step = measured_step(trainer)
    weights, after = step["frame"]["dense"]["weights"], step["after"]
    names = {"0": "blocks.0.layer.weight", "3": "head.weight"}
    if expected is None:
        expected, names = {"1": (4, 8), "2": (1, 4)}, {"1": "blocks.1.layer.weight", "2": "head.weight"}
    assert {k: tuple(v["shape"]) for k, v in weights.items()} == expected
    for index, name in names.items():  # (fan_out, fan_in), within the quantization step (hi - lo) / 255
        decoded(weights[index], after[name])


def test_curve_over_the_input_line():
    config = make_config("sine", {"hidden": [6], "activation": "tanh"})
    trainer = make(config)
    for _ in range(3):
        trainer.step()
    frame = measured_step(trainer)["frame"]
    curve_x = trainer.data.plot_inputs(CURVE_POINTS).cpu().numpy().astype(np.float64)
    expected = mlp_forward(state(trainer), curve_x, "tanh", 1)["outputs"][-1][:, 0]
    decoded(frame["dense"]["curve"], expected)
    assert "grid" not in frame["dense"]


@pytest.mark.parametrize("norm", ["none", "batch"])
def test_cnn_feature_maps_filters_confusion_and_statistics(norm):
    model = {"kind": "cnn", "hidden": [], "activation": "relu", "channels": [2], "norm": norm}
    trainer = make(make_config("digits", model, dataset={"n_samples": 100}))
    with torch.no_grad():  # channel 1 dead
        trainer.model.blocks[0].layer.weight[1] = 0.0
        trainer.model.blocks[0].layer.bias[1] = -100.0
    for _ in range(2):
        trainer.step()
    step = measured_step(trainer)
    frame, after = step["frame"], step["after"]
    x_test, y_test = eval_set(trainer)
    x_probe, y_probe = probe_set(trainer)

    # first-layer filters: the conv weights averaged over input channels
    decoded(frame["dense"]["filters"], after["blocks.0.layer.weight"].mean(1))
    # feature maps of the first test image of each class (the first test image where a class has none), in
    # class order: the conv block's output; the hello's data carries exactly those images
    y_all = trainer.data.y_test.numpy()
    chosen = [next((j for j, label in enumerate(y_all) if label == k), 0) for k in range(10)]
    examples = trainer.data.x_test.numpy().astype(np.float64)[chosen]
    decoded(frame["dense"]["feature_maps"]["0"], cnn_forward(after, examples)["outputs"][0])  # (10, 2, 4, 4)
    images = trainer.describe_data()["images"]
    assert images["y"] == [int(y_all[j]) for j in chosen]
    np.testing.assert_allclose(images["x"], np.clip(examples[:, 0], 0, 1), atol=1e-3)  # no preprocessing here
    test_forward = cnn_forward(after, x_test)

    # confusion: rows are the true labels, columns the predicted ones
    predicted = test_forward["outputs"][-1].argmax(1)
    confusion = np.zeros((10, 10), int)
    np.add.at(confusion, (y_test, predicted), 1)
    counts = np.rint(decoded(frame["dense"]["confusion"], confusion)).astype(int)
    np.testing.assert_array_equal(counts, confusion)
    assert frame["test_acc"] == pytest.approx(np.trace(confusion) / len(y_test), abs=1e-6)
    test_loss = loss_and_grad(test_forward["outputs"][-1], y_test, "multiclass")[0]
    assert frame["test_loss"] == pytest.approx(test_loss, rel=RTOL, abs=ATOL)

    probe_forward = cnn_forward(after, x_probe)
    train_acc = (probe_forward["outputs"][-1].argmax(1) == y_probe).mean()
    assert frame["train_acc"] == pytest.approx(train_acc, abs=1e-6)
    check_distribution(frame, probe_forward["outputs"])
    # a channel is a unit: dead when its whole map is 0 for every probe image
    dead = (np.abs(probe_forward["acts"][0]).max((0, 2, 3)) == 0).mean()
    assert dead >= 0.5
    assert frame["dead_fraction"][0] == pytest.approx(dead, abs=1e-7)

    if norm == "batch":  # batch statistics over batch and space, averaged over channels
        z = cnn_forward(step["before"], step["x"], train=True)["norm_inputs"][0]
        assert frame["bn_batch_mean"][0] == pytest.approx(z.mean((0, 2, 3)).mean(), rel=RTOL, abs=ATOL)
        assert frame["bn_batch_var"][0] == pytest.approx(z.var((0, 2, 3)).mean(), rel=RTOL, abs=ATOL)
        assert frame["bn_running_mean"][0] == pytest.approx(after["blocks.0.norm.running_mean"].mean(), rel=RTOL)
        assert frame["bn_running_var"][0] == pytest.approx(after["blocks.0.norm.running_var"].mean(), rel=RTOL)


# ---------------------------------------------------------------------------------------------- RNN
def cell_unroll(cell: str, s: dict, prefix: str, x: torch.Tensor) -> tuple[list[torch.Tensor], dict]:
    """A recurrent layer by hand (PyTorch's gate layout): the states h_1..h_T and every gate's values."""
    w_ih, w_hh = s[prefix + "weight_ih_l0"], s[prefix + "weight_hh_l0"]
    b_ih, b_hh = s[prefix + "bias_ih_l0"], s[prefix + "bias_hh_l0"]
    hidden = w_hh.shape[1]
    h = x.new_zeros(x.shape[0], hidden)
    c = x.new_zeros(x.shape[0], hidden)
    states, gates = [], {}

    def part(k: int, inp: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        rows = slice(k * hidden, (k + 1) * hidden)
        return inp @ w_ih[rows].T + b_ih[rows], state @ w_hh[rows].T + b_hh[rows]

    for t in range(x.shape[1]):
        xt = x[:, t]
        if cell == "lstm":
            i, f, g, o = (sum(part(k, xt, h)) for k in range(4))
            i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
            c = f * c + i * g
            h = o * torch.tanh(c)
            step_gates = {"input": i, "forget": f, "output": o}
        elif cell == "gru":
            (xr, hr), (xz, hz), (xn, hn) = (part(k, xt, h) for k in range(3))
            r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
            n = torch.tanh(xn + r * hn)
            h = (1 - z) * n + z * h
            step_gates = {"update": z, "reset": r}
        else:
            pre = sum(part(0, xt, h))
            h = torch.tanh(pre) if cell == "rnn_tanh" else torch.relu(pre)
            step_gates = {}
        states.append(h)
        for name, value in step_gates.items():
            gates.setdefault(name, []).append(value.detach())
    return states, {name: torch.stack(values).mean().item() for name, values in gates.items()}


def rnn_oracle(cell: str, n_layers: int, s_np: dict, x_np: np.ndarray, y_np: np.ndarray) -> dict:
    """Loss of the RNN (recurrent layers, one tanh dense block, head; MSE) with autograd in float64."""
    s = {k: torch.tensor(v, requires_grad=k.endswith(("weight", "_l0"))) for k, v in s_np.items()}
    x = torch.tensor(x_np)
    all_states, all_gates, sequences = [], [], []
    for layer in range(n_layers):
        states, gates = cell_unroll(cell, s, f"blocks.{layer}.rnn.", x)
        x = torch.stack(states, 1)
        all_states.append(states)
        all_gates.append(gates)
        sequences.append(x)
    dense_in = x[:, -1]  # the last layer's state after the last step, as the model takes it
    dense_out = torch.tanh(dense_in @ s[f"blocks.{n_layers}.layer.weight"].T + s[f"blocks.{n_layers}.layer.bias"])
    logits = dense_out @ s["head.weight"].T + s["head.bias"]
    loss = ((logits[:, 0] - torch.tensor(y_np)) ** 2).mean()
    return {
        "loss": loss,
        "states": all_states,
        "sequences": sequences,
        "dense_out": dense_out,
        "logits": logits,
        "gates": all_gates,
        "params": s,
    }


@pytest.mark.parametrize(("cell", "n_layers"), [("rnn_tanh", 1), ("lstm", 2), ("gru", 1), ("rnn_relu", 1)])
def test_rnn_gradients_through_time_gates_and_gradient_norms(cell, n_layers):
    model = {"kind": "rnn", "hidden": [2], "activation": "tanh", "cell": cell, "rnn_hidden": 3}
    model["rnn_layers"] = n_layers
    config = make_config("adding", model, dataset={"n_samples": 40, "seq_len": 5})
    trainer = make(config)
    for _ in range(2):
        trainer.step()
    trainer.step(measure=True, detail=False)  # a frame: the next one's train loss is its own step's
    step = measured_step(trainer)
    frame = step["frame"]
    x_probe, y_probe = probe_set(trainer)

    # the oracle's unroll is PyTorch's recurrence (a check of the oracle itself)
    after = rnn_oracle(cell, n_layers, step["after"], x_probe, y_probe)
    with torch.no_grad():
        reference = copy.deepcopy(trainer.model).double().eval()(torch.tensor(x_probe))
    np.testing.assert_allclose(after["logits"].detach().numpy(), reference.numpy(), rtol=1e-10, atol=1e-12)

    # ||dL/dh_t|| of the last recurrent layer on the probe batch, after the step
    last = after["states"][-1]
    grads = torch.autograd.grad(after["loss"], last)
    close(frame["grad_time"], [g.norm().item() for g in grads])
    # gate means over batch, time and units, per recurrent layer: a metric per gate, null on other layers
    measured_gates = {key.removeprefix("gate_") for key in frame if key.startswith("gate_")}
    assert measured_gates == set(after["gates"][0])
    for layer in range(n_layers + 2):
        expected = after["gates"][layer] if layer < n_layers else {}
        for name in measured_gates:
            value = frame[f"gate_{name}"][layer]
            if name in expected:
                assert value == pytest.approx(expected[name], rel=RTOL, abs=ATOL), name
            else:
                assert value is None, (name, layer)

    # per-layer figures of the probe batch: the recurrent layers' whole output sequences
    outputs = [seq.detach().numpy() for seq in after["sequences"]]
    outputs += [after["dense_out"].detach().numpy(), after["logits"].detach().numpy()]
    check_distribution(frame, outputs)
    if cell == "rnn_relu":  # a unit of the recurrence is dead when 0 at every step of every sequence
        dead = [(np.abs(seq).max((0, 1)) == 0).mean() for seq in outputs[:n_layers]]
        assert frame["dead_fraction"][:n_layers] == pytest.approx(dead, abs=1e-7)
    else:  # LSTM and GRU states are bounded by tanh too
        margin = 0.06
        sat = [((seq + 1 < margin) | (1 - seq < margin)).mean() for seq in outputs[:n_layers]]
        assert frame["saturation"][:n_layers] == pytest.approx(sat, abs=1e-6)

    # gradient figures on the training batch, before the step: both weight matrices of a recurrent layer count
    before = rnn_oracle(cell, n_layers, step["before"], step["x"], step["y"])
    layer_weights = [[f"blocks.{i}.rnn.weight_ih_l0", f"blocks.{i}.rnn.weight_hh_l0"] for i in range(n_layers)]
    layer_weights += [[f"blocks.{n_layers}.layer.weight"], ["head.weight"]]
    params = before["params"]
    activations = [*before["sequences"], before["dense_out"], before["logits"]]
    flat = [params[name] for names in layer_weights for name in names]
    grads = torch.autograd.grad(before["loss"], flat + activations)
    weight_grads, act_grads = iter(grads[: len(flat)]), grads[len(flat) :]
    expected_norms = [math.sqrt(sum(next(weight_grads).pow(2).sum().item() for _ in names)) for names in layer_weights]
    close(frame["grad_norm"], expected_norms)
    close(frame["act_grad_norm"], [g.norm().item() for g in act_grads])
    assert frame["train_loss"] == pytest.approx(before["loss"].item(), rel=RTOL, abs=ATOL)


# ---------------------------------------------------------------------------------------------- non-finite figures
def test_non_finite_figures_travel_as_null():
    config = make_config("circle", {"hidden": [4, 4], "activation": "tanh"})
    trainer = make(config)
    trainer.step(measure=True, detail=False)
    with torch.no_grad():
        trainer.model.head.bias.fill_(float("nan"))
    trainer.step()
    frame = measured_step(trainer)["frame"]
    assert frame["train_loss"] is None
    assert frame["first_bad_step"] == 2  # the first step since the last frame whose loss was not finite
    assert frame["test_loss"] is None
    assert frame["grad_norm"] == [None, None, None]  # the NaN reached every layer's gradient and weights
    assert frame["act_mean"] == [None, None, None]
    assert frame["dead_fraction"] == [None, None, None]  # tanh: no dead-unit figure at all
    json.dumps(frame, allow_nan=False)  # valid JSON: no NaN or Infinity anywhere
