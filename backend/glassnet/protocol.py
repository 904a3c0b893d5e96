"""The run stream's messages (`WS /api/runs/{id}/stream`) as pydantic models, and the encoding of a probe
reading into a frame.

A frame's figures are the metric registry's (train/metrics.py): the Frame model is built from it, so a new
metric is a new optional field here, in the OpenAPI document and in the UI's generated types without an
edit. A frame carries only what was measured at its step: the per-frame metrics always, the detail metrics
and dense views only when `detail` is true. Dense arrays travel 8-bit quantized (train/pack.py).
docs/protocol.md tells the story; these models are the contract.
"""

from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, create_model

from glassnet.api.schemas import RunInfo
from glassnet.runs.status import RunStatus
from glassnet.train.judgement import LayerHealth, judge_layers
from glassnet.train.metrics import METRICS, SERIES, VIEWS, Metric
from glassnet.train.pack import dense, to_json_value
from glassnet.train.probe import Reading

PROTOCOL_VERSION = 2

Value = float | None


class Dense(BaseModel):
    """An array, 8-bit quantized: value = lo + q / 255 * (hi - lo), q the bytes of base64 `q8`, row-major."""

    shape: list[int]
    lo: float
    hi: float
    q8: str


class Layer(BaseModel):
    index: int
    name: str
    kind: str = Field(description="linear, conv, rnn_tanh, rnn_relu, lstm or gru")
    fan_in: int
    fan_out: int
    activation: str
    norm: str = Field(description="none, batch or layer")
    residual: bool


class Points(BaseModel):
    x: list[list[float]]
    y: list[float]


class Images(BaseModel):
    x: list[list[list[float]]] = Field(description="Images as rows of values in [0, 1].")
    y: list[int]


class DataInfo(BaseModel):
    """What a run trains on, for drawing it."""

    input: str = Field(description="plane, curve, sequence, image or table")
    task: str = Field(description="binary, multiclass or regression")
    classes: int
    extent: tuple[float, float, float, float] | None = Field(
        description="plane: [x1min, x1max, x2min, x2max]; curve: [xmin, xmax, ymin, ymax]"
    )
    train: Points | None
    test: Points | None
    features: list[str] | None
    images: Images | None = Field(description="The examples whose feature maps detail frames carry.")
    parameters: int | None
    mlp_parameters: int | None = Field(description="The parameters of an MLP of the same widths, for comparison.")
    baseline_loss: float | None = Field(
        None,
        description="The trivial baseline: the test loss of the best constant prediction fitted on the training "
        "labels (the mean target for regression, the class frequencies for classification); null: not finite.",
    )


def _value_type(metric: Metric) -> Any:
    depth = (metric.scope != "run") + bool(metric.trailing)
    annotation: Any = Value
    for _ in range(depth):
        annotation = list[annotation]
    return annotation


def _absent(schema: dict[str, Any]) -> None:
    """A field that is left out when there is nothing to say: optional, with no default in the schema (so the
    generated TypeScript type says `?`, not a required null)."""
    schema.pop("default", None)


def _field(metric: Metric) -> tuple[Any, Any]:
    description = f"{metric.meaning} ({'every frame' if metric.cadence == 'frame' else 'detail frames'})"
    return (_value_type(metric), Field(None, description=description, json_schema_extra=_absent))


def _view_field(metric: Metric) -> tuple[Any, Any]:
    kind = dict[str, Dense] if metric.keyed else Dense
    return (kind, Field(None, description=metric.meaning, json_schema_extra=_absent))


Views = create_model(
    "Views",
    __doc__="A detail frame's dense arrays; per-layer maps are keyed by the layer's index.",
    **{m.name: _view_field(m) for m in VIEWS},  # type: ignore[call-overload]
)

Frame = create_model(  # type: ignore[call-overload]  # fields from the registry: mypy cannot type them
    "Frame",
    __doc__="What was measured at one step. Figures that were not measured at this step are absent; a figure "
    "that was measured but is not finite is null.",
    type=(Literal["frame"], "frame"),
    seq=(int, Field(description="Frames made so far by this run's worker, minus one: gaps show skipped frames.")),
    step=(int, ...),
    wall=(float, Field(description="When the frame was made (Unix seconds).")),
    detail=(bool, Field(description="Whether the detail metrics and the dense views were measured at this step.")),
    first_bad_step=(
        int | None,
        Field(None, description="The first step whose loss was not finite.", json_schema_extra=_absent),
    ),
    **{m.name: _field(m) for m in SERIES},
    health=(
        list[LayerHealth],
        Field(
            None,
            description="Detail frames: each layer's verdict (train/judgement.py), the one judgement the insights, "
            "the Layer health table and the network graph share.",
            json_schema_extra=_absent,
        ),
    ),
    dense=(Views, Field(None, json_schema_extra=_absent)),
)


class Event(BaseModel):
    """What a detector saw (dead units, vanishing gradients, overfitting, ...), with an explanation."""

    type: Literal["event"] = "event"
    kind: str
    step: int
    layer: str | None
    layer_index: int | None = Field(description="The layer's index in hello.layers, when the event is about one.")
    layer_indices: list[int] = Field(
        default_factory=list, description="Every layer the condition holds for (one event per condition)."
    )
    message: str
    message_zh: str
    explanation: str
    explanation_zh: str


def server_event(kind: str, step: int, message: tuple[str, str], explanation: tuple[str, str]) -> Event:
    """An event the server itself adds to a run (about the run, not one of its layers): its message and explanation,
    each in English and Chinese."""
    return Event(
        kind=kind,
        step=step,
        layer=None,
        layer_index=None,
        message=message[0],
        message_zh=message[1],
        explanation=explanation[0],
        explanation_zh=explanation[1],
    )


class Status(BaseModel):
    type: Literal["status"] = "status"
    status: RunStatus
    step: int
    error: str | None


class ErrorMessage(BaseModel):
    """Sent before the server refuses a stream (then it closes with 4401 or 4404)."""

    type: Literal["error"] = "error"
    detail: str


class Track(BaseModel):
    """One metric's decimated points (runs/history.py): bucket i covers steps first[i]..step[i], holds count[i]
    measurements, and their last value, min and max (each shaped like `shape`: per layer, time step, ...)."""

    shape: list[int]
    per_bucket: int = Field(description="Measurements a bucket takes before the next one opens.")
    first: list[int]
    step: list[int]
    count: list[int]
    last: list[Any]
    # absent from a hello (the page draws the last values): optional, with no default in the schema
    min: list[Any] = Field(None, description="Absent from a hello.", json_schema_extra=_absent)  # type: ignore[arg-type]
    max: list[Any] = Field(None, description="Absent from a hello.", json_schema_extra=_absent)  # type: ignore[arg-type]


class HistoryOut(BaseModel):
    capacity: int = Field(description="Buckets per track; a full track merges neighbours in pairs.")
    tracks: dict[str, Track]


class Hello(BaseModel):
    """The first message of a stream: the run, what it measures, its history so far and its newest detail
    frame (an ended run's: as it finished). The same shape for a live and an ended run."""

    type: Literal["hello"] = "hello"
    protocol: Literal[2] = Field(description="The stream protocol's version (a client checks it).")
    run: RunInfo
    layers: list[Layer]
    data: DataInfo | None
    metrics: list[str] = Field(description="The registry metrics this run measures (GET /api/metrics).")
    history: HistoryOut
    latest: Frame | None = Field(description="The newest detail frame, with its dense views.")
    events: list[Event]


StreamMessage = Hello | Frame | Event | Status | ErrorMessage
STREAM_MESSAGES = TypeAdapter(StreamMessage)


class MetricOut(BaseModel):
    """A metric of the registry, as GET /api/metrics serves it."""

    model_config = ConfigDict(extra="forbid")
    name: str
    scope: Literal["run", "layer", "time"]
    cadence: Literal["frame", "detail"] = Field(description="frame: every frame; detail: detail frames only.")
    kind: Literal["series", "view"] = Field(description="series: kept in the history; view: newest only.")
    unit: str = Field(description="The unit's key: '' (a plain number), 'share' (0 to 1), 'log10' or 's'.")
    unit_label: str = Field(description="How an axis names the unit ('' for a plain number).")
    unit_label_zh: str
    label: str
    label_zh: str
    meaning: str
    meaning_zh: str
    trailing: list[str] = Field(description="The meaning of each value of a layer's trailing axis, if any.")
    log: bool = Field(description="Best plotted on a log axis.")
    summary: bool = Field(description="One of a run's headline figures.")


def frame_of(reading: Reading) -> Any:
    """The stream's frame for a probe reading (figures as JSON numbers, views 8-bit quantized)."""
    fields: dict[str, Any] = {
        "type": "frame",
        "seq": reading.seq,
        "step": reading.step,
        "wall": reading.wall,
        "detail": reading.detail,
        "first_bad_step": reading.first_bad_step,
    }
    fields.update((name, to_json_value(value)) for name, value in reading.values.items())
    if reading.detail:
        fields["health"] = reading.health if reading.health is not None else judge_layers(reading)
    if reading.views:
        fields["dense"] = Views.model_construct(**{name: _dense_view(view) for name, view in reading.views.items()})
    return Frame.model_construct(**fields)


def _dense_view(view: np.ndarray | dict[int, np.ndarray]) -> Any:
    if isinstance(view, dict):
        return {str(layer): Dense.model_construct(**dense(array)) for layer, array in view.items()}
    return Dense.model_construct(**dense(view))


def metric_list() -> list[dict[str, Any]]:
    return [m.to_json() for m in METRICS]
