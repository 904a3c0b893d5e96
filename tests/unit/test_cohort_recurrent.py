"""A recurrent cohort member (cohort/recurrent.py) trains exactly as the same config alone: its loss at every step
equals the single Trainer's (nn.LSTM / nn.GRU / nn.RNN) within float32 round-off, for every cell, stacked layers,
dropout between them (each member's masks drawn as its nn.Dropout draws them), dense blocks after, per-member
seeds and hyper-parameters; a member's checkpoint continues alone exactly; its per-frame and detail readings are
its single run's. And compat.py batches recurrent nets only where the figures say it pays."""

from typing import Any

import pytest
import torch

from glassnet.cohort.compat import MIN_RECURRENT_MEMBERS, Alone, cohort_key
from glassnet.cohort.engine import Cohort
from glassnet.cohort.recurrent import CohortRNN
from glassnet.config import DEFAULT_CONFIG, ExperimentConfig, merge_config
from tests.unit.test_cohort_exact import assert_checkpoint_continues_alone, assert_within_round_off
from tests.unit.test_cohort_frames import assert_same_reading, readings_alone_and_in_cohort

STEPS = 120
CELLS = ["lstm", "gru", "rnn_tanh", "rnn_relu"]
BASE = merge_config(
    DEFAULT_CONFIG,
    {
        "dataset": {"name": "adding", "n_samples": 200, "seq_len": 6},
        "model": {"kind": "rnn", "rnn_hidden": 8, "hidden": [], "activation": "tanh"},
        "batch_size": 16,
        "steps": STEPS,
    },
)
DEEP = {"rnn_layers": 2, "dropout": 0.2, "hidden": [6]}  # two recurrent layers, dropout, a dense block after


def members(changes: dict[str, Any], per_member: list[dict[str, Any]]) -> list[ExperimentConfig]:
    base = merge_config(BASE, changes)
    return [
        ExperimentConfig.model_validate(merge_config(base, {"seed": k, **extra})) for k, extra in enumerate(per_member)
    ]


def assert_exact(configs: list[ExperimentConfig], steps: int = STEPS) -> Cohort:
    cohort = Cohort(configs)
    assert isinstance(cohort.model, CohortRNN)
    batched = torch.stack([cohort.step() for _ in range(steps)], 1)  # (K, steps)
    for k, config in enumerate(configs):
        assert_within_round_off(batched[k], config, f"member {k}")
    return cohort


@pytest.mark.parametrize("deep", [False, True], ids=["one-layer", "two-layers-dropout-dense"])
@pytest.mark.parametrize("cell", CELLS)
def test_every_cell_with_seeds_and_hyper_parameters_per_member(cell: str, deep: bool) -> None:
    model = {"cell": cell, **(DEEP if deep else {})}
    per: list[dict[str, Any]] = [
        {"optimizer": {"lr": 0.003, "beta1": 0.8}, "model": {"dropout": 0.1} if deep else {}},
        {"optimizer": {"lr": 0.02}, "model": {"dropout": 0.0, "recurrent_init": {"name": "xavier_normal"}}},
    ]
    assert_exact(members({"model": model}, per))


@pytest.mark.parametrize(
    "changes",
    [
        {"optimizer": {"name": "momentum", "lr": 0.05}, "clipping": {"name": "norm", "max_norm": 0.5}},
        {"optimizer": {"name": "rmsprop", "lr": 0.003}, "regularization": {"l1": 1e-3}},
        {"optimizer": {"name": "sgd", "lr": 0.3}, "regularization": {"input_noise": 0.1}},
    ],
    ids=["momentum-clipping", "rmsprop-l1", "sgd-input-noise"],
)
def test_optimizers_and_regularization(changes: dict[str, Any]) -> None:
    per = [{}, {"optimizer": {"lr": changes["optimizer"]["lr"] / 2}}]
    assert_exact(members(merge_config(changes, {"model": {"cell": "gru", **DEEP}}), per), steps=100)


def test_a_classification_task() -> None:
    parity = {"dataset": {"name": "parity"}, "model": {"cell": "lstm"}, "regularization": {"label_smoothing": 0.1}}
    assert_exact(members(parity, [{}, {"optimizer": {"lr": 0.003}}]), steps=100)


def test_a_members_checkpoint_continues_alone_exactly() -> None:
    configs = members({"model": {"cell": "lstm", **DEEP}}, [{}, {"optimizer": {"lr": 0.003}}])
    assert_checkpoint_continues_alone(configs, 40, 30)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_a_members_readings_are_its_single_runs(cell: str) -> None:
    configs = members({"model": {"cell": cell, **DEEP}}, [{}, {"optimizer": {"lr": 0.003}}])
    measured = {step: (step % 4 == 0 or step % 10 == 0, step % 10 == 0) for step in range(1, 31)}
    got, expected = readings_alone_and_in_cohort(configs, list(measured.values()))
    for mine, single in zip(got, expected, strict=True):
        assert len(mine) == len(single) == 9
        assert {"act_grad_norm", "grad_time", "gate_input" if cell == "lstm" else "gate_reset"} <= {
            name for r in single for name in (*r.values, *r.views)
        }
        for a, b in zip(mine, single, strict=True):
            assert_same_reading(a, b)
        # each recurrent layer's output gradient is measured (not NaN), as alone
        assert all(torch.isfinite(torch.as_tensor(r.values["act_grad_norm"][:2])).all() for r in mine)


def test_the_policy_batches_recurrent_nets_only_where_it_pays() -> None:
    gru, other = members({"model": {"cell": "gru"}}, [{}, {"optimizer": {"lr": 0.5}}])
    lone = cohort_key(gru)
    assert isinstance(lone, Alone) and "lone GRU run trains alone" in lone.reason
    key = cohort_key(gru, MIN_RECURRENT_MEMBERS)
    assert isinstance(key, str) and key == cohort_key(other, MIN_RECURRENT_MEMBERS)
    deeper = members({"model": {"cell": "gru", "rnn_layers": 2}}, [{}])[0]
    assert cohort_key(deeper, MIN_RECURRENT_MEMBERS) != key
    for cell in ("rnn_tanh", "rnn_relu"):
        assert isinstance(cohort_key(members({"model": {"cell": cell}}, [{}])[0], 8), str)
    lstm = members({"model": {"cell": "lstm"}}, [{}])[0]
    for together in (1, 8, 64):
        verdict = cohort_key(lstm, together)
        assert isinstance(verdict, Alone) and "LSTM trains alone" in verdict.reason and "nn.LSTM" in verdict.reason
