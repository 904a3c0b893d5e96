"""Request and response models of the optimizer lab (/api/lab).

`LabRun`'s defaults are the lab's opening setup: GET /api/lab/surfaces serves them as `defaults`, and the UI starts
from there rather than restating them.
"""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from glassnet.config import OptimizerConfig
from glassnet.lab import BLOWUP, LAB_LIMITS, SURFACES

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
        description="A learning rate that suits the surface with the registry's other defaults: the UI gives it to "
        "every optimizer when the surface is picked (each optimizer's own lr can then be changed)."
    )
    minimum: list[float] | None = Field(description="Where the global minimum is, if there is one.")
    params: list[SurfaceParam] = Field(description="The surface's own parameters (the quadratic's condition number k).")
    y_floor: bool = Field(description="y = 0 is a floor or ridge the paths cross: y's sign changes count a zig-zag.")
    grid: Grid


DEFAULT_SURFACE = "rosenbrock"
DEFAULT_OPTIMIZERS = ("sgd", "adam")


def _default_optimizers() -> list[OptimizerConfig]:
    """SGD and Adam, each at the default surface's learning rate (their other settings at the registry's)."""
    lr = SURFACES[DEFAULT_SURFACE].lr
    return [OptimizerConfig(name=name, lr=lr) for name in DEFAULT_OPTIMIZERS]


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
