"""Pydantic models of an experiment: what POST /api/runs accepts, with its limits.

Choice fields are enums built from registry.py; parameter fields take their default and range from
registry.PARAMS; other limits live in LIMITS. /api/options serves all three, so the UI's controls and
the server's validation never disagree.
"""

import copy
from typing import Annotated, Any, TypedDict

from pydantic import BaseModel, ConfigDict, Field, model_validator

from glassnet import registry as reg
from glassnet.registry import PARAMS, enum_of

Activation = enum_of("Activation", reg.ACTIVATIONS)
Initializer = enum_of("Initializer", reg.INITIALIZERS)
BiasInit = enum_of("BiasInit", reg.BIAS_INITS)
OptimizerName = enum_of("OptimizerName", reg.OPTIMIZERS)
ScheduleName = enum_of("ScheduleName", reg.SCHEDULES)
ClippingName = enum_of("ClippingName", reg.CLIPPING)
NormName = enum_of("NormName", reg.NORMS)
NormPosition = enum_of("NormPosition", reg.NORM_POSITIONS)
LossName = enum_of("LossName", reg.LOSSES)
Preprocessing = enum_of("Preprocessing", reg.PREPROCESSING)
ModelKind = enum_of("ModelKind", reg.MODEL_KINDS)
RnnCell = enum_of("RnnCell", reg.RNN_CELLS)
Pooling = enum_of("Pooling", reg.POOLING)
Feature = enum_of("Feature", reg.FEATURES)
DatasetName = enum_of("DatasetName", reg.DATASETS)
DeviceName = enum_of("DeviceName", reg.DEVICES)
FanMode = enum_of("FanMode", tuple(reg.Choice(o, o, o) for o in PARAMS["mode"].options))
# These enums are built at run time from the registry, so a type checker cannot use them as types: the fields
# annotated with them carry `# type: ignore[valid-type]` (pydantic still validates against the real enum).


class Limits(TypedDict):
    """Limits that are not a registry parameter's range; integer limits are ints, so they can size lists."""

    min_samples: int
    max_samples: int
    max_noise: float
    min_train_fraction: float
    max_train_fraction: float
    min_seq_len: int
    max_seq_len: int
    max_hidden_layers: int
    max_width: int
    max_parameters: int
    max_conv_blocks: int
    max_channels: int
    max_kernel_size: int
    max_rnn_hidden: int
    max_rnn_layers: int
    max_dropout: float
    max_l1: float
    max_label_smoothing: float
    max_input_noise: float
    max_early_stopping: int
    max_eval_every: int
    max_batch_size: int
    max_steps: int
    max_seed: int
    max_frame_hz: int
    min_lr: float
    max_lr: float


_LR = PARAMS["lr"]
assert _LR.min is not None and _LR.max is not None, "the registry gives the learning rate a range"

LIMITS: Limits = {
    "min_samples": 20,
    "max_samples": 20_000,
    "max_noise": 2.0,
    "min_train_fraction": 0.1,
    "max_train_fraction": 0.9,
    "min_seq_len": 2,
    "max_seq_len": 200,
    "max_hidden_layers": 64,
    "max_width": 1024,
    "max_parameters": 5_000_000,
    "max_conv_blocks": 4,
    "max_channels": 64,
    "max_kernel_size": 7,
    "max_rnn_hidden": 256,
    "max_rnn_layers": 3,
    "max_dropout": 0.9,
    "max_l1": 1.0,
    "max_label_smoothing": 0.5,
    "max_input_noise": 2.0,
    "max_early_stopping": 1000,
    "max_eval_every": 100_000,
    "max_batch_size": 4096,
    "max_steps": 1_000_000,
    "max_seed": 2**31 - 1,
    "max_frame_hz": 30,
    "min_lr": _LR.min,
    "max_lr": _LR.max,
}


def param(name: str) -> Any:
    """A pydantic Field for a registry parameter: its default, range and description."""
    p = PARAMS[name]
    return Field(p.default, ge=p.min, le=p.max, description=f"{p.label}: {p.description}")


# fields that the dataset preview (api/routes/datasets.py) shares with a run's config
Noise = Annotated[
    float,
    Field(
        ge=0.0,
        le=LIMITS["max_noise"],
        description=(
            "Std of Gaussian noise: on the inputs for classification, on the target for regression, "
            "on the values of the adding problem; ignored by copy and parity."
        ),
    ),
]
UploadId = Annotated[
    str | None,
    Field(pattern=r"^[0-9a-f]{12}$", description="The id of an uploaded dataset (POST /api/datasets), for 'upload'."),
]
Seed = Annotated[int, Field(ge=0, le=LIMITS["max_seed"], description="Seeds the data, the init and the batch order.")]


class _Strict(BaseModel):
    # Unknown keys are an error: a typo such as "activaton" must not be silently ignored.
    # Enum fields hold their plain names after validation.
    model_config = ConfigDict(extra="forbid", use_enum_values=True, validate_default=True)


class DatasetConfig(_Strict):
    name: DatasetName = Field(description="Which dataset to train on (see /api/options).")  # type: ignore[valid-type]
    n_samples: int = Field(
        400,
        ge=LIMITS["min_samples"],
        le=LIMITS["max_samples"],
        description="Examples in all (sequences for sequence tasks; digits has 1797).",
    )
    noise: Noise = 0.1
    train_fraction: float = Field(
        0.5,
        ge=LIMITS["min_train_fraction"],
        le=LIMITS["max_train_fraction"],
        description="Share of the examples used for training; the rest is the test set.",
    )
    features: list[Feature] = Field(  # type: ignore[valid-type]
        default_factory=lambda: ["x1", "x2"],
        min_length=1,
        max_length=len(reg.FEATURES),
        description="Input features computed from the point (x1, x2); 2-D datasets only.",
    )
    seq_len: int = Field(
        20, ge=LIMITS["min_seq_len"], le=LIMITS["max_seq_len"], description="Sequence length T (sequence tasks)."
    )
    preprocessing: Preprocessing = Field("none", description="How the inputs are scaled before training.")  # type: ignore[valid-type]
    upload: UploadId = None

    @model_validator(mode="after")
    def _check(self) -> "DatasetConfig":
        if len(set(self.features)) != len(self.features):
            raise ValueError("features: each feature may appear once")
        if (self.name == "upload") != (self.upload is not None):
            raise ValueError("upload: give the id of an uploaded dataset exactly when name is 'upload'")
        return self


class InitConfig(_Strict):
    name: Initializer = Field("default", description="How weights start (see /api/options).")  # type: ignore[valid-type]
    value: float = param("value")
    std: float = param("std")
    bound: float = param("bound")
    gain: float = param("gain")
    mode: FanMode = param("mode")  # type: ignore[valid-type]
    bias: BiasInit = Field("zeros", description="How biases start.")  # type: ignore[valid-type]
    bias_value: float = Field(0.0, ge=-10.0, le=10.0, description="Value of every bias when bias is 'constant'.")


class LayerOverride(_Strict):
    """Settings of one hidden block that differ from the model's global ones."""

    index: int = Field(ge=0, lt=LIMITS["max_hidden_layers"], description="Hidden block, 0 = nearest the input.")
    activation: Activation | None = None  # type: ignore[valid-type]
    norm: NormName | None = None  # type: ignore[valid-type]
    residual: bool | None = None


Width = Annotated[int, Field(ge=1, le=LIMITS["max_width"])]
Channels = Annotated[int, Field(ge=1, le=LIMITS["max_channels"])]


class ModelConfig(_Strict):
    kind: ModelKind = Field("mlp", description="mlp, cnn (images) or rnn (sequences).")  # type: ignore[valid-type]
    hidden: list[Width] = Field(
        max_length=LIMITS["max_hidden_layers"],
        description="Width of each hidden block (MLP; for CNN and RNN the dense layers after the features).",
    )
    activation: Activation = Field(description="Activation of every hidden block.")  # type: ignore[valid-type]
    slope: float = param("slope")
    alpha: float = param("alpha")
    beta: float = param("beta")
    init: InitConfig = Field(default_factory=InitConfig, description="Initialization of weights and biases.")
    recurrent_init: InitConfig = Field(
        default_factory=InitConfig, description="Initialization of an RNN's recurrent (hidden-to-hidden) weights."
    )
    norm: NormName = Field("none", description="Normalization in every block.")  # type: ignore[valid-type]
    norm_position: NormPosition = Field("before", description="Normalize before or after the activation.")  # type: ignore[valid-type]
    residual: bool = Field(False, description="Skip connection around each block (scaled by 1/sqrt(blocks)).")
    dropout: float = Field(
        0.0, ge=0.0, le=LIMITS["max_dropout"], description="Dropout after each block (RNN: between layers only)."
    )
    layers: list[LayerOverride] = Field(default_factory=list, description="Per-block overrides.")
    channels: list[Channels] = Field(
        default_factory=lambda: [8, 16],
        min_length=1,
        max_length=LIMITS["max_conv_blocks"],
        description="CNN: output channels of each conv block.",
    )
    kernel_size: int = Field(3, ge=1, le=LIMITS["max_kernel_size"], description="CNN: convolution kernel size (odd).")
    pooling: Pooling = Field("max", description="CNN: pooling after each conv block.")  # type: ignore[valid-type]
    cell: RnnCell = Field("lstm", description="RNN: the recurrent cell.")  # type: ignore[valid-type]
    rnn_hidden: int = Field(32, ge=1, le=LIMITS["max_rnn_hidden"], description="RNN: hidden state size.")
    rnn_layers: int = Field(1, ge=1, le=LIMITS["max_rnn_layers"], description="RNN: stacked recurrent layers.")

    @model_validator(mode="after")
    def _check(self) -> "ModelConfig":
        if self.kernel_size % 2 == 0:
            raise ValueError("kernel_size: must be odd (1, 3, 5 or 7) so maps keep their size")
        for override in self.layers:
            if override.index >= len(self.hidden):
                raise ValueError(
                    f"layers: index {override.index} is past the last hidden block ({len(self.hidden) - 1})"
                )
        return self


class OptimizerConfig(_Strict):
    name: OptimizerName = Field(description="Which optimizer updates the weights.")  # type: ignore[valid-type]

    @model_validator(mode="before")
    @classmethod
    def _choice_defaults(cls, data: Any) -> Any:
        """A parameter left out takes the chosen optimizer's own default where it has one (RMSprop: momentum 0)."""
        if isinstance(data, dict) and isinstance(data.get("name"), str):
            choice = next((c for c in reg.OPTIMIZERS if c.name == data["name"]), None)
            if choice is not None and choice.defaults:
                data = {**choice.defaults, **data}
        return data

    lr: float = param("lr")
    momentum: float = param("momentum")
    beta1: float = param("beta1")
    beta2: float = param("beta2")
    eps: float = param("eps")
    rho: float = param("rho")
    weight_decay: float = param("weight_decay")


class ScheduleConfig(_Strict):
    name: ScheduleName = Field("constant", description="How the learning rate changes over the run.")  # type: ignore[valid-type]
    step_size: int = param("step_size")
    gamma: float = param("gamma")
    warmup_steps: int = param("warmup_steps")
    min_lr_ratio: float = param("min_lr_ratio")
    patience: int = param("patience")
    factor: float = param("factor")


class ClippingConfig(_Strict):
    name: ClippingName = Field("none", description="Gradient clipping.")  # type: ignore[valid-type]
    max_norm: float = param("max_norm")
    clip_value: float = param("clip_value")


class RegularizationConfig(_Strict):
    l1: float = Field(0.0, ge=0.0, le=LIMITS["max_l1"], description="L1 penalty: l1 * sum |w| added to the loss.")
    early_stopping: int = Field(
        0,
        ge=0,
        le=LIMITS["max_early_stopping"],
        description="Stop when the test loss has not improved for this many evaluations (0 = off).",
    )
    label_smoothing: float = Field(
        0.0, ge=0.0, le=LIMITS["max_label_smoothing"], description="Classification targets move this far from 0/1."
    )
    input_noise: float = Field(
        0.0, ge=0.0, le=LIMITS["max_input_noise"], description="Std of Gaussian noise added to training inputs."
    )


class ExperimentConfig(_Strict):
    """What to train and how. `dataset`, `model` and `optimizer` are required; the rest has defaults."""

    dataset: DatasetConfig
    model: ModelConfig
    optimizer: OptimizerConfig
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    clipping: ClippingConfig = Field(default_factory=ClippingConfig)
    regularization: RegularizationConfig = Field(default_factory=RegularizationConfig)
    loss: LossName = Field("auto", description="Loss function; auto picks by task.")  # type: ignore[valid-type]
    batch_size: int = Field(16, ge=1, le=LIMITS["max_batch_size"], description="Examples per step.")
    steps: int | None = Field(
        3000,
        ge=1,
        le=LIMITS["max_steps"],
        description="Training steps before the run finishes; null trains until stopped (up to limits.max_steps).",
    )
    eval_every: int = Field(
        50,
        ge=1,
        le=LIMITS["max_eval_every"],
        description="Evaluate the test set every this many steps (for early stopping and plateau decay).",
    )
    seed: Seed = 0
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

    @property
    def total_steps(self) -> int:
        """The step the run ends at: `steps`, or the server's maximum for a run that trains until stopped."""
        return LIMITS["max_steps"] if self.steps is None else self.steps

    @model_validator(mode="after")
    def _fits_the_task(self) -> "ExperimentConfig":
        if self.dataset.name == "upload":
            return self  # an upload's task is in its file; the server checks it against the file
        data = reg.find(reg.DATASETS, self.dataset.name).tags
        kind = self.model.kind
        reads = reg.find(reg.MODEL_KINDS, kind).tags["reads"]
        if data["input"] not in reads:
            fitting = [d.name for d in reg.DATASETS if d.tags.get("input") in reads]
            raise ValueError(
                f"model.kind: '{kind}' needs {' or '.join(reads)} data ({', '.join(fitting)}), "
                f"not '{self.dataset.name}' ({data['input']})"
            )
        if self.loss == "bce" and data["task"] != "binary":
            raise ValueError(f"loss: 'bce' is for two classes; '{self.dataset.name}' is {data['task']}")
        if self.loss == "ce" and data["task"] == "regression":
            raise ValueError(f"loss: 'ce' is for classification; '{self.dataset.name}' is regression")
        return self


# What a fork may change; the rest (data, model, seed) defines the checkpoint it continues from.
FORKABLE = (
    "optimizer",
    "schedule",
    "clipping",
    "regularization",
    "loss",
    "batch_size",
    "steps",
    "eval_every",
    "frame_hz",
)

# What the UI starts from: a small tanh net on the circle, as TensorFlow Playground does.
DEFAULT_CONFIG: dict[str, Any] = {
    "dataset": {"name": "circle"},
    "model": {"hidden": [8, 8], "activation": "tanh"},
    "optimizer": {"name": "adam", "lr": 0.01},
}


# sections whose choice has defaults of its own (registry Choice.defaults)
_CHOICE_SECTIONS = {"optimizer": reg.OPTIMIZERS}


def _switch_choice(section: str, base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """`base` without the parameters whose default depends on the choice, when `changes` switches the choice and
    does not set them: RMSprop after Momentum starts from its own momentum 0, not Momentum's 0.9."""
    choices = _CHOICE_SECTIONS.get(section)
    if not choices or "name" not in changes or changes["name"] == base.get("name"):
        return base
    own = {p for c in choices if c.name in (base.get("name"), changes["name"]) for p in c.defaults}
    return {k: v for k, v in base.items() if k not in own or k in changes}


def merge_config(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """`base` with `changes` merged in, nested sections key by key (neither is modified). A section whose choice
    changes drops the parameters whose default depends on the choice (unless `changes` sets them)."""
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge_config(_switch_choice(key, out[key], value), value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def default_config() -> ExperimentConfig:
    return ExperimentConfig.model_validate(DEFAULT_CONFIG)
