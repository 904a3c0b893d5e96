"""A lesson figure's name in words, in English and Chinese: the one place the check's figure keys
(`relu_first_grad`) become what the page shows ("ReLU: first layer's weight gradient at the start").

A key is named by, in this order: the lesson's own `figures` (whole keys), or `<arm>_<measure>` where <arm> is one
of the lesson's arms (named by its label) and <measure> is in the lesson's own `measures` or in MEASURES below. A key
that none of these names is an error: a lesson must name every figure its check reports (tests/phenomena)."""

from typing import TYPE_CHECKING

from glassnet.lessons.base import Text

if TYPE_CHECKING:
    from glassnet.lessons.base import Lesson

# what a figure's suffix means wherever it appears (a lesson may give a suffix its own meaning in `measures`)
MEASURES: dict[str, Text] = {
    "loss": Text("training loss, mean of the last 50 steps", "训练损失（最后 50 步的平均）"),
    "late_train_loss": Text("training loss, mean of the last 50 steps", "训练损失（最后 50 步的平均）"),
    "train_loss": Text("training loss at the last step", "最后一步的训练损失"),
    "test_loss": Text("test loss at the last step", "最后一步的测试损失"),
    "test_acc": Text("test accuracy at the last step", "最后一步的测试准确率"),
    "dead": Text("share of dead hidden units at the end", "训练结束时隐藏层中死亡单元的比例"),
    "min_grad": Text("smallest layer gradient at the end", "训练结束时最小的层梯度"),
    "max_grad": Text("largest layer gradient at the end", "训练结束时最大的层梯度"),
    "gap": Text("test loss minus training loss", "测试损失减去训练损失"),
    "parameters": Text("number of parameters", "参数个数"),
    "epochs": Text("passes over the training set", "遍历训练集的轮数"),
    "gradient_noise": Text(
        "gradient noise at the start (error relative to the full-data gradient)",
        "初始时的梯度噪声（相对于全部数据梯度的误差）",
    ),
    "condition": Text("condition number of the loss surface", "损失曲面的条件数"),
    "weight_norm": Text("mean weight norm of the hidden layers at the end", "训练结束时隐藏层权重范数的平均值"),
}


def named(who: Text, what: Text) -> Text:
    """`who: what` in both languages, as figure_label composes an arm's label and a measure."""
    return Text(f"{who.en}: {what.en}", f"{who.zh}：{what.zh}")


def figure_label(lesson: "Lesson", key: str) -> Text:
    """`key`'s name in words; KeyError when neither the lesson nor MEASURES names it."""
    if key in lesson.figures:
        return lesson.figures[key]
    for arm in sorted(lesson.arms, key=lambda a: len(a.name), reverse=True):
        if not key.startswith(f"{arm.name}_"):
            continue
        suffix = key[len(arm.name) + 1 :]
        measure = lesson.measures.get(suffix) or MEASURES.get(suffix)
        if measure is not None:
            return named(arm.label, measure)
    raise KeyError(f"lesson {lesson.id}: the figure {key!r} has no name; add it to the lesson's figures or measures")


def figure_labels(lesson: "Lesson", keys: list[str]) -> dict[str, dict[str, str]]:
    return {key: figure_label(lesson, key).to_json() for key in keys}
