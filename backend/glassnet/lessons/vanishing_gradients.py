"""Vanishing gradients: a deep sigmoid stack starves its first layer; ReLU, batch norm and residual connections
each bring the gradient back, and each of them then trains where the plain sigmoid stack does not.

10 hidden layers of 64 on the circle, Adam lr 0.01, batch 32, 300 steps (the same for every arm). The first figure
is the ratio of the gradient reaching the first hidden layer to the one reaching the last (the norm of
dL/d(layer output), act_grad_norm) at initialization (the frame of step 1: it comes from that step's backward pass
at the initial weights, so the optimizer and learning rate do not change it). Measured, seeds 0-4:

- sigmoid + Xavier: 1.5e-6 .. 3.7e-6 (the sigmoid's slope is at most 1/4, so every layer shrinks the signal);
- ReLU + Kaiming: 0.68 .. 1.55; sigmoid + batch norm: 18.8 .. 55.8 (dividing by the small batch std of the
  pre-activations amplifies the gradient on its way back); sigmoid + residual: 0.99 .. 1.07.

Thresholds: sigmoid below 1e-3; every cure above 0.3 and at least 1e4 times the sigmoid's ratio (measured lifts
2.8e5 .. 2.0e7). The weight-gradient ratio (grad_norm) is reported but not checked: the first layer reads only
the two raw coordinates, so its weight gradient is small for every arm (residual: 0.012 .. 0.21).

The second figure is the late training loss (the mean of the last 50 steps), seeds 0-4: sigmoid 0.692 .. 0.699
(ln 2 = 0.693: it still guesses, test accuracy 44.5 .. 51%); ReLU 0.054 .. 0.106 (test accuracy 96.5 .. 98%);
batch norm 0.195 .. 0.221 (80.5 .. 97.5%: its test accuracy uses the running statistics, which lag a little);
residual 0.055 .. 0.086 (96 .. 100%). Threshold: every cure below half of the smaller of the sigmoid's late loss
and ln 2 (about 0.35).

Why Adam and not plain SGD at lr 0.1 (as this lesson used before): with SGD lr 0.1 and 100 steps the residual arm
ended at a late training loss of 1.38 and 1.46 (seeds 0 and 1), worse than guessing, and batch norm at 0.36 and
0.46. For the residual arm that is structural: a sigmoid's outputs are all positive (about 0.5 at the start), so
each of the 10 blocks adds a positive offset to the residual stream (scaled by 1/sqrt(10), nn/models.py), which
reaches a mean of about 1.6 on every unit whatever the input. The output logit then starts 0.9 .. 3.0 away from 0
for every point (seeds 0-2), and an SGD step on the head moves the logit by lr times |h|^2 (about
64 x (1.6^2 + 0.57^2) = 180) times its gradient, so it overshoots back and forth. Adam's step is bounded by the
learning rate per weight, so the residual arm trains smoothly; Adam does not rescue the plain sigmoid stack.
Seconds per lesson on one CPU thread: about 3 .. 4 (the first run in a process about 6, warming up).
"""

import math

from glassnet.lessons.base import Arm, Lesson, Measured, Text, Verdict
from glassnet.train.judgement import VANISHING_RATIO, gradient_ratios

DEPTH = 10  # hidden layers
CURES = ("relu", "batch_norm", "residual")
LEARNS = 0.5  # every cure's late training loss is below this share of min(sigmoid's, ln 2)


def _ratio(m: Measured, key: str) -> float:
    """First hidden layer over last hidden layer, at initialization (the frame of step 1)."""
    values = m.first[key]
    return (values[0] or 0.0) / values[DEPTH - 1] if values[DEPTH - 1] else 0.0


def verify(measured: dict[str, Measured]) -> Verdict:
    # the shared rule (train/judgement.py): dL/d(layer output) of the first hidden layer over the last hidden's
    ratios = {name: gradient_ratios(m.first, DEPTH + 1)[0] or 0.0 for name, m in measured.items()}
    sigmoid = ratios["sigmoid"]
    lifts = {name: ratios[name] / sigmoid if sigmoid > 0 else float("inf") for name in CURES}
    losses = {name: m.late_train_loss() for name, m in measured.items()}
    bar = LEARNS * min(losses["sigmoid"], math.log(2))
    passed = (
        sigmoid < VANISHING_RATIO  # starved, by the rule the insights and Layer health use
        and all(ratios[name] > 0.3 and lifts[name] >= 1e4 for name in CURES)
        and all(losses[name] < bar for name in CURES)
    )
    figures: dict[str, float | None] = {f"{name}_ratio": r for name, r in ratios.items()}
    figures.update({f"{name}_lift": lifts[name] for name in CURES})
    figures.update({f"{name}_weight_ratio": _ratio(m, "grad_norm") for name, m in measured.items()})
    figures.update({f"{name}_late_train_loss": loss for name, loss in losses.items()})
    figures.update({f"{name}_test_acc": m.last["test_acc"] for name, m in measured.items()})
    return Verdict(
        passed,
        figures,
        Text(
            "First-layer gradient over last-layer gradient at the start: sigmoid {s:.1e}; ReLU {r:.2g}, batch norm "
            "{b:.2g}, residual {res:.2g}, i.e. {rl:,.0f}, {bl:,.0f} and {resl:,.0f} times larger than the sigmoid's. "
            "Late training loss: sigmoid {sl:.3f} (ln 2 = 0.693 is guessing), ReLU {rll:.3f}, batch norm {bll:.3f}, "
            "residual {resll:.3f}; test accuracy {sa:.0%}, {ra:.0%}, {ba:.0%} and {resa:.0%}.",
            "初始时第一层梯度与最后一层梯度之比：Sigmoid 为 {s:.1e}；ReLU 为 {r:.2g}，批归一化为 {b:.2g}，"
            "残差连接为 {res:.2g}，分别是 Sigmoid 的 {rl:,.0f}、{bl:,.0f} 和 {resl:,.0f} 倍。"
            "训练末期的训练损失：Sigmoid 为 {sl:.3f}（ln 2 = 0.693 相当于瞎猜），ReLU 为 {rll:.3f}，"
            "批归一化为 {bll:.3f}，残差连接为 {resll:.3f}；"
            "测试准确率依次为 {sa:.0%}、{ra:.0%}、{ba:.0%} 和 {resa:.0%}。",
        ).format(
            s=sigmoid,
            r=ratios["relu"],
            b=ratios["batch_norm"],
            res=ratios["residual"],
            rl=lifts["relu"],
            bl=lifts["batch_norm"],
            resl=lifts["residual"],
            sl=losses["sigmoid"],
            rll=losses["relu"],
            bll=losses["batch_norm"],
            resll=losses["residual"],
            sa=measured["sigmoid"].last["test_acc"],
            ra=measured["relu"].last["test_acc"],
            ba=measured["batch_norm"].last["test_acc"],
            resa=measured["residual"].last["test_acc"],
        ),
    )


LESSON = Lesson(
    id="vanishing-gradients",
    order=2,
    title=Text("Vanishing gradients", "梯度消失"),
    question=Text(
        "A net of 10 sigmoid layers starts training. How large is the gradient at its first layer compared with "
        "its last?",
        "一个 10 层 Sigmoid 网络开始训练。它第一层的梯度和最后一层相比有多大？",
    ),
    predictions=(
        Text(
            "Hundreds of thousands of times smaller: every sigmoid layer shrinks it on its way back",
            "小几十万倍：梯度每往回穿过一个 Sigmoid 层，就被缩小一次",
        ),
        Text(
            "About the same: backpropagation hands every layer an equal share of the output's error",
            "差不多一样：反向传播把输出的误差平均分给每一层",
        ),
        Text(
            "Larger: the error adds up on its way back, so the first layer receives the biggest gradient",
            "更大：误差在往回传的路上一层层不断累加，所以第一层收到的梯度最大",
        ),
    ),
    answer=0,
    base={
        "model": {"hidden": [64] * DEPTH, "activation": "sigmoid", "init": {"name": "xavier_normal"}},
        "optimizer": {"name": "adam", "lr": 0.01},
        "batch_size": 32,
    },
    arms=(
        Arm("sigmoid", Text("Sigmoid (plain)", "Sigmoid（无改动）"), {}),
        Arm(
            "relu",
            Text("ReLU + Kaiming init", "ReLU + Kaiming 初始化"),
            {"model": {"activation": "relu", "init": {"name": "kaiming_normal"}}},
        ),
        Arm("batch_norm", Text("Sigmoid + batch norm", "Sigmoid + 批归一化"), {"model": {"norm": "batch"}}),
        Arm("residual", Text("Sigmoid + residual connections", "Sigmoid + 残差连接"), {"model": {"residual": True}}),
    ),
    steps=300,
    watch="grad-flow",
    explanation=Text(
        "Backpropagation multiplies the gradient by each layer's weights and by the slope of its activation. The "
        "sigmoid's slope is at most 1/4, so ten layers shrink the gradient by orders of magnitude and the first "
        "layers barely learn. ReLU has slope 1 for positive inputs, and with Kaiming init the gradient keeps its "
        "scale. Batch norm rescales every layer's pre-activations, which also rescales the gradient on the way "
        "back. A residual connection adds an identity path, so the gradient reaches early layers without passing "
        "through every sigmoid. Trained for 300 steps (all four with Adam), the plain sigmoid net stays at a loss "
        "of about ln 2 = 0.69, i.e. guessing, while each cure learns the circle.",
        "反向传播时，梯度每经过一层都要乘以该层的权重和激活函数的斜率。Sigmoid 的斜率最大只有 1/4，"
        "十层下来梯度缩小了好几个数量级，前面几层几乎学不到东西。ReLU 对正输入的斜率为 1，配合 Kaiming 初始化，"
        "梯度能保持原有的量级。批归一化会重新缩放每层的预激活值，反向传播时梯度也随之被重新缩放。"
        "残差连接增加了一条恒等路径，梯度不必穿过每一个 Sigmoid 就能到达前面的层。"
        "训练 300 步后（四者都用 Adam），普通 Sigmoid 网络的损失仍停在 ln 2 = 0.69 左右，相当于瞎猜；"
        "而每一种补救办法都学会了圆形数据。",
    ),
    measures={
        "ratio": Text(
            "gradient reaching the first layer over the last, at the start", "初始时到达第一层与最后一层的梯度之比"
        ),
        "lift": Text("that ratio, over the plain sigmoid's", "该比值是普通 Sigmoid 的多少倍"),
        "weight_ratio": Text(
            "first layer's weight gradient over the last's, at the start", "初始时第一层与最后一层的权重梯度之比"
        ),
    },
    verify=verify,
)
