"""Overfitting: a wide net trained long on a few noisy points memorizes them; its training loss goes to 0 while
its test loss climbs far above where it started. L2 weight decay and dropout shrink the gap.

A 2-128-128-1 ReLU net on 50 training points of the circle with noise 0.4, 800 Adam steps at lr 0.01, batch 32
(cf. tests/phenomena/test_regularization.py). The training loss is the mean batch loss of the last 25 steps (in
training mode: with dropout active); the test loss is on the 50 test points in eval mode. Measured on seeds 0-4:
- no regularization: train 0.0011 .. 0.082 (threshold: below 0.2); test at the start 0.73 .. 1.01, at the end
  2.69 .. 6.57, 2.8 .. 6.5 times the start (threshold: above 2 times); gap 2.6 .. 6.6 (threshold: above 1).
- weight decay 0.003: train 0.17 .. 0.30, test 1.03 .. 1.46, gap 0.78 .. 1.29, 0.19 .. 0.33 of the plain gap
  (threshold: below 0.5 of it).
- dropout 0.5: train 0.20 .. 0.37, test 1.18 .. 2.93, gap 0.82 .. 2.73, 0.24 .. 0.61 of the plain gap (threshold:
  below 0.8 of it).
Each seed took 2.4 .. 2.5 s here (three arms; 4 .. 6 s while other jobs shared the 2 cores).
"""

from glassnet.lessons.base import Arm, Lesson, Measured, Text, Verdict

THRESHOLDS = {"plain_train": 0.2, "plain_rise": 2.0, "plain_gap": 1.0, "l2_share": 0.5, "dropout_share": 0.8}


def _losses(m: Measured) -> tuple[float, float]:
    train, test = m.last["train_loss"], m.last["test_loss"]
    return (train if train is not None else float("inf")), (test if test is not None else float("inf"))


def verify(measured: dict[str, Measured]) -> Verdict:
    plain_train, plain_test = _losses(measured["none"])
    plain_first = measured["none"].first["test_loss"] or 0.0
    l2_train, l2_test = _losses(measured["l2"])
    dropout_train, dropout_test = _losses(measured["dropout"])
    plain_gap, l2_gap, dropout_gap = plain_test - plain_train, l2_test - l2_train, dropout_test - dropout_train
    passed = (
        plain_train < THRESHOLDS["plain_train"]
        and plain_test > THRESHOLDS["plain_rise"] * plain_first
        and plain_gap > THRESHOLDS["plain_gap"]
        and l2_gap < THRESHOLDS["l2_share"] * plain_gap
        and dropout_gap < THRESHOLDS["dropout_share"] * plain_gap
    )
    figures = {
        "none_train_loss": plain_train,
        "none_first_test_loss": plain_first,
        "none_test_loss": plain_test,
        "none_gap": plain_gap,
        "l2_train_loss": l2_train,
        "l2_test_loss": l2_test,
        "l2_gap": l2_gap,
        "dropout_train_loss": dropout_train,
        "dropout_test_loss": dropout_test,
        "dropout_gap": dropout_gap,
    }
    return Verdict(
        passed,
        figures,
        Text(
            "Without regularization the training loss fell to {pt:.3f} while the test loss rose from {pf:.2f} to "
            "{ps:.2f}: a gap of {pg:.2f}. The gap is {lg:.2f} with weight decay and {dg:.2f} with dropout.",
            "不加正则化时，训练损失降到 {pt:.3f}，而测试损失从 {pf:.2f} 升到 {ps:.2f}：差距为 {pg:.2f}。"
            "加权重衰减后差距为 {lg:.2f}，加 dropout 后为 {dg:.2f}。",
        ).format(pt=plain_train, pf=plain_first, ps=plain_test, pg=plain_gap, lg=l2_gap, dg=dropout_gap),
    )


LESSON = Lesson(
    id="overfitting",
    order=10,
    title=Text("Overfitting and regularization", "过拟合与正则化"),
    question=Text(
        "A net with two layers of 128 units trains for 1000 steps on only 50 noisy points. What happens to the "
        "training loss and the test loss, and what do weight decay (L2) and dropout change?",
        "一个有两层、每层 128 个单元的网络，只用 50 个带噪声的点训练 1000 步。训练损失和测试损失会怎样变化？"
        "权重衰减（L2）和 dropout 又会带来什么改变？",
    ),
    predictions=(
        Text(
            "Both losses keep falling: more training always helps",
            "两个损失都持续下降：训练得越多越好",
        ),
        Text(
            "The training loss goes to almost 0 while the test loss rises: the net memorizes the noise. Weight "
            "decay and dropout shrink the gap between them",
            "训练损失几乎降到 0，而测试损失上升：网络记住了噪声。权重衰减和 dropout 会缩小两者之间的差距",
        ),
        Text(
            "The net is too big to train: both losses stay high",
            "网络太大无法训练：两个损失都居高不下",
        ),
    ),
    answer=1,
    base={
        "dataset": {"name": "circle", "n_samples": 100, "noise": 0.4, "train_fraction": 0.5},
        "model": {"hidden": [128, 128], "activation": "relu", "init": {"name": "kaiming_normal"}},
        "optimizer": {"name": "adam", "lr": 0.01},
        "batch_size": 32,
    },
    arms=(
        Arm("none", Text("No regularization", "无正则化"), {}),
        Arm("l2", Text("Weight decay (L2) 0.003", "权重衰减（L2）0.003"), {"optimizer": {"weight_decay": 0.003}}),
        Arm("dropout", Text("Dropout 0.5", "Dropout 0.5"), {"model": {"dropout": 0.5}}),
    ),
    steps=800,
    watch="loss-chart",
    explanation=Text(
        "With far more parameters than points, the net can bend its boundary around every noisy training point. "
        "Doing so drives the training loss to 0 and makes it confidently wrong on new points, so the test loss "
        "(cross-entropy punishes confident mistakes) climbs. Weight decay pulls every weight towards 0 and so "
        "favours smooth boundaries; dropout trains random halves of the net, so no unit can rely on others to "
        "memorize a point. Early stopping, input noise and label smoothing work against memorizing too.",
        "参数远多于数据点时，网络可以把决策边界弯到每个带噪声的训练点周围。这样训练损失降到 0，但网络在新点上会"
        "“自信地犯错”，于是测试损失（交叉熵会重罚自信的错误）不断攀升。权重衰减把每个权重拉向 0，偏好平滑的边界；"
        "dropout 每次只训练随机的一半网络，任何单元都无法依赖其他单元来记住某个点。提前停止、输入噪声和标签平滑"
        "同样能抑制死记硬背。",
    ),
    verify=verify,
)
