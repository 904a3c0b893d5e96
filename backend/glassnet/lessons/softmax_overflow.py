"""Softmax overflow: exp(1000) is inf in floating point, so a naive softmax of large logits gives nan; subtracting
the largest logit first (what log_softmax, and so the engine's cross-entropy, does) gives the right answer.

Measured on seeds 0-4 (a 64-32-10 linear net on digits whose weights start from N(0, 3^2)): largest |logit| at
initialization 534 .. 946; rows of the training set whose naive softmax is not finite 0.965 .. 1.0 (threshold:
above 0.5); the max-subtracted softmax is finite everywhere and the engine's cross-entropy matches the float64
reference to 1e-3 relative (threshold; measured below 1e-6); the loss of the first batch 252 .. 361, 45 .. 66
after 100 Adam steps, finite throughout. The calm arm (std 0.1, largest |logit| 0.59 .. 1.05): naive and stable
softmax agree to within 1e-7 (threshold: 1e-4).
Each seed took 0.25 s here (two arms; 3.7 s for the first, which pays for the imports).
"""

import math

from glassnet.lessons.base import Arm, Lesson, Measured, Text, Verdict


def _softmax_figures(m: Measured) -> dict[str, float]:
    """Rebuild the arm's network as it was at initialization and compare softmaxes of its logits on the
    training set: the naive exp(z) / sum exp(z) and the max-subtracted one."""
    import torch

    from glassnet.config import ExperimentConfig
    from glassnet.train.loop import Trainer

    trainer = Trainer(ExperimentConfig.model_validate({**m.config, "device": "cpu"}))
    x, y = trainer.data.x_train, trainer.data.y_train
    with torch.no_grad():
        z = trainer.model(x).float()
        e = torch.exp(z)
        naive = e / e.sum(-1, keepdim=True)
        shifted = torch.exp(z - z.max(-1, keepdim=True).values)
        stable = shifted / shifted.sum(-1, keepdim=True)
        reference = torch.nn.functional.cross_entropy(z.double(), y)  # float64 log_softmax
        engine = trainer.objective(z, y)  # float32, what training minimizes
    naive_bad = float((~torch.isfinite(naive).all(-1)).float().mean())
    stable_ok = bool(torch.isfinite(stable).all()) and bool(torch.allclose(stable.sum(-1), torch.ones(len(z))))
    finite = torch.isfinite(naive).all(-1)
    agree = float((naive[finite] - stable[finite]).abs().max()) if bool(finite.any()) else math.inf
    return {
        "max_logit": float(z.abs().max()),
        "naive_bad": naive_bad,
        "stable_ok": float(stable_ok),
        "naive_vs_stable": agree,
        "ce_error": abs(float(engine) - float(reference)) / max(float(reference), 1e-12),
    }


def _two_logits() -> tuple[float, float]:
    """softmax([1000, 999]) naively (nan) and max-subtracted (0.731)."""
    import torch

    z = torch.tensor([1000.0, 999.0])
    naive = torch.exp(z) / torch.exp(z).sum()
    stable = torch.exp(z - z.max()) / torch.exp(z - z.max()).sum()
    return float(naive[0]), float(stable[0])


def verify(measured: dict[str, Measured]) -> Verdict:
    huge, calm = _softmax_figures(measured["huge"]), _softmax_figures(measured["calm"])
    naive_p, stable_p = _two_logits()
    loss_first, loss_last = measured["huge"].first["train_loss"], measured["huge"].last["train_loss"]
    passed = (
        math.isnan(naive_p)
        and abs(stable_p - 1 / (1 + math.exp(-1))) < 1e-6
        and huge["naive_bad"] > 0.5
        and huge["stable_ok"] == 1.0
        and huge["ce_error"] < 1e-3
        and loss_first is not None
        and loss_last is not None
        and measured["huge"].last["first_bad_step"] is None
        and calm["naive_bad"] == 0.0
        and calm["naive_vs_stable"] < 1e-4
    )
    figures = {
        "naive_p_1000_999": None if math.isnan(naive_p) else naive_p,
        "stable_p_1000_999": stable_p,
        "huge_max_logit": huge["max_logit"],
        "huge_naive_nonfinite": huge["naive_bad"],
        "huge_ce_relative_error": huge["ce_error"],
        "huge_first_loss": loss_first,
        "huge_last_loss": loss_last,
        "calm_max_logit": calm["max_logit"],
        "calm_naive_nonfinite": calm["naive_bad"],
        "calm_naive_vs_stable": calm["naive_vs_stable"],
    }
    return Verdict(
        passed,
        figures,
        Text(
            "softmax([1000, 999]): naive {naive}, max-subtracted {stable:.3f}. With logits up to {big:.0f}, the "
            "naive softmax is nan or inf for {bad:.0%} of the training examples, yet the engine's cross-entropy "
            "(log_softmax) is finite: {first:.0f} at the start, {last:.3g} at the end. With logits up to "
            "{small:.2f} both softmaxes agree to {agree:.1g}.",
            "softmax([1000, 999])：朴素计算得 {naive}，减去最大值后得 {stable:.3f}。当 logit 最大达到 {big:.0f} 时，"
            "朴素 softmax 在 {bad:.0%} 的训练样本上得到 nan 或 inf，而引擎的交叉熵（log_softmax）始终有限："
            "开始时为 {first:.0f}，结束时为 {last:.3g}。当 logit 最大只有 {small:.2f} 时，两种 softmax 相差不超过 "
            "{agree:.1g}。",
        ).format(
            naive="nan" if math.isnan(naive_p) else f"{naive_p:.3f}",
            stable=stable_p,
            big=huge["max_logit"],
            bad=huge["naive_bad"],
            first=loss_first if loss_first is not None else math.nan,
            last=loss_last if loss_last is not None else math.nan,
            small=calm["max_logit"],
            agree=calm["naive_vs_stable"],
        ),
    )


LESSON = Lesson(
    id="softmax-overflow",
    order=17,
    title=Text("Softmax overflow", "Softmax 溢出"),
    question=Text(
        "The logits are in the hundreds, e.g. [1000, 999]. What does softmax = exp(z) / sum exp(z) give, computed "
        "as written, and what does the cross-entropy the engine trains with give?",
        "logit 达到几百，例如 [1000, 999]。按公式 softmax = exp(z) / Σexp(z) 直接计算会得到什么？"
        "引擎训练所用的交叉熵又会得到什么？",
    ),
    predictions=(
        Text(
            "Both give about [0.73, 0.27]: softmax depends only on the differences between the logits",
            "两者都得到约 [0.73, 0.27]：softmax 只取决于 logit 之间的差",
        ),
        Text(
            "As written: nan (exp(1000) is inf); the engine subtracts the largest logit, gets [0.73, 0.27]",
            "按公式算得 nan（exp(1000) 是 inf）；引擎先减去最大的 logit，得到 [0.73, 0.27]",
        ),
        Text(
            "Both overflow to nan: no network can be trained once its logits are in the hundreds",
            "两者都溢出成 nan：logit 到了几百，任何网络都无法训练",
        ),
    ),
    answer=1,
    base={
        "dataset": {"name": "digits"},
        "model": {"kind": "mlp", "hidden": [32], "activation": "linear"},
        "optimizer": {"name": "adam", "lr": 0.01},
        "batch_size": 32,
    },
    arms=(
        Arm(
            "calm",
            Text("Small weights (std 0.1): logits near 1", "小权重（std 0.1）：logit 约为 1"),
            {"model": {"init": {"name": "normal", "std": 0.1}}},
        ),
        Arm(
            "huge",
            Text("Large weights (std 3): logits in the hundreds", "大权重（std 3）：logit 达到几百"),
            {"model": {"init": {"name": "normal", "std": 3.0}}},
        ),
    ),
    steps=100,
    watch="loss-chart",
    explanation=Text(
        "Softmax does not change when the same number is subtracted from every logit, so the stable version "
        "subtracts the largest one: the largest exponent becomes exp(0) = 1 and nothing can overflow. Computed as "
        "written, exp(z) overflows float32 above z = 88.7 and inf / inf is nan. The engine never forms the "
        "probabilities: its cross-entropy is -log_softmax(z)[y] = -(z_y - max z) + log sum exp(z - max z), which "
        "is finite for any finite logits, so even a network that starts with huge logits gets a finite (if large) "
        "loss and a usable gradient.",
        "softmax 在所有 logit 同时减去同一个数时保持不变，因此稳定的写法先减去最大的 logit：最大的指数项变成 "
        "exp(0) = 1，再也不会溢出。直接按公式计算时，z 超过 88.7 后 exp(z) 就会超出 float32 的范围，而 inf / inf "
        "等于 nan。引擎从不显式计算概率：它的交叉熵是 -log_softmax(z)[y] = -(z_y - max z) + log Σexp(z - max z)，"
        "对任何有限的 logit 都是有限的，所以即使网络一开始的 logit 很大，损失也是有限的（只是很大），梯度依然可用。",
    ),
    measures={
        "max_logit": Text("largest logit at the start", "初始时最大的 logit"),
        "naive_nonfinite": Text(
            "share of examples whose softmax as written is nan or inf", "按公式计算的 softmax 为 nan 或 inf 的样本比例"
        ),
        "ce_relative_error": Text(
            "relative error of the engine's cross-entropy (against float64)", "引擎交叉熵的相对误差（与 float64 相比）"
        ),
        "first_loss": Text("training loss at the first step", "第一步的训练损失"),
        "last_loss": Text("training loss at the last step", "最后一步的训练损失"),
        "naive_vs_stable": Text(
            "largest difference between the softmax as written and the stable one",
            "按公式计算与稳定算法的 softmax 之间的最大差值",
        ),
    },
    figures={
        "naive_p_1000_999": Text(
            "softmax of [1000, 999] as written, first entry", "按公式计算 [1000, 999] 的 softmax，第一项"
        ),
        "stable_p_1000_999": Text(
            "softmax of [1000, 999], largest logit subtracted first, first entry",
            "先减去最大 logit 再算 [1000, 999] 的 softmax，第一项",
        ),
    },
    verify=verify,
)
