"""Dying ReLU, and leaky ReLU / ELU as the fix."""

from glassnet.lessons.base import Arm, Lesson, Measured, Text, Verdict

HIDDEN = 3  # hidden layers


def _dead(m: Measured) -> float:
    return sum(m.last["dead_fraction"][:HIDDEN]) / HIDDEN


def _grads(m: Measured) -> list[float]:
    return [g or 0.0 for g in m.last["grad_norm"]]


def verify(measured: dict[str, Measured]) -> Verdict:
    # ELU's outputs are never exactly 0, so the probe counts no dead units for it: every arm is also judged by
    # whether any gradient still reaches its layers
    relu, leaky = _dead(measured["relu"]), _dead(measured["leaky_relu"])
    grads = {name: _grads(measured[name]) for name in ("relu", "leaky_relu", "elu")}
    passed = (
        relu > 0.5
        and max(grads["relu"]) == 0.0
        and leaky == 0.0
        and min(grads["leaky_relu"]) > 0.0
        and min(grads["elu"]) > 0.0
    )
    figures = {
        "relu_dead": relu,
        "leaky_relu_dead": leaky,
        "relu_max_grad": max(grads["relu"]),
        "leaky_relu_min_grad": min(grads["leaky_relu"]),
        "elu_min_grad": min(grads["elu"]),
    }
    return Verdict(
        passed,
        figures,
        Text(
            "Dead units after training: ReLU {relu:.0%}, leaky ReLU {leaky:.0%}. The largest gradient in the ReLU "
            "net is {rg:.2g}; the smallest layer gradient is {lg:.2g} with leaky ReLU and {eg:.2g} with ELU.",
            "训练后死亡单元比例：ReLU {relu:.0%}，Leaky ReLU {leaky:.0%}。ReLU 网络中最大的梯度是 {rg:.2g}；"
            "Leaky ReLU 网络中最小的层梯度是 {lg:.2g}，ELU 是 {eg:.2g}。",
        ).format(
            relu=relu,
            leaky=leaky,
            rg=figures["relu_max_grad"],
            lg=figures["leaky_relu_min_grad"],
            eg=figures["elu_min_grad"],
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
        Text("All three learn the same way", "三者学习得一样"),
        Text(
            "Most ReLU units output 0 for every input and never recover; leaky ReLU and ELU stay alive",
            "大多数 ReLU 单元对所有输入都输出 0 且再也无法恢复；Leaky ReLU 和 ELU 仍然存活",
        ),
        Text("ReLU learns faster because the negative bias makes it sparse", "ReLU 学得更快，因为负偏置让它更稀疏"),
    ),
    answer=1,
    base={
        "model": {
            "hidden": [32] * HIDDEN,
            "init": {"name": "kaiming_normal", "bias": "constant", "bias_value": -2.0},
        },
        "optimizer": {"name": "sgd", "lr": 0.1},
        "batch_size": 32,
    },
    arms=(
        Arm("relu", Text("ReLU", "ReLU"), {"model": {"activation": "relu"}}),
        Arm("leaky_relu", Text("Leaky ReLU", "Leaky ReLU"), {"model": {"activation": "leaky_relu"}}),
        Arm("elu", Text("ELU", "ELU"), {"model": {"activation": "elu"}}),
    ),
    steps=200,
    watch="pathology",
    explanation=Text(
        "A ReLU unit whose input is negative for every example outputs 0 and has gradient 0, so nothing ever "
        "moves its weights again: it is dead for good. Leaky ReLU and ELU have a small slope below 0, so the "
        "gradient never vanishes completely and the units can come back.",
        "如果一个 ReLU 单元对每个样本的输入都是负的，它输出 0、梯度也为 0，权重再也不会被更新：它永久死亡了。"
        "Leaky ReLU 和 ELU 在 0 以下有一个小斜率，梯度永远不会完全消失，单元还能恢复。",
    ),
    verify=verify,
)
