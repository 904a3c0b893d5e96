"""Universal approximation: one hidden layer of tanh units can fit any continuous curve on an interval, given
enough units; each unit adds one smooth step to the sum, so the fit of a 1-D curve improves with the width.

A 1-H-1 tanh net on the sine dataset (200 points, half for training, target noise 0.05: MSE floor 0.0025),
Adam lr 0.02, batch 32, 600 steps. Test MSE, measured on seeds 0-4:
- width 1: 0.045 .. 0.077; width 3: 0.011 .. 0.022; width 32: 0.0032 .. 0.0071.
- width 1 / width 3: 2.1 .. 6.7; width 3 / width 32: 2.7 .. 5.0 (thresholds: both above 1.5); width 32 below 0.015
  (threshold).
Each seed took 1.1 .. 1.2 s here (three arms).
"""

from glassnet.lessons.base import Arm, Lesson, Measured, Text, Verdict

WIDTHS = (1, 3, 32)
THRESHOLDS = {"step_ratio": 1.5, "widest": 0.015}


def _loss(m: Measured) -> float:
    loss = m.last["test_loss"]
    return loss if loss is not None else float("inf")


def verify(measured: dict[str, Measured]) -> Verdict:
    narrow, middle, wide = (_loss(measured[f"width_{w}"]) for w in WIDTHS)
    passed = (
        narrow > THRESHOLDS["step_ratio"] * middle
        and middle > THRESHOLDS["step_ratio"] * wide
        and wide < THRESHOLDS["widest"]
    )
    figures: dict[str, float | None] = {
        f"width_{w}_test_loss": value for w, value in zip(WIDTHS, (narrow, middle, wide), strict=True)
    }
    return Verdict(
        passed,
        figures,
        Text(
            "Test MSE with one hidden layer of 1 unit: {a:.4f}; of 3 units: {b:.4f}; of 32 units: {c:.4f} (the "
            "noise alone gives 0.0025).",
            "单个隐藏层有 1 个单元时测试 MSE 为 {a:.4f}；3 个单元时为 {b:.4f}；32 个单元时为 {c:.4f}"
            "（仅噪声本身就会带来 0.0025）。",
        ).format(a=narrow, b=middle, c=wide),
    )


LESSON = Lesson(
    id="universal-approximation",
    order=14,
    title=Text("Universal approximation", "万能逼近"),
    question=Text(
        "A network with a single hidden layer of tanh units fits a sine curve. What happens to the fit as the "
        "layer gets wider: 1 unit, 3 units, 32 units?",
        "一个只有单个 tanh 隐藏层的网络去拟合正弦曲线。隐藏层从 1 个单元变宽到 3 个、32 个单元时，拟合效果会怎样？",
    ),
    predictions=(
        Text(
            "Nothing changes: one hidden layer can only draw a straight line or a single bend, however wide it is",
            "没有变化：单个隐藏层再宽，也只能画出直线或一个弯",
        ),
        Text(
            "The test error falls with the width: each unit adds a smooth step, and enough steps trace a sine",
            "测试误差随宽度下降：每个单元添一个平滑台阶，台阶够多就能描出正弦",
        ),
        Text(
            "The widest layer does worst: its 32 units overfit the 100 points and wiggle between them",
            "最宽的层效果最差：32 个单元会对 100 个点过拟合，在点之间剧烈地来回摆动",
        ),
    ),
    answer=1,
    base={
        "dataset": {"name": "sine", "n_samples": 200, "noise": 0.05},
        "model": {"activation": "tanh"},
        "optimizer": {"name": "adam", "lr": 0.02},
        "batch_size": 32,
    },
    arms=tuple(
        Arm(
            f"width_{w}",
            Text(f"{w} hidden unit{'s' if w > 1 else ''}", f"{w} 个隐藏单元"),
            {"model": {"hidden": [w]}},
        )
        for w in WIDTHS
    ),
    steps=600,
    watch="boundary",
    explanation=Text(
        "The output of a one-hidden-layer net is a weighted sum of shifted, stretched tanh curves: each unit "
        "contributes one smooth step placed where its bias puts it. One step cannot follow a sine's rises and "
        "falls; a few steps sketch them; with many units the sum can follow any continuous curve as closely as "
        "you like (the universal approximation theorem). The theorem says such a net exists, not that training "
        "finds it or that it is small: deeper nets often need far fewer units for the same curve.",
        "单隐藏层网络的输出是若干条经过平移和拉伸的 tanh 曲线的加权和：每个单元贡献一个平滑的台阶，位置由它的偏置决定。"
        "一个台阶跟不上正弦曲线的起伏；几个台阶能勾勒出大致形状；单元足够多时，这个和可以任意精确地逼近任何连续曲线"
        "（万能逼近定理）。该定理只说明这样的网络存在，并不保证训练能找到它，也不保证它很小：更深的网络拟合同样的曲线"
        "往往需要少得多的单元。",
    ),
    verify=verify,
)
