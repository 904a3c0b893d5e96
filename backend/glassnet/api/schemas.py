"""Response models: they document the API (OpenAPI) and type the frontend (openapi-typescript)."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from glassnet.api.lab_schemas import LabRun
from glassnet.config import LIMITS, ExperimentConfig
from glassnet.registry import CHOICES

RunStatus = Literal["pending", "running", "paused", "finished", "stopped", "failed", "diverged", "interrupted"]


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
    **{name: (list[ChoiceOut], ...) for name in CHOICES},  # type: ignore[call-overload]
    limits=(Limits, ...),
    defaults=(ExperimentConfig, ...),
    forkable=(list[str], Field(description="Config sections a fork may change (data, model and seed cannot).")),
)


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
    summary: dict[str, float | None] = Field(description="The latest train/test loss and accuracy, and seconds.")


class RunPage(BaseModel):
    items: list[RunInfo]
    total: int = Field(description="Runs that match the filter, on all pages.")
    limit: int
    offset: int


class SeriesOut(BaseModel):
    min: list[float | None]
    max: list[float | None]
    last: list[float | None]


class Metrics(BaseModel):
    step: list[int] = Field(description="The last step of each point (each point summarizes a range of steps).")
    series: dict[str, SeriesOut] = Field(description="Per series: min, max and last value in each point's range.")


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
    watch: str = Field(description="The test id of the panel that shows the effect.")
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
