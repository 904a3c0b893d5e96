"""Weight initialization: zeros never break the symmetry, too small a scale makes the signal and the gradient
vanish, too large a scale saturates tanh, and Xavier (tanh) or Kaiming (ReLU) keep both healthy.

Circle, 10 hidden layers of 64, tanh (the Kaiming arm: ReLU, which that init is made for), SGD lr 0.1, batch 32,
200 steps. "At the start" = the frame of step 1. Training loss = mean over the last 50 steps. Measured, seeds 0-4:

- zeros: unit_diversity of every hidden layer after 200 steps exactly 0.0 (every gradient is 0 too: tanh(0) = 0
  passes nothing forward or back); loss 0.687 .. 0.693 (ln 2: guessing).
- N(0, 0.02^2): act_std of the least spread hidden layer / the first one 9e-8 .. 9e-5 (each layer multiplies the
  signal by about 0.02 x sqrt(64) = 0.16 until float32 noise); first-layer weight gradient 2.4e-10 .. 1.1e-9;
  loss 0.687 .. 0.693.
- N(0, 1): saturation (share of outputs within 3% of +-1), mean of hidden layers 2-10: 0.82 .. 0.84; first-layer
  weight gradient 330 .. 550 (Xavier: 0.02 .. 0.15); loss 0.71 .. 0.77, worse than guessing.
- Xavier: largest / smallest act_std over the hidden layers 1.16 .. 1.42, saturation 0.0; loss 0.20 .. 0.34.
- Kaiming + ReLU: act_std spread 1.32 .. 1.62; loss 0.048 .. 0.10.

Thresholds: zeros diversity == 0.0 exactly; small: std ratio below 1e-3 and first-layer gradient below 1e-6;
large: mean saturation above 0.5; zeros, small and large: loss above 0.6; Xavier and Kaiming: act_std spread below
2, loss below 0.45; Xavier: saturation below 0.01.
Seconds per lesson on one CPU thread: 2.3 .. 3.5 (5 arms).
"""

from glassnet.lessons.base import Arm, Lesson, Measured, Text, Verdict
from glassnet.train.judgement import SATURATED_SHARE

DEPTH = 10  # hidden layers


def _stds(m: Measured) -> list[float]:
    return [s or 0.0 for s in m.first["act_std"][:DEPTH]]


def _spread(m: Measured) -> float:
    """Largest over smallest act_std of the hidden layers at the start (inf when one is 0)."""
    stds = _stds(m)
    return max(stds) / min(stds) if min(stds) > 0 else float("inf")


def verify(measured: dict[str, Measured]) -> Verdict:
    loss = {name: m.late_train_loss() for name, m in measured.items()}
    diversity = max(d or 0.0 for d in measured["zeros"].last["unit_diversity"][:DEPTH])
    small_stds = _stds(measured["small"])
    shrink = min(small_stds) / small_stds[0] if small_stds[0] > 0 else 0.0
    small_grad = measured["small"].first["grad_norm"][0] or 0.0
    large_saturation = sum(s or 0.0 for s in measured["large"].first["saturation"][1:DEPTH]) / (DEPTH - 1)
    xavier_saturation = max(s or 0.0 for s in measured["xavier"].first["saturation"][:DEPTH])
    spread = {name: _spread(measured[name]) for name in ("xavier", "kaiming")}
    passed = (
        diversity == 0.0
        and shrink < 1e-3
        and small_grad < 1e-6
        and large_saturation > SATURATED_SHARE  # saturated, by the rule the insights and Layer health use
        and all(loss[name] > 0.6 for name in ("zeros", "small", "large"))
        and all(spread[name] < 2 and loss[name] < 0.45 for name in ("xavier", "kaiming"))
        and xavier_saturation < 0.01
    )
    figures: dict[str, float | None] = {f"{name}_loss": value for name, value in loss.items()}
    figures.update(
        {
            "zeros_unit_diversity": diversity,
            "small_std_shrink": shrink,
            "small_first_grad": small_grad,
            "large_saturation": large_saturation,
            "xavier_saturation": xavier_saturation,
            "xavier_std_spread": spread["xavier"],
            "kaiming_std_spread": spread["kaiming"],
        }
    )
    return Verdict(
        passed,
        figures,
        Text(
            "Zeros: units of a layer differ by {div:.1f} and the loss stays at {z:.3f}. Too small: the signal shrinks "
            "to {shrink:.0e} of its first-layer size and the first layer's gradient is {sg:.0e}. Too large: {sat:.0%} "
            "of the tanh outputs are saturated and the loss is {l:.3f}. Xavier and Kaiming keep the activation scale "
            "within {xs:.2f}x and {ks:.2f}x across the 10 layers and reach losses of {x:.3f} and {k:.3f}.",
            "全零：同一层的单元之间差异为 {div:.1f}，损失停在 {z:.3f}。过小：信号缩小到第一层的 {shrink:.0e}，"
            "第一层梯度只有 {sg:.0e}。过大：{sat:.0%} 的 Tanh 输出处于饱和，损失为 {l:.3f}。Xavier 和 Kaiming "
            "让 10 层的激活尺度分别保持在 {xs:.2f} 倍和 {ks:.2f} 倍以内，损失降到 {x:.3f} 和 {k:.3f}。",
        ).format(
            div=diversity,
            z=loss["zeros"],
            shrink=shrink,
            sg=small_grad,
            sat=large_saturation,
            l=loss["large"],
            xs=spread["xavier"],
            ks=spread["kaiming"],
            x=loss["xavier"],
            k=loss["kaiming"],
        ),
    )


def _init(name: str, **params: float) -> dict:
    return {"model": {"init": {"name": name, **params}}}


LESSON = Lesson(
    id="initialization",
    order=4,
    title=Text("Weight initialization", "权重初始化"),
    question=Text(
        "A 10-layer tanh network. Its weights start at 0, at a tiny scale (std 0.02), at a large one (std 1), or "
        "with Xavier init. Which ones train?",
        "一个 10 层的 Tanh 网络。权重从 0 开始、从很小的尺度（标准差 0.02）开始、从很大的尺度（标准差 1）开始，"
        "或者用 Xavier 初始化。哪些能训练起来？",
    ),
    predictions=(
        Text(
            "All of them: whatever the starting point, gradient descent soon moves the weights to good values",
            "全部都能：无论权重从哪里开始，梯度下降很快都会把它们带到合适的值",
        ),
        Text(
            "Only Xavier (Kaiming too, with ReLU): zeros stay symmetric, tiny weights fade, large saturate",
            "只有 Xavier（ReLU 配 Kaiming 也行）：全零始终对称，过小的权重让信号消失，过大的饱和",
        ),
        Text(
            "Zeros train best: every unit starts from the same neutral place; large weights come next",
            "全零训练得最好：每个单元都从同样中立的起点出发；其次是大权重",
        ),
    ),
    answer=1,
    base={
        "model": {"hidden": [64] * DEPTH, "activation": "tanh"},
        "optimizer": {"name": "sgd", "lr": 0.1},
        "batch_size": 32,
    },
    arms=(
        Arm("zeros", Text("Zeros", "全零"), _init("zeros")),
        Arm("small", Text("Too small: N(0, 0.02²)", "过小：N(0, 0.02²)"), _init("normal", std=0.02)),
        Arm("large", Text("Too large: N(0, 1)", "过大：N(0, 1)"), _init("normal", std=1.0)),
        Arm("xavier", Text("Xavier", "Xavier"), _init("xavier_normal")),
        Arm(
            "kaiming",
            Text("Kaiming + ReLU", "Kaiming + ReLU"),
            {"model": {"activation": "relu", "init": {"name": "kaiming_normal"}}},
        ),
    ),
    steps=200,
    watch="activation-bands",
    explanation=Text(
        "With every weight at 0, all units of a layer compute the same output and get the same gradient, so they "
        "stay copies of each other forever (with tanh nothing moves at all, since tanh(0) = 0). With random "
        "weights each layer multiplies the signal's spread by roughly std x sqrt(fan-in): at 0.02 x sqrt(64) = 0.16 "
        "it dies out within a few layers and so does the gradient; at 1 x sqrt(64) = 8 tanh is pushed into its "
        "flat ends, where the slope is near 0. Xavier picks the std so the spread stays the same through a tanh "
        "layer (sqrt(2 / (fan-in + fan-out)), between what the forward and the backward pass need); Kaiming does "
        "the same for ReLU, which zeroes half its inputs (sqrt(2 / fan-in)).",
        "如果所有权重都是 0，同一层的所有单元输出相同、梯度也相同，它们永远是彼此的复制品（用 Tanh 时什么都不会动，"
        "因为 tanh(0) = 0）。随机权重下，每一层大约把信号的离散程度乘以 标准差 × sqrt(扇入)：0.02 × sqrt(64) = "
        "0.16 时，信号几层之内就消失了，梯度也一样；1 × sqrt(64) = 8 时，Tanh 被推到两端平坦的区域，斜率接近 0。"
        "Xavier 选择的标准差让信号经过 Tanh 层后离散程度保持不变（sqrt(2 / (扇入 + 扇出))，兼顾前向和反向传播的需要）；"
        "Kaiming 对 ReLU 做了同样的事，因为 ReLU 会把一半的输入置零（sqrt(2 / 扇入)）。",
    ),
    measures={
        "std_spread": Text(
            "largest over smallest hidden layer's activation std, at the start",
            "初始时隐藏层激活标准差的最大值与最小值之比",
        ),
    },
    figures={
        "zeros_unit_diversity": Text(
            "Zeros: largest unit diversity of a hidden layer at the end (0: all units identical)",
            "全零：训练结束时隐藏层最大的单元差异度（0 表示所有单元完全相同）",
        ),
        "small_std_shrink": Text(
            "Too small: smallest hidden layer's activation std over the first's, at the start",
            "过小：初始时最小的隐藏层激活标准差与第一层之比",
        ),
        "small_first_grad": Text(
            "Too small: first layer's weight gradient at the start", "过小：初始时第一层的权重梯度"
        ),
        "large_saturation": Text(
            "Too large: share of saturated outputs at the start (mean of layers 2-10)",
            "过大：初始时饱和输出的比例（第 2-10 层的平均）",
        ),
        "xavier_saturation": Text(
            "Xavier: share of saturated outputs at the start (most saturated layer)",
            "Xavier：初始时饱和输出的比例（最饱和的一层）",
        ),
    },
    verify=verify,
)
