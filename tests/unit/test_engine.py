"""Every registry entry builds and trains; determinism; forks; divergence; early stopping."""

import copy
import math

import pytest

from glassnet import registry
from glassnet.config import ExperimentConfig
from glassnet.train.driver import first_bad_layer
from glassnet.train.loop import Trainer

BASE = {
    "dataset": {"name": "circle", "n_samples": 120},
    "model": {"hidden": [6, 6], "activation": "tanh"},
    "optimizer": {"name": "adam", "lr": 0.01},
    "batch_size": 16,
    "steps": 50,
    "device": "cpu",
}
DATA_MODEL = {  # a model kind that fits each input kind
    "plane": {},
    "curve": {},
    "sequence": {"kind": "rnn", "rnn_hidden": 6, "hidden": []},
    "image": {"kind": "cnn", "channels": [3], "hidden": [8]},
}


def config(**sections) -> ExperimentConfig:
    cfg = copy.deepcopy(BASE)
    for key, value in sections.items():
        cfg[key] = {**cfg[key], **value} if isinstance(value, dict) and key in cfg else value
    return ExperimentConfig.model_validate(cfg)


def train(cfg: ExperimentConfig, steps: int = 5) -> dict:
    trainer = Trainer(cfg)
    for _ in range(steps - 1):
        trainer.step()
    return trainer.step(measure=True, detail=True)


def assert_finite(frame: dict) -> None:
    assert frame["train_loss"] is not None and math.isfinite(frame["train_loss"])
    assert frame["test_loss"] is not None and math.isfinite(frame["test_loss"])
    assert all(v is not None for v in frame["grad_norm"])


def ids(choices):
    return [c.name for c in choices]


@pytest.mark.parametrize("name", ids(registry.ACTIVATIONS))
def test_every_activation_trains(name):
    assert_finite(train(config(model={"activation": name})))


@pytest.mark.parametrize("name", ids(registry.INITIALIZERS))
def test_every_initializer_trains(name):
    assert_finite(train(config(model={"init": {"name": name}, "recurrent_init": {"name": name}})))


@pytest.mark.parametrize("name", ids(registry.OPTIMIZERS))
def test_every_optimizer_trains(name):
    lr = 1.0 if name == "adadelta" else 0.01
    assert_finite(train(config(optimizer={"name": name, "lr": lr})))


@pytest.mark.parametrize("name", ids(registry.SCHEDULES))
def test_every_schedule_trains_and_sets_the_lr(name):
    cfg = config(schedule={"name": name, "step_size": 2, "warmup_steps": 3, "patience": 1}, eval_every=1)
    frame = train(cfg, steps=6)
    assert_finite(frame)
    assert 0 < frame["lr"] <= 0.01 + 1e-12


@pytest.mark.parametrize("name", ids(registry.CLIPPING))
def test_every_clipping_trains(name):
    assert_finite(train(config(clipping={"name": name, "max_norm": 0.01, "clip_value": 0.001})))


@pytest.mark.parametrize("norm", ids(registry.NORMS))
@pytest.mark.parametrize("position", ids(registry.NORM_POSITIONS))
@pytest.mark.parametrize("residual", [False, True])
def test_every_norm_position_and_residual_trains(norm, position, residual):
    assert_finite(train(config(model={"norm": norm, "norm_position": position, "residual": residual})))


@pytest.mark.parametrize("name", ids(registry.LOSSES))
def test_every_loss_trains_on_a_task_it_fits(name):
    dataset = {"name": "digits", "n_samples": 100} if name == "ce" else {"name": "circle"}
    model = DATA_MODEL["image"] if name == "ce" else {}
    assert_finite(train(config(dataset=dataset, model=model, loss=name)))


@pytest.mark.parametrize("name", ids(registry.PREPROCESSING))
def test_every_preprocessing_trains(name):
    assert_finite(train(config(dataset={"preprocessing": name, "features": ["x1", "x2", "x1x2"]})))


GENERATED = tuple(d for d in registry.DATASETS if d.name != "upload")  # uploads: tests/api/test_datasets.py


@pytest.mark.parametrize("dataset", GENERATED, ids=ids(GENERATED))
def test_every_dataset_trains_with_a_model_that_fits_it(dataset):
    cfg = config(dataset={"name": dataset.name, "n_samples": 60, "seq_len": 6}, model=DATA_MODEL[dataset.tags["input"]])
    frame = train(cfg)
    assert_finite(frame)
    if dataset.tags["task"] == "regression":
        assert "test_acc" not in frame.values  # a regression has no accuracy to measure
    else:
        assert 0 <= frame["test_acc"] <= 1


@pytest.mark.parametrize("cell", ids(registry.RNN_CELLS))
@pytest.mark.parametrize("pooling", ids(registry.POOLING))
def test_every_rnn_cell_and_pooling_trains(cell, pooling):
    rnn = config(
        dataset={"name": "adding", "n_samples": 40, "seq_len": 5}, model={**DATA_MODEL["sequence"], "cell": cell}
    )
    frame = train(rnn)
    assert_finite(frame)
    assert len(frame["grad_time"]) == 5
    cnn = config(dataset={"name": "digits", "n_samples": 60}, model={**DATA_MODEL["image"], "pooling": pooling})
    assert_finite(train(cnn))


def test_regularization_switches_train():
    cfg = config(regularization={"l1": 0.01, "label_smoothing": 0.1, "input_noise": 0.2}, model={"dropout": 0.3})
    assert_finite(train(cfg))


def test_per_layer_overrides_change_only_their_layer():
    cfg = config(model={"hidden": [4, 4, 4], "layers": [{"index": 1, "activation": "relu", "norm": "layer"}]})
    trainer = Trainer(cfg)
    infos = trainer.layers
    assert [i.activation for i in infos[:3]] == ["tanh", "relu", "tanh"]
    assert [i.norm for i in infos[:3]] == ["none", "layer", "none"]


def losses(trainer: Trainer, steps: int) -> list[float]:
    return [trainer.step(measure=True, detail=False)["train_loss"] for _ in range(steps)]


def test_the_same_config_and_seed_give_the_identical_loss_series():
    cfg = config(model={"dropout": 0.2, "activation": "rrelu"}, regularization={"input_noise": 0.1})
    assert losses(Trainer(cfg), 30) == losses(Trainer(cfg), 30)
    other = cfg.model_copy(update={"seed": 1})
    assert losses(Trainer(other), 30) != losses(Trainer(cfg), 30)


def test_a_fork_with_no_change_continues_exactly_like_the_original():
    cfg = config(model={"dropout": 0.2}, regularization={"input_noise": 0.1}, batch_size=7)
    original = Trainer(cfg)
    for _ in range(22):  # not a multiple of the epoch, so the data order matters
        original.step()
    original.step(measure=True)  # a frame, so the next one's running train loss starts afresh in both
    checkpoint = original.checkpoint()
    expected = losses(original, 30)
    fork = Trainer.resume(cfg, checkpoint)
    assert fork.step_count == 23
    assert losses(fork, 30) == expected


def test_a_fork_with_a_new_learning_rate_uses_it():
    cfg = config()
    original = Trainer(cfg)
    for _ in range(10):
        original.step()
    changed = cfg.model_copy(update={"optimizer": cfg.optimizer.model_copy(update={"lr": 0.5})})
    fork = Trainer.resume(changed, original.checkpoint())
    assert fork.step(measure=True, detail=False)["lr"] == 0.5
    assert losses(fork, 5) != losses(original, 5)


def test_live_lr_change_takes_effect_and_the_schedule_goes_on_from_it():
    trainer = Trainer(config(schedule={"name": "step", "step_size": 4, "gamma": 0.5}))
    trainer.step()
    trainer.set_lr(0.1)
    assert trainer.step(measure=True, detail=False)["lr"] == 0.1
    for _ in range(3):
        frame = trainer.step(measure=True, detail=False)
    assert frame["lr"] == 0.05  # step 4 crossed: halved from the new base


def test_a_non_finite_loss_is_reported_with_its_step_and_first_layer():
    # MSE regression with a learning rate far too high: the weights grow geometrically until they overflow
    trainer = Trainer(config(dataset={"name": "plane"}, optimizer={"name": "sgd", "lr": 5.0}))
    frame = None
    for _ in range(200):
        frame = trainer.step(measure=True, detail=False)
        if frame["first_bad_step"] is not None:
            break
    assert frame["first_bad_step"] is not None and frame["first_bad_step"] <= trainer.step_count
    assert frame["train_loss"] is None
    assert first_bad_layer(trainer.layers, frame) in [i.name for i in trainer.layers]


@pytest.mark.parametrize("frame_every", [1, 7, 1000])
def test_a_divergence_ends_the_run_at_its_first_non_finite_step_with_the_same_layer_every_time(frame_every):
    """Defect: the run was stopped at the next frame tick, several steps later, and the layer named was read from
    that later frame, so it differed between identical runs. Now the driver stops at the very step, however
    often frames come, and its last reading (a full one) describes the net there."""
    from glassnet.train.driver import BySteps, Callbacks, drive

    outcomes = []
    for _ in range(2):
        trainer = Trainer(config(dataset={"name": "plane"}, optimizer={"name": "sgd", "lr": 5.0}, steps=500))
        readings = []
        ending = drive(trainer, 500, BySteps(frame_every), Callbacks(on_reading=readings.append))
        assert ending.status == "diverged"
        assert trainer.step_count == trainer.first_bad_step  # not a step further
        last = readings[-1]
        assert last.step == trainer.first_bad_step and last.detail and last["first_bad_step"] == last.step
        outcomes.append((ending.reason, last.step))
    assert outcomes[0] == outcomes[1]
    assert "first layer affected is" in outcomes[0][0] and f"at step {outcomes[0][1]};" in outcomes[0][0]


def test_early_stopping_ends_the_run_with_its_reason():
    cfg = config(
        regularization={"early_stopping": 2},
        eval_every=1,
        optimizer={"name": "sgd", "lr": 1e-6},  # nothing improves
        steps=1000,
    )
    trainer = Trainer(cfg)
    while trainer.stop_reason is None and trainer.step_count < 100:
        trainer.step()
    assert trainer.stop_reason is not None and "early stopping" in trainer.stop_reason
    assert trainer.step_count < 10


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_a_layer_with_non_finite_outputs_has_no_dead_or_saturated_share(activation):
    """NaN is not 0 and not near a bound: such a layer's dead fraction and saturation are null, not 0."""
    import torch

    trainer = Trainer(config(model={"activation": activation}))
    with torch.no_grad():
        trainer.model.blocks[1].layer.weight.fill_(float("nan"))
    reading = trainer.read(detail=True)  # measure as a detail frame does, without a step that spreads the NaN
    values = reading.values["dead_fraction" if activation == "relu" else "saturation"]
    assert values[0] == values[0]  # the first layer is still finite: a real share
    assert values[1] != values[1]  # NaN (null on the wire), not 0


def test_detail_frames_are_rationed_by_their_cost_and_light_frames_carry_no_detail_figure():
    """Detail readings come at most DETAIL_HZ a second, and less often when one costs more than DETAIL_BUDGET
    of the time between them; the frames in between carry only what they measured (no stale test loss)."""
    from glassnet.train.driver import DETAIL_BUDGET, ByClock, Callbacks, drive

    readings = []
    pacing = ByClock(frame_hz=1000)
    trainer = Trainer(config(steps=40))
    original_done = pacing.done

    def costly(reading, seconds):  # as if every detail reading took half a second
        original_done(reading, 0.5 if reading.detail else seconds)

    pacing.done = costly  # type: ignore[method-assign]
    drive(trainer, 40, pacing, Callbacks(on_reading=readings.append))
    assert readings[0].detail and readings[-1].detail  # the first and the last are read in full
    middle = readings[1:-1]
    assert middle and not any(r.detail for r in middle)  # 0.5 s / budget between detail readings: none here
    assert all("test_loss" not in r.values and "act_mean" not in r.values for r in middle)
    assert all("train_loss" in r.values and "grad_norm" in r.values for r in middle)
    assert 0.5 / DETAIL_BUDGET > 1.0


@pytest.mark.parametrize("dataset", GENERATED, ids=ids(GENERATED))
def test_shapes_known_from_the_config_match_the_data(dataset):
    """The server sizes models (and refuses oversized ones) before any data exists; it must agree with the data."""
    import torch

    from glassnet.config import DatasetConfig
    from glassnet.data import load
    from glassnet.nn.shapes import input_shape, n_outputs

    cfg = DatasetConfig(name=dataset.name, n_samples=40, seq_len=6)
    data = load(cfg, 0, torch.device("cpu"))
    assert (data.input_shape, data.n_outputs) == (input_shape(cfg), n_outputs(cfg))


@pytest.mark.parametrize("every", [0, 1, 3])
def test_the_step_early_stopping_ends_on_is_read_once_in_full_with_its_training_loss(every):
    from glassnet.train.driver import BySteps, Callbacks, drive

    cfg = config(regularization={"early_stopping": 2}, eval_every=1, optimizer={"name": "sgd", "lr": 1e-6}, steps=1000)
    trainer = Trainer(cfg)
    readings = []
    ending = drive(trainer, cfg.total_steps, BySteps(every), Callbacks(on_reading=readings.append))
    assert ending.status == "finished" and "early stopping" in (ending.reason or "")
    last = readings[-1]
    assert last.step == trainer.step_count and last.detail
    assert math.isfinite(last["train_loss"])  # the light reading of that step no longer takes it away
    steps = [r.step for r in readings]
    assert steps == sorted(set(steps))  # each step read once
