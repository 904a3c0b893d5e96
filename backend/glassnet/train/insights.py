"""Phenomena detectors: turn frames into events a newcomer can read ("hidden 3: 71% of units are dead").

Each detector looks at one detail frame and says which (kind, layer) conditions hold now. An event is
sent once a condition has held for HOLD frames in a row (divergence at once), and the detector re-arms
only after the condition has been clear for REARM frames, so a lasting or flickering condition (a noisy
test loss) is reported once, not every frame. Thresholds are named here, next to what they mean.
"""

import math
from dataclasses import dataclass, field
from typing import Any, Protocol


class Figures(Protocol):
    """A frame's figures by name (a probe Reading, or a frame as JSON)."""

    def __getitem__(self, name: str) -> Any: ...

    def get(self, name: str, default: Any = None) -> Any: ...


DEAD_SHARE = 0.5  # a layer with more than half its units dead
SATURATED_SHARE = 0.5  # more than half of a layer's outputs within 3% of the activation's bounds
VANISHING_RATIO = 1e-3  # first hidden layer's gradient norm below this share of the last layer's
EXPLODING_RATIO = 1e3  # ... or above this multiple
SYMMETRY_STEPS = 20  # units still identical after this many steps never will be
OVERFIT_RISE = 1.10  # test loss 10% above its best while the train loss keeps falling
UPDATE_RATIO_HIGH = -1.0  # log10 ||dW||/||W|| above -1: each step moves weights by over 10%
LOSS_SPIKE = 3.0  # train loss above 3x its best after it had fallen
HOLD = 3  # detail frames (about 0.3 s) a condition must hold before it is reported
REARM = 10  # detail frames it must stay clear before it can be reported again

# each message in English and Simplified Chinese, filled from the same named values
MESSAGES = {
    "diverged": ("the loss became non-finite at step {step}", "第 {step} 步时损失变为非有限值"),
    "dead_units": ("{layer}: {share:.0%} of its units are dead", "{layer}：{share:.0%} 的单元已死亡"),
    "saturation": ("{layer}: {share:.0%} of its outputs are saturated", "{layer}：{share:.0%} 的输出已饱和"),
    "no_symmetry_breaking": ("{layer}: all units still have identical weights", "{layer}：所有单元的权重仍然完全相同"),
    "gradient_ratio": ("{first}'s gradient is {ratio:.1e} times {last}'s", "{first} 的梯度是 {last} 的 {ratio:.1e} 倍"),
    "update_ratio": (
        "{layer}'s weights change by 10^{ratio:.1f} of their size per step",
        "{layer} 的权重每步变化其大小的 10^{ratio:.1f}",
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
    "vanishing_gradients": "Gradients shrink layer by layer on the way back, so the first layers barely learn.",
    "exploding_gradients": "Gradients grow layer by layer on the way back; steps in the first layers are huge.",
    "saturation": "Most outputs sit at the activation's flat ends, where its gradient is nearly 0.",
    "no_symmetry_breaking": "All units of this layer have identical weights, so they compute the same thing: "
    "the layer acts like a single unit. Random initialization breaks the symmetry.",
    "overfitting": "The test loss rises while the training loss still falls: the net memorizes the training set.",
    "lr_too_high": "Steps are too large for the loss surface: the loss jumps up or weights change by >10% a step.",
}
EXPLANATIONS_ZH = {
    "diverged": "损失不再是有限值：权重已经爆炸。请降低学习率或裁剪梯度。",
    "dead_units": "这些 ReLU 单元对每个样本都输出 0，因此没有梯度能到达它们，它们再也无法恢复。",
    "vanishing_gradients": "梯度在反向传播时逐层缩小，所以前面的层几乎学不到东西。",
    "exploding_gradients": "梯度在反向传播时逐层增大；前面各层的更新步长非常大。",
    "saturation": "大多数输出落在激活函数平坦的两端，那里的梯度几乎为 0。",
    "no_symmetry_breaking": "这一层所有单元的权重完全相同，计算的也是同一件事：整层就像一个单元。"
    "随机初始化能打破这种对称性。",
    "overfitting": "训练损失仍在下降而测试损失却在上升：网络在记忆训练集。",
    "lr_too_high": "步长对损失曲面来说太大：损失突然跳升，或者权重每步变化超过 10%。",
}


@dataclass
class Insights:
    layer_names: list[str]
    held: dict[tuple[str, int | None], int] = field(default_factory=dict)  # frames each condition has held
    reported: dict[tuple[str, int | None], int] = field(default_factory=dict)  # reported: frames clear since
    best_test: float = math.inf
    train_at_best_test: float = math.inf
    best_train: float = math.inf

    def observe(self, frame: Figures) -> list[dict[str, Any]]:
        """Events that this frame confirms."""
        now = dict(self._conditions(frame))
        self.held = {key: self.held.get(key, 0) + 1 for key in now}
        for key in list(self.reported):
            self.reported[key] = 0 if key in now else self.reported[key] + 1
            if self.reported[key] >= REARM:
                del self.reported[key]
        events = []
        for (kind, layer), (template, values) in now.items():
            if (kind, layer) not in self.reported and (self.held[(kind, layer)] >= HOLD or kind == "diverged"):
                self.reported[(kind, layer)] = 0
                events.append(self._event(kind, layer, frame["step"], template, values))
        return events

    def _event(self, kind: str, layer: int | None, step: int, template: str, values: dict) -> dict[str, Any]:
        english, chinese = MESSAGES[template]
        return {
            "type": "event",
            "kind": kind,
            "step": step,
            "layer": None if layer is None else self.layer_names[layer],
            "layer_index": layer,
            "message": english.format(**values),
            "message_zh": chinese.format(**values),
            "explanation": EXPLANATIONS[kind],
            "explanation_zh": EXPLANATIONS_ZH[kind],
        }

    def _conditions(self, f: Figures):
        names = self.layer_names
        if f.get("first_bad_step") is not None:  # the driver ends the run at this very step
            yield ("diverged", None), ("diverged", {"step": f["first_bad_step"]})
            return
        hidden = range(len(names) - 1)
        for i in hidden:
            dead = f["dead_fraction"][i]
            if dead is not None and dead > DEAD_SHARE:
                yield ("dead_units", i), ("dead_units", {"layer": names[i], "share": dead})
            saturated = f["saturation"][i]
            if saturated is not None and saturated > SATURATED_SHARE:
                yield ("saturation", i), ("saturation", {"layer": names[i], "share": saturated})
            diversity = f["unit_diversity"][i]
            if diversity == 0 and f["step"] >= SYMMETRY_STEPS:
                yield ("no_symmetry_breaking", i), ("no_symmetry_breaking", {"layer": names[i]})
        grads = f["grad_norm"]
        if len(grads) >= 3 and grads[0] is not None and grads[-2] is not None and grads[-2] > 0:
            ratio = grads[0] / grads[-2]
            values = {"first": names[0], "last": names[-2], "ratio": ratio}
            if ratio < VANISHING_RATIO:
                yield ("vanishing_gradients", 0), ("gradient_ratio", values)
            elif ratio > EXPLODING_RATIO:
                yield ("exploding_gradients", 0), ("gradient_ratio", values)
        ratios = [(r, i) for i, r in enumerate(f["update_ratio"]) if r is not None]
        if ratios and max(ratios)[0] > UPDATE_RATIO_HIGH:
            r, i = max(ratios)
            yield ("lr_too_high", i), ("update_ratio", {"layer": names[i], "ratio": r})
        yield from self._loss_trends(f)

    def _loss_trends(self, f: Figures):
        train, test = f["train_loss"], f.get("test_loss")
        if train is not None:
            if train > LOSS_SPIKE * self.best_train and self.best_train < math.inf:
                yield ("lr_too_high", None), ("loss_jump", {"loss": train, "best": self.best_train})
            self.best_train = min(self.best_train, train)
        if test is None or train is None:
            return
        if test < self.best_test:
            self.best_test, self.train_at_best_test = test, train
        elif test > OVERFIT_RISE * self.best_test and train < self.train_at_best_test:
            values = {"test": test, "best": self.best_test, "before": self.train_at_best_test, "train": train}
            yield ("overfitting", None), ("overfitting", values)
