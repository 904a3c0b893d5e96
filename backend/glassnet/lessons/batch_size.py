"""Batch size: a mini-batch gradient is an estimate of the full-batch gradient whose error shrinks like
1 / sqrt(batch size). With the same number of steps and learning rate, bigger batches take steadier steps and get
further, but each step reads more examples: batch 128 reads 64 times as many as batch 2.

A 2-16-16-1 tanh net on the circle (200 training points), plain SGD lr 0.3, 400 steps. Measured on seeds 0-4:
- ||g_batch - g_full|| / ||g_full|| at initialization, mean of 32 draws: batch 2: 8.2 .. 17.7; batch 16: 2.5 .. 6.6;
  batch 128: 0.62 .. 1.47; batch 2 / batch 128: 12.1 .. 15.2 (threshold: decreasing, and batch 2 above 3x batch 128);
  sqrt(64) = 8 times a finite-population factor sqrt((200 - 1) / (200 - 128)) = 1.66 (a batch of 128 is most of
  the 200 training points) predicts 13.3.
- test loss after 400 steps: batch 2: 0.59 .. 0.69 (4 epochs); batch 16: 0.15 .. 0.43 (32 epochs); batch 128:
  0.11 .. 0.27 (256 epochs), 0.18 .. 0.47 of batch 2's (threshold: below 0.7 of it).
Each seed took 0.76 s here (three arms).
"""

from glassnet.lessons.base import Arm, Lesson, Measured, Text, Verdict

SIZES = (2, 16, 128)
DRAWS = 32  # mini-batches drawn to measure the gradient noise
THRESHOLDS = {"noise_ratio": 3.0, "loss_share": 0.7}


def _gradient_noise(m: Measured) -> float:
    """Mean over DRAWS random mini-batches of ||g_batch - g_full|| / ||g_full||, at initialization (the arm's own
    network and training set), for the arm's batch size."""
    import torch

    from glassnet.config import ExperimentConfig
    from glassnet.train.loop import Trainer

    trainer = Trainer(ExperimentConfig.model_validate({**m.config, "device": "cpu"}))
    model, objective = trainer.model, trainer.objective
    x, y = trainer.data.x_train, trainer.data.y_train
    params = [p for p in model.parameters() if p.requires_grad]

    def gradient(index: torch.Tensor) -> torch.Tensor:
        grads = torch.autograd.grad(objective(model(x[index]), y[index]), params)
        return torch.cat([g.reshape(-1) for g in grads])

    full = gradient(torch.arange(len(x)))
    generator = torch.Generator().manual_seed(m.config["seed"])
    size = min(m.config["batch_size"], len(x))
    errors = [float((gradient(torch.randperm(len(x), generator=generator)[:size]) - full).norm()) for _ in range(DRAWS)]
    return sum(errors) / len(errors) / float(full.norm())


def _loss(m: Measured) -> float:
    loss = m.last["test_loss"]
    return loss if loss is not None else float("inf")


def verify(measured: dict[str, Measured]) -> Verdict:
    noise = {b: _gradient_noise(measured[f"batch_{b}"]) for b in SIZES}
    loss = {b: _loss(measured[f"batch_{b}"]) for b in SIZES}
    small, large = SIZES[0], SIZES[-1]
    passed = (
        noise[small] > noise[SIZES[1]] > noise[large]
        and noise[small] > THRESHOLDS["noise_ratio"] * noise[large]
        and loss[large] < THRESHOLDS["loss_share"] * loss[small]
    )
    figures: dict[str, float | None] = {f"batch_{b}_gradient_noise": noise[b] for b in SIZES}
    figures.update({f"batch_{b}_test_loss": loss[b] for b in SIZES})
    figures.update({f"batch_{b}_epochs": measured[f"batch_{b}"].last["epoch"] for b in SIZES})
    return Verdict(
        passed,
        figures,
        Text(
            "Error of a mini-batch gradient relative to the full gradient: {n0:.2f} with batch {b0}, {n1:.2f} with "
            "batch {b1}, {n2:.2f} with batch {b2}. After the same number of steps the test loss is {l0:.3f}, "
            "{l1:.3f} and {l2:.3f}, having read {e0:.0f}, {e1:.0f} and {e2:.0f} epochs of data.",
            "小批量梯度相对于全量梯度的误差：批大小 {b0} 时为 {n0:.2f}，{b1} 时为 {n1:.2f}，{b2} 时为 {n2:.2f}。"
            "相同步数之后，测试损失分别为 {l0:.3f}、{l1:.3f} 和 {l2:.3f}，分别读了 {e0:.0f}、{e1:.0f} 和 {e2:.0f} "
            "轮数据。",
        ).format(
            b0=SIZES[0],
            b1=SIZES[1],
            b2=SIZES[2],
            n0=noise[SIZES[0]],
            n1=noise[SIZES[1]],
            n2=noise[SIZES[2]],
            l0=loss[SIZES[0]],
            l1=loss[SIZES[1]],
            l2=loss[SIZES[2]],
            e0=figures["batch_2_epochs"] or 0.0,
            e1=figures["batch_16_epochs"] or 0.0,
            e2=figures["batch_128_epochs"] or 0.0,
        ),
    )


LESSON = Lesson(
    id="batch-size",
    order=12,
    title=Text("Batch size and gradient noise", "批大小与梯度噪声"),
    question=Text(
        "Each step estimates the gradient from a mini-batch. How does the batch size (2, 16 or 128 examples) "
        "change that estimate, and how far does each get in the same number of steps?",
        "每一步都用一个小批量来估计梯度。批大小（2、16 或 128 个样本）会如何影响这个估计？相同步数下各自能走多远？",
    ),
    predictions=(
        Text(
            "It does not matter: each mini-batch's gradient points the same way on average, so all go as far",
            "无所谓：平均来说每个小批量的梯度方向都一样，所以走得一样远",
        ),
        Text(
            "Small batches get furthest in the same number of steps, because their noise speeds them up",
            "相同步数下小批量走得最远，因为它们的噪声能加快前进",
        ),
        Text(
            "Small batches are noisy (the error shrinks like 1/sqrt(batch)); in equal steps big ones go further",
            "小批量噪声大（误差按 1/sqrt(批大小) 缩小），所以相同步数下大批量走得更远",
        ),
    ),
    answer=2,
    base={
        "dataset": {"name": "circle", "n_samples": 400, "noise": 0.1},
        "model": {"hidden": [16, 16], "activation": "tanh"},
        "optimizer": {"name": "sgd", "lr": 0.3},
    },
    arms=tuple(Arm(f"batch_{b}", Text(f"Batch {b}", f"批大小 {b}"), {"batch_size": b}) for b in SIZES),
    steps=400,
    watch="loss-chart",
    explanation=Text(
        "A mini-batch gradient is an average over B examples, so its error around the full gradient falls like "
        "1 / sqrt(B): 64 times the batch, 8 times less noise (a little more here, where a batch of 128 is most of the "
        "training set). With a fixed learning rate, noisy steps partly cancel "
        "and the loss curve is jagged, so small batches need more steps; big batches need more computation per "
        "step, with diminishing returns once the noise is small. In practice the batch size is a trade-off between "
        "steps, hardware throughput and the learning rate (a bigger batch tolerates a bigger one), and some noise "
        "can even help generalization.",
        "小批量梯度是 B 个样本的平均，所以它相对全量梯度的误差按 1 / sqrt(B) 下降："
        "批大小增大 64 倍，噪声减小 8 倍（这里还要多一些，因为 128 个样本已是训练集的大半）。"
        "学习率固定时，带噪声的步子会部分相互抵消，损失曲线锯齿明显，所以小批量需要更多步；大批量每一步的计算量更大，"
        "而且噪声一旦变小，收益就递减。实践中批大小是步数、硬件吞吐量和学习率之间的权衡（批越大，能承受的学习率越大），"
        "适度的噪声甚至有助于泛化。",
    ),
    verify=verify,
)
