"""MSE on a sigmoid or softmax output learns slowly when confidently wrong: its gradient goes through the output's
slope (the sigmoid's p (1 - p), the softmax's Jacobian diag(p) - p p^T), which vanishes exactly where the error is
largest; cross-entropy's gradient with respect to the logits is p - y.

Sigmoid: logistic regression (no hidden layer) on the two Gaussians, the output bias starting at -10 (p(class 1)
~ 4.5e-5 everywhere: half the points are confidently wrong), SGD lr 0.1. Measured on seeds 0-4 (cf.
tests/phenomena/test_loss_saturation.py):
- the output layer's weight-gradient norm at step 1: MSE 1.7e-5 .. 4.0e-5, cross-entropy 0.22 .. 0.41, ratio
  5.0e-5 .. 1.1e-4 (threshold: below 1e-2).
- test accuracy after 200 steps: MSE 0.48 .. 0.545, still one class everywhere (threshold: below 0.65);
  cross-entropy 0.84 .. 0.915 (threshold: above 0.8).

Softmax: softmax regression (no hidden layer) on the 8x8 digits (10 classes, 200 training images), weights drawn
from N(0, 2^2) (logits about ten apart: each image gets p ~ 1 for one class, the wrong one for ~90% of them; the initial
cross-entropy is 7.4 .. 12.3 nats), SGD lr 1.0, 200 steps. Measured on seeds 0-4:
- the output layer's weight-gradient norm at step 1: MSE 0.010 .. 0.029, cross-entropy 1.5 .. 2.3, ratio
  6.2e-3 .. 1.3e-2 (threshold: below 0.05). Part of that gap is MSE's own scale on 10 outputs (from the default
  init, not saturated, the ratio is 1.7e-2 .. 2.4e-2): the near-ties between two classes still give MSE a gradient,
  so the saturation shows best in what it learns.
- test accuracy after 200 steps: MSE 0.10 .. 0.16, chance (threshold: below 0.3); cross-entropy 0.75 .. 0.83
  (threshold: above 0.6). A fifth arm runs the same MSE from the default (unsaturated) init: 0.56 .. 0.685, at
  least 0.25 above the saturated MSE arm (threshold), so it is the saturation that holds MSE back.
All five arms take about 0.5 s a seed; the first run in a process takes ~2.5 s more (the first trainer, and
loading scikit-learn's digits).
"""

from glassnet.lessons.base import Arm, Lesson, Measured, Text, Verdict
from glassnet.lessons.figures import MEASURES, named

BCE_LABEL = Text("Cross-entropy (sigmoid)", "交叉熵（sigmoid）")
MSE_SOFTMAX_LABEL = Text("MSE on the softmax (digits)", "softmax 上的 MSE（手写数字）")
CALM_LABEL = Text("MSE on the softmax, default init (not saturated)", "softmax 上的 MSE，默认初始化（未饱和）")
CE_SOFTMAX_LABEL = Text("Cross-entropy (softmax, digits)", "交叉熵（softmax，手写数字）")

THRESHOLDS = {"sigmoid_ratio": 1e-2, "sigmoid_mse_acc": 0.65, "sigmoid_ce_acc": 0.8}
THRESHOLDS |= {"softmax_ratio": 0.05, "softmax_mse_acc": 0.3, "softmax_ce_acc": 0.6, "calm_gain": 0.25}


def _grad(m: Measured) -> float:
    return m.first["grad_norm"][-1] or 0.0


def _pair(mse: Measured, ce: Measured) -> tuple[float, float, float, float, float]:
    """The output gradients at step 1, their ratio, and the test accuracies after training."""
    mse_grad, ce_grad = _grad(mse), _grad(ce)
    ratio = mse_grad / ce_grad if ce_grad > 0 else float("inf")
    return mse_grad, ce_grad, ratio, mse.last["test_acc"] or 0.0, ce.last["test_acc"] or 0.0


def verify(measured: dict[str, Measured]) -> Verdict:
    mse_grad, ce_grad, ratio, mse_acc, ce_acc = _pair(measured["mse"], measured["bce"])
    sm_mse_grad, sm_ce_grad, sm_ratio, sm_mse_acc, sm_ce_acc = _pair(measured["mse_softmax"], measured["ce_softmax"])
    calm_acc = measured["mse_softmax_calm"].last["test_acc"] or 0.0
    passed = (
        ratio < THRESHOLDS["sigmoid_ratio"]
        and mse_acc < THRESHOLDS["sigmoid_mse_acc"]
        and ce_acc > THRESHOLDS["sigmoid_ce_acc"]
        and sm_ratio < THRESHOLDS["softmax_ratio"]
        and sm_mse_acc < THRESHOLDS["softmax_mse_acc"]
        and sm_ce_acc > THRESHOLDS["softmax_ce_acc"]
        and calm_acc > sm_mse_acc + THRESHOLDS["calm_gain"]  # the saturation, not MSE itself, holds it back
    )
    figures = {
        "mse_first_grad": mse_grad,
        "ce_first_grad": ce_grad,
        "grad_ratio": ratio,
        "mse_test_acc": mse_acc,
        "ce_test_acc": ce_acc,
        "softmax_mse_first_grad": sm_mse_grad,
        "softmax_ce_first_grad": sm_ce_grad,
        "softmax_grad_ratio": sm_ratio,
        "softmax_mse_test_acc": sm_mse_acc,
        "softmax_ce_test_acc": sm_ce_acc,
        "softmax_mse_default_init_test_acc": calm_acc,
    }
    return Verdict(
        passed,
        figures,
        Text(
            "Sigmoid: at the first step the output gradient is {mg:.2g} with MSE and {cg:.2g} with cross-entropy "
            "(MSE's is {r:.1e} of it); after training, test accuracy is {ma:.0%} with MSE and {ca:.0%} with "
            "cross-entropy. Softmax on the digits: {smg:.2g} against {scg:.2g} (MSE's is {sr:.1e} of it); test "
            "accuracy {sma:.0%} with MSE and {sca:.0%} with cross-entropy; MSE from an unsaturated start "
            "reaches {cal:.0%}.",
            "Sigmoid：第一步时，输出层梯度在 MSE 下为 {mg:.2g}，在交叉熵下为 {cg:.2g}（前者只是后者的 {r:.1e}）；"
            "训练结束后，测试准确率：MSE {ma:.0%}，交叉熵 {ca:.0%}。手写数字上的 softmax：梯度 {smg:.2g} 对 "
            "{scg:.2g}（前者只是后者的 {sr:.1e}）；测试准确率：MSE {sma:.0%}，交叉熵 {sca:.0%}；"
            "MSE 从未饱和的初始状态出发则达到 {cal:.0%}。",
        ).format(
            mg=mse_grad,
            cg=ce_grad,
            r=ratio,
            ma=mse_acc,
            ca=ce_acc,
            smg=sm_mse_grad,
            scg=sm_ce_grad,
            sr=sm_ratio,
            sma=sm_mse_acc,
            sca=sm_ce_acc,
            cal=calm_acc,
        ),
    )


# softmax regression on the digits whose large random weights make it sure of one class per image
_SOFTMAX = {
    "dataset": {"name": "digits"},
    "model": {"init": {"name": "normal", "std": 2.0, "bias": "zeros"}},
    "optimizer": {"lr": 1.0},
}

LESSON = Lesson(
    id="mse-vs-cross-entropy",
    order=11,
    title=Text("MSE vs cross-entropy on sigmoid and softmax outputs", "Sigmoid 与 softmax 输出上的 MSE 与交叉熵"),
    question=Text(
        "Two classifiers start confidently wrong. A logistic one has its output bias at -10, so it gives "
        "p(class 1) ≈ 0 to every point, half of which are class 1. A softmax one on the 8x8 digits has large "
        "random weights, so it is almost sure of one class for each image, and that class is wrong for about 90% "
        "of them. Which loss gets them out of there: mean squared error on the sigmoid or softmax output, or "
        "cross-entropy?",
        "两个分类器一开始就“自信地犯错”。一个是逻辑回归：输出偏置为 -10，它对每个点都给出 p(类别 1) ≈ 0，而其中一半的"
        "点属于类别 1。另一个是 8x8 手写数字上的 softmax 分类器：初始权重很大，它对每张图片几乎都确信是某一类，而约 "
        "90% 的图片被判错。哪种损失能让它们走出困境：对 sigmoid 或 softmax 输出计算的均方误差（MSE），还是交叉熵？",
    ),
    predictions=(
        Text(
            "MSE: the error is as large as it can be, so its gradient is at its largest too, and it escapes",
            "MSE：误差已经大到极限，所以梯度也最大，它最先走出困境",
        ),
        Text(
            "Cross-entropy: MSE's gradient is scaled by the output's slope, near 0 when confidently wrong",
            "交叉熵：MSE 的梯度要乘以输出的斜率，而自信地犯错时斜率几乎为 0",
        ),
        Text(
            "Both escape equally fast: any loss that is high on wrong answers gives them a strong push",
            "两者一样快：只要一个损失在错误答案上很高，它们就都能得到强大的推力",
        ),
    ),
    answer=1,
    base={
        "dataset": {"name": "gauss"},
        "model": {
            "hidden": [],
            "activation": "linear",
            "init": {"name": "default", "bias": "constant", "bias_value": -10.0},
        },
        "optimizer": {"name": "sgd", "lr": 0.1},
        "batch_size": 32,
    },
    arms=(
        Arm("mse", Text("MSE on the sigmoid", "sigmoid 上的 MSE"), {"loss": "mse"}),
        Arm("bce", BCE_LABEL, {"loss": "bce"}),
        Arm(
            "mse_softmax",
            MSE_SOFTMAX_LABEL,
            {**_SOFTMAX, "loss": "mse"},
        ),
        Arm(
            "mse_softmax_calm",
            CALM_LABEL,
            {**_SOFTMAX, "model": {"init": {"name": "default", "bias": "zeros"}}, "loss": "mse"},
        ),
        Arm(
            "ce_softmax",
            CE_SOFTMAX_LABEL,
            {**_SOFTMAX, "loss": "ce"},
        ),
    ),
    steps=200,
    watch="grad-flow",
    explanation=Text(
        "With p = sigmoid(z), MSE's gradient with respect to the logit is 2 (p - y) p (1 - p): when p ≈ 0 and "
        "y = 1 the error is large but p (1 - p) ≈ 4.5e-5, so the gradient almost vanishes and the model stays "
        "stuck. A softmax does the same: MSE's gradient goes through its Jacobian diag(p) - p pᵀ, which is almost "
        "0 when p is nearly one-hot, so the confidently wrong images give no gradient and only the few near-ties "
        "between two classes move the weights; MSE stays at chance. Cross-entropy's -log p has gradient p - y with "
        "respect to the logits: the log cancels the flat tail, so the more wrong the output, the larger the step. "
        "That is why classifiers are trained with cross-entropy.",
        "设 p = sigmoid(z)，MSE 对 logit 的梯度是 2 (p - y) p (1 - p)：当 p ≈ 0 而 y = 1 时，误差很大，但 "
        "p (1 - p) ≈ 4.5e-5，梯度几乎消失，模型被卡住。softmax 也一样：MSE 的梯度要经过它的雅可比矩阵 "
        "diag(p) - p pᵀ，当 p 几乎是独热向量时它几乎为 0，所以被自信地判错的图片不产生梯度，只有少数两类几乎持平的"
        "图片在推动权重；MSE 停留在随机猜测的水平。交叉熵 -log p 对 logit 的梯度是 p - y：对数抵消了平坦的尾部，"
        "输出错得越离谱，更新步子就越大。这就是分类器用交叉熵训练的原因。",
    ),
    measures={
        "first_grad": Text("output layer's weight gradient at the start", "初始时输出层的权重梯度"),
    },
    figures={
        "ce_first_grad": named(
            BCE_LABEL, Text("output layer's weight gradient at the start", "初始时输出层的权重梯度")
        ),
        "ce_test_acc": named(BCE_LABEL, MEASURES["test_acc"]),
        "grad_ratio": Text(
            "Sigmoid: MSE's output gradient over cross-entropy's, at the start",
            "Sigmoid：初始时 MSE 与交叉熵的输出梯度之比",
        ),
        "softmax_mse_first_grad": named(
            MSE_SOFTMAX_LABEL, Text("output layer's weight gradient at the start", "初始时输出层的权重梯度")
        ),
        "softmax_ce_first_grad": named(
            CE_SOFTMAX_LABEL, Text("output layer's weight gradient at the start", "初始时输出层的权重梯度")
        ),
        "softmax_grad_ratio": Text(
            "Softmax: MSE's output gradient over cross-entropy's, at the start",
            "Softmax：初始时 MSE 与交叉熵的输出梯度之比",
        ),
        "softmax_mse_test_acc": named(MSE_SOFTMAX_LABEL, MEASURES["test_acc"]),
        "softmax_ce_test_acc": named(CE_SOFTMAX_LABEL, MEASURES["test_acc"]),
        "softmax_mse_default_init_test_acc": named(CALM_LABEL, MEASURES["test_acc"]),
    },
    verify=verify,
)
