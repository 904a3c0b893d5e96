"""Seeded 1-D regression curves: x uniform on [-1, 1], y = f(x) + noise * N(0, 1).

- sine: y = sin(3x)
- step: y = -0.5 for x < 0, 0.5 otherwise
- abs:  y = |x|
- poly: y = 2.5 x^3 - 1.5 x, a cubic with bends at x = +-sqrt(0.2) (y = -+0.447) and y(+-1) = +-1
"""

from collections.abc import Callable

import numpy as np

CURVES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sine": lambda x: np.sin(3.0 * x),
    "step": lambda x: np.where(x < 0.0, -0.5, 0.5),
    "abs": np.abs,
    "poly": lambda x: 2.5 * x**3 - 1.5 * x,
}


def make_curve(name: str, n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """x float32 (n, 1), y float32 (n,)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, n)
    y = CURVES[name](x) + rng.normal(0.0, noise, n)
    return x[:, None].astype(np.float32), y.astype(np.float32)
