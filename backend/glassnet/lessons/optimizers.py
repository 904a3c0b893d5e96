"""Optimizers on an ill-conditioned problem: plain SGD's step is capped by the steepest direction and crawls along
the flattest; momentum, Nesterov and Adam get much further in the same number of steps; AdaGrad's accumulated
squared gradients shrink its step until it nearly stops; AdaDelta starts with tiny steps.

The problem (as tests/phenomena/test_optimizers.py): a linear model fitting y = (x1 + x2) / 2 with MSE from x1, x2
and their sines, min-max scaled, no noise: Hessian condition number ~100, optimum loss 0. 200 steps, batch 32.
Test MSE after 200 steps, measured on seeds 0-4:
- SGD lr 0.4 (just below 2 / the largest curvature): 2.3e-5 .. 5.7e-5.
- momentum 0.9, lr 0.1: 3.5e-11 .. 1.0e-9; Nesterov: 7e-12 .. 3.3e-11 (threshold: below 0.01x SGD).
- Adam lr 0.1: 7.8e-11 .. 2.1e-6, 1.5e-6 .. 0.036 of SGD (threshold: below 0.1x SGD).
- AdaGrad lr 0.1: 1.2e-3 .. 2.4e-2, 28 .. 415 times SGD (threshold: above 5x SGD).
- RMSprop lr 0.01: 3.9e-6 .. 4.8e-4; AdaDelta lr 1: 0.14 .. 0.75 (shown, not checked).
"""

from glassnet.lessons.base import Arm, Lesson, Measured, Text, Verdict

NAMES = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam")


def _loss(m: Measured) -> float:
    loss = m.last["test_loss"]
    return loss if loss is not None else float("inf")


def verify(measured: dict[str, Measured]) -> Verdict:
    loss = {name: _loss(measured[name]) for name in NAMES}
    sgd = loss["sgd"]
    passed = (
        0.0 < sgd < float("inf")
        and loss["momentum"] < 0.01 * sgd
        and loss["nesterov"] < 0.01 * sgd
        and loss["adam"] < 0.1 * sgd
        and loss["adagrad"] > 5 * sgd
    )
    figures = {f"{name}_test_loss": value for name, value in loss.items()}
    return Verdict(
        passed,
        figures,
        Text(
            "Test MSE after the same number of steps: SGD {sgd:.1e}, momentum {momentum:.1e}, Nesterov "
            "{nesterov:.1e}, Adam {adam:.1e}, RMSprop {rmsprop:.1e}, AdaGrad {adagrad:.1e}, AdaDelta {adadelta:.1e}.",
            "相同步数后的测试 MSE：SGD {sgd:.1e}，动量 {momentum:.1e}，Nesterov {nesterov:.1e}，Adam {adam:.1e}，"
            "RMSprop {rmsprop:.1e}，AdaGrad {adagrad:.1e}，AdaDelta {adadelta:.1e}。",
        ).format(**loss),
    )


LESSON = Lesson(
    id="optimizers",
    order=8,
    title=Text("Optimizers on a narrow valley", "狭长山谷中的优化器"),
    question=Text(
        "The loss surface is a narrow valley: about 100 times steeper across than along. Plain SGD already uses "
        "the largest learning rate it survives. After 200 steps, which optimizers are closest to the minimum?",
        "损失曲面是一条狭长的山谷：横向比纵向陡约 100 倍。普通 SGD 已经用上了它不发散的最大学习率。"
        "200 步之后，哪些优化器离最小值最近？",
    ),
    predictions=(
        Text(
            "Plain SGD: it follows the true gradient, the others only approximate it",
            "普通 SGD：它沿着真实的梯度走，其他优化器只是近似",
        ),
        Text(
            "Momentum, Nesterov and Adam, by orders of magnitude; AdaGrad ends behind SGD because its step keeps "
            "shrinking",
            "动量、Nesterov 和 Adam，领先好几个数量级；AdaGrad 反而落后于 SGD，因为它的步长不断缩小",
        ),
        Text(
            "They all end at the same loss: the valley has one minimum",
            "它们最终的损失都一样：山谷只有一个最小值",
        ),
    ),
    answer=1,
    base={
        "dataset": {
            "name": "plane",
            "n_samples": 400,
            "noise": 0.0,
            "features": ["x1", "x2", "sin_x1", "sin_x2"],
            "preprocessing": "minmax",
        },
        "model": {"hidden": [], "activation": "linear"},
        "batch_size": 32,
    },
    arms=(
        Arm("sgd", Text("SGD, lr 0.4", "SGD，学习率 0.4"), {"optimizer": {"name": "sgd", "lr": 0.4}}),
        Arm(
            "momentum",
            Text("Momentum 0.9, lr 0.1", "动量 0.9，学习率 0.1"),
            {"optimizer": {"name": "momentum", "lr": 0.1, "momentum": 0.9}},
        ),
        Arm(
            "nesterov",
            Text("Nesterov 0.9, lr 0.1", "Nesterov 0.9，学习率 0.1"),
            {"optimizer": {"name": "nesterov", "lr": 0.1, "momentum": 0.9}},
        ),
        Arm("adagrad", Text("AdaGrad, lr 0.1", "AdaGrad，学习率 0.1"), {"optimizer": {"name": "adagrad", "lr": 0.1}}),
        Arm(
            "rmsprop", Text("RMSprop, lr 0.01", "RMSprop，学习率 0.01"), {"optimizer": {"name": "rmsprop", "lr": 0.01}}
        ),
        Arm("adadelta", Text("AdaDelta, lr 1", "AdaDelta，学习率 1"), {"optimizer": {"name": "adadelta", "lr": 1.0}}),
        Arm("adam", Text("Adam, lr 0.1", "Adam，学习率 0.1"), {"optimizer": {"name": "adam", "lr": 0.1}}),
    ),
    steps=200,
    watch="optimizer-lab",
    explanation=Text(
        "SGD's learning rate must stay below 2 / (largest curvature) or it diverges across the valley, and with "
        "that rate it moves 100 times too slowly along the valley floor. Momentum adds up the consistent "
        "downhill pushes along the floor (an effective step of lr / (1 - 0.9)) while the zig-zag across cancels; "
        "Nesterov looks ahead before it pushes and damps the zig-zag further. Adam and RMSprop divide each "
        "coordinate by a running average of its squared gradient, evening out the curvatures. AdaGrad divides by "
        "the sum of all past squared gradients, which only grows, so its step shrinks until it barely moves. "
        "AdaDelta starts with steps of about sqrt(eps) and takes long to speed up.",
        "SGD 的学习率必须低于 2 / (最大曲率)，否则会在山谷两壁之间发散；而用这样的学习率，它沿谷底前进的速度慢了 "
        "100 倍。动量把沿谷底方向一致的下坡推力累积起来（等效步长为 lr / (1 - 0.9)），横向的来回振荡则相互抵消；"
        "Nesterov 先向前看一步再施力，进一步抑制振荡。Adam 和 RMSprop 把每个坐标除以其梯度平方的滑动平均，"
        "抹平了不同方向的曲率差异。AdaGrad 除以所有历史梯度平方之和，这个和只增不减，于是步长越来越小，"
        "最后几乎停滞。AdaDelta 的初始步长约为 sqrt(eps)，要很久才能加速。",
    ),
    verify=verify,
)
