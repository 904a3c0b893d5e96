"""Seeded sequence tasks for recurrent networks; x has shape (n, T, d).

- adding (regression, d = 2): each step is (value ~ U(0, 1), marker 0/1); exactly two steps are marked,
  one uniformly in the first half (steps < T // 2) and one in the second; the target is the sum of the
  two marked values. `noise` adds Gaussian noise to the values channel only (the target uses the clean values).
- copy (multiclass, d = 4): one-hot symbols from an alphabet of 4; step 0 holds the symbol to remember,
  steps 1..T-1 random distractors from the same alphabet; the class is the step-0 symbol.
- parity (binary, d = 1): bits 0/1; the class is the number of ones mod 2.
"""

from collections.abc import Callable

import numpy as np

COPY_SYMBOLS = 4
# the features of each time step, by task
STEP_FEATURE_NAMES: dict[str, list[str]] = {
    "adding": ["value", "marker"],
    "copy": [f"symbol {k}" for k in range(COPY_SYMBOLS)],
    "parity": ["bit"],
}
STEP_FEATURES = {name: len(names) for name, names in STEP_FEATURE_NAMES.items()}  # features per time step

Generator = Callable[[int, int, float, np.random.Generator], tuple[np.ndarray, np.ndarray]]


def adding(n: int, t: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    values = rng.uniform(0.0, 1.0, (n, t))
    half = t // 2
    first = rng.integers(0, half, n)
    second = rng.integers(half, t, n)
    rows = np.arange(n)
    markers = np.zeros((n, t))
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    y = values[rows, first] + values[rows, second]
    x = np.stack([values + rng.normal(0.0, noise, (n, t)), markers], axis=2)
    return x, y


def copy(n: int, t: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    symbols = rng.integers(0, COPY_SYMBOLS, (n, t))
    return np.eye(COPY_SYMBOLS)[symbols], symbols[:, 0]


def parity(n: int, t: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    bits = rng.integers(0, 2, (n, t))
    return bits[:, :, None].astype(np.float64), bits.sum(axis=1) % 2


GENERATORS: dict[str, Generator] = {"adding": adding, "copy": copy, "parity": parity}
CLASSIFICATION = {"copy", "parity"}


def make_sequence(name: str, n: int, seq_len: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """x float32 (n, seq_len, d); y int64 classes (copy, parity) or float32 targets (adding)."""
    x, y = GENERATORS[name](n, seq_len, noise, np.random.default_rng(seed))
    return x.astype(np.float32), y.astype(np.int64 if name in CLASSIFICATION else np.float32)
