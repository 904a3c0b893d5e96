"""The API's models: REST requests and responses, the optimizer lab's among them. They document the API
(OpenAPI) and type the frontend (openapi-typescript). The stream's messages are in glassnet/protocol.py."""

import unicodedata
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator, model_validator

from glassnet.config import LIMITS, ExperimentConfig, OptimizerConfig
from glassnet.demos import DEMOS, GoalMetric
from glassnet.lab import BLOWUP, LAB_LIMITS, SURFACES
from glassnet.lessons.base import Panel
from glassnet.registry import CHOICE_ENUMS, CHOICES
from glassnet.runs.owners import KEY_HEADER, KEY_QUERY
from glassnet.runs.status import RunStatus
from glassnet.train.metrics import FINAL

# ---- the optimizer lab (/api/lab): `LabRun`'s defaults are the lab's opening setup, served as `defaults`
SurfaceName = Literal[tuple(SURFACES)]  # type: ignore[valid-type]
Coordinate = Annotated[float, Field(ge=-LAB_LIMITS["max_start"], le=LAB_LIMITS["max_start"])]


class Localized(BaseModel):
    en: str
    zh: str


class Grid(BaseModel):
    size: int = Field(description="Points per side; `values` and `display` are size x size, rows from the lowest y.")
    scale: Literal["log", "linear"] = Field(description="How `display` was made from `values`.")
    values: list[float] = Field(description="The surface's value at each grid point.")
    display: list[float] = Field(description="What to colour: log10(value - min + 1e-3) when scale is log, else value.")


class SurfaceParam(BaseModel):
    name: str
    default: float
    min: float
    max: float


class SurfaceOut(BaseModel):
    name: str
    label: Localized
    description: Localized
    extent: list[float] = Field(description="x_min, x_max, y_min, y_max of the plot.")
    start: list[float] = Field(description="The default start point (x, y).")
    lr: float = Field(
        description="Plain SGD's step size here (`lrs['sgd']`): the fallback for an optimizer without one."
    )
    lrs: dict[str, float] = Field(
        description="Each registry optimizer's step size on this surface (its other settings at the registry's "
        "defaults): one that makes visible progress from the start within the lab's default steps. The UI gives "
        "each optimizer its own when the surface is picked; each can then be changed."
    )
    minimum: list[float] | None = Field(description="Where the global minimum is, if there is one.")
    params: list[SurfaceParam] = Field(description="The surface's own parameters (the quadratic's condition number k).")
    y_floor: bool = Field(description="y = 0 is a floor or ridge the paths cross: y's sign changes count a zig-zag.")
    grid: Grid


DEFAULT_SURFACE = "rosenbrock"
DEFAULT_OPTIMIZERS = ("sgd", "adam")


def _default_optimizers() -> list[OptimizerConfig]:
    """SGD and Adam, each at its own step size on the default surface (their other settings at the registry's)."""
    lrs = SURFACES[DEFAULT_SURFACE].lrs
    return [OptimizerConfig(name=name, lr=lrs[name]) for name in DEFAULT_OPTIMIZERS]


class LabRun(BaseModel):
    """A lab request. Every field has a default (an empty body runs the lab's opening setup); each optimizer runs
    with its own settings, its learning rate `lr` included: optimizers in one request need not share a step size."""

    # in responses (a lesson's arm, the served defaults) every field is present: the output schema requires them
    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)

    surface: SurfaceName = Field(DEFAULT_SURFACE, description="Which test surface (GET /api/lab/surfaces).")  # type: ignore[valid-type]
    k: float | None = Field(
        None,
        ge=LAB_LIMITS["min_k"],
        le=LAB_LIMITS["max_k"],
        description="Condition number of the quadratic (its default when omitted; other surfaces ignore it).",
    )
    start: tuple[Coordinate, Coordinate] = Field(
        None,  # type: ignore[assignment]  # filled in from the surface before validation (_surface_start)
        description="Start point (x, y), each within ±max_start; the surface's own start when omitted or null.",
    )
    steps: int = Field(300, ge=1, le=LAB_LIMITS["max_steps"], description="Optimizer steps per path.")
    optimizers: list[OptimizerConfig] = Field(
        default_factory=_default_optimizers,
        min_length=1,
        max_length=LAB_LIMITS["max_optimizers"],
        description="Each optimizer to run, with its own settings: its own `lr` (a left-out one is the registry's "
        "default, not the surface's lr) and its other parameters. The same optimizer may appear twice, e.g. with "
        "two learning rates.",
    )

    @model_validator(mode="before")
    @classmethod
    def _surface_start(cls, data: Any) -> Any:
        """A left-out (or null) start is the surface's own; an unknown surface is left to the field's error."""
        if isinstance(data, dict) and data.get("start") is None:
            name = data.get("surface", DEFAULT_SURFACE)
            surface = SURFACES.get(name) if isinstance(name, str) else None
            if surface is not None:
                data = {**data, "start": list(surface.start)}
        return data


class Path(BaseModel):
    optimizer: OptimizerConfig
    steps: int = Field(description="Updates made (fewer than asked when the path was stopped).")
    stopped: str | None = Field(description="Why the path stopped early (diverged), else null.")
    stop_reason: Literal["not_finite", "too_far"] | None = Field(
        description=f"not_finite: a value became NaN or infinite; too_far: |x| or |y| passed {BLOWUP:g}; else null."
    )
    stopped_at: int | None = Field(description="The step at which the path stopped early, else null.")
    x: list[float]
    y: list[float]
    loss: list[float]
    gx: list[float] = Field(description="dL/dx at each point.")
    gy: list[float]
    momentum: list[list[float] | None] = Field(
        description="The momentum vector after each step (SGD momentum_buffer, Adam exp_avg); null where none."
    )
    scale: list[list[float] | None] = Field(
        description="sqrt of the second moment after each step (Adam exp_avg_sq, RMSprop square_avg, AdaGrad sum)."
    )
    final_loss: float | None
    min_loss: float | None
    y_sign_changes: int = Field(description="How often y changed sign along the path (a zig-zag across the valley).")


class LabResult(BaseModel):
    surface: str
    k: float | None = Field(description="The quadratic's condition number used; null for the other surfaces.")
    start: list[float]
    grid: Grid = Field(description="The surface's grid at this k.")
    paths: list[Path]


class LabLimits(BaseModel):
    max_steps: int
    min_k: float
    max_k: float
    max_start: float
    max_optimizers: int


class LabSurfaces(BaseModel):
    surfaces: list[SurfaceOut]
    limits: LabLimits
    defaults: LabRun = Field(
        description="The lab's opening setup: the request POST /api/lab/run makes of an empty body (LabRun's defaults)."
    )


class ClusterState(BaseModel):
    """Where runs train: local worker processes, or a Ray cluster (GLASSNET_RAY_ADDRESS) and its state."""

    executor: Literal["local", "ray"]
    address: str | None = Field(None, description="The Ray cluster's address (ray only).")
    connected: bool = Field(description="Local: always; Ray: the server's bridge is connected to the cluster.")
    nodes: int | None = Field(None, description="Alive Ray nodes.")
    cpus: float | None = None
    cpus_free: float | None = None
    gpus: float | None = None
    gpus_free: float | None = None
    actors: int | None = Field(None, description="Ray actors hosting this server's runs (one CPU each).")
    runs: int | None = Field(None, description="Runs and cohorts on those actors.")
    restarts: int | None = Field(None, description="Times the server's Ray bridge was restarted (reconnects).")
    workers_idle: int | None = Field(None, description="Local: pre-warmed worker processes waiting for a run.")
    last_error: str | None = None


class Health(BaseModel):
    status: Literal["ok"]
    version: str
    torch: str
    device: Literal["cpu", "cuda"]
    cuda_available: bool
    device_name: str
    cluster: ClusterState | None = Field(None, description="Where runs train (local processes or Ray).")


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


DemoId = Literal[tuple(d.id for d in DEMOS)]  # type: ignore[valid-type]  # from the registry: mypy cannot see it


class DemoGoal(BaseModel):
    metric: GoalMetric = Field(
        description="The figure judged at the run's last step: the test loss, the test accuracy, or "
        "||dL/dh_1|| / ||dL/dh_T|| (how much of an RNN's gradient at the last time step reaches the first)."
    )
    bound: float
    above: bool = Field(description="true: the figure must exceed the bound; false: it must stay below it.")
    of_baseline: bool = Field(description="The bound is a multiple of the dataset's baseline loss (hello.data).")


class DemoOut(BaseModel):
    id: DemoId = Field(description="The tab that offers the demo.")  # type: ignore[valid-type]
    label: Localized = Field(description="The button's words.")
    promise: Localized = Field(description="What the run shows, with the numbers that `goals` check.")
    config: ExperimentConfig = Field(description="The full config the tab loads, as POST /api/runs takes it.")
    goals: list[DemoGoal] = Field(description="What the run must meet at its last step (tested on seeds 0-4).")


class ServerLimits(BaseModel):
    """This server's settings that bound what a caller may start (GLASSNET_*)."""

    max_runs: int = Field(description="Active runs at once (a run in a cohort counts 1/16).")
    max_runs_per_owner: int = Field(description="Active runs one owner may have (a sweep counts as one).")
    max_sweep: int = Field(description="Members one sweep may have.")


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
    server=(ServerLimits, ...),
    defaults=(ExperimentConfig, ...),
    forkable=(list[str], Field(description="Config sections a fork may change (data, model and seed cannot).")),
    demos=(
        list[DemoOut],
        Field(description="The one-click demos of the Images and Sequences tabs (glassnet/demos.py)."),
    ),
)


class Figure(BaseModel):
    value: float | None = Field(description="null where it was not finite")
    step: int = Field(description="The step it was measured at.")


class IdleNote(BaseModel):
    """Why a leased run is paused, or stopped: nobody watched it."""

    action: Literal["paused", "stopped"]
    step: int = Field(description="The step it was at.")
    after_s: float = Field(description="Seconds it had gone unwatched.")


class LrChange(BaseModel):
    """A live change of a run's learning rate (PATCH lr), as the worker applied it."""

    model_config = ConfigDict(populate_by_name=True)
    step: int = Field(description="The run's step when it changed: the steps after it train at the new rate.")
    lr: float = Field(description="The new learning rate.")
    previous: float = Field(alias="from", description="The rate in force before.")


class CohortNote(BaseModel):
    """Where a run trains: in a cohort with others of its architecture (one batched model), or alone and why."""

    members: int = Field(
        description="Runs training in its cohort now (an ended run: the most it trained with; 1 when alone)."
    )
    alone: str | None = Field(description="Why it trains alone; null in a cohort.")


class RunInfo(BaseModel):
    id: str
    name: str = Field(description="Its owner's name for it; by default the data, the model and the start time.")
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
    owner: str | None = Field(description="Its owner's id (not a key); null for runs made before owners existed.")
    mine: bool = Field(description="The caller owns it.")
    can_change: bool = Field(description="The caller may change it (its owner, or the admin); anyone may watch it.")
    lease: bool = Field(description="It pauses while nobody watches it (runs started from the page).")
    idle: IdleNote | None = Field(description="Set while it is paused, or once it stopped, for want of a viewer.")
    lr_changes: list[LrChange] = Field(
        default_factory=list,
        description="Its live learning-rate changes, oldest first (the loss chart marks them at their steps).",
    )
    continuable: bool = Field(
        description="It has ended in a way that keeps its training state (finished, stopped, interrupted): its owner "
        "may continue it (POST /continue; 409 if the state was not saved, as for runs from before saved states)."
    )
    sweep: str | None = Field(None, description="The sweep it is a member of.")
    cohort: CohortNote | None = Field(None, description="Where it trains (null before it starts).")


class SweepMember(BaseModel):
    index: int = Field(description="Its place in the grid (row-major, the last axis varying fastest).")
    run_id: str
    values: dict[str, Any] = Field(description="The value of each axis for this member.")
    status: RunStatus
    step: int
    summary: dict[str, Figure] = Field(description="Its headline figures, each as last measured.")
    cohort: CohortNote | None


class SweepInfo(BaseModel):
    id: str
    name: str | None
    status: Literal["pending", "running", "done", "stopped"] = Field(
        description="pending: no member has started (the server is full); running; done; stopped by its owner."
    )
    created_at: str
    owner: str | None
    mine: bool
    config: dict[str, Any] = Field(description="The base config.")
    grid: dict[str, list[Any]]
    members: list[SweepMember]
    counts: dict[str, int] = Field(description="Members by status.")
    steps_total: int = Field(description="Steps all members train in all.")
    steps_done: int = Field(description="Steps trained so far (an ended member's count as done).")


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
    """What can change on a run: its name (any time), its learning rate (while it trains)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"lr": 0.001}, {"name": "baseline"}]})
    lr: float | None = Field(
        None, ge=LIMITS["min_lr"], le=LIMITS["max_lr"], description="The new (base) learning rate."
    )
    name: str | None = Field(None, min_length=1, max_length=80, description="A name to show for the run.")

    @field_validator("name")
    @classmethod
    def _visible(cls, name: str | None) -> str | None:
        if name is None:
            return None
        if any(unicodedata.category(c).startswith("C") for c in name):
            raise ValueError("a name is one line of text, without tabs, line breaks or other control characters")
        if not name.strip():
            raise ValueError("a name needs at least one visible character")
        return name.strip()

    @model_validator(mode="after")
    def _something(self) -> "RunChanges":
        if self.lr is None and self.name is None:
            raise ValueError("give lr, name or both")
        return self


class ContinueRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"steps": 2000}, {"steps": None}]})
    steps: int | None = Field(
        ge=1,
        le=LIMITS["max_steps"],
        description="Steps to add to the run's total; null trains until stopped (up to limits.max_steps).",
    )


class OwnerKey(BaseModel):
    key: str = Field(description=f"Send it as the {KEY_HEADER} header (a stream: ?{KEY_QUERY}=<key>). Keep it secret.")
    owner: str = Field(description="The owner id that runs show (RunInfo.owner).")


class LimitOut(BaseModel):
    detail: str
    limit: Literal["owner", "server"] = Field(description="Which limit was hit.")
    active: list[RunInfo] = Field(description="The caller's active runs: stop one to make room.")
    sweeps: list["SweepBrief"] = Field(
        default_factory=list, description="The caller's active sweeps (each takes one slot): stop one to make room."
    )


class SweepBrief(BaseModel):
    id: str
    name: str | None
    status: str
    members: int


class StoppedOut(BaseModel):
    stopped: list[str] = Field(description="The ids of the runs that were stopped.")


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


class SeedVerdictOut(BaseModel):
    seed: int
    passed: bool = Field(description="Whether the claim held on this seed.")
    figures: dict[str, float | None] = Field(description="The numbers the check used on this seed, by name.")
    summary: TextOut = Field(description="One sentence with this seed's numbers.")


class VerdictOut(BaseModel):
    passed: bool = Field(
        description="Whether the measured figures bear the lesson's claim out: a network lesson's on at least "
        "`need` of its `of` seeds."
    )
    figures: dict[str, float | None] = Field(
        description="The numbers the check used, by name (a network lesson: those of its own seed, the one its "
        "arms' configs carry)."
    )
    labels: dict[str, TextOut] = Field(
        description="Each figure's name in words, by the same keys as `figures` (glassnet/lessons/figures.py)."
    )
    summary: TextOut = Field(
        description="One sentence with the numbers; a network lesson's begins with how many seeds the claim held on."
    )
    held: int | None = Field(None, description="Seeds on which the claim held (null: a lab lesson, which has none).")
    of: int | None = Field(None, description="Seeds the claim was judged on.")
    need: int | None = Field(None, description="Seeds on which it has to hold for the verdict to pass.")
    seeds: list[SeedVerdictOut] | None = Field(None, description="The claim judged on each seed, in order.")


class LossCurve(BaseModel):
    step: list[int] = Field(description="The steps at which the loss was read.")
    loss: list[float | None] = Field(description="The loss at each of those steps (null: not finite).")


class SeedLossCurve(LossCurve):
    seed: int = Field(description="The seed the arm trained on.")


FinalFigures = create_model(  # type: ignore[call-overload]  # fields from the metric registry
    "FinalFigures",
    __doc__="A lesson arm's headline figures at its last step (null: not finite, or not measured: accuracy of a "
    "regression).",
    **{name: (float | None, ...) for name in FINAL},
)


class LabPathFinal(BaseModel):
    optimizer: str
    steps: int = Field(description="Updates made (fewer than asked when the path diverged).")
    final_loss: float | None
    stopped: str | None = Field(description="Why the path stopped early, else null.")
    stop_reason: Literal["not_finite", "too_far"] | None = Field(None, description="As the lab's paths say it.")
    stopped_at: int | None = Field(None, description="The step at which the path stopped early, else null.")
    curve: LossCurve = Field(description="The path's loss after each update, thinned to about 100 points.")


class LessonArmRun(BaseModel):
    arm: str
    config: ExperimentConfig | None = Field(None, description="A network arm's config.")
    lab: LabRun | None = Field(None, description="A lab arm's request.")
    seconds: float = Field(
        description="Seconds the arm trained for, on the server's CPU, over every seed (trained in a cohort with "
        "others: its share of the cohort's time)."
    )
    final: FinalFigures | None = Field(None, description="A network arm: the figures of its last step.")
    paths: list[LabPathFinal] | None = Field(None, description="A lab arm: where each optimizer's path ended.")
    curve: LossCurve | None = Field(
        None,
        description="A network arm: its training loss at step 1 and then every 25 steps (the mean over the steps "
        "since the previous point), to its last step, on the lesson's own seed.",
    )
    curves: list[SeedLossCurve] | None = Field(
        None,
        description="A network arm: its training-loss curve (as `curve`) on each seed the claim was judged on, in "
        "seed order; the one of the lesson's own seed is `curve`.",
    )


class LessonCheck(BaseModel):
    lesson: str
    verdict: VerdictOut
    runs: list[LessonArmRun] = Field(
        description="Each arm as it trained on the lesson's own seed (a network arm: with its curve on every seed)."
    )
    cached: bool = Field(
        False, description="The result of an earlier check of the same lesson version and seeds: nothing trained."
    )
