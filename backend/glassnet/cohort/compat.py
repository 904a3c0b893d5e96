"""Which runs can train together as one cohort: the same architecture and data shape, differing only in what a
batched model holds per member (seed, init, hyper-parameters, schedule, clipping, regularization, steps).

`cohort_key` is what the scheduler groups by; a config that cannot batch gets the reason instead, which the run
records (it then trains alone, as a cohort of one on the single-run path).
"""

import json
from dataclasses import dataclass
from typing import Any

from glassnet.config import ExperimentConfig


@dataclass(frozen=True)
class Alone:
    """A config that trains alone, and why."""

    reason: str


# what a member may hold on its own: everything else must be equal across a cohort
PER_MEMBER = {
    "seed",
    "steps",
    "frame_hz",
    "optimizer",  # but not its name (one batched optimizer)
    "schedule",
    "clipping",
    "regularization",  # l1, label smoothing, input noise, early stopping
    "eval_every",
}
PER_MEMBER_MODEL = {"init", "recurrent_init", "dropout"}
PER_MEMBER_DATA = {"noise"}  # the data's values differ, not its shape


def cohort_key(config: ExperimentConfig, together: int = 1) -> str | Alone:
    """A key equal for exactly the configs that can share a cohort, or why this one trains alone. `together`: how
    many runs of this architecture start together (a sweep's members), which decides for a CNN or a recurrent
    net."""
    model = config.model
    if model.kind == "cnn" and together < MIN_CONV_MEMBERS:
        return Alone(CONV_ALONE)
    elif model.kind == "rnn" and (alone := recurrent_alone(str(model.cell), together)) is not None:
        return alone
    if config.device == "cuda" or (config.device == "auto" and _has_cuda()):
        return Alone("a run on the GPU trains alone: cohorts are built for the CPU so far")
    if config.dataset.name == "upload":
        return Alone("a run on an uploaded dataset trains alone")
    shape: dict[str, Any] = config.model_dump(mode="json", exclude=PER_MEMBER)
    shape["model"] = {k: v for k, v in shape["model"].items() if k not in PER_MEMBER_MODEL}
    shape["dataset"] = {k: v for k, v in shape["dataset"].items() if k not in PER_MEMBER_DATA}
    shape["optimizer"] = config.optimizer.name
    return json.dumps(shape, sort_keys=True)


# CNNs (cohort/conv.py: grouped convolutions) against K separate nn.Module loops, one thread, the images demo's CNN
# on digits with its probe at 20 Hz (bench/cohort.py case d, 4 runs): 0.85-1.03x at K=1 (0.93-1.11x the Trainer),
# 1.3-1.5x at K=2, 1.9x at K=4, 2.4-2.8x at K=8, 4.1-4.5x at K=64. Alone, the cohort engine is no faster than a
# plain loop, so a lone CNN keeps the nn.Module Trainer; runs started together (a sweep or seed band) batch.
MIN_CONV_MEMBERS = 2
CONV_ALONE = (
    "a lone CNN run trains alone: a cohort of grouped convolutions pays off when runs start together (a sweep or "
    "seed band: measured 1.3-1.5x K separate loops at K=2, 4.1-4.5x at K=64; 0.85-1.03x alone)"
)


# Recurrent nets (cohort/recurrent.py: a Python-level time loop of batched matmuls) against K separate nn.Module
# loops on one thread (hidden 32, T 50, batch 64, probe at 20 Hz; bench/cohort.py cases c and e, 3 rounds):
#   GRU      1.1x at K=1, 1.6x at K=2, 2.7x at K=8, 2.9x at K=64 (nn.GRU's CPU loop is ATen ops step by step too);
#   RNN      1.3-1.5x at K=1, 2.5x at K=2, 2.4-3.7x at K=8 and K=64 (the layer's forward and backward alone);
#   LSTM     0.4x at K=1, 0.9x at K=8, 0.7x at K=64: nn.LSTM runs oneDNN's fused cell on the CPU.
# So an LSTM trains alone, and the other cells batch when at least MIN_RECURRENT_MEMBERS start together (a sweep or
# seed band, where K is known); a lone run stays on the single-run path, where it loses little or nothing.
MIN_RECURRENT_MEMBERS = 2
CELL_NAMES = {"lstm": "LSTM", "gru": "GRU", "rnn_tanh": "tanh RNN", "rnn_relu": "ReLU RNN"}


def recurrent_alone(cell: str, together: int) -> Alone | None:
    """Why a recurrent net of `cell` trains alone when `together` runs of it start at once, or None: it batches."""
    if cell == "lstm":
        return Alone(
            "an LSTM trains alone: a cohort's batched LSTM time loop measured 0.4x (K=1), 0.9x (K=8) and 0.7x "
            "(K=64) the updates/s of K separate nn.LSTM loops (oneDNN's fused cell), so batching would slow it down"
        )
    if together < MIN_RECURRENT_MEMBERS:
        return Alone(
            f"a lone {CELL_NAMES.get(cell, cell)} run trains alone: recurrent nets batch when at least "
            f"{MIN_RECURRENT_MEMBERS} start together (a sweep or seed band), where the batched time loop measured "
            "1.6x (K=2) to 2.9x (K=64) K separate loops; alone it gains little (1.1x GRU, 1.3-1.5x RNN)"
        )
    return None


def _has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()
