"""What the probe costs: steps/s of a plain PyTorch loop vs the Trainer making frames at 30 Hz.

Both train the same model on the same data with the same batches; they alternate in one process (so
drift in the machine's speed hits both alike), and the ratio of their medians is the figure to read.
Run: `make bench` or `.venv/bin/python -m bench.overhead [--seconds S] [--rounds R]`.
"""

import argparse
import statistics
import time

import torch

from glassnet.config import ExperimentConfig
from glassnet.train.driver import ByClock
from glassnet.train.loop import Trainer

CASES = {
    "tf-playground default (2-4-2-1 tanh, batch 10)": {
        "model": {"hidden": [4, 2], "activation": "tanh"},
        "optimizer": {"name": "sgd", "lr": 0.03},
        "batch_size": 10,
    },
    "10x64 relu, batch 64": {
        "model": {"hidden": [64] * 10, "activation": "relu"},
        "optimizer": {"name": "sgd", "lr": 0.01},
        "batch_size": 64,
    },
}


def config_for(case: dict) -> ExperimentConfig:
    return ExperimentConfig.model_validate(
        {"dataset": {"name": "circle", "n_samples": 1000}, "steps": 10**6, "frame_hz": 30, **case}
    )


def plain_steps_per_second(trainer: Trainer, seconds: float) -> float:
    """The loop a user would write by hand, on the trainer's own model, data and batch order."""
    model, optimizer, loss_fn = trainer.model, trainer.optimizer, trainer.objective
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        x, y = trainer._next_batch()
        loss = loss_fn(model(x).squeeze(-1), y.float())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        steps += 1
    return steps / (time.perf_counter() - start)


def trainer_steps_per_second(trainer: Trainer, seconds: float, frame_hz: float) -> tuple[float, int]:
    """The Trainer paced as the driver paces it in the worker: a frame whenever 1/frame_hz has passed, detail
    frames at most DETAIL_HZ a second within their time budget (the driver's ByClock)."""
    pacing, frames = ByClock(frame_hz), 0
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        measure, detail = pacing.due(trainer, forced=False)
        reading = trainer.step(measure=measure, detail=detail)
        if reading is not None:
            pacing.done(reading, trainer.read_seconds)
            frames += 1
        steps += 1
    return steps / (time.perf_counter() - start), frames


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=2.0, help="length of each timed stretch")
    parser.add_argument("--rounds", type=int, default=3, help="alternations of plain and trainer")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # as in the worker processes
    print(f"torch {torch.__version__}, {args.rounds} rounds of {args.seconds}s each, frames at 30 Hz")
    for name, case in CASES.items():
        config = config_for(case)
        plain, probed, frame_counts = [], [], []
        for _ in range(args.rounds):
            plain.append(plain_steps_per_second(Trainer(config), args.seconds))
            rate, frames = trainer_steps_per_second(Trainer(config), args.seconds, config.frame_hz)
            probed.append(rate)
            frame_counts.append(frames / args.seconds)
        p, t = statistics.median(plain), statistics.median(probed)
        print(
            f"{name}: plain {p:,.0f} steps/s, trainer+probe {t:,.0f} steps/s, "
            f"ratio {t / p:.3f} ({statistics.median(frame_counts):.1f} frames/s)"
        )


if __name__ == "__main__":
    main()
