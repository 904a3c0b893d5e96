"""Batch norm vs layer norm with tiny batches: batch norm normalizes each unit over the batch, so with 2 examples
per batch its statistics are those of 2 points (every unit becomes about +1 / -1), the net learns next to nothing,
and the running statistics it uses at evaluation differ from the batch ones it trained with. Layer norm normalizes
each example over its own units and does not care about the batch size.

A 2-16-16-16-1 ReLU net (Kaiming init, normalization before the activation) on the circle, Adam lr 0.01, 300 steps.
Measured on seeds 0-4:
- test accuracy: batch norm, batch 32: 0.965 .. 0.985 (threshold: above 0.9); batch norm, batch 2: 0.40 .. 0.55,
  test loss 0.66 .. 0.78, about ln 2 (thresholds: accuracy below 0.8, loss above 0.5); layer norm, batch 2:
  0.875 .. 0.965 (threshold: above 0.8).
- |variance of the last training batch - running variance| / running variance, averaged over the 3 batch-norm
  layers: batch 32: 0.02 .. 0.094 (threshold: below 0.25); batch 2: 0.30 .. 0.62, 3.1 .. 23 times the batch-32
  figure (threshold: above 2 times).
Each seed took 1.2 s here (three arms; 2.4 .. 3 s while other jobs shared the CPU).
"""

from glassnet.lessons.base import Arm, Lesson, Measured, Text, Verdict

THRESHOLDS = {
    "bn32_acc": 0.9,
    "bn2_acc": 0.8,
    "bn2_loss": 0.5,
    "ln2_acc": 0.8,
    "bn32_mismatch": 0.25,
    "mismatch_ratio": 2.0,
}


def _mismatch(m: Measured) -> float | None:
    """Mean over the batch-norm layers of |batch variance - running variance| / running variance: how far the
    statistics of the last training batch are from those used at evaluation."""
    batch, running = m.last.get("bn_batch_var") or [], m.last.get("bn_running_var") or []
    pairs = [(b, r) for b, r in zip(batch, running, strict=False) if b is not None and r is not None and r > 0]
    if not pairs:
        return None
    return sum(abs(b - r) / r for b, r in pairs) / len(pairs)


def verify(measured: dict[str, Measured]) -> Verdict:
    acc = {name: measured[name].last["test_acc"] or 0.0 for name in ("bn32", "bn2", "ln2")}
    loss = {name: measured[name].last["test_loss"] or float("inf") for name in ("bn32", "bn2", "ln2")}
    mismatch32, mismatch2 = _mismatch(measured["bn32"]), _mismatch(measured["bn2"])
    passed = (
        acc["bn32"] > THRESHOLDS["bn32_acc"]
        and acc["bn2"] < THRESHOLDS["bn2_acc"]
        and loss["bn2"] > THRESHOLDS["bn2_loss"]
        and acc["ln2"] > THRESHOLDS["ln2_acc"]
        and mismatch32 is not None
        and mismatch2 is not None
        and mismatch32 < THRESHOLDS["bn32_mismatch"]
        and mismatch2 > THRESHOLDS["mismatch_ratio"] * mismatch32
    )
    figures = {
        "bn32_test_acc": acc["bn32"],
        "bn2_test_acc": acc["bn2"],
        "ln2_test_acc": acc["ln2"],
        "bn32_test_loss": loss["bn32"],
        "bn2_test_loss": loss["bn2"],
        "ln2_test_loss": loss["ln2"],
        "bn32_var_mismatch": mismatch32,
        "bn2_var_mismatch": mismatch2,
    }
    return Verdict(
        passed,
        figures,
        Text(
            "Test accuracy: batch norm with batches of 32 {a32:.0%}, with batches of 2 {a2:.0%}; layer norm with "
            "batches of 2 {l2:.0%}. The last batch's variance differs from batch norm's running variance by "
            "{m32:.0%} with batches of 32 and by {m2:.0%} with batches of 2.",
            "测试准确率：批大小 32 的批归一化 {a32:.0%}，批大小 2 的批归一化 {a2:.0%}；批大小 2 的层归一化 {l2:.0%}。"
            "最后一个批次的方差与批归一化的滑动方差相差：批大小 32 时 {m32:.0%}，批大小 2 时 {m2:.0%}。",
        ).format(
            a32=acc["bn32"],
            a2=acc["bn2"],
            l2=acc["ln2"],
            m32=mismatch32 if mismatch32 is not None else float("nan"),
            m2=mismatch2 if mismatch2 is not None else float("nan"),
        ),
    )


LESSON = Lesson(
    id="normalization",
    order=7,
    title=Text("Batch norm vs layer norm", "批归一化与层归一化"),
    question=Text(
        "The same net is trained with batch norm on batches of 32, with batch norm on batches of 2, and with "
        "layer norm on batches of 2. Which ones learn the circle?",
        "同一个网络分别这样训练：批归一化、批大小 32；批归一化、批大小 2；层归一化、批大小 2。哪些能学会圆形数据集？",
    ),
    predictions=(
        Text(
            "All three: normalization rescales every layer in the same way, whatever the batch size",
            "三个都能：无论批大小如何，归一化都以同样的方式缩放每一层",
        ),
        Text(
            "Batch norm on 32 and layer norm; batch norm on 2 fails, as 2 examples give noisy statistics",
            "批大小 32 的批归一化和层归一化；批大小 2 的批归一化失败，2 个样本的统计量噪声太大",
        ),
        Text(
            "Only the batches of 2: smaller batches add more noise, and that noise always helps a net generalize",
            "只有批大小 2 的能：批越小噪声越多，而噪声总能帮助网络泛化",
        ),
    ),
    answer=1,
    base={
        "dataset": {"name": "circle", "n_samples": 400, "noise": 0.1},
        "model": {"hidden": [16, 16, 16], "activation": "relu", "init": {"name": "kaiming_normal"}},
        "optimizer": {"name": "adam", "lr": 0.01},
    },
    arms=(
        Arm(
            "bn32",
            Text("Batch norm, batch 32", "批归一化，批大小 32"),
            {"model": {"norm": "batch"}, "batch_size": 32},
        ),
        Arm(
            "bn2",
            Text("Batch norm, batch 2", "批归一化，批大小 2"),
            {"model": {"norm": "batch"}, "batch_size": 2},
        ),
        Arm(
            "ln2",
            Text("Layer norm, batch 2", "层归一化，批大小 2"),
            {"model": {"norm": "layer"}, "batch_size": 2},
        ),
    ),
    steps=300,
    watch="activation-bands",
    explanation=Text(
        "Batch norm subtracts each unit's mean over the batch and divides by its standard deviation. With 2 "
        "examples the normalized values are essentially +1 and -1 whatever the inputs were, so most of the "
        "information about the example is thrown away, and the statistics jump from batch to batch. At "
        "evaluation batch norm uses running averages of those statistics instead, which match no single "
        "training batch. Layer norm normalizes each example over its own units: it computes the same thing in "
        "training and at test time, for any batch size, which is why transformers and RNNs use it.",
        "批归一化把每个单元减去它在批内的均值，再除以标准差。批里只有 2 个样本时，无论输入是什么，归一化后的值基本都是 "
        "+1 和 -1，样本的大部分信息被丢掉了，而且统计量在批与批之间剧烈跳动。评估时批归一化改用这些统计量的滑动平均，"
        "它与任何一个训练批次都对不上。层归一化对每个样本在它自身的各个单元上做归一化：训练和测试时计算完全相同，"
        "与批大小无关，这也是 Transformer 和 RNN 使用它的原因。",
    ),
    measures={
        "var_mismatch": Text(
            "last batch's variance against the running variance used at test time (relative gap)",
            "最后一个批次的方差与测试时所用滑动方差的相对差距",
        ),
    },
    verify=verify,
)
