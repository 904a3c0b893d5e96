"""What the optimizer lab's hand-written gradients save: the lab's own paths (glassnet.lab.trajectory) against
the same optimizer steps with the gradient taken by autograd on the surface's torch formula, side by side.

Both run every optimizer of the registry on Beale for `--steps` steps from the same start; they alternate in one
process, so drift in the machine's speed hits both alike, and the ratio of their medians is the figure to read.
Run: `make bench` or `.venv/bin/python -m bench.lab [--steps N] [--rounds R]`.
"""

import argparse
import statistics
import time

import torch

from glassnet.config import OptimizerConfig
from glassnet.lab import SURFACES, trajectory
from glassnet.registry import OPTIMIZERS
from glassnet.train.optim import make_optimizer


def autograd_path(surface_name: str, config: OptimizerConfig, start: tuple[float, float], steps: int) -> float:
    """The same steps with autograd's gradient; returns the final loss (to compare with the lab's)."""
    surface = SURFACES[surface_name]
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = make_optimizer([p], config)
    loss = surface.fn(p[0], p[1], 1.0)
    for _ in range(steps):
        opt.zero_grad()
        loss = surface.fn(p[0], p[1], 1.0)
        loss.backward()
        opt.step()
    return float(surface.fn(p[0], p[1], 1.0).detach())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    surface, start = SURFACES["beale"], (1.0, 1.4)
    configs = [OptimizerConfig(name=choice.name, lr=surface.lr) for choice in OPTIMIZERS]
    hand, graph = [], []
    for _ in range(args.rounds):
        t = time.perf_counter()
        finals = [trajectory(surface, c, start, args.steps)["final_loss"] for c in configs]
        hand.append(time.perf_counter() - t)
        t = time.perf_counter()
        reference = [autograd_path("beale", c, start, args.steps) for c in configs]
        graph.append(time.perf_counter() - t)
    worst = max(abs(a - b) / max(abs(b), 1e-12) for a, b in zip(finals, reference, strict=True) if a is not None)
    h, g = statistics.median(hand), statistics.median(graph)
    print(f"optimizer lab: {len(configs)} optimizers x {args.steps} steps on Beale, median of {args.rounds} rounds")
    print(f"  hand-written gradient {h:.2f} s, autograd {g:.2f} s: autograd / hand = {g / h:.2f}")
    print(f"  largest relative difference of the final losses: {worst:.1e}")


if __name__ == "__main__":
    main()
