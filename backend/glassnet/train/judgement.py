"""One judgement per condition: the rules that say whether a layer is healthy, with their thresholds.

The insights (train/insights.py), the Layer health table, the network graph's colours and the lessons all judge
a layer here and nowhere else: each detail frame carries `health`, one LayerHealth per layer (protocol.Frame),
and the UI colours what it is told. docs/protocol.md ("Layer health") lists the same rules and thresholds.

A meter's level: ok (healthy), warn (worth a look), bad (a problem), low (too small to matter: an update that
hardly moves the weights), na (does not apply to this layer). A layer's level is the worst of its meters.
"""

import math
from collections.abc import Iterable, Sequence
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field


class Figures(Protocol):
    """A frame's figures by name (a probe Reading, or a frame as JSON)."""

    def __getitem__(self, name: str) -> Any: ...

    def get(self, name: str, default: Any = None) -> Any: ...


Level = Literal["ok", "warn", "bad", "low", "na"]
# the per-layer conditions, named as the insights' event kinds
Condition = Literal[
    "dead_units",
    "saturation",
    "no_symmetry_breaking",
    "vanishing_gradients",
    "exploding_gradients",
    "lr_too_high",
    "weight_collapse",
]

# ---- thresholds (docs/protocol.md, "Layer health", lists them)
DEAD_WARN = 0.1  # share of a layer's units dead (output 0 for every probe example): watch above this ...
DEAD_SHARE = 0.5  # ... a problem above this: the layer is dead
SATURATION_WARN = 0.2  # share of outputs within 3% of the activation's bounds: watch above this ...
SATURATED_SHARE = 0.5  # ... a problem above this
DIVERSITY_WARN = 0.05  # spread of the units' incoming weights: watch below this; exactly 0 = identical units
SYMMETRY_STEPS = 20  # identical units still identical after this many steps never will be (before: watch)
VANISHING_WARN = 1e-2  # a hidden layer's gradient over the last hidden layer's: watch below this ...
VANISHING_RATIO = 1e-3  # ... starved below this (vanishing gradients)
EXPLODING_WARN = 1e2  # ... watch above this ...
EXPLODING_RATIO = 1e3  # ... a problem above this (exploding gradients)
UPDATE_RATIO_HIGH = -1.0  # log10 ||dW||/||W|| above -1: each step moves the weights by over 10% ...
UPDATE_RATIO_WARN = -2.0  # ... watch above -2 (1%) ...
UPDATE_RATIO_LOW = -5.0  # ... below -5 the layer hardly moves (low)
COLLAPSE_SHARE = 0.1  # under weight decay, a layer's weight norm below this share of where it started ...
COLLAPSE_WINDOW = 5  # ... and not larger than COLLAPSE_WINDOW detail frames before: the weights collapse

# every threshold by name (a test checks that docs/protocol.md states each of them)
THRESHOLDS: dict[str, float] = {
    "DEAD_WARN": DEAD_WARN,
    "DEAD_SHARE": DEAD_SHARE,
    "SATURATION_WARN": SATURATION_WARN,
    "SATURATED_SHARE": SATURATED_SHARE,
    "DIVERSITY_WARN": DIVERSITY_WARN,
    "SYMMETRY_STEPS": SYMMETRY_STEPS,
    "VANISHING_WARN": VANISHING_WARN,
    "VANISHING_RATIO": VANISHING_RATIO,
    "EXPLODING_WARN": EXPLODING_WARN,
    "EXPLODING_RATIO": EXPLODING_RATIO,
    "UPDATE_RATIO_HIGH": UPDATE_RATIO_HIGH,
    "UPDATE_RATIO_WARN": UPDATE_RATIO_WARN,
    "UPDATE_RATIO_LOW": UPDATE_RATIO_LOW,
    "COLLAPSE_SHARE": COLLAPSE_SHARE,
    "COLLAPSE_WINDOW": COLLAPSE_WINDOW,
}

SEVERITY: dict[str, int] = {"na": -1, "low": 0, "ok": 0, "warn": 1, "bad": 2}


class LayerHealth(BaseModel):
    """One layer's verdict on a detail frame: a level per meter, the layer's own level, and the conditions that
    hold for it now (the insights report these, grouped across layers)."""

    level: Level = Field(
        description="bad when a condition holds, else the worst of the meters' levels (low counts as ok); na when "
        "no meter applies."
    )
    conditions: list[Condition] = Field(description="The conditions that hold for this layer now.")
    dead: Level
    saturation: Level
    diversity: Level = Field(description="bad also for a dead layer: its units all output 0, whatever their weights.")
    update: Level = Field(description="At most warn for a starved layer: an optimizer's normalised step hides it.")
    gradient: Level = Field(description="Its gradient over the last hidden layer's (grad_ratio); na for the output.")
    grad_ratio: float | None = Field(
        description="The norm of dL/d(layer output) over the last hidden layer's (of the weight gradients where "
        "the output gradient is not measured); null where it does not apply."
    )


def _at(f: Figures, name: str, i: int) -> float | None:
    values = f.get(name)
    if values is None or i >= len(values):
        return None
    v = values[i]
    return None if v is None or not math.isfinite(v) else float(v)


def share_level(value: float | None, warn: float, bad: float) -> Level:
    """dead and saturation: na where the figure does not apply, bad above `bad`, warn above `warn`."""
    if value is None:
        return "na"
    return "bad" if value > bad else "warn" if value > warn else "ok"


def is_dead(share: float | None) -> bool:
    return share is not None and share > DEAD_SHARE


def diversity_level(value: float | None, step: int, dead: bool) -> Level:
    """Identical units are a problem once SYMMETRY_STEPS have passed; a dead layer's units are all the same 0."""
    if value is None:
        return "na"
    if dead or (value == 0 and step >= SYMMETRY_STEPS):
        return "bad"
    return "warn" if value < DIVERSITY_WARN else "ok"


def update_level(value: float | None, starved: bool) -> Level:
    """value: log10 ||dW||/||W||, -inf for weights that did not move, None where a layer has no weights."""
    if value is None:
        return "na"
    if value > UPDATE_RATIO_HIGH:
        return "bad"
    if value < UPDATE_RATIO_LOW:
        return "low"
    return "warn" if value > UPDATE_RATIO_WARN or starved else "ok"


def gradient_level(ratio: float | None) -> Level:
    if ratio is None:
        return "na"
    if ratio < VANISHING_RATIO or ratio > EXPLODING_RATIO:
        return "bad"
    return "warn" if ratio < VANISHING_WARN or ratio > EXPLODING_WARN else "ok"


def reference_layer(n_layers: int) -> int | None:
    """The layer every gradient is compared with: the last hidden layer (the one before the output)."""
    return n_layers - 2 if n_layers >= 2 else None


def gradient_ratios(f: Figures, n_layers: int) -> list[float | None]:
    """Each hidden layer's gradient over the last hidden layer's: the norm of dL/d(layer output) where both are
    measured (it does not depend on the layer's input size), else the weight-gradient norm; None for the output
    layer and where the reference has no gradient."""
    ref = reference_layer(n_layers)
    out: list[float | None] = [None] * n_layers
    if ref is None:
        return out
    for i in range(ref + 1):
        for name in ("act_grad_norm", "grad_norm"):
            g, g_ref = _at(f, name, i), _at(f, name, ref)
            if g is not None and g_ref is not None:
                out[i] = g / g_ref if g_ref > 0 else None
                break
    return out


def update_ratio(f: Figures, i: int) -> float | None:
    """log10 ||dW||/||W||: -inf for a layer with weights whose step did not move them (log10 0 is not finite)."""
    value = _at(f, "update_ratio", i)
    if value is None and _at(f, "weight_norm", i) is not None:
        return -math.inf
    return value


def layer_count(f: Figures) -> int:
    return max((len(f.get(name) or []) for name in ("grad_norm", "weight_norm", "dead_fraction")), default=0)


def judge_layers(f: Figures, collapsed: Iterable[int] = (), shrinking: Iterable[int] = ()) -> list[LayerHealth]:
    """Every layer's health on a frame. `collapsed` and `shrinking`: the layers whose weights weight decay has
    shrunk to nothing, or is shrinking (decay_effects: a judgement over several frames, insights.Insights makes
    it); their large update ratio is the decay's doing, so it never counts as a learning rate too high."""
    n = layer_count(f)
    step = int(f.get("step") or 0)
    collapsed, shrinking = set(collapsed), set(shrinking)
    ratios = gradient_ratios(f, n)
    verdicts = []
    for i in range(n):
        dead_share, saturated = _at(f, "dead_fraction", i), _at(f, "saturation", i)
        dead = is_dead(dead_share)
        ratio = ratios[i]
        # no gradient at all on the layer's weights (its units dead, or the layers before the output dead): never
        # healthy, whatever its ratio (the last hidden layer's is 1 by definition)
        no_gradient = _at(f, "grad_norm", i) == 0
        gradient = "bad" if no_gradient else gradient_level(ratio)
        starved = ratio is not None and ratio < VANISHING_RATIO
        upd = update_ratio(f, i)
        meters: dict[str, Level] = {
            "dead": share_level(dead_share, DEAD_WARN, DEAD_SHARE),
            "saturation": share_level(saturated, SATURATION_WARN, SATURATED_SHARE),
            "diversity": diversity_level(_at(f, "unit_diversity", i), step, dead),
            "update": update_level(upd, starved or no_gradient),
            "gradient": gradient,
        }
        conditions: list[Condition] = []
        if dead:
            conditions.append("dead_units")
        if meters["saturation"] == "bad":
            conditions.append("saturation")
        if _at(f, "unit_diversity", i) == 0 and step >= SYMMETRY_STEPS and i not in collapsed:
            conditions.append("no_symmetry_breaking")  # (weights decayed to exactly 0 are collapsed, not symmetric)
        if starved and not dead:  # a dead layer is reported as dead
            conditions.append("vanishing_gradients")
        if ratio is not None and ratio > EXPLODING_RATIO:
            conditions.append("exploding_gradients")
        if i in collapsed:
            conditions.append("weight_collapse")
        elif upd is not None and upd > UPDATE_RATIO_HIGH and i not in shrinking:
            conditions.append("lr_too_high")
        level: Level = "bad" if conditions else worst(meters.values())  # every condition is a problem
        verdicts.append(LayerHealth(level=level, conditions=conditions, grad_ratio=ratio, **meters))
    return verdicts


def worst(levels: Iterable[Level]) -> Level:
    """The most severe level; low counts as ok; na only when nothing applies."""
    applicable = [lv for lv in levels if lv != "na"]
    if not applicable:
        return "na"
    top = max(applicable, key=lambda lv: SEVERITY[lv])
    return "ok" if top == "low" else top


def decay_effects(
    start: Sequence[float | None], recent: Sequence[Sequence[float | None]], weight_decay: bool
) -> tuple[set[int], set[int]]:
    """What weight decay does to each layer's weights: (shrinking, collapsed). `start`: the weight norms as the run
    started (its first detail frame); `recent`: the last detail frames' norms, oldest first (up to
    COLLAPSE_WINDOW + 1). Shrinking: the norm below its start and below the oldest of `recent` (then a large update
    ratio is the decay's doing, not a learning rate too high). Collapsed: below COLLAPSE_SHARE of its start and no
    larger than the oldest of `recent` (shrinking, or settled near 0)."""
    shrinking: set[int] = set()
    collapsed: set[int] = set()
    if not weight_decay or not recent:
        return shrinking, collapsed
    before, now = recent[0], recent[-1]
    for i, current in enumerate(now):
        first = start[i] if i < len(start) else None
        earlier = before[i] if i < len(before) else None
        if first is None or current is None or earlier is None or not first > 0:
            continue
        if current < first and current < earlier:
            shrinking.add(i)
        if current < COLLAPSE_SHARE * first and current <= earlier:
            collapsed.add(i)
    return shrinking, collapsed
