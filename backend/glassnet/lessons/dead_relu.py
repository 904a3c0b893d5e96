"""Dying ReLU, and leaky ReLU / ELU as the fix.

3 hidden layers of 32 on the circle, every bias starting at -2 (Kaiming-normal weights), Adam lr 0.01, batch 32,
300 steps; leaky ReLU with slope 0.1. Measured on seeds 0-4:

- ReLU: 90 .. 95% of the hidden units dead at the end, no gradient reaches any layer (largest weight gradient
  exactly 0), late training loss (the mean of the last 50 steps) 0.690 .. 0.700, i.e. ln 2 = 0.693, guessing;
  test accuracy 44.5 .. 53.5%.
- leaky ReLU (slope 0.1): no dead units, smallest layer gradient at the end 0.013 .. 0.099, late training loss
  0.024 .. 0.060, test accuracy 96.5 .. 98%.
- ELU: smallest layer gradient 0.014 .. 0.21, late training loss 0.045 .. 0.082, test accuracy 97 .. 99%. (ELU's
  outputs are never exactly 0, so the probe counts no dead units for it.)

Thresholds: ReLU more than 50% dead, its largest gradient 0 and its late loss above 0.6; leaky ReLU 0% dead;
leaky ReLU and ELU every layer's gradient above 0, late loss below 0.2 and test accuracy at least 90%.

The units start dead for every input, so the gradient that reaches them through the negative side is small: with
slope a it is scaled by a at each of the 3 layers. Plain SGD at lr 0.1 (as this lesson used before) left leaky
ReLU at 0.691 and 0.693 and 46.5 and 49% test accuracy, like the dead ReLU, with slope 0.01 or 0.1 alike, and ELU
at 0.695 and 0.417 (seeds 0 and 1, 300 steps; at 200 steps seed 0 ended the same way). Adam scales each weight's
step by its own gradient's size, so a small but nonzero gradient still moves the weights at the learning rate, and
the units come back; a zero gradient stays zero, so the ReLU net stays dead under Adam too. With the default slope
0.01 and Adam, leaky ReLU recovers more slowly (late loss 0.38 and 0.10 on seeds 0 and 1 at 300 steps), hence
slope 0.1 here.
Seconds per lesson on one CPU thread: about 1.
"""

from glassnet.lessons.base import Arm, Lesson, Measured, Text, Verdict
from glassnet.train.judgement import DEAD_SHARE

HIDDEN = 3  # hidden layers
THRESHOLDS = {"relu_dead": DEAD_SHARE, "relu_loss": 0.6, "fixed_loss": 0.2, "fixed_acc": 0.9}
FIXES = ("leaky_relu", "elu")


def _dead(m: Measured) -> float:
    return sum(m.last["dead_fraction"][:HIDDEN]) / HIDDEN


def _grads(m: Measured) -> list[float]:
    return [g or 0.0 for g in m.last["grad_norm"]]


def verify(measured: dict[str, Measured]) -> Verdict:
    # ELU's outputs are never exactly 0, so the probe counts no dead units for it: every arm is also judged by
    # whether any gradient still reaches its layers
    relu, leaky = _dead(measured["relu"]), _dead(measured["leaky_relu"])
    grads = {name: _grads(measured[name]) for name in ("relu", "leaky_relu", "elu")}
    # and by whether it learns: the dead ReLU net stays at guessing (ln 2), the other two learn the circle
    losses = {name: m.late_train_loss() for name, m in measured.items()}
    accs = {name: m.last["test_acc"] or 0.0 for name, m in measured.items()}
    passed = (
        relu > THRESHOLDS["relu_dead"]
        and max(grads["relu"]) == 0.0
        and losses["relu"] > THRESHOLDS["relu_loss"]
        and leaky == 0.0
        and all(min(grads[name]) > 0.0 for name in FIXES)
        and all(losses[name] < THRESHOLDS["fixed_loss"] for name in FIXES)
        and all(accs[name] >= THRESHOLDS["fixed_acc"] for name in FIXES)
    )
    figures = {
        "relu_dead": relu,
        "leaky_relu_dead": leaky,
        "relu_max_grad": max(grads["relu"]),
        "leaky_relu_min_grad": min(grads["leaky_relu"]),
        "elu_min_grad": min(grads["elu"]),
        **{f"{name}_late_train_loss": loss for name, loss in losses.items()},
        **{f"{name}_test_acc": acc for name, acc in accs.items()},
    }
    return Verdict(
        passed,
        figures,
        Text(
            "Dead units after training: ReLU {relu:.0%}, leaky ReLU {leaky:.0%}. The largest gradient in the ReLU "
            "net is {rg:.2g}; the smallest layer gradient is {lg:.2g} with leaky ReLU and {eg:.2g} with ELU. "
            "Late training loss: ReLU {rl:.3f} (ln 2 = 0.693 is guessing), leaky ReLU {ll:.3f}, ELU {el:.3f}; "
            "test accuracy {ra:.0%}, {la:.0%} and {ea:.0%}.",
            "训练后死亡单元比例：ReLU {relu:.0%}，Leaky ReLU {leaky:.0%}。ReLU 网络中最大的梯度是 {rg:.2g}；"
            "Leaky ReLU 网络中最小的层梯度是 {lg:.2g}，ELU 是 {eg:.2g}。"
            "训练末期的训练损失：ReLU 为 {rl:.3f}（ln 2 = 0.693 相当于瞎猜），Leaky ReLU 为 {ll:.3f}，"
            "ELU 为 {el:.3f}；测试准确率依次为 {ra:.0%}、{la:.0%} 和 {ea:.0%}。",
        ).format(
            relu=relu,
            leaky=leaky,
            rg=figures["relu_max_grad"],
            lg=figures["leaky_relu_min_grad"],
            eg=figures["elu_min_grad"],
            rl=losses["relu"],
            ll=losses["leaky_relu"],
            el=losses["elu"],
            ra=accs["relu"],
            la=accs["leaky_relu"],
            ea=accs["elu"],
        ),
    )


LESSON = Lesson(
    id="dead-relu",
    order=3,
    title=Text("Dying ReLU", "ReLU 死亡"),
    question=Text(
        "Every bias starts at -2. What happens to a ReLU network, and to a leaky ReLU or ELU one?",
        "所有偏置都从 -2 开始。ReLU 网络会怎样？Leaky ReLU 或 ELU 网络又会怎样？",
    ),
    predictions=(
        Text(
            "All three learn alike: the first few gradient steps correct a bias of -2 in every network",
            "三者学得一样：在每一个网络里，最初的几步梯度下降很快就会把 -2 的偏置纠正过来",
        ),
        Text(
            "ReLU learns fastest: the negative bias makes its units sparse, and sparse nets train quickly",
            "ReLU 学得最快：负偏置让它的单元变得稀疏，而稀疏的网络训练得快",
        ),
        Text(
            "Most ReLU units output 0 for every input and never recover; leaky ReLU and ELU learn",
            "大多数 ReLU 单元对所有输入都输出 0，再也不恢复；Leaky ReLU 和 ELU 能学会",
        ),
    ),
    answer=2,
    base={
        "model": {
            "hidden": [32] * HIDDEN,
            "init": {"name": "kaiming_normal", "bias": "constant", "bias_value": -2.0},
        },
        "optimizer": {"name": "adam", "lr": 0.01},
        "batch_size": 32,
    },
    arms=(
        Arm("relu", Text("ReLU", "ReLU"), {"model": {"activation": "relu"}}),
        Arm(
            "leaky_relu",
            Text("Leaky ReLU (slope 0.1)", "Leaky ReLU（斜率 0.1）"),
            {"model": {"activation": "leaky_relu", "slope": 0.1}},
        ),
        Arm("elu", Text("ELU", "ELU"), {"model": {"activation": "elu"}}),
    ),
    steps=300,
    watch="pathology",
    explanation=Text(
        "A ReLU unit whose input is negative for every example outputs 0 and has gradient 0, so nothing ever "
        "moves its weights again: it is dead for good, and so the ReLU net stays at guessing. Leaky ReLU and ELU "
        "have a small slope below 0, so the gradient never vanishes completely and the units can come back. That "
        "gradient is small (here 0.1 per layer for leaky ReLU), and plain SGD would creep; Adam scales each "
        "weight's step by its own gradient's size, so even a small gradient moves the weights, and within 300 "
        "steps both nets learn the circle. A gradient of exactly 0 stays 0 under Adam too.",
        "如果一个 ReLU 单元对每个样本的输入都是负的，它输出 0、梯度也为 0，权重再也不会被更新：它永久死亡了，"
        "所以 ReLU 网络一直停留在瞎猜的水平。Leaky ReLU 和 ELU 在 0 以下有一个小斜率，梯度永远不会完全消失，"
        "单元还能恢复。这个梯度很小（这里 Leaky ReLU 每层乘以 0.1），用普通 SGD 会恢复得很慢；"
        "Adam 按每个权重自身梯度的大小来缩放步长，即使梯度很小也能推动权重，300 步内两个网络都学会了圆形数据。"
        "而恰好为 0 的梯度在 Adam 下仍然是 0。",
    ),
    verify=verify,
)
