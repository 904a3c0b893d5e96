"""The optimizer lab: 2-D test surfaces and the paths the registry's optimizers take on them.

A path is a 2-element parameter tensor moved by the same torch optimizer the networks use
(train.optim.make_optimizer), so what the lab shows is what training does, one weight pair at a time. The
gradient comes from each surface's hand-written `value_grad` (checked against autograd in the tests): a step then
costs no autograd graph, about 3.5 times less time for a path. Every optimizer of a request moves its own copy of
the start point with its own settings, its learning rate included: the optimizers share no step size.
"""

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypedDict

import torch

from glassnet.config import OptimizerConfig
from glassnet.train.optim import make_optimizer
from glassnet.train.pack import finite_or_none

Fn = Callable[[torch.Tensor, torch.Tensor, float], torch.Tensor]
# the value and the gradient at one point, in plain floats: a path's step costs no autograd graph (a test checks
# each against autograd on `fn`)
ValueGrad = Callable[[float, float, float], tuple[float, float, float]]


class LabLimits(TypedDict):
    max_steps: int
    min_k: float
    max_k: float
    max_start: float  # |x| and |y| of the start point
    max_optimizers: int


LAB_LIMITS: LabLimits = {
    "max_steps": 2000,
    "min_k": 1.0,
    "max_k": 1000.0,
    "max_start": 10.0,
    "max_optimizers": 8,
}
GRID = 60  # contour grid points per side
BLOWUP = 1e6  # a path is cut when |x| or |y| exceeds this


@dataclass(frozen=True)
class Surface:
    name: str
    label: tuple[str, str]  # (en, zh)
    description: tuple[str, str]
    fn: Fn
    value_grad: ValueGrad
    extent: tuple[float, float, float, float]  # x_min, x_max, y_min, y_max
    start: tuple[float, float]
    log_scale: bool  # colour by log10(f - min) (valleys with a huge range of values)
    # each registry optimizer's step size here (with its other settings at the registry's defaults): one that makes
    # visible progress from `start` within the lab's default steps and stays finite (tests/unit/test_lab_defaults.py);
    # the optimizers' step sizes differ by orders of magnitude (Adam moves about lr per step, SGD lr * gradient)
    lrs: dict[str, float]
    minimum: tuple[float, float] | None = None
    params: dict[str, dict[str, float]] = field(default_factory=dict)
    # y = 0 is a valley floor or ridge that paths cross: the count of y's sign changes (a zig-zag) means something
    y_floor: bool = False

    @property
    def lr(self) -> float:
        """Plain SGD's step size here: the lab's step size for an optimizer without one of its own."""
        return self.lrs["sgd"]


def _rosenbrock(x: torch.Tensor, y: torch.Tensor, k: float) -> torch.Tensor:
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def _rosenbrock_vg(x: float, y: float, k: float) -> tuple[float, float, float]:
    r = y - x * x
    return (1 - x) ** 2 + 100 * r * r, -2 * (1 - x) - 400 * x * r, 200 * r


def _saddle(x: torch.Tensor, y: torch.Tensor, k: float) -> torch.Tensor:
    return x**2 - y**2


def _saddle_vg(x: float, y: float, k: float) -> tuple[float, float, float]:
    return x * x - y * y, 2 * x, -2 * y


def _quadratic(x: torch.Tensor, y: torch.Tensor, k: float) -> torch.Tensor:
    return 0.5 * (x**2 + k * y**2)


def _quadratic_vg(x: float, y: float, k: float) -> tuple[float, float, float]:
    return 0.5 * (x * x + k * y * y), x, k * y


def _beale(x: torch.Tensor, y: torch.Tensor, k: float) -> torch.Tensor:
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def _beale_vg(x: float, y: float, k: float) -> tuple[float, float, float]:
    a, b, c = 1.5 - x + x * y, 2.25 - x + x * y * y, 2.625 - x + x * y**3
    gx = 2 * a * (y - 1) + 2 * b * (y * y - 1) + 2 * c * (y**3 - 1)
    gy = 2 * a * x + 4 * b * x * y + 6 * c * x * y * y
    return a * a + b * b + c * c, gx, gy


def _plateau(x: torch.Tensor, y: torch.Tensor, k: float) -> torch.Tensor:
    return 1 - torch.exp(-(x**2 + y**2) / 2)


def _plateau_vg(x: float, y: float, k: float) -> tuple[float, float, float]:
    e = math.exp(-(x * x + y * y) / 2)
    return 1 - e, x * e, y * e


SURFACES: dict[str, Surface] = {
    s.name: s
    for s in (
        Surface(
            "rosenbrock",
            ("Rosenbrock valley", "Rosenbrock 香蕉谷"),
            (
                "(1 - x)² + 100 (y - x²)²: a curved, narrow valley; finding it is easy, "
                "following it to (1, 1) is hard.",
                "(1 − x)² + 100 (y − x²)²：一条弯曲而狭窄的山谷；找到谷底容易，沿着山谷走到 (1, 1) 很难。",
            ),
            _rosenbrock,
            _rosenbrock_vg,
            (-2.0, 2.0, -1.0, 3.0),
            (-1.2, 1.0),
            True,
            {
                "sgd": 0.001,
                "momentum": 0.001,
                "nesterov": 0.001,
                "adagrad": 0.2,
                "rmsprop": 0.01,
                "adadelta": 10.0,
                "adam": 0.1,
                "adamw": 0.1,
            },
            (1.0, 1.0),
        ),
        Surface(
            "saddle",
            ("Saddle x² − y²", "鞍点 x² − y²"),
            (
                "x² - y²: the gradient vanishes at (0, 0) but it is no minimum; from y = 0 exactly, "
                "gradient descent never leaves the ridge.",
                "x² − y²：在 (0, 0) 处梯度为零，但那不是极小值；如果从 y = 0 出发，梯度下降永远离不开这条山脊。",
            ),
            _saddle,
            _saddle_vg,
            (-2.0, 2.0, -2.0, 2.0),
            (1.8, 0.01),
            False,
            {
                "sgd": 0.02,
                "momentum": 0.002,
                "nesterov": 0.002,
                "adagrad": 0.05,
                "rmsprop": 0.01,
                "adadelta": 1.0,
                "adam": 0.01,
                "adamw": 0.01,
            },
            y_floor=True,
        ),
        Surface(
            "quadratic",
            ("Ill-conditioned bowl", "病态二次碗"),
            (
                "0.5 (x² + k y²): a bowl k times steeper across than along; a step size that suits y is "
                "far too small for x, and plain SGD zig-zags across the valley.",
                "0.5 (x² + k y²)：横向比纵向陡 k 倍的碗；适合 y 方向的步长对 x 方向太小，"
                "朴素 SGD 会在山谷两侧来回振荡。",
            ),
            _quadratic,
            _quadratic_vg,
            (-2.0, 2.0, -1.0, 1.0),
            (-1.8, 0.6),
            True,
            {
                "sgd": 0.01,
                "momentum": 0.002,
                "nesterov": 0.002,
                "adagrad": 0.1,
                "rmsprop": 0.01,
                "adadelta": 10.0,
                "adam": 0.02,
                "adamw": 0.02,
            },
            (0.0, 0.0),
            {"k": {"default": 10.0, "min": LAB_LIMITS["min_k"], "max": LAB_LIMITS["max_k"]}},
            y_floor=True,
        ),
        Surface(
            "beale",
            ("Beale", "Beale 函数"),
            (
                "Three squared terms with a minimum at (3, 0.5) in a flat curved basin, "
                "with steep walls near the corners.",
                "三个平方项之和，最小值在 (3, 0.5)，位于平坦弯曲的盆地中，角落处的壁很陡。",
            ),
            _beale,
            _beale_vg,
            (-4.5, 4.5, -4.5, 4.5),
            (1.0, 1.4),
            True,
            {
                "sgd": 0.01,
                "momentum": 0.001,
                "nesterov": 0.001,
                "adagrad": 0.5,
                "rmsprop": 0.01,
                "adadelta": 10.0,
                "adam": 0.1,
                "adamw": 0.1,
            },
            (3.0, 0.5),
        ),
        Surface(
            "plateau",
            ("Plateau", "平台"),
            (
                "1 - exp(-(x² + y²) / 2): a well in a vast flat plain; far out the gradient is nearly 0, so plain SGD "
                "crawls while adaptive methods rescale the tiny gradient and walk in.",
                "1 − exp(−(x² + y²) / 2)：广阔平原中的一口井；远处梯度几乎为 0，朴素 SGD 寸步难行，"
                "而自适应方法会放大微小的梯度，走进井中。",
            ),
            _plateau,
            _plateau_vg,
            (-4.0, 4.0, -4.0, 4.0),
            (3.2, 2.4),
            False,
            {
                "sgd": 1.0,
                "momentum": 0.1,
                "nesterov": 0.1,
                "adagrad": 0.1,
                "rmsprop": 0.01,
                "adadelta": 3.0,
                "adam": 0.02,
                "adamw": 0.02,
            },
            (0.0, 0.0),
        ),
    )
}


def k_of(surface: Surface, k: float | None) -> float:
    return float(k if k is not None else surface.params.get("k", {}).get("default", 1.0))


def grid(surface: Surface, k: float | None = None) -> dict[str, Any]:
    """The surface on a GRID x GRID lattice over its extent, rows from the lowest y; `display` is what to colour
    (log10(f - min + 1e-3) for log-scaled surfaces, else f)."""
    x0, x1, y0, y1 = surface.extent
    xs = torch.linspace(x0, x1, GRID, dtype=torch.float64)
    ys = torch.linspace(y0, y1, GRID, dtype=torch.float64)
    yy, xx = torch.meshgrid(ys, xs, indexing="ij")
    with torch.no_grad():
        values = surface.fn(xx, yy, k_of(surface, k))
    display = torch.log10(values - values.min() + 1e-3) if surface.log_scale else values
    return {
        "size": GRID,
        "scale": "log" if surface.log_scale else "linear",
        "values": [round(float(v), 6) for v in values.flatten()],
        "display": [round(float(v), 4) for v in display.flatten()],
    }


def _vector(state: dict[str, Any], keys: tuple[str, ...], sqrt: bool = False) -> list[float] | None:
    for key in keys:
        value = state.get(key)
        if isinstance(value, torch.Tensor) and value.numel() == 2:
            v = value.detach().double()
            return (v.sqrt() if sqrt else v).tolist()
    return None


def trajectory(
    surface: Surface, config: OptimizerConfig, start: tuple[float, float], steps: int, k: float | None = None
) -> dict[str, Any]:
    """`steps` updates of `config`'s optimizer from `start`. Index i of every list is the state after i updates:
    position, loss and gradient there, the momentum vector (SGD's momentum_buffer, Adam's exp_avg; else None)
    and the second-moment scale (sqrt of Adam's exp_avg_sq, RMSprop's square_avg, AdaGrad's sum; else None).
    The path stops early at a non-finite value or a coordinate beyond BLOWUP: `stopped` says why in words,
    `stop_reason` ("not_finite" or "too_far") and `stopped_at` (the step) for a UI to say it in its language."""
    kk = k_of(surface, k)
    # a Parameter, as make_optimizer takes; it needs no autograd (its gradient is set by hand below)
    p = torch.nn.Parameter(torch.tensor(start, dtype=torch.float64), requires_grad=False)
    opt = make_optimizer([p], config)
    out: dict[str, Any] = {key: [] for key in ("x", "y", "loss", "gx", "gy", "momentum", "scale")}
    stopped = stop_reason = stopped_at = None
    for i in range(steps + 1):
        x, y = p.tolist()
        try:
            value, gx, gy = surface.value_grad(x, y, kk)
        except OverflowError:  # a float power beyond 1e308
            value = gx = gy = math.inf
        if not all(math.isfinite(v) for v in (x, y, value, gx, gy)):
            stopped, stop_reason, stopped_at = f"diverged at step {i}: a non-finite value", "not_finite", i
            break
        state = opt.state.get(p, {})
        out["x"].append(x)
        out["y"].append(y)
        out["loss"].append(value)
        out["gx"].append(gx)
        out["gy"].append(gy)
        out["momentum"].append(_vector(state, ("momentum_buffer", "exp_avg")))
        out["scale"].append(_vector(state, ("exp_avg_sq", "square_avg", "sum"), sqrt=True))
        if max(abs(x), abs(y)) > BLOWUP:
            stopped, stop_reason, stopped_at = f"diverged at step {i}: |position| > {BLOWUP:g}", "too_far", i
            break
        if i < steps:
            p.grad = torch.tensor((gx, gy), dtype=torch.float64)
            opt.step()
    losses = out["loss"]
    out["steps"] = len(losses) - 1
    out["stopped"] = stopped
    out["stop_reason"] = stop_reason
    out["stopped_at"] = stopped_at
    out["final_loss"] = finite_or_none(losses[-1]) if losses else None
    out["min_loss"] = finite_or_none(min(losses)) if losses else None
    out["y_sign_changes"] = sign_changes(out["y"])
    return out


def sign_changes(values: list[float]) -> int:
    """How often consecutive values have opposite signs (a zig-zag across the valley's floor); values within
    1e-9 of 0 are rounding noise at the floor, not a crossing."""
    signs = [1 if v > 1e-9 else -1 for v in values if abs(v) > 1e-9]
    return sum(1 for a, b in itertools.pairwise(signs) if a != b)


def surface_json(surface: Surface) -> dict[str, Any]:
    return {
        "name": surface.name,
        "label": {"en": surface.label[0], "zh": surface.label[1]},
        "description": {"en": surface.description[0], "zh": surface.description[1]},
        "extent": list(surface.extent),
        "start": list(surface.start),
        "lr": surface.lr,
        "lrs": dict(surface.lrs),
        "minimum": list(surface.minimum) if surface.minimum else None,
        "params": [{"name": name, **spec} for name, spec in surface.params.items()],
        "y_floor": surface.y_floor,
        "grid": grid(surface),
    }
