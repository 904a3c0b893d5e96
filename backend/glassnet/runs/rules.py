"""What the run service refuses, and why: the domain's errors and the checks a config passes before it
trains. Routes map these errors to HTTP answers once (api/app.py); the CLI and tests use them directly."""

from typing import Any

from glassnet.config import FORKABLE, LIMITS, ExperimentConfig
from glassnet.data import tabular
from glassnet.nn.models import count_parameters
from glassnet.nn.shapes import input_shape, n_outputs


class RunNotFound(KeyError):
    """404: no run has this id."""

    def __init__(self, run_id: str) -> None:
        super().__init__(run_id)
        self.message = f"run '{run_id}' not found"

    def __str__(self) -> str:
        return self.message


class SweepNotFound(RunNotFound):
    """404: no sweep has this id."""

    def __init__(self, sweep_id: str) -> None:
        super().__init__(sweep_id)
        self.message = f"sweep '{sweep_id}' not found"


class RunLimitReached(RuntimeError):
    """429: too many active runs; `limit` says which (the server's or the owner's), `active` lists the caller's
    active runs (RunInfo) and `sweeps` its active sweeps, so a page can offer to stop one."""

    def __init__(
        self, message: str, limit: str, active: list[dict[str, Any]], sweeps: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(message)
        self.limit, self.active, self.sweeps = limit, active, sweeps or []


class InvalidTransition(RuntimeError):
    """409: the run's status does not allow this."""


class InvalidRequest(ValueError):
    """422: the request names something the run cannot do (the message starts with the field)."""


def check_config(config: ExperimentConfig) -> None:
    """What pydantic cannot see in a config alone: the device, the parameter count, an upload's task."""
    if config.dataset.name == "upload":
        _check_upload(config)
    if config.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise InvalidRequest("device: 'cuda' was asked for but this server has no CUDA GPU; use 'auto' or 'cpu'")
    parameters = count_parameters(input_shape(config.dataset), n_outputs(config.dataset), config.model)
    if parameters > LIMITS["max_parameters"]:
        raise InvalidRequest(
            f"model: {parameters:,} parameters is over the limit of {LIMITS['max_parameters']:,}; "
            "use fewer or narrower layers"
        )


def _check_upload(config: ExperimentConfig) -> None:
    """An uploaded dataset's task is in its file: check the model and the loss against it."""
    try:
        info = tabular.meta(config.dataset.upload or "")
    except tabular.BadUpload as exc:
        raise InvalidRequest(str(exc)) from None
    if config.model.kind != "mlp":
        raise InvalidRequest(f"model.kind: an uploaded table trains an 'mlp', not '{config.model.kind}'")
    task = info["task"]
    if (config.loss == "bce" and task != "binary") or (config.loss == "ce" and task == "regression"):
        raise InvalidRequest(f"loss: '{config.loss}' does not fit the uploaded dataset's task ({task})")
    if info["input"] != "plane" and config.dataset.features != ["x1", "x2"]:
        raise InvalidRequest("dataset.features: the 2-D features apply to uploads with exactly two feature columns")


def check_fork_changes(changes: dict[str, Any]) -> None:
    for key in changes:
        if key not in FORKABLE:
            raise InvalidRequest(
                f"changes.{key}: a fork continues from the parent's data, model and seed, so it cannot change "
                f"'{key}'; it can change {', '.join(FORKABLE)}"
            )
