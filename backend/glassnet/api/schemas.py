"""Response models: they document the API (OpenAPI) and type the frontend (openapi-typescript)."""

from typing import Literal

from pydantic import BaseModel

from glassnet.config import ExperimentConfig

RunStatus = Literal["pending", "running", "paused", "finished", "stopped", "failed", "diverged"]


class Health(BaseModel):
    status: Literal["ok"]
    version: str
    torch: str
    device: Literal["cpu", "cuda"]
    cuda_available: bool
    device_name: str


class ChoiceOut(BaseModel):
    name: str
    label: str
    description: str


class Limits(BaseModel):
    min_samples: int
    max_samples: int
    max_noise: float
    min_train_fraction: float
    max_train_fraction: float
    max_hidden_layers: int
    max_width: int
    min_lr: float
    max_lr: float
    max_batch_size: int
    max_steps: int
    max_seed: int
    max_frame_hz: float


class Options(BaseModel):
    activations: list[ChoiceOut]
    optimizers: list[ChoiceOut]
    datasets: list[ChoiceOut]
    devices: list[ChoiceOut]
    limits: Limits
    defaults: ExperimentConfig


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
