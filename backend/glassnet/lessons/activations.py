"""Activation functions: ReLU (and its leaky / learned-slope / exponential variants) against tanh, sigmoid and
softplus on a 4-hidden-layer MLP.

Circle, 4 hidden layers of 32, Xavier (normal) init for every arm so only the activation differs, SGD lr 0.1,
batch 32, 300 steps. Training loss = mean over the last 50 steps. Measured, seeds 0-4:

- ReLU 0.067 .. 0.115; leaky ReLU 0.068 .. 0.112; PReLU 0.065 .. 0.105; ELU 0.071 .. 0.147;
- tanh 0.187 .. 0.415;
- sigmoid 0.692 .. 0.696: still at ln 2 = 0.693, the loss of guessing.
- first-layer weight-gradient norm at initialization: ReLU 0.014 .. 0.045, sigmoid 3.2e-5 .. 2.1e-4 (ReLU / sigmoid
  122 .. 450). The sigmoid's slope is at most 1/4 and its outputs are all positive, so each layer shrinks the
  backward signal.
- saturation (share of outputs near the bounds) after training stays low: tanh 0.02 .. 0.05, sigmoid 0.0, so it
  is reported, not checked; here the sigmoid is slow because of its small slope, not because it saturates.

Thresholds: sigmoid above 0.65; ReLU below 0.2; every ReLU variant below 0.3; tanh at least 0.15 below the sigmoid
and ReLU below 0.75 x tanh (measured: tanh 0.28 .. 0.51 below the sigmoid; ReLU / tanh 0.25 .. 0.59); ReLU's
first-layer gradient at least 30 times the sigmoid's.
Softplus, a smooth ReLU, learns nothing with this init in 300 steps, like the sigmoid: loss 0.696 .. 0.702
(threshold: above 0.65). Near 0, where the inputs are, its output is about 0.69 + x / 2: every layer passes on a
large shared positive offset and half the differences between points (seed 0, at init: the last hidden layer's
outputs average 0.76 and vary by 0.008 across points; ReLU's average 0.01 and vary by 0.015). Its first-layer
gradient at initialization, 1.1e-3 .. 5.8e-3, lies between the sigmoid's and ReLU's: 20 .. 37 times the sigmoid's
(threshold: at least 5 times) and 1/3.8 .. 1/13 of ReLU's (threshold: ReLU's at least 2 times).
Seconds per lesson on one CPU thread: 1.6 .. 2.8 (7 arms; the most with the first import).
"""

from glassnet.lessons.base import Arm, Lesson, Measured, Text, Verdict

HIDDEN = 4  # hidden layers
VARIANTS = ("leaky_relu", "prelu", "elu")


def _first_grad(m: Measured) -> float:
    return m.first["grad_norm"][0] or 0.0


def verify(measured: dict[str, Measured]) -> Verdict:
    loss = {name: m.late_train_loss() for name, m in measured.items()}
    relu_grad, sigmoid_grad = _first_grad(measured["relu"]), _first_grad(measured["sigmoid"])
    softplus_grad = _first_grad(measured["softplus"])
    grad_ratio = relu_grad / sigmoid_grad if sigmoid_grad > 0 else float("inf")
    softplus_over_sigmoid = softplus_grad / sigmoid_grad if sigmoid_grad > 0 else float("inf")
    relu_over_softplus = relu_grad / softplus_grad if softplus_grad > 0 else float("inf")
    saturation = {
        name: max(s or 0.0 for s in measured[name].last["saturation"][:HIDDEN]) for name in ("tanh", "sigmoid")
    }
    passed = (
        loss["sigmoid"] > 0.65
        and loss["relu"] < 0.2
        and all(loss[name] < 0.3 for name in VARIANTS)
        and loss["tanh"] < loss["sigmoid"] - 0.15
        and loss["relu"] < 0.75 * loss["tanh"]
        and grad_ratio >= 30
        # softplus: learns as little as the sigmoid; its first-layer gradient lies between the sigmoid's and ReLU's
        and loss["softplus"] > 0.65
        and softplus_over_sigmoid >= 5
        and relu_over_softplus >= 2
    )
    figures: dict[str, float | None] = {f"{name}_loss": value for name, value in loss.items()}
    figures.update(
        {
            "relu_first_grad": relu_grad,
            "sigmoid_first_grad": sigmoid_grad,
            "softplus_first_grad": softplus_grad,
            "relu_over_sigmoid_grad": grad_ratio,
            "softplus_over_sigmoid_grad": softplus_over_sigmoid,
            "relu_over_softplus_grad": relu_over_softplus,
            "tanh_saturation": saturation["tanh"],
            "sigmoid_saturation": saturation["sigmoid"],
        }
    )
    return Verdict(
        passed,
        figures,
        Text(
            "Training loss after 300 steps: ReLU {relu:.3f} (leaky ReLU {leaky:.3f}, PReLU {prelu:.3f}, "
            "ELU {elu:.3f}), tanh {tanh:.3f}, sigmoid {sigmoid:.3f}, softplus {softplus:.3f} (ln 2 = 0.693 is "
            "guessing). At the start the first layer's gradient was {ratio:.0f} times larger with ReLU than with "
            "sigmoid; softplus lay between: {sp_sig:.0f} times the sigmoid's, 1/{relu_sp:.0f} of ReLU's.",
            "300 步后的训练损失：ReLU {relu:.3f}（Leaky ReLU {leaky:.3f}，PReLU {prelu:.3f}，ELU {elu:.3f}），"
            "Tanh {tanh:.3f}，Sigmoid {sigmoid:.3f}，Softplus {softplus:.3f}（ln 2 = 0.693 相当于瞎猜）。"
            "训练开始时，ReLU 网络第一层的梯度是 Sigmoid 网络的 {ratio:.0f} 倍；Softplus 介于两者之间："
            "是 Sigmoid 的 {sp_sig:.0f} 倍，ReLU 的 1/{relu_sp:.0f}。",
        ).format(
            relu=loss["relu"],
            leaky=loss["leaky_relu"],
            prelu=loss["prelu"],
            elu=loss["elu"],
            tanh=loss["tanh"],
            sigmoid=loss["sigmoid"],
            softplus=loss["softplus"],
            ratio=grad_ratio,
            sp_sig=softplus_over_sigmoid,
            relu_sp=relu_over_softplus,
        ),
    )


def _arm(name: str, en: str, zh: str) -> Arm:
    return Arm(name, Text(en, zh), {"model": {"activation": name}})


LESSON = Lesson(
    id="activations",
    order=1,
    title=Text("ReLU, tanh or sigmoid?", "ReLU、Tanh 还是 Sigmoid？"),
    question=Text(
        "The same 4-layer network, the same init, the same optimizer; only the activation differs. Which one has "
        "learned the most after 300 steps?",
        "同样的 4 层网络、同样的初始化、同样的优化器，只有激活函数不同。训练 300 步后，哪一个学到的最多？",
    ),
    predictions=(
        Text(
            "Sigmoid: its smooth S-shaped curve passes back the most useful gradient, so it learns the most",
            "Sigmoid：它平滑的 S 形曲线向后传回的梯度最有用，所以训练后它学到的东西最多",
        ),
        Text(
            "All about the same: the activation changes the shape of the boundary, not how fast it is learned",
            "差不多都一样：激活函数只改变决策边界的形状，不影响学习的速度",
        ),
        Text(
            "ReLU and its leaky, PReLU and ELU variants; tanh lags behind, sigmoid and softplus barely start",
            "ReLU 及其变体 Leaky ReLU、PReLU、ELU；Tanh 落后，Sigmoid 和 Softplus 几乎没起步",
        ),
    ),
    answer=2,
    base={
        "dataset": {"name": "circle"},
        "model": {"hidden": [32] * HIDDEN, "init": {"name": "xavier_normal"}},
        "optimizer": {"name": "sgd", "lr": 0.1},
        "batch_size": 32,
    },
    arms=(
        _arm("relu", "ReLU", "ReLU"),
        _arm("tanh", "Tanh", "Tanh"),
        _arm("sigmoid", "Sigmoid", "Sigmoid"),
        _arm("leaky_relu", "Leaky ReLU", "Leaky ReLU"),
        _arm("prelu", "PReLU (learned slope)", "PReLU（斜率可学习）"),
        _arm("elu", "ELU", "ELU"),
        _arm("softplus", "Softplus (smooth ReLU)", "Softplus（平滑的 ReLU）"),
    ),
    steps=300,
    watch="loss-chart",
    explanation=Text(
        "Backpropagation multiplies the gradient by the activation's slope at every layer. ReLU's slope is 1 for "
        "every positive input, so the gradient passes through undiminished; leaky ReLU, PReLU and ELU keep that and "
        "add a small slope below 0. Tanh's slope is 1 only at 0 and falls towards 0 as it saturates near -1 and +1. "
        "The sigmoid's slope is at most 1/4 and its outputs are all positive (not centred on 0), so the gradient "
        "shrinks at every layer and the first layers hardly move: the loss stays near ln 2, the loss of guessing. "
        "Softplus, log(1 + e^x), is a smooth ReLU, but near 0, where this init puts its inputs, it is far from "
        "ReLU: its output is about 0.69 plus half its input, all positive, like the sigmoid's. Every layer passes "
        "on a large shared offset and only half of the differences between points, so the output is almost the "
        "same for every point and, as with the sigmoid, the first layers hardly move.",
        "反向传播时，梯度在每一层都要乘以激活函数的斜率。ReLU 对所有正输入的斜率都是 1，梯度可以无衰减地通过；"
        "Leaky ReLU、PReLU 和 ELU 保留了这一点，并在 0 以下加了一个小斜率。Tanh 只有在 0 处斜率为 1，"
        "接近 -1 和 +1 饱和时斜率趋于 0。Sigmoid 的斜率最大只有 1/4，而且输出全为正（不以 0 为中心），"
        "梯度每经过一层就缩小一次，前面几层几乎不动：损失停留在 ln 2 附近，也就是瞎猜的水平。"
        "Softplus 即 log(1 + e^x)，是平滑版的 ReLU，但在 0 附近（这种初始化下它的输入正落在这里）它与 ReLU "
        "相差甚远：输出约为 0.69 加上输入的一半，全为正，和 Sigmoid 一样。于是每一层都向下传递一个很大的公共偏移，"
        "而点与点之间的差异只传过去一半，网络对每个点的输出几乎相同；和 Sigmoid 一样，前面几层几乎不动。",
    ),
    measures={
        "first_grad": Text("first layer's weight gradient at the start", "初始时第一层的权重梯度"),
        "saturation": Text(
            "share of saturated outputs at the end (most saturated hidden layer)",
            "训练结束时饱和输出的比例（最饱和的隐藏层）",
        ),
    },
    figures={
        "relu_over_sigmoid_grad": Text(
            "First layer's gradient at the start: ReLU over sigmoid", "初始时第一层梯度之比：ReLU 比 Sigmoid"
        ),
        "softplus_over_sigmoid_grad": Text(
            "First layer's gradient at the start: softplus over sigmoid", "初始时第一层梯度之比：Softplus 比 Sigmoid"
        ),
        "relu_over_softplus_grad": Text(
            "First layer's gradient at the start: ReLU over softplus", "初始时第一层梯度之比：ReLU 比 Softplus"
        ),
    },
    verify=verify,
)
