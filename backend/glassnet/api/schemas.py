"""Response models: they document the API (OpenAPI) and type the frontend (openapi-typescript)."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from glassnet.api.lab_schemas import LabRun
from glassnet.config import LIMITS, ExperimentConfig
from glassnet.lessons.base import Panel
from glassnet.registry import CHOICE_ENUMS, CHOICES
from glassnet.runs.status import RunStatus


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
    label_zh: str = Field(description="The label in Simplified Chinese.")
    description_zh: str = Field(description="The description in Simplified Chinese.")
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
    label_zh: str = Field(description="The label in Simplified Chinese.")
    description_zh: str = Field(description="The description in Simplified Chinese.")
    params: list[ParamOut]
    tags: dict[str, Any]


# built from the registry and LIMITS, so a new list of choices or a new limit needs no edit here
Limits = create_model("Limits", **{name: (type(value), ...) for name, value in LIMITS.items()})  # type: ignore[call-overload]
Options = create_model(
    "Options",
    # each list names the enum of the config fields that take its names (`"x-enum": "Activation"`), so a client
    # finds a field's choices from the field's schema ($ref) rather than by comparing names
    **{  # type: ignore[call-overload]
        name: (list[ChoiceOut], Field(json_schema_extra={"x-enum": CHOICE_ENUMS[name].__name__})) for name in CHOICES
    },
    limits=(Limits, ...),
    defaults=(ExperimentConfig, ...),
    forkable=(list[str], Field(description="Config sections a fork may change (data, model and seed cannot).")),
)


class Figure(BaseModel):
    value: float | None = Field(description="null where it was not finite")
    step: int = Field(description="The step it was measured at.")


class RunInfo(BaseModel):
    id: str
    status: RunStatus
    step: int
    config: ExperimentConfig
    created_at: str
    updated_at: str
    device: str | None
    error: str | None
    parent: str | None = Field(description="The run this one was forked from.")
    summary: dict[str, Figure] = Field(
        description="The headline figures (train/test loss and accuracy, seconds), each as last measured."
    )


class RunPage(BaseModel):
    items: list[RunInfo]
    total: int = Field(description="Runs that match the filter, on all pages.")
    limit: int
    offset: int


class SeriesOut(BaseModel):
    step: list[int] = Field(description="The last step of each point (a point summarizes the measurements of a range).")
    min: list[float | None]
    max: list[float | None]
    last: list[float | None] = Field(description="The value measured at `step`.")


class Metrics(BaseModel):
    series: dict[str, SeriesOut] = Field(
        description="Per column (a metric, or `metric/i` for layer or time step i): its own steps, each figure at "
        "the step it was measured, with the min, max and last value of each point's range."
    )


class RunChanges(BaseModel):
    """Settings that can change while a run trains."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"lr": 0.001}]})
    lr: float = Field(ge=LIMITS["min_lr"], le=LIMITS["max_lr"], description="The new (base) learning rate.")


class ForkRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"step": 500, "changes": {"optimizer": {"name": "momentum", "lr": 0.05}}}]},
    )
    step: int | None = Field(None, ge=0, description="Fork at this step (default: the run's current step).")
    changes: dict[str, Any] = Field(
        default_factory=dict,
        description='Parts of the config to change, e.g. {"optimizer": {"lr": 0.001}}. The data, the model '
        "and the seed define the state a fork continues from, so they cannot change.",
    )


class ErrorOut(BaseModel):
    detail: str


class TextOut(BaseModel):
    en: str
    zh: str = Field(description="The same text in Simplified Chinese.")


class LessonArmOut(BaseModel):
    name: str
    label: TextOut
    config: ExperimentConfig | None = Field(
        None, description="A network lesson's arm: its full config, as POST /api/runs takes it."
    )
    lab: LabRun | None = Field(None, description="A lab lesson's arm: the request, as POST /api/lab/run takes it.")


class LessonOut(BaseModel):
    id: str
    order: int = Field(description="The lesson's position in the list (1 = first).")
    title: TextOut
    question: TextOut
    predictions: list[TextOut] = Field(description="The choices to pick from before running.")
    answer: int = Field(description="The index of the right prediction.")
    kind: Literal["network", "lab"] = Field(
        description="network: the arms are runs for the playground; lab: they are optimizer-lab setups."
    )
    arms: list[LessonArmOut] = Field(description="The one-click configs the lesson compares.")
    steps: int = Field(description="Steps each arm trains for the lesson's check.")
    watch: Panel = Field(description="The panel that shows the effect (the UI names it, shows it, outlines it).")
    explanation: TextOut


class VerdictOut(BaseModel):
    passed: bool = Field(description="Whether the measured figures bear the lesson's claim out.")
    figures: dict[str, float | None] = Field(description="The numbers the check used, by name.")
    summary: TextOut = Field(description="One sentence with the numbers.")


class FinalFigures(BaseModel):
    train_loss: float | None
    test_loss: float | None
    train_acc: float | None
    test_acc: float | None


class LabPathFinal(BaseModel):
    optimizer: str
    steps: int = Field(description="Updates made (fewer than asked when the path diverged).")
    final_loss: float | None
    stopped: str | None = Field(description="Why the path stopped early, else null.")
    stop_reason: Literal["not_finite", "too_far"] | None = Field(None, description="As the lab's paths say it.")
    stopped_at: int | None = Field(None, description="The step at which the path stopped early, else null.")


class LessonArmRun(BaseModel):
    arm: str
    config: ExperimentConfig | None = Field(None, description="A network arm's config.")
    lab: LabRun | None = Field(None, description="A lab arm's request.")
    seconds: float = Field(description="Seconds the arm trained for, on the server's CPU.")
    final: FinalFigures | None = Field(None, description="A network arm: the figures of its last step.")
    paths: list[LabPathFinal] | None = Field(None, description="A lab arm: where each optimizer's path ended.")


class LessonCheck(BaseModel):
    lesson: str
    verdict: VerdictOut
    runs: list[LessonArmRun]
