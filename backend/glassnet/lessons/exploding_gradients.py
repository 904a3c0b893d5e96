"""Exploding gradients: weights that start too large make a deep ReLU net's gradients blow up and plain SGD
diverges; clipping the gradient's norm keeps training finite, and weight decay also keeps the weights smaller.

Circle, 8 hidden layers of 32, ReLU, weights N(0, 0.5^2) (Kaiming would be std sqrt(2/32) = 0.25, so each layer
multiplies the signal by about 2), SGD lr 0.1, batch 32, 300 steps. Measured, seeds 0-4:

- plain: largest per-layer weight-gradient norm at the start 23 .. 81; the training loss is no longer finite by
  the first trace point (step 25) on every seed.
- clipped to global norm 1: finite through 300 steps, training loss (mean of the last 50 steps) 0.093 .. 0.154.
- clipped + weight decay 0.01: finite, loss 0.068 .. 0.099; mean hidden-layer weight norm 10.6 .. 10.8 against
  14.3 .. 14.5 clipped only (ratio 0.743 .. 0.744: SGD's decay multiplies the weights by 1 - lr x 0.01 each step).

Thresholds: plain start gradient above 10 and a non-finite loss within 300 steps; both clipped arms finite
throughout with loss below 0.4 (ln 2 = 0.693 is guessing); weight norm with decay below 0.9 x without.
Seconds per lesson on one CPU thread: 2.0 .. 3.8 (3 arms).
"""

import math

from glassnet.lessons.base import Arm, Lesson, Measured, Text, Verdict

HIDDEN = 8  # hidden layers


def _finite(m: Measured) -> bool:
    values = [*m.train_loss, m.last["train_loss"]]
    return all(v is not None and math.isfinite(v) for v in values)


def _first_bad(m: Measured) -> int | None:
    """The first step whose training loss was not finite (the arm ends there)."""
    return m.last["first_bad_step"]


def _hidden_weight_norm(m: Measured) -> float:
    norms = m.last["weight_norm"][:HIDDEN]
    return sum(norms) / HIDDEN if all(n is not None for n in norms) else float("inf")


def verify(measured: dict[str, Measured]) -> Verdict:
    plain, clipped, decayed = measured["plain"], measured["clipped"], measured["clipped_decay"]
    start_grad = max(g or 0.0 for g in plain.first["grad_norm"])
    bad = _first_bad(plain)
    loss = {name: m.late_train_loss() for name, m in measured.items()}
    norms = {name: _hidden_weight_norm(measured[name]) for name in ("clipped", "clipped_decay")}
    shrink = norms["clipped_decay"] / norms["clipped"]
    passed = (
        start_grad > 10
        and bad is not None
        and _finite(clipped)
        and _finite(decayed)
        and loss["clipped"] < 0.4
        and loss["clipped_decay"] < 0.4
        and shrink < 0.9
    )
    figures: dict[str, float | None] = {
        "plain_start_grad": start_grad,
        "plain_first_bad_step": bad,
        "clipped_loss": loss["clipped"],
        "clipped_decay_loss": loss["clipped_decay"],
        "clipped_weight_norm": norms["clipped"],
        "clipped_decay_weight_norm": norms["clipped_decay"],
        "decay_weight_ratio": shrink,
    }
    return Verdict(
        passed,
        figures,
        Text(
            "Plain SGD: the largest layer gradient starts at {g:.0f}; first non-finite loss seen at step {bad}. "
            "Clipped to norm 1: the loss falls to {c:.3f}. With weight decay as well: loss {d:.3f}, and the hidden "
            "weights' norm is {wd:.1f} instead of {wc:.1f} ({r:.0%}).",
            "普通 SGD：最大的层梯度一开始就有 {g:.0f}；第一次观察到损失不是有限值是在第 {bad} 步。梯度裁剪到范数 1："
            "损失降到 {c:.3f}。再加上权重衰减：损失为 {d:.3f}，隐藏层权重范数为 {wd:.1f}，而不是 {wc:.1f}（{r:.0%}）。",
        ).format(
            g=start_grad,
            bad=bad if bad is not None else "—",
            c=loss["clipped"],
            d=loss["clipped_decay"],
            wd=norms["clipped_decay"],
            wc=norms["clipped"],
            r=shrink,
        ),
    )


LESSON = Lesson(
    id="exploding-gradients",
    order=5,
    title=Text("Exploding gradients and clipping", "梯度爆炸与梯度裁剪"),
    question=Text(
        "An 8-layer ReLU net starts with weights twice as large as Kaiming's. What does plain SGD do, and what "
        "changes when the gradient is clipped to norm 1?",
        "一个 8 层 ReLU 网络的初始权重是 Kaiming 初始化的两倍大。普通 SGD 会怎样？把梯度裁剪到范数 1 又会怎样？",
    ),
    predictions=(
        Text(
            "SGD overshoots and the loss becomes NaN; clipping caps each step's size, so the net trains",
            "SGD 一步迈得太远，损失变成 NaN；裁剪限制了每一步的大小，网络就能训练",
        ),
        Text(
            "Nothing special: plain SGD shrinks the oversized weights back to a normal size within a few steps",
            "没什么特别的：SGD 几步之内就会把过大的权重缩回正常范围",
        ),
        Text(
            "Clipping cannot help: once gradients explode, their direction is as useless as their size",
            "裁剪也没用：梯度一旦爆炸，它的方向就和它的大小一样，都已经完全没有意义了",
        ),
    ),
    answer=0,
    base={
        "model": {"hidden": [32] * HIDDEN, "activation": "relu", "init": {"name": "normal", "std": 0.5}},
        "optimizer": {"name": "sgd", "lr": 0.1},
        "batch_size": 32,
    },
    arms=(
        Arm("plain", Text("Plain SGD", "普通 SGD"), {}),
        Arm(
            "clipped",
            Text("Clip the gradient to norm 1", "梯度裁剪到范数 1"),
            {"clipping": {"name": "norm", "max_norm": 1.0}},
        ),
        Arm(
            "clipped_decay",
            Text("Clip + weight decay 0.01", "裁剪 + 权重衰减 0.01"),
            {"clipping": {"name": "norm", "max_norm": 1.0}, "optimizer": {"weight_decay": 0.01}},
        ),
    ),
    steps=300,
    watch="grad-flow",
    explanation=Text(
        "With weights of std 0.5 in layers of 32, each ReLU layer multiplies the signal by about 0.5 x sqrt(32 / 2) = "
        "2, forward and backward, so 8 layers make the outputs and the gradients hundreds of times too large. One "
        "SGD step of lr x gradient then overshoots, the next gradient is larger still, and within a few steps the "
        "numbers overflow to inf and NaN. Clipping rescales the whole gradient whenever its norm is above 1: the "
        "direction is kept, only the step is capped, so the loss goes down. Weight decay (L2 regularization) pulls "
        "every weight towards 0 a little at each step, so the weights stay smaller.",
        "标准差 0.5 的权重配上 32 个单元的层，每个 ReLU 层在前向和反向时都把信号放大约 0.5 × sqrt(32 / 2) = 2 倍，"
        "8 层下来输出和梯度都大了几百倍。于是一步 SGD（学习率 × 梯度）迈得太远，下一个梯度更大，几步之内数值就溢出"
        "成 inf 和 NaN。梯度裁剪在梯度范数超过 1 时把整个梯度按比例缩小：方向不变，只限制步长，所以损失能下降。"
        "权重衰减（L2 正则化）在每一步都把每个权重向 0 拉一点，因此权重保持得更小。",
    ),
    figures={
        "plain_start_grad": Text("Plain SGD: largest layer gradient at the start", "普通 SGD：初始时最大的层梯度"),
        "plain_first_bad_step": Text(
            "Plain SGD: first step whose loss is not finite", "普通 SGD：损失第一次不是有限数的那一步"
        ),
        "decay_weight_ratio": Text(
            "Weight norm with weight decay over without (both clipped)",
            "有权重衰减与没有时的权重范数之比（都做了裁剪）",
        ),
    },
    verify=verify,
)
