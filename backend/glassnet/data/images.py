"""scikit-learn's handwritten digits (bundled with the package, no download): 1797 images of 8x8 pixels.

Pixels are scaled from 0..16 to [0, 1]; `noise` adds Gaussian noise to every pixel. 10 classes.
"""

from functools import cache

import numpy as np

N_CLASSES = 10


@cache
def _digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits  # imported late: only digits needs scikit-learn

    bunch = load_digits()
    return bunch.data.reshape(-1, 1, 8, 8) / 16.0, bunch.target


def make_digits(n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """min(n, 1797) shuffled digits: x float32 (m, 1, 8, 8) in [0, 1] plus noise, y int64 (m,)."""
    images, labels = _digits()
    rng = np.random.default_rng(seed)
    take = rng.permutation(len(images))[: min(n, len(images))]
    x = images[take] + rng.normal(0.0, noise, images[take].shape)
    return x.astype(np.float32), labels[take].astype(np.int64)
