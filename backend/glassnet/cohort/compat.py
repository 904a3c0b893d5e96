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


def cohort_key(config: ExperimentConfig) -> str | Alone:
    """A key equal for exactly the configs that can share a cohort, or why this one trains alone."""
    model = config.model
    if model.kind != "mlp":
        return Alone(
            f"a {str(model.kind).upper()} trains alone: cohorts batch MLPs so far (grouped convolutions and batched "
            "recurrent cells are not built yet)"
        )
    if config.device == "cuda" or (config.device == "auto" and _has_cuda()):
        return Alone("a run on the GPU trains alone: cohorts are built for the CPU so far")
    if config.dataset.name == "upload":
        return Alone("a run on an uploaded dataset trains alone")
    shape: dict[str, Any] = config.model_dump(mode="json", exclude=PER_MEMBER)
    shape["model"] = {k: v for k, v in shape["model"].items() if k not in PER_MEMBER_MODEL}
    shape["dataset"] = {k: v for k, v in shape["dataset"].items() if k not in PER_MEMBER_DATA}
    shape["optimizer"] = config.optimizer.name
    return json.dumps(shape, sort_keys=True)


def _has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()
