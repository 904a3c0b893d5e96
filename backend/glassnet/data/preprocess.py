"""Input preprocessing, fitted on the training set only.

`fit(method, x)` takes the training features as rows (n, f) and returns a transform that maps any array
whose last axis holds the same f features (train, test, a plotting grid) with the training statistics.
"""

from collections.abc import Callable

import numpy as np

Transform = Callable[[np.ndarray], np.ndarray]

WHITEN_EPS = 1e-5  # added to each eigenvalue so near-constant directions are not blown up


def _identity(a: np.ndarray) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def fit_minmax(x: np.ndarray) -> Transform:
    """Each feature to [0, 1] on the training set; a constant feature maps to 0."""
    lo = x.min(axis=0)
    span = x.max(axis=0) - lo
    span[span == 0] = 1.0
    return lambda a: (np.asarray(a, dtype=np.float64) - lo) / span


def fit_standardize(x: np.ndarray) -> Transform:
    """Each feature to mean 0, std 1 on the training set; a constant feature keeps std 1."""
    mean = x.mean(axis=0)
    std = x.std(axis=0)
    std[std == 0] = 1.0
    return lambda a: (np.asarray(a, dtype=np.float64) - mean) / std


def fit_whiten(x: np.ndarray) -> Transform:
    """PCA whitening: centre, rotate onto the principal axes, divide each by sqrt(eigenvalue + eps)."""
    mean = x.mean(axis=0)
    centred = x - mean
    cov = centred.T @ centred / len(x)
    eigenvalues, eigenvectors = np.linalg.eigh(cov)
    eigenvalues = np.clip(eigenvalues, 0.0, None)  # round-off can make a zero eigenvalue slightly negative
    w = eigenvectors / np.sqrt(eigenvalues + WHITEN_EPS)
    return lambda a: (np.asarray(a, dtype=np.float64) - mean) @ w


METHODS: dict[str, Callable[[np.ndarray], Transform]] = {
    "minmax": fit_minmax,
    "standardize": fit_standardize,
    "whiten": fit_whiten,
}


def fit(method: str, x: np.ndarray) -> Transform:
    """Fit `method` (a registry PREPROCESSING name) on training rows x of shape (n, f)."""
    if method == "none":
        return _identity
    if x.ndim != 2 or len(x) == 0:
        raise ValueError(f"preprocessing needs training rows of shape (n, f), got {x.shape}")
    return METHODS[method](np.asarray(x, dtype=np.float64))
