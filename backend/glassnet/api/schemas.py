"""Response models: they document the API (OpenAPI) and type the frontend (openapi-typescript)."""

from typing import Any, Literal

from pydantic import BaseModel, create_model

from glassnet.config import LIMITS, ExperimentConfig
from glassnet.registry import CHOICES

RunStatus = Literal["pending", "running", "paused", "finished", "stopped", "failed", "diverged"]


class Health(BaseModel):
    status: Literal["ok"]
    version: str
    torch: str
    device: Literal["cpu", "cuda"]
    cuda_available: bool
    device_name: str


class ParamOut(BaseModel):
    name: str
    label: str
    description: str
    default: float | int | str
    min: float | None
    max: float | None
    log: bool
    integer: bool
    options: list[str]


class ChoiceOut(BaseModel):
    name: str
    label: str
    description: str
    params: list[ParamOut]
    tags: dict[str, Any]


# built from the registry and LIMITS, so a new list of choices or a new limit needs no edit here
Limits = create_model("Limits", **{name: (type(value), ...) for name, value in LIMITS.items()})  # type: ignore[call-overload]
Options = create_model(
    "Options",
    **{name: (list[ChoiceOut], ...) for name in CHOICES},  # type: ignore[call-overload]
    limits=(Limits, ...),
    defaults=(ExperimentConfig, ...),
)


class RunInfo(BaseModel):
    id: str
    status: RunStatus
    step: int
    config: ExperimentConfig
    created_at: str
    device: str | None
    error: str | None


class ErrorOut(BaseModel):
    detail: str
