"""Seeded 2-D datasets in the spirit of TensorFlow Playground, on [-1, 1]^2, and their input features.

Each generator returns (x, y): x of shape (n, 2), y of shape (n,). Classification sets (circle, xor,
gauss, spiral, moons) have labels 0/1 and `noise` is the std of Gaussian noise added to the coordinates;
regression sets (plane, multigauss) have a real target and `noise` is added to the target instead.
"""

from collections.abc import Callable

import numpy as np

Generator = Callable[[int, float, np.random.Generator], tuple[np.ndarray, np.ndarray]]


def circle(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    n_in = n // 2
    radius = np.concatenate([rng.uniform(0.0, 0.5, n_in), rng.uniform(0.7, 1.0, n - n_in)])
    angle = rng.uniform(0.0, 2 * np.pi, n)
    x = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    y = np.concatenate([np.ones(n_in), np.zeros(n - n_in)])
    return x + rng.normal(0.0, noise, x.shape), y


def xor(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = rng.uniform(-1.0, 1.0, (n, 2))
    x += np.sign(x) * 0.05  # a small margin around the axes, as TF Playground does
    y = (x[:, 0] * x[:, 1] > 0).astype(np.float64)
    return x + rng.normal(0.0, noise, x.shape), y


def gauss(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    n_pos = n // 2
    centres = np.concatenate([np.full((n_pos, 2), 0.4), np.full((n - n_pos, 2), -0.4)])
    y = np.concatenate([np.ones(n_pos), np.zeros(n - n_pos)])
    return centres + rng.normal(0.0, 0.2 + noise, (n, 2)), y


def spiral(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    n_pos = n // 2
    t = np.concatenate([np.linspace(0.0, 1.0, n_pos), np.linspace(0.0, 1.0, n - n_pos)])
    phase = np.concatenate([np.zeros(n_pos), np.full(n - n_pos, np.pi)])
    radius = 0.9 * t
    angle = 1.75 * 2 * np.pi * t + phase
    x = np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1)
    y = np.concatenate([np.ones(n_pos), np.zeros(n - n_pos)])
    return x + rng.normal(0.0, noise, x.shape), y


def moons(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    n_top = n // 2
    a = rng.uniform(0.0, np.pi, n_top)
    b = rng.uniform(0.0, np.pi, n - n_top)
    top = np.stack([np.cos(a), np.sin(a)], axis=1)
    bottom = np.stack([1.0 - np.cos(b), 0.5 - np.sin(b)], axis=1)
    x = (np.concatenate([top, bottom]) - [0.5, 0.25]) / 1.5
    y = np.concatenate([np.ones(n_top), np.zeros(n - n_top)])
    return x + rng.normal(0.0, noise, x.shape), y


def plane(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Regression: y = 0.5 * (x1 + x2), points uniform on [-1, 1]^2."""
    x = rng.uniform(-1.0, 1.0, (n, 2))
    y = 0.5 * (x[:, 0] + x[:, 1])
    return x, y + rng.normal(0.0, noise, n)


# (centre x1, centre x2, sign) of the bumps of multigauss: a 2x2 checkerboard of hills and valleys
BUMPS = ((0.5, 0.5, 1.0), (-0.5, -0.5, 1.0), (-0.5, 0.5, -1.0), (0.5, -0.5, -1.0))
BUMP_WIDTH = 0.3


def multigauss(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Regression: y = sum_k s_k exp(-|x - c_k|^2 / (2 * 0.3^2)) over BUMPS, so y is within about [-1, 1]."""
    x = rng.uniform(-1.0, 1.0, (n, 2))
    y = np.zeros(n)
    for c1, c2, sign in BUMPS:
        y += sign * np.exp(-((x[:, 0] - c1) ** 2 + (x[:, 1] - c2) ** 2) / (2 * BUMP_WIDTH**2))
    return x, y + rng.normal(0.0, noise, n)


CLASSIFICATION: dict[str, Generator] = {
    "circle": circle,
    "xor": xor,
    "gauss": gauss,
    "spiral": spiral,
    "moons": moons,
}
REGRESSION: dict[str, Generator] = {"plane": plane, "multigauss": multigauss}
GENERATORS: dict[str, Generator] = {**CLASSIFICATION, **REGRESSION}


def make_toy2d(name: str, n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """x float32 (n, 2); y int64 labels for classification, float32 targets for regression."""
    rng = np.random.default_rng(seed)
    x, y = GENERATORS[name](n, noise, rng)
    order = rng.permutation(n)  # shuffle so that any train/test cut holds both classes
    return x[order].astype(np.float32), y[order].astype(np.int64 if name in CLASSIFICATION else np.float32)


# Input features computed from the raw point (x1, x2); sines use pi * x so they bend over [-1, 1].
FEATURES: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "x1": lambda x1, x2: x1,
    "x2": lambda x1, x2: x2,
    "x1_sq": lambda x1, x2: x1**2,
    "x2_sq": lambda x1, x2: x2**2,
    "x1x2": lambda x1, x2: x1 * x2,
    "sin_x1": lambda x1, x2: np.sin(np.pi * x1),
    "sin_x2": lambda x1, x2: np.sin(np.pi * x2),
}


def features(points: np.ndarray, names: list[str]) -> np.ndarray:
    """The chosen features of points (n, 2), as columns in the order of `names`: float64 (n, len(names))."""
    x1, x2 = points[:, 0].astype(np.float64), points[:, 1].astype(np.float64)
    return np.stack([FEATURES[name](x1, x2) for name in names], axis=1)
