"""MSE on a sigmoid output learns slowly when confidently wrong: its gradient carries the sigmoid's slope
p (1 - p), which vanishes exactly where the error is largest; cross-entropy's gradient is p - y.

Logistic regression (no hidden layer) on the two Gaussians, the output bias starting at -10 (p(class 1) ~ 4.5e-5
everywhere: half the points are confidently wrong), SGD lr 0.1. Measured on seeds 0-4 (cf.
tests/phenomena/test_loss_saturation.py):
- the output layer's weight-gradient norm at step 1: MSE 1.7e-5 .. 4.0e-5, cross-entropy 0.22 .. 0.41, ratio
  5.0e-5 .. 1.1e-4 (threshold: below 1e-2).
- test accuracy after 200 steps: MSE 0.48 .. 0.545, still one class everywhere (threshold: below 0.65);
  cross-entropy 0.84 .. 0.915 (threshold: above 0.8).
"""

from glassnet.lessons.base import Arm, Lesson, Measured, Text, Verdict


def _grad(m: Measured) -> float:
    return m.first["grad_norm"][-1] or 0.0


def verify(measured: dict[str, Measured]) -> Verdict:
    mse, ce = measured["mse"], measured["bce"]
    mse_grad, ce_grad = _grad(mse), _grad(ce)
    ratio = mse_grad / ce_grad if ce_grad > 0 else float("inf")
    mse_acc, ce_acc = mse.last["test_acc"] or 0.0, ce.last["test_acc"] or 0.0
    passed = ratio < 1e-2 and mse_acc < 0.65 and ce_acc > 0.8
    figures = {
        "mse_first_grad": mse_grad,
        "ce_first_grad": ce_grad,
        "grad_ratio": ratio,
        "mse_test_acc": mse_acc,
        "ce_test_acc": ce_acc,
    }
    return Verdict(
        passed,
        figures,
        Text(
            "At the first step the output gradient is {mg:.2g} with MSE and {cg:.2g} with cross-entropy ({r:.1g} "
            "times as large). After training, test accuracy is {ma:.0%} with MSE and {ca:.0%} with cross-entropy.",
            "第一步时，输出层梯度在 MSE 下为 {mg:.2g}，在交叉熵下为 {cg:.2g}（只有后者的 {r:.1g} 倍）。"
            "训练结束后，测试准确率：MSE {ma:.0%}，交叉熵 {ca:.0%}。",
        ).format(mg=mse_grad, cg=ce_grad, r=ratio, ma=mse_acc, ca=ce_acc),
    )


LESSON = Lesson(
    id="mse-vs-cross-entropy",
    order=11,
    title=Text("MSE vs cross-entropy on a sigmoid", "Sigmoid 输出上的 MSE 与交叉熵"),
    question=Text(
        "A logistic classifier starts confidently wrong: its output bias is -10, so it gives p(class 1) ≈ 0 to "
        "every point, half of which are class 1. Which loss gets it out of there: mean squared error on the "
        "sigmoid output, or cross-entropy?",
        "一个逻辑回归分类器一开始就“自信地犯错”：输出偏置为 -10，它对每个点都给出 p(类别 1) ≈ 0，而其中一半的点属于"
        "类别 1。哪种损失能让它走出困境：对 sigmoid 输出计算的均方误差（MSE），还是交叉熵？",
    ),
    predictions=(
        Text(
            "MSE: the error is as large as it can be, so its gradient is large too",
            "MSE：误差已经大到极限，所以它的梯度也很大",
        ),
        Text(
            "Cross-entropy: MSE's gradient is multiplied by the sigmoid's slope p(1 - p), which is almost 0 when "
            "the output is confidently wrong, so MSE barely moves",
            "交叉熵：MSE 的梯度要乘以 sigmoid 的斜率 p(1 - p)，输出自信地犯错时这个斜率几乎为 0，所以 MSE 几乎不动",
        ),
        Text("Both learn at the same speed: the loss does not matter", "两者学得一样快：损失函数无关紧要"),
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
        Arm("bce", Text("Cross-entropy", "交叉熵"), {"loss": "bce"}),
    ),
    steps=200,
    watch="grad-flow",
    explanation=Text(
        "With p = sigmoid(z), MSE's gradient with respect to the logit is 2 (p - y) p (1 - p): when p ≈ 0 and "
        "y = 1 the error is large but p (1 - p) ≈ 4.5e-5, so the gradient almost vanishes and the model stays "
        "stuck. Cross-entropy's -log p has gradient p - y with respect to the logit: the log cancels the "
        "sigmoid's flat tail, so the more wrong the output, the larger the step. That is why classifiers are "
        "trained with cross-entropy.",
        "设 p = sigmoid(z)，MSE 对 logit 的梯度是 2 (p - y) p (1 - p)：当 p ≈ 0 而 y = 1 时，误差很大，但 "
        "p (1 - p) ≈ 4.5e-5，梯度几乎消失，模型被卡住。交叉熵 -log p 对 logit 的梯度是 p - y：对数抵消了 sigmoid "
        "平坦的尾部，输出错得越离谱，更新步子就越大。这就是分类器用交叉熵训练的原因。",
    ),
    verify=verify,
)
