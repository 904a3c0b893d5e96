"""Seeded 2-D classification datasets in the spirit of TensorFlow Playground, on [-1, 1]^2.

Each generator returns (x, y): x float32 of shape (n, 2), y int64 of shape (n,) with labels 0/1.
`noise` is the std of Gaussian noise added to the coordinates.
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


GENERATORS: dict[str, Generator] = {
    "circle": circle,
    "xor": xor,
    "gauss": gauss,
    "spiral": spiral,
    "moons": moons,
}


def make_toy2d(name: str, n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x, y = GENERATORS[name](n, noise, rng)
    order = rng.permutation(n)  # shuffle so that any train/test cut holds both classes
    return x[order].astype(np.float32), y[order].astype(np.int64)
