"""Degradation: past some depth a plain net trains worse than a shallower one, which residual connections undo."""

from tests.phenomena.helpers import make_trainer, mean_tail, train_losses

STEPS, EVERY, TAIL = 1000, 50, 4  # compare the mean train loss of the last 4 frames (the last 200 steps)


def final_loss(blocks: int, residual: bool, seed: int) -> float:
    trainer = make_trainer(
        {
            "dataset": {"name": "spiral", "n_samples": 400, "noise": 0.05},
            "model": {
                "hidden": [32] * blocks,
                "activation": "relu",
                "init": {"name": "kaiming_normal"},
                "residual": residual,
            },
            "optimizer": {"name": "adam", "lr": 0.01},
        },
        seed=seed,
    )
    return mean_tail(train_losses(trainer, STEPS, EVERY), TAIL)


def test_a_30_block_plain_net_trains_worse_than_a_6_block_one_unless_residual():
    """Spiral, blocks of 32 ReLU units with Kaiming init, Adam lr 0.01, 1000 steps; train loss averaged over the
    last 200 steps.

    measured, seeds 0-7: 6 plain blocks 0.039 .. 0.159 (seed 0: 0.084); 30 plain blocks 0.686 .. 0.693, i.e.
    stuck at ln 2 (seed 0: 0.689); 30 residual blocks 0.033 .. 0.147 (seed 0: 0.069). Residual-30 minus plain-6
    over seeds 0-7: -0.015 .. +0.029, so the two are level (residual-30 ahead on 5 of 8 seeds) and a strict
    "residual-30 <= plain-6" would be a coin toss; the assertion allows 0.05 of noise.
    Thresholds: plain-30 > plain-6 + 0.3; residual-30 < plain-6 + 0.05; residual-30 < plain-30 - 0.3.
    """
    seed = 0
    plain_6 = final_loss(6, residual=False, seed=seed)
    plain_30 = final_loss(30, residual=False, seed=seed)
    residual_30 = final_loss(30, residual=True, seed=seed)
    losses = f"plain-6 {plain_6:.3f}, plain-30 {plain_30:.3f}, residual-30 {residual_30:.3f}"
    assert plain_30 > plain_6 + 0.3, losses
    assert residual_30 < plain_6 + 0.05, losses
    assert residual_30 < plain_30 - 0.3, losses
