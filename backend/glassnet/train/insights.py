"""Phenomena detectors: turn frames into events a newcomer can read ("hidden 1–8: 100% of the units are dead").

The per-layer conditions are judged once, in train/judgement.py (the same verdicts colour the Layer health table
and the network graph); this module adds what needs a run's past (weights collapsing under weight decay, the loss
trends) and turns the conditions into events: one event per condition, naming every layer it holds for.

A condition is reported once it has held for HOLD detail frames in a row (divergence at once), and re-arms only
after it has been clear for REARM frames, so a lasting or flickering condition (a noisy test loss) is reported
once, not every frame. Thresholds are named here and in judgement.py, next to what they mean, and listed in
docs/protocol.md.
"""

import math
import re
from collections import deque
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from glassnet.train.judgement import (
    COLLAPSE_WINDOW,
    Figures,
    LayerHealth,
    decay_effects,
    judge_layers,
    reference_layer,
)

# overfitting: the recent test loss (the mean of the last OVERFIT_SMOOTH readings) above its best by ...
if TYPE_CHECKING:
    from glassnet.config import ExperimentConfig
    from glassnet.nn.models import LayerInfo

OVERFIT_RISE = 0.10  # ... 10% of the best ...
OVERFIT_NOISE = 3.0  # ... and 3 times the test loss's own noise (its frame-to-frame jitter, see test_noise) ...
OVERFIT_MIN_RISE = 0.01  # ... and 0.01 in absolute terms, while the recent training loss is below its value then
OVERFIT_SMOOTH = 5  # test (and train) readings averaged into the recent loss
OVERFIT_WINDOW = 20  # test-loss readings the noise is measured over
OVERFIT_MIN_READINGS = 5  # no judgement before the noise can be measured
LOSS_SPIKE = 3.0  # train loss above 3x its best after it had fallen
HOLD = 3  # detail frames (about 0.3 s) a condition must hold before it is reported
REARM = 10  # detail frames it must stay clear before it can be reported again

# each message in English and Simplified Chinese, filled from the same named values
MESSAGES = {
    "diverged": ("the loss became non-finite at step {step}", "第 {step} 步时损失变为非有限值"),
    "dead_units": ("{layers}: {share} of the units are dead", "{layers}：{share} 的单元已死亡"),
    "saturation": ("{layers}: {share} of the outputs are saturated", "{layers}：{share} 的输出已饱和"),
    "no_symmetry_breaking": (
        "{layers}: all units still have identical weights",
        "{layers}：所有单元的权重仍然完全相同",
    ),
    "gradient_ratio": ("{layers}: the gradient is {ratio} times {ref}'s", "{layers}：梯度是 {ref} 的 {ratio} 倍"),
    "update_ratio": (
        "{layers}: the weights change by up to 10^{ratio} of their size per step",
        "{layers}：每步权重变化最多达其大小的 10^{ratio}",
    ),
    "weight_collapse": (
        "{layers}: weight decay shrank the weights to {share} of their starting size",
        "{layers}：权重衰减把权重缩小到初始大小的 {share}",
    ),
    "loss_jump": (
        "the training loss jumped to {loss:.3g} (best so far {best:.3g})",
        "训练损失跳升到 {loss:.3g}（此前最好 {best:.3g}）",
    ),
    "overfitting": (
        "test loss {test:.3g} is up from its best {best:.3g} while the training loss fell from {before:.3g} to "
        "{train:.3g}",
        "测试损失从最好的 {best:.3g} 升到 {test:.3g}，而训练损失从 {before:.3g} 降到 {train:.3g}",
    ),
}

EXPLANATIONS = {
    "diverged": "The loss is no longer finite: the weights blew up. Lower the learning rate or clip gradients.",
    "dead_units": "These ReLU units output 0 for every example, so no gradient reaches them and they never recover.",
    "vanishing_gradients": "Gradients shrink layer by layer on the way back, so the first layers barely learn. "
    "An optimizer that normalises its steps (Adam, RMSprop) still moves them, but in directions the starved "
    "gradient hardly informs.",
    "exploding_gradients": "Gradients grow layer by layer on the way back; steps in the first layers are huge.",
    "saturation": "Most outputs sit at the activation's flat ends, where its gradient is nearly 0.",
    "no_symmetry_breaking": "All units of this layer have identical weights, so they compute the same thing: "
    "the layer acts like a single unit. Random initialization breaks the symmetry.",
    "overfitting": "The test loss rises, well beyond its own noise, while the training loss still falls: the net "
    "memorizes the training set.",
    "lr_too_high": "Steps are too large for the loss surface: the loss jumps up or weights change by >10% a step.",
    "weight_collapse": "Weight decay pulls every weight toward 0 at each step; this strong, it wins over the loss's "
    "gradient and the weights shrink to nothing, so the net's output hardly depends on its input. The large "
    "relative updates that follow come from the decay, not from a learning rate too high: lower the weight decay.",
}
EXPLANATIONS_ZH = {
    "diverged": "损失不再是有限值：权重已经爆炸。请降低学习率或裁剪梯度。",
    "dead_units": "这些 ReLU 单元对每个样本都输出 0，因此没有梯度能到达它们，它们再也无法恢复。",
    "vanishing_gradients": "梯度在反向传播时逐层缩小，所以前面的层几乎学不到东西。"
    "会归一化步长的优化器（Adam、RMSprop）仍会移动这些层的权重，但方向几乎得不到微弱梯度的指引。",
    "exploding_gradients": "梯度在反向传播时逐层增大；前面各层的更新步长非常大。",
    "saturation": "大多数输出落在激活函数平坦的两端，那里的梯度几乎为 0。",
    "no_symmetry_breaking": "这一层所有单元的权重完全相同，计算的也是同一件事：整层就像一个单元。"
    "随机初始化能打破这种对称性。",
    "overfitting": "训练损失仍在下降而测试损失却在上升，且升幅远超其自身的波动：网络在记忆训练集。",
    "lr_too_high": "步长对损失曲面来说太大：损失突然跳升，或者权重每步变化超过 10%。",
    "weight_collapse": "权重衰减每一步都把所有权重拉向 0；衰减这么强时它压过了损失的梯度，权重缩到几乎为零，"
    "网络的输出几乎不再依赖输入。随之而来的较大相对更新来自衰减，而不是学习率太高：请调小权重衰减。",
}


@dataclass
class Found:
    """A condition that holds now: its message's template, the layers it holds for, the figures to fill in."""

    template: str
    layers: list[int] = field(default_factory=list)
    figures: list[float] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)


def layer_span(names: list[str], indices: list[int]) -> str:
    """The layers in few words: runs of consecutive numbered layers as "hidden 1–8", the rest listed."""
    parts: list[str] = []
    run: list[int] = []

    def numbered(i: int) -> tuple[str, int] | None:
        m = re.fullmatch(r"(.*?)(\d+)", names[i])
        return (m.group(1), int(m.group(2))) if m else None

    def close() -> None:
        if not run:
            return
        if len(run) == 1:
            parts.append(names[run[0]])
        else:
            first, last = numbered(run[0]), numbered(run[-1])
            assert first is not None and last is not None
            parts.append(f"{first[0]}{first[1]}–{last[1]}")
        run.clear()

    for i in sorted(indices):
        here, prev = numbered(i), numbered(run[-1]) if run else None
        if run and here and prev and i == run[-1] + 1 and here[0] == prev[0] and here[1] == prev[1] + 1:
            run.append(i)
            continue
        close()
        if here:
            run.append(i)
        else:
            parts.append(names[i])
    close()
    return ", ".join(parts)


def figure_span(values: list[float], show, lang: str) -> str:
    """One figure, or the range of several: "100%", "1.2e-07 to 3.4e-04" ("至" in Chinese)."""
    lo, hi = show(min(values)), show(max(values))
    return lo if lo == hi else f"{lo} {'至' if lang == 'zh' else 'to'} {hi}"


def _pct(v: float) -> str:
    return f"{v:.0%}"


def _small_pct(v: float) -> str:
    return f"{v * 100:.2g}%"


def _sci(v: float) -> str:
    return f"{v:.1e}"


# per-layer kind -> (template, the verdict's figure, how to show it); None: no figure
LAYER_KINDS: dict[str, tuple[str, str | None, Any]] = {
    "dead_units": ("dead_units", "dead_fraction", _pct),
    "saturation": ("saturation", "saturation", _pct),
    "no_symmetry_breaking": ("no_symmetry_breaking", None, None),
    "vanishing_gradients": ("gradient_ratio", "grad_ratio", _sci),
    "exploding_gradients": ("gradient_ratio", "grad_ratio", _sci),
    "lr_too_high": ("update_ratio", "update_ratio", None),
    "weight_collapse": ("weight_collapse", "weight_share", _small_pct),
}


@dataclass
class Insights:
    layer_names: list[str]
    weight_decay: bool = False  # whether a penalty pulls the weights toward 0 (weight decay or L1)
    held: dict[str, int] = field(default_factory=dict)  # frames each condition has held
    reported: dict[str, int] = field(default_factory=dict)  # reported: frames clear since
    best_test: float = math.inf
    train_at_best_test: float = math.inf
    best_train: float = math.inf
    tests: deque = field(default_factory=lambda: deque(maxlen=OVERFIT_WINDOW))  # recent test losses
    trains: deque = field(default_factory=lambda: deque(maxlen=OVERFIT_SMOOTH))  # train losses of the same frames
    start_norms: list[float | None] | None = None  # the weight norms of the first detail frame
    norms: deque = field(default_factory=lambda: deque(maxlen=COLLAPSE_WINDOW + 1))  # recent weight norms
    health: list[LayerHealth] = field(default_factory=list)  # the newest verdicts (of the newest detail frame)

    @classmethod
    def for_config(cls, config: "ExperimentConfig", layers: "list[LayerInfo]") -> "Insights":
        decay = config.optimizer.weight_decay > 0 or config.regularization.l1 > 0
        return cls([layer.name for layer in layers], weight_decay=decay)

    def judge(self, frame: Figures) -> list[LayerHealth]:
        """The layers' verdicts on a detail frame, weights collapsing under weight decay included (from the past
        frames' weight norms); kept as `health`."""
        norms = frame.get("weight_norm")
        if norms is not None:
            if self.start_norms is None:
                self.start_norms = list(norms)
            self.norms.append(list(norms))
        shrinking, collapsed = decay_effects(self.start_norms or [], list(self.norms), self.weight_decay)
        self.health = judge_layers(frame, collapsed, shrinking)
        return self.health

    def observe(self, frame: Figures, final: bool = False) -> list[dict[str, Any]]:
        """Events that this frame confirms; on a run's `final` frame, every condition that holds there (a short run
        has few detail frames: what its last one shows is reported however briefly it held)."""
        now = self._conditions(frame)
        self.held = {kind: self.held.get(kind, 0) + 1 for kind in now}
        for kind in list(self.reported):
            self.reported[kind] = 0 if kind in now else self.reported[kind] + 1
            if self.reported[kind] >= REARM:
                del self.reported[kind]
        events = []
        for kind, found in now.items():
            if kind not in self.reported and (self.held[kind] >= HOLD or kind == "diverged" or final):
                self.reported[kind] = 0
                events.append(self._event(kind, frame["step"], found))
        return events

    def _event(self, kind: str, step: int, found: Found) -> dict[str, Any]:
        english, chinese = MESSAGES[found.template]
        values = {"en": dict(found.values), "zh": dict(found.values)}
        if found.layers:
            span = layer_span(self.layer_names, found.layers)
            _, figure, show = LAYER_KINDS[kind]
            for lang in ("en", "zh"):
                values[lang]["layers"] = span
                if figure == "update_ratio":
                    values[lang]["ratio"] = f"{max(found.figures):.1f}"
                elif show is not None:
                    key = "share" if figure in ("dead_fraction", "saturation", "weight_share") else "ratio"
                    values[lang][key] = figure_span(found.figures, show, lang)
        first = found.layers[0] if found.layers else None
        return {
            "type": "event",
            "kind": kind,
            "step": step,
            "layer": None if first is None else self.layer_names[first],
            "layer_index": first,
            "layer_indices": list(found.layers),
            "message": english.format(**values["en"]),
            "message_zh": chinese.format(**values["zh"]),
            "explanation": EXPLANATIONS[kind],
            "explanation_zh": EXPLANATIONS_ZH[kind],
        }

    def _conditions(self, f: Figures) -> dict[str, Found]:
        health = self.judge(f)  # a diverged frame's too: the driver sends it with its verdicts
        if f.get("first_bad_step") is not None:  # the driver ends the run at this very step
            return {"diverged": Found("diverged", values={"step": f["first_bad_step"]})}
        now: dict[str, Found] = {}
        ref = reference_layer(len(health))
        for i, verdict in enumerate(health):
            for kind in verdict.conditions:
                template, figure, _ = LAYER_KINDS[kind]
                found = now.setdefault(kind, Found(template))
                found.layers.append(i)
                value = self._figure(f, figure, verdict, i)
                if value is not None:
                    found.figures.append(value)
                if template == "gradient_ratio" and ref is not None:
                    found.values["ref"] = self.layer_names[ref]
        for kind, found in self._loss_trends(f):
            now.setdefault(kind, found)
        return now

    def _figure(self, f: Figures, figure: str | None, verdict: LayerHealth, i: int) -> float | None:
        if figure is None:
            return None
        if figure == "grad_ratio":
            return verdict.grad_ratio
        if figure == "weight_share":
            start, now = (self.start_norms or [])[i], self.norms[-1][i]
            return now / start if start and now is not None else None
        value = f.get(figure)[i]
        return -math.inf if value is None and figure == "update_ratio" else value

    def _loss_trends(self, f: Figures):
        train, test = f.get("train_loss"), f.get("test_loss")  # (a reading with no step since the last has none)
        if train is not None:
            if train > LOSS_SPIKE * self.best_train and self.best_train < math.inf:
                yield "lr_too_high", Found("loss_jump", values={"loss": train, "best": self.best_train})
            self.best_train = min(self.best_train, train)
        if test is None or train is None:
            return
        self.tests.append(test)
        self.trains.append(train)
        recent_test = _mean(list(self.tests)[-OVERFIT_SMOOTH:])
        recent_train = _mean(list(self.trains))
        if recent_test < self.best_test:
            self.best_test, self.train_at_best_test = recent_test, recent_train
        elif self.overfitting(recent_test) and recent_train < self.train_at_best_test:
            values = {
                "test": recent_test,
                "best": self.best_test,
                "before": self.train_at_best_test,
                "train": recent_train,
            }
            yield "overfitting", Found("overfitting", values=values)

    def test_noise(self) -> float | None:
        """The test loss's own noise: the RMS of its frame-to-frame changes over the recent readings, over sqrt 2
        (the spread of one reading if the changes were noise alone; a steady trend only makes it larger)."""
        if len(self.tests) < OVERFIT_MIN_READINGS:
            return None
        steps = [b - a for a, b in pairwise(self.tests)]
        return math.sqrt(sum(d * d for d in steps) / len(steps) / 2)

    def overfitting(self, test: float) -> bool:
        """Whether the recent test loss has risen far enough above its best: relatively, against its noise and in
        absolute terms (a near-perfect fit whose test loss moves by a hair is not overfitting)."""
        noise = self.test_noise()
        if noise is None:
            return False
        rise = test - self.best_test
        return rise > max(OVERFIT_RISE * self.best_test, OVERFIT_NOISE * noise, OVERFIT_MIN_RISE)


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)
