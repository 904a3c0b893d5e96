"""Datasets. `load` turns a DatasetConfig into preprocessed train and test tensors.

Every dataset in registry.DATASETS has a generator in LOADERS: plane sets in toy2d, curves in curves1d,
sequence tasks in sequences, digits in images. `generate` gives the raw set (numpy only; the dataset
previews use it too); `load` splits it and puts the inputs through the chosen features (plane sets only)
and preprocessing (fitted on the training set). Raw points and an extent are kept for plotting, and
`Dataset.describe` is the stream's `data` description.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from glassnet import registry as reg
from glassnet.config import DatasetConfig
from glassnet.data import curves1d, images, preprocess, sequences, tabular, toy2d
from glassnet.data.sequences import STEP_FEATURE_NAMES

# name -> (config, seed) -> raw (x, y): plane (n, 2), curve (n, 1), sequence (n, T, d), image (n, 1, 8, 8)
Loader = Callable[[DatasetConfig, int], tuple[np.ndarray, np.ndarray]]


def _toy2d(name: str) -> Loader:
    return lambda c, s: toy2d.make_toy2d(name, c.n_samples, c.noise, s)


def _curve(name: str) -> Loader:
    return lambda c, s: curves1d.make_curve(name, c.n_samples, c.noise, s)


def _sequence(name: str) -> Loader:
    return lambda c, s: sequences.make_sequence(name, c.n_samples, c.seq_len, c.noise, s)


LOADERS: dict[str, Loader] = {
    **{name: _toy2d(name) for name in toy2d.GENERATORS},
    **{name: _curve(name) for name in curves1d.CURVES},
    **{name: _sequence(name) for name in sequences.GENERATORS},
    "digits": lambda c, s: images.make_digits(c.n_samples, c.noise, s),
}
N_CLASSES: dict[str, int] = {"copy": sequences.COPY_SYMBOLS, "digits": images.N_CLASSES}  # multiclass sets

EPS = 1e-7
DESCRIBED_POINTS = 300  # raw train and test points in a run's data description (plane and curve sets)
PREVIEW_POINTS = 200  # raw points in a dataset preview
DECIMALS = 4  # raw points and targets are rounded to this many decimals for the wire


@dataclass
class Raw:
    """A dataset as generated (or uploaded): before the split, the features and preprocessing."""

    x: np.ndarray  # plane (n, 2), curve (n, 1), sequence (n, T, d), image (n, 1, 8, 8), table (n, f)
    y: np.ndarray  # int64 class ids or float32 targets, (n,)
    task: str  # binary | multiclass | regression
    kind: str  # plane | curve | sequence | image | table
    classes: int  # 2 for binary, the number of classes for multiclass, 0 for regression
    features: list[str] | None  # the model's input features (per time step for sequences); None for images


def generate(config: DatasetConfig, seed: int) -> Raw:
    """The raw dataset the config describes (numpy only: no tensors, no split)."""
    if config.name == "upload":
        x, y, info = tabular.load(config.upload or "")
        kind = info["input"]
        features = list(config.features) if kind == "plane" else info["features"]
        return Raw(x, y, info["task"], kind, len(info["classes"]), features)
    tags = reg.find(reg.DATASETS, config.name).tags
    task, kind = tags["task"], tags["input"]
    x, y = LOADERS[config.name](config, seed)
    classes = 0 if task == "regression" else N_CLASSES.get(config.name, 2)
    features = {"plane": list(config.features), "curve": ["x"], "sequence": STEP_FEATURE_NAMES.get(config.name)}
    return Raw(x, y, task, kind, classes, features.get(kind))


def extent_of(kind: str, x: np.ndarray, y: np.ndarray) -> tuple[float, float, float, float] | None:
    """The plotting window: plane (x1min, x1max, x2min, x2max), curve (xmin, xmax, ymin, ymax), else None."""
    if kind == "plane":
        return (*_span(x[:, 0], -1.0, 1.0), *_span(x[:, 1], -1.0, 1.0))
    if kind == "curve":
        return (*_span(x[:, 0], -1.0, 1.0), *_span(y))
    return None


def first_of_each_class(y: np.ndarray, classes: int) -> np.ndarray:
    """For each class k < classes, the index of the first example labelled k (0 where none is)."""
    found = [np.flatnonzero(y == k) for k in range(classes)]
    return np.array([f[0] if len(f) else 0 for f in found], dtype=np.int64)


def points(x: np.ndarray, y: np.ndarray, limit: int) -> dict[str, list]:
    """Up to `limit` raw examples and their labels or targets, as JSON lists {"x", "y"}."""
    return {"x": _rounded(x[:limit]), "y": _rounded(y[:limit])}


def image_list(x: np.ndarray, y: np.ndarray) -> dict[str, list]:
    """Single-channel images (n, 1, H, W) as {"x": n lists of H x W values in [0, 1], "y": labels}."""
    return {"x": np.round(np.clip(x[:, 0].astype(np.float64), 0.0, 1.0), 3).tolist(), "y": y.tolist()}


def _rounded(a: np.ndarray) -> list:
    return np.round(a.astype(np.float64), DECIMALS).tolist() if a.dtype.kind == "f" else a.tolist()


@dataclass
class Dataset:
    x_train: torch.Tensor  # float32 (n_train, *input_shape)
    y_train: torch.Tensor  # int64 class ids (classification) or float32 targets (regression), (n_train,)
    x_test: torch.Tensor
    y_test: torch.Tensor
    task: str  # binary | multiclass | regression
    input_kind: str  # plane | curve | sequence | image | table (an uploaded CSV)
    input_shape: tuple[int, ...]
    n_outputs: int
    baseline_loss: float  # test loss of the best constant prediction fitted on the training labels
    raw_train: np.ndarray  # plane: (n, 2) points; curve: (n, 1) x; otherwise empty
    raw_test: np.ndarray
    extent: tuple[float, float, float, float] | None  # plotting window; None for sequences and images
    classes: int = 0  # 2 for binary, the number of classes for multiclass, 0 for regression
    features: list[str] | None = None  # the model's input features (per time step for sequences)
    # classification: the index in the test set of the first example of each class (0 where a class has none)
    examples: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    example_images: np.ndarray | None = None  # images: those examples' raw images (classes, 1, H, W)
    _encode: Callable[[np.ndarray], np.ndarray] | None = field(default=None, repr=False)  # raw -> model inputs

    def plot_inputs(self, resolution: int) -> torch.Tensor | None:
        """Model inputs over a grid of `extent`, with the training features and preprocessing.

        plane: resolution^2 rows, row-major (row r: x2 = linspace(x2min, x2max)[r]; column c: x1 = linspace(
        x1min, x1max)[c]); curve: `resolution` points over [xmin, xmax]; None for other inputs.
        """
        if self.extent is None or self._encode is None:
            return None
        x1min, x1max, x2min, x2max = self.extent
        if self.input_kind == "plane":
            g1, g2 = np.meshgrid(np.linspace(x1min, x1max, resolution), np.linspace(x2min, x2max, resolution))
            raw = np.stack([g1.ravel(), g2.ravel()], axis=1)
        else:
            raw = np.linspace(x1min, x1max, resolution)[:, None]
        return torch.from_numpy(self._encode(raw).astype(np.float32)).to(self.x_train.device)

    def describe(self) -> dict[str, Any]:
        """The stream's `data` description (docs/protocol.md): the input kind, the task, the plotting extent,
        some raw train and test points (plane and curve sets), feature names and, for images, the examples
        whose feature maps the probe sends."""
        plotted = self.input_kind in ("plane", "curve")

        def described(raw: np.ndarray, y: torch.Tensor) -> dict[str, list] | None:
            if not plotted:
                return None
            return points(raw, y[:DESCRIBED_POINTS].cpu().numpy(), DESCRIBED_POINTS)

        images = None
        if self.example_images is not None:
            images = image_list(self.example_images, self.y_test.cpu().numpy()[self.examples])
        return {
            "input": self.input_kind,
            "task": self.task,
            "classes": self.classes,
            "extent": None if self.extent is None else list(self.extent),
            "train": described(self.raw_train, self.y_train),
            "test": described(self.raw_test, self.y_test),
            "features": self.features,
            "images": images,
            "baseline_loss": self.baseline_loss if math.isfinite(self.baseline_loss) else None,
        }


def _span(values: np.ndarray, lo: float | None = None, hi: float | None = None) -> tuple[float, float]:
    """[min, max] of values (widened to [lo, hi] where given) with a 5% margin on each side."""
    a, b = float(values.min()), float(values.max())
    if lo is not None:
        a, b = min(a, lo), max(b, hi if hi is not None else b)
    pad = 0.05 * (b - a) if b > a else 0.5
    return a - pad, b + pad


def baseline_loss(task: str, y_train: np.ndarray, y_test: np.ndarray, n_classes: int) -> float:
    """Test loss of the best constant prediction from the training labels.

    Class frequencies use add-one (Laplace) smoothing so a class missing from a small training set does not
    make the baseline infinite; with balanced classes it is ln(n_classes).
    """
    if len(y_test) == 0:
        return float("nan")
    if task == "regression":
        return float(np.mean((y_test.astype(np.float64) - y_train.mean()) ** 2))
    k = 2 if task == "binary" else n_classes
    freq = (np.bincount(y_train, minlength=k)[:k] + 1.0) / (len(y_train) + k)
    return float(-np.mean(np.log(np.clip(freq[y_test], EPS, 1.0))))


def load(config: DatasetConfig, seed: int, device: torch.device) -> Dataset:
    raw = generate(config, seed)
    x, y, task, kind, n_classes = raw.x, raw.y, raw.task, raw.kind, raw.classes

    # split: shuffle with the seed (a stream of its own), first round(n * train_fraction) are train
    n = len(x)
    n_train = max(1, min(n - 1, round(n * config.train_fraction)))
    order = np.random.default_rng([seed, 1]).permutation(n)
    train, test = order[:n_train], order[n_train:]

    # inputs as the model sees them: (n, ..., f) with features along the last axis before preprocessing
    if kind == "plane":
        names = list(config.features)

        def featurize(raw: np.ndarray) -> np.ndarray:
            return toy2d.features(raw, names)
    else:

        def featurize(raw: np.ndarray) -> np.ndarray:
            return raw.reshape(len(raw), -1) if kind == "image" else raw.astype(np.float64)

    feats = featurize(x)
    transform = preprocess.fit(config.preprocessing, feats[train].reshape(-1, feats.shape[-1]))
    inputs = transform(feats).reshape(x.shape if kind == "image" else feats.shape).astype(np.float32)

    def encode(raw: np.ndarray) -> np.ndarray:
        return transform(featurize(raw))

    plotted = kind in ("plane", "curve")
    examples = first_of_each_class(y[test], n_classes)
    empty = np.zeros((0,), dtype=np.float32)

    def tensor(a: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(a)).to(device)

    return Dataset(
        x_train=tensor(inputs[train]),
        y_train=tensor(y[train]),
        x_test=tensor(inputs[test]),
        y_test=tensor(y[test]),
        task=task,
        input_kind=kind,
        input_shape=tuple(inputs.shape[1:]),
        n_outputs=n_classes if task == "multiclass" else 1,
        baseline_loss=baseline_loss(task, y[train], y[test], n_classes),
        raw_train=x[train] if plotted else empty,
        raw_test=x[test] if plotted else empty,
        extent=extent_of(kind, x, y),
        classes=n_classes,
        features=raw.features,
        examples=examples,
        example_images=x[test][examples] if kind == "image" else None,
        _encode=encode if plotted else None,
    )


def preview(config: DatasetConfig, seed: int) -> dict[str, Any]:
    """A thumbnail of the data a run with this config trains on (numpy only): up to PREVIEW_POINTS raw points
    (plane, curve, table), the first image of each class (images), or the first sequence (T x step features,
    its target as the one entry of y)."""
    raw = generate(config, seed)
    if raw.kind == "image":
        examples = image_list(*(a[first_of_each_class(raw.y, raw.classes)] for a in (raw.x, raw.y)))
    elif raw.kind == "sequence":
        examples = {"x": _rounded(raw.x[0]), "y": _rounded(raw.y[:1])}
    else:
        examples = points(raw.x, raw.y, PREVIEW_POINTS)
    extent = extent_of(raw.kind, raw.x, raw.y)
    return {
        "input": raw.kind,
        "task": raw.task,
        "classes": raw.classes,
        "extent": None if extent is None else list(extent),
        "features": raw.features,
        **examples,
    }
