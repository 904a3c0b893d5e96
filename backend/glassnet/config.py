"""Pydantic models of an experiment: what POST /api/runs accepts, with its limits.

The limits live in LIMITS and are read both by the Field constraints below and by /api/options, so the
UI's inputs and the server's validation never disagree.
"""

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from glassnet.registry import ACTIVATIONS, DATASETS, DEVICES, OPTIMIZERS, enum_of

Activation = enum_of("Activation", ACTIVATIONS)
OptimizerName = enum_of("OptimizerName", OPTIMIZERS)
DatasetName = enum_of("DatasetName", DATASETS)
DeviceName = enum_of("DeviceName", DEVICES)

LIMITS: dict[str, float | int] = {
    "min_samples": 20,
    "max_samples": 20_000,
    "max_noise": 2.0,
    "min_train_fraction": 0.1,
    "max_train_fraction": 0.9,
    "max_hidden_layers": 16,
    "max_width": 256,
    "min_lr": 1e-6,
    "max_lr": 10.0,
    "max_batch_size": 4096,
    "max_steps": 1_000_000,
    "max_seed": 2**31 - 1,
    "max_frame_hz": 20,
}


class _Strict(BaseModel):
    # Unknown keys are an error: a typo such as "activaton" must not be silently ignored.
    # Enum fields hold their plain names after validation.
    model_config = ConfigDict(extra="forbid", use_enum_values=True, validate_default=True)


class DatasetConfig(_Strict):
    name: DatasetName = Field(description="Which dataset to train on (see /api/options).")  # type: ignore[valid-type]
    n_samples: int = Field(400, ge=LIMITS["min_samples"], le=LIMITS["max_samples"], description="Points in all.")
    noise: float = Field(0.1, ge=0.0, le=LIMITS["max_noise"], description="Std of the noise added to each point.")
    train_fraction: float = Field(
        0.5,
        ge=LIMITS["min_train_fraction"],
        le=LIMITS["max_train_fraction"],
        description="Share of the points used for training; the rest is the test set.",
    )


Width = Annotated[int, Field(ge=1, le=LIMITS["max_width"])]


class ModelConfig(_Strict):
    hidden: list[Width] = Field(
        max_length=LIMITS["max_hidden_layers"],
        description="Width of each hidden layer, input side first. [] is logistic regression.",
    )
    activation: Activation = Field(description="Activation of every hidden layer.")  # type: ignore[valid-type]


class OptimizerConfig(_Strict):
    name: OptimizerName = Field(description="Which optimizer updates the weights.")  # type: ignore[valid-type]
    lr: float = Field(ge=LIMITS["min_lr"], le=LIMITS["max_lr"], description="Learning rate.")


class ExperimentConfig(_Strict):
    """What to train and how. `dataset`, `model` and `optimizer` are required; the rest has defaults."""

    dataset: DatasetConfig
    model: ModelConfig
    optimizer: OptimizerConfig
    batch_size: int = Field(16, ge=1, le=LIMITS["max_batch_size"], description="Examples per step.")
    steps: int = Field(3000, ge=1, le=LIMITS["max_steps"], description="Training steps before the run finishes.")
    seed: int = Field(0, ge=0, le=LIMITS["max_seed"], description="Seeds the data, the init and the batch order.")
    frame_hz: float = Field(
        20, gt=0, le=LIMITS["max_frame_hz"], description="Frames per second sent to clients (at most)."
    )
    device: DeviceName = Field("auto", description="Where to train: auto, cpu or cuda.")  # type: ignore[valid-type]

    model_config = ConfigDict(
        extra="forbid",
        use_enum_values=True,
        validate_default=True,
        json_schema_extra={
            "examples": [
                {
                    "dataset": {"name": "circle", "noise": 0.1},
                    "model": {"hidden": [8, 8], "activation": "relu"},
                    "optimizer": {"name": "sgd", "lr": 0.1},
                    "batch_size": 16,
                    "steps": 2000,
                }
            ]
        },
    )


# What the UI starts from: a small tanh net on the circle, as TensorFlow Playground does.
DEFAULT_CONFIG: dict[str, Any] = {
    "dataset": {"name": "circle"},
    "model": {"hidden": [8, 8], "activation": "tanh"},
    "optimizer": {"name": "adam", "lr": 0.01},
}


def default_config() -> ExperimentConfig:
    return ExperimentConfig.model_validate(DEFAULT_CONFIG)
