"""Degradation: a deeper plain net trains worse than a shallower one (a higher training loss, so this is not
overfitting), and residual connections let the deep net train again.

Spiral (400 points, noise 0.05), blocks of 32 ReLU units with Kaiming init, Adam lr 0.01, batch 32, 400 steps
(tests/phenomena/test_degradation.py measures 6 against 30 blocks over 1000 steps; this lesson uses 4 against 20
blocks over 400 so that it runs in a few seconds). Training loss = mean over the last 50 steps. Measured, seeds 0-4:

- 4 plain blocks: 0.053 .. 0.132;
- 20 plain blocks: 0.622 .. 0.693, i.e. at or near ln 2 = 0.693, the loss of guessing;
- 20 residual blocks: 0.055 .. 0.152.
Seeds 5-9, for more spread: 4 plain 0.041 .. 0.103, 20 plain 0.519 .. 0.693, 20 residual 0.057 .. 0.147.
Over seeds 0-9: 20 plain minus 4 plain 0.48 .. 0.64; 20 plain minus 20 residual 0.38 .. 0.63; 20 residual minus
4 plain -0.06 .. +0.10. As in the test, residual-20 and plain-4 are level (a strict "residual <= shallow" would be
a coin toss), so the check allows 0.15 of noise there. With 16 blocks the plain net sometimes got going
(0.37 .. 0.69 over seeds 0-9), which is why the deep arm has 20.

Thresholds: 20 plain > 4 plain + 0.35; 20 residual < 20 plain - 0.3; 20 residual < 4 plain + 0.15.
Seconds per lesson on one CPU thread: 3.4 .. 5.1 (3 arms; the 20-block arms take most of it).
"""

from glassnet.lessons.base import Arm, Lesson, Measured, Text, Verdict

SHALLOW, DEEP = 4, 20  # blocks


def verify(measured: dict[str, Measured]) -> Verdict:
    loss = {name: m.late_train_loss() for name, m in measured.items()}
    shallow, deep, residual = loss["shallow"], loss["deep"], loss["deep_residual"]
    passed = deep > shallow + 0.35 and residual < deep - 0.3 and residual < shallow + 0.15
    figures: dict[str, float | None] = {f"{name}_loss": value for name, value in loss.items()}
    return Verdict(
        passed,
        figures,
        Text(
            "Training loss after 400 steps: {s} plain blocks {shallow:.3f}, {d} plain blocks {deep:.3f}, {d} blocks "
            "with residual connections {residual:.3f}.",
            "400 步后的训练损失：{s} 个普通块 {shallow:.3f}，{d} 个普通块 {deep:.3f}，{d} 个带残差连接的块 "
            "{residual:.3f}。",
        ).format(s=SHALLOW, d=DEEP, shallow=shallow, deep=deep, residual=residual),
    )


LESSON = Lesson(
    id="degradation",
    order=6,
    title=Text("Deeper is not always better: degradation", "越深不一定越好：退化问题"),
    question=Text(
        "The same spiral, the same ReLU blocks with Kaiming init, the same Adam: 4 blocks or 20. Which one reaches "
        "the lower training loss?",
        "同样的螺旋数据、同样用 Kaiming 初始化的 ReLU 块、同样的 Adam：4 个块还是 20 个块，哪一个的训练损失更低？",
    ),
    predictions=(
        Text(
            "20 blocks: more layers can represent more, so its training loss ends lower (it may overfit)",
            "20 个块：层数越多表达能力越强，训练损失最终更低（可能会过拟合）",
        ),
        Text(
            "Both end the same: the 16 extra blocks can simply learn to pass their input on unchanged, at worst",
            "两者最终一样：多出的 16 个块最差也只要学会把输入原封不动地传下去就行了",
        ),
        Text(
            "4 blocks: the plain 20-block net hardly gets off the ground, unless it has residual connections",
            "4 个块：20 个块的普通网络几乎训练不起来，除非加上残差连接",
        ),
    ),
    answer=2,
    base={
        "dataset": {"name": "spiral", "n_samples": 400, "noise": 0.05},
        "model": {"hidden": [32] * SHALLOW, "activation": "relu", "init": {"name": "kaiming_normal"}},
        "optimizer": {"name": "adam", "lr": 0.01},
        "batch_size": 32,
    },
    arms=(
        Arm("shallow", Text(f"{SHALLOW} plain blocks", f"{SHALLOW} 个普通块"), {}),
        Arm("deep", Text(f"{DEEP} plain blocks", f"{DEEP} 个普通块"), {"model": {"hidden": [32] * DEEP}}),
        Arm(
            "deep_residual",
            Text(f"{DEEP} blocks + residual connections", f"{DEEP} 个块 + 残差连接"),
            {"model": {"hidden": [32] * DEEP, "residual": True}},
        ),
    ),
    steps=400,
    watch="loss-chart",
    explanation=Text(
        "A deeper net can represent everything a shallower one can: its extra layers could simply pass their "
        "input through. But gradient descent does not find that solution: the signal and the gradient have to "
        "cross every layer, and a long stack of plain ReLU layers mixes them up so much that training stalls near "
        "the loss of guessing. Because the training loss itself is worse, this is not overfitting. A residual "
        "connection computes x + f(x) (here f(x) scaled by 1 / sqrt(number of blocks)), so each block starts close "
        "to passing its input through, and the gradient "
        "has a direct path back to the first layers: the deep net trains as well as the shallow one. This is the "
        "observation behind ResNet.",
        "更深的网络能表示较浅网络所能表示的一切：多出的层只要把输入原样传下去就行。但梯度下降找不到这个解："
        "信号和梯度都要穿过每一层，一长串普通 ReLU 层把它们搅得太乱，训练停在接近瞎猜的损失上。"
        "既然连训练损失都更差，这就不是过拟合。残差连接计算 x + f(x)（这里 f(x) 乘以 1 / sqrt(块数)），"
        "每个块一开始就接近于把输入直接传下去，"
        "梯度也有一条直达前面各层的路径：深网络训练得和浅网络一样好。这正是 ResNet 背后的观察。",
    ),
    verify=verify,
)
