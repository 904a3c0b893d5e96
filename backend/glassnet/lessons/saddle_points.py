"""Saddle points and ill-conditioning, in the optimizer lab: the registry's optimizers on 2-D surfaces.

The paths are deterministic (no data, no random init), so the figures are the same on every machine up to
float rounding. Measured with glassnet.lab.trajectory (float64):
- saddle x^2 - y^2 from (1.8, 0.001), step size 0.05: the gradient norm falls from 3.6 at the start to 0.0996
  near (0, 0) for SGD (2.8%; threshold: below 5%). Steps until |y| > 1 (off the saddle): SGD 73, momentum 27,
  Adam 20 (thresholds: SGD above 2x Adam and above 1.5x momentum).
- the bowl 0.5 (x^2 + k y^2) from (-1.8, 0.6), each with SGD's best step size 2 / (1 + k), which makes both
  directions shrink by (k - 1) / (k + 1) per step: steps until the loss is below 1e-4: SGD 26 at k = 10 and 302
  at k = 100 (11.6x; threshold: above 5x). SGD's y changes sign on all 302 of those steps at k = 100 (the
  zig-zag; threshold: on at least half). Momentum 0.9 needs 92 at k = 100 (0.30 of SGD; threshold: below 0.6)
  and 75 at k = 10 (shown, not checked: on the milder bowl its velocity overshoots).
Seconds for all three arms: about 0.5 (plus about 1 s for torch's first optimizer step in a fresh process).
"""

import itertools
import math
from typing import Any

from glassnet.lessons.base import Arm, LabMeasured, Lesson, Text, Verdict

TARGET = 1e-4  # "converged": the bowl's loss below this
THRESHOLDS = {"stall": 0.05, "sgd_over_adam": 2.0, "sgd_over_momentum": 1.5, "k_ratio": 5.0, "momentum_share": 0.6}


def _first(values: list[float], hit: Any) -> float:
    """The first index whose value satisfies `hit` (inf when none does: the path never got there)."""
    return float(next((i for i, v in enumerate(values) if hit(v)), math.inf))


def _escape(path: dict[str, Any]) -> float:
    return _first(path["y"], lambda y: abs(y) > 1.0)


def _converged(path: dict[str, Any]) -> float:
    return _first(path["loss"], lambda loss: loss < TARGET)


def verify(measured: dict[str, LabMeasured]) -> Verdict:
    saddle, bowl10, bowl100 = measured["saddle"], measured["bowl-10"], measured["bowl-100"]
    sgd_saddle = saddle.path("sgd")
    norms = [math.hypot(gx, gy) for gx, gy in zip(sgd_saddle["gx"], sgd_saddle["gy"], strict=True)]
    sgd_escape = _escape(sgd_saddle)
    before = norms[: int(sgd_escape)] if math.isfinite(sgd_escape) else norms
    stall = min(before) / norms[0]
    escape = {name: _escape(saddle.path(name)) for name in ("sgd", "momentum", "adam")}
    sgd10, sgd100 = _converged(bowl10.path("sgd")), _converged(bowl100.path("sgd"))
    momentum10, momentum100 = _converged(bowl10.path("momentum")), _converged(bowl100.path("momentum"))
    ys = bowl100.path("sgd")["y"][: int(sgd100) + 1 if math.isfinite(sgd100) else None]
    zigzag = sum(1 for a, b in itertools.pairwise(ys) if a * b < 0)
    passed = (
        stall < THRESHOLDS["stall"]
        and escape["sgd"] > THRESHOLDS["sgd_over_adam"] * escape["adam"]
        and escape["sgd"] > THRESHOLDS["sgd_over_momentum"] * escape["momentum"]
        and math.isfinite(sgd100)
        and sgd100 > THRESHOLDS["k_ratio"] * sgd10
        and zigzag >= sgd100 / 2
        and momentum100 < THRESHOLDS["momentum_share"] * sgd100
    )
    figures: dict[str, float | None] = {
        "sgd_slowest_gradient_share": stall,
        **{f"{name}_steps_to_escape": value for name, value in escape.items()},
        "sgd_steps_k10": sgd10,
        "sgd_steps_k100": sgd100,
        "sgd_k100_zigzags": zigzag,
        "momentum_steps_k10": momentum10,
        "momentum_steps_k100": momentum100,
    }
    return Verdict(
        passed,
        figures,
        Text(
            "Near the saddle SGD's gradient fell to {stall:.1%} of its start, and it took {se:.0f} steps to get "
            "away (momentum {me:.0f}, Adam {ae:.0f}). With its best step size SGD needed {s10:.0f} steps in the "
            "bowl with k = 10 and {s100:.0f} with k = 100, zig-zagging across on {zz} of them; momentum needed "
            "{m100:.0f} with k = 100 (but {m10:.0f} with k = 10).",
            "在鞍点附近，SGD 的梯度降到起点时的 {stall:.1%}，用了 {se:.0f} 步才离开（动量 {me:.0f} 步，"
            "Adam {ae:.0f} 步）。用各自最佳的步长，SGD 在 k = 10 的碗中需要 {s10:.0f} 步，在 k = 100 的碗中需要 "
            "{s100:.0f} 步，其中 {zz} 步在山谷两侧来回跳；k = 100 时动量法只需 {m100:.0f} 步"
            "（但 k = 10 时需要 {m10:.0f} 步）。",
        ).format(
            stall=stall,
            se=escape["sgd"],
            me=escape["momentum"],
            ae=escape["adam"],
            s10=sgd10,
            s100=sgd100,
            zz=zigzag,
            m100=momentum100,
            m10=momentum10,
        ),
    )


def _optimizers(lr: float) -> list[dict[str, Any]]:
    return [{"name": "sgd", "lr": lr}, {"name": "momentum", "lr": lr, "momentum": 0.9}]


LESSON = Lesson(
    id="saddle-points",
    order=9,
    kind="lab",
    title=Text("Saddle points and narrow valleys", "鞍点与狭长山谷"),
    question=Text(
        "Gradient descent starts near a saddle point (downhill only along y, and barely off the ridge), and then in "
        "two bowls: one 10 times and one 100 times steeper across than along. Each time SGD uses the best step size "
        "for the bowl. What happens?",
        "梯度下降先从鞍点附近出发（只有沿 y 方向是下坡，而且几乎就在山脊上），然后分别在两个碗中出发："
        "一个横向比纵向陡 10 倍，一个陡 100 倍。每次 SGD 都使用最适合该碗的步长。会发生什么？",
    ),
    predictions=(
        Text(
            "SGD stops at the saddle for good, as the gradient there is 0; the two bowls take the same number of steps",
            "SGD 永远停在鞍点，因为那里梯度为 0；两个碗所需的时间一样",
        ),
        Text(
            "Neither matters: with the best step size, gradient descent takes the same time everywhere",
            "都没有影响：只要步长最佳，梯度下降在哪里都一样快",
        ),
        Text(
            "SGD nearly halts near the saddle before sliding off; the 100x bowl takes about 10x the steps",
            "SGD 在鞍点附近几乎停下，之后才滑走；100 倍的碗所需步数约为 10 倍碗的 10 倍",
        ),
    ),
    answer=2,
    base={"start": [-1.8, 0.6], "steps": 400},
    arms=(
        Arm(
            "saddle",
            Text("Saddle x² − y², from (1.8, 0.001), step 0.05", "鞍点 x² − y²，从 (1.8, 0.001) 出发，步长 0.05"),
            {
                "surface": "saddle",
                "start": [1.8, 0.001],
                "steps": 150,
                "optimizers": [*_optimizers(0.05), {"name": "adam", "lr": 0.05}],
            },
        ),
        Arm(
            "bowl-10",
            Text("Bowl k = 10, step 2/11 = 0.18", "碗 k = 10，步长 2/11 = 0.18"),
            {"surface": "quadratic", "k": 10, "optimizers": _optimizers(0.18)},
        ),
        Arm(
            "bowl-100",
            Text("Bowl k = 100, step 2/101 = 0.0198", "碗 k = 100，步长 2/101 = 0.0198"),
            {"surface": "quadratic", "k": 100, "optimizers": _optimizers(0.0198)},
        ),
    ),
    steps=400,
    watch="optimizer-lab",
    explanation=Text(
        "At a saddle point the gradient is 0 but the point is no minimum: the surface curves up along x and down "
        "along y. Near it every gradient is tiny, so plain SGD crawls; it only leaves as the small y offset grows "
        "by a factor (1 + 2 x step) per step. Momentum keeps building speed along y, and Adam divides the tiny "
        "gradient by its own small running size, so both leave much sooner. (Started exactly on the ridge, "
        "y = 0, no gradient method would ever leave: try it by typing y = 0 as the start.) In a bowl k times "
        "steeper across than along, a step larger than 2/k makes the steep direction blow up, so the step is "
        "set by the steep direction, and along the flat one the distance to the minimum shrinks only by about "
        "(1 - 2/k) per step: the "
        "steps needed grow in proportion to k, the condition number. Momentum adds up the consistent push along "
        "the floor, so it travels along the valley far faster, though it still swings across it (watch its "
        "path). On the milder k = 10 bowl, where SGD's best step already gets there in a few dozen steps, "
        "momentum 0.9 overshoots back and forth and is slower than SGD: momentum pays off when the valley is "
        "narrow.",
        "鞍点处梯度为 0，但它不是极小值：曲面沿 x 向上弯，沿 y 向下弯。在它附近所有梯度都很小，朴素 SGD 寸步难行；"
        "只有当 y 方向的微小偏移以每步 (1 + 2 × 步长) 的倍数增长之后，它才会离开。动量法沿 y 方向不断积累速度，"
        "Adam 则把微小的梯度除以它自身的（同样很小的）滑动幅度，所以两者都早得多离开。（如果正好从山脊 y = 0 出发，"
        "任何梯度方法都永远离不开：把起点的 y 输入为 0 试试。）在一个横向比纵向陡 k 倍的碗中，步长一旦超过 2/k，"
        "陡峭方向就会发散，所以步长由陡峭方向决定；而沿平缓方向，到最小值的距离每步只缩小为原来的约 (1 − 2/k)："
        "所需步数与条件数 k 成正比。动量法把沿谷底方向一致的推力累积起来，"
        "因此沿山谷前进得快得多，虽然它仍会在山谷两侧摆动（看它的路径）。在较温和的 k = 10 的碗里，SGD 用最佳步长"
        "几十步就能到达，而动量 0.9 会来回冲过头，反而比 SGD 慢：山谷越狭窄，动量越有用。",
    ),
    figures={
        "sgd_slowest_gradient_share": Text(
            "Saddle, SGD: smallest gradient on its way out, over the starting one",
            "鞍点，SGD：离开途中最小的梯度与起点梯度之比",
        ),
        **{
            f"{name}_steps_to_escape": Text(
                f"Saddle, {label}: steps to get away (|y| > 1)", f"鞍点，{label_zh}：离开所需的步数（|y| > 1）"
            )
            for name, label, label_zh in (
                ("sgd", "SGD", "SGD"),
                ("momentum", "Momentum", "动量法"),
                ("adam", "Adam", "Adam"),
            )
        },
        **{
            f"{name}_steps_k{k}": Text(
                f"Bowl k = {k}, {label}: steps until the loss is below {TARGET:g}",
                f"碗 k = {k}，{label_zh}：损失降到 {TARGET:g} 以下所需的步数",
            )
            for name, label, label_zh in (("sgd", "SGD", "SGD"), ("momentum", "Momentum", "动量法"))
            for k in (10, 100)
        },
        "sgd_k100_zigzags": Text(
            "Bowl k = 100, SGD: times y changed sign on the way (zig-zags)",
            "碗 k = 100，SGD：途中 y 变号的次数（来回振荡）",
        ),
    },
    verify=verify,
)
