"""Datasets. `load` turns a DatasetConfig into preprocessed train and test tensors.

Every dataset in registry.DATASETS has a generator in LOADERS: plane sets in toy2d, curves in curves1d,
sequence tasks in sequences, digits in images. Inputs go through the chosen features (plane sets only)
and preprocessing (fitted on the training set); raw points and an extent are kept for plotting.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from glassnet import registry as reg
from glassnet.config import DatasetConfig
from glassnet.data import curves1d, images, preprocess, sequences, tabular, toy2d

# name -> (config, seed) -> raw (x, y): plane (n, 2), curve (n, 1), sequence (n, T, d), image (n, 1, 8, 8)
Loader = Callable[[DatasetConfig, int], tuple[np.ndarray, np.ndarray]]
LOADERS: dict[str, Loader] = {
    **{name: (lambda c, s, name=name: toy2d.make_toy2d(name, c.n_samples, c.noise, s)) for name in toy2d.GENERATORS},
    **{name: (lambda c, s, name=name: curves1d.make_curve(name, c.n_samples, c.noise, s)) for name in curves1d.CURVES},
    **{
        name: (lambda c, s, name=name: sequences.make_sequence(name, c.n_samples, c.seq_len, c.noise, s))
        for name in sequences.GENERATORS
    },
    "digits": lambda c, s: images.make_digits(c.n_samples, c.noise, s),
}
N_CLASSES: dict[str, int] = {"copy": sequences.COPY_SYMBOLS, "digits": images.N_CLASSES}  # multiclass sets

EPS = 1e-7


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
    name = config.name
    if name == "upload":
        x, y, info = tabular.load(config.upload or "")
        task, kind = info["task"], info["input"]
        n_classes = len(info["classes"])
    else:
        tags = reg.find(reg.DATASETS, name).tags
        task, kind = tags["task"], tags["input"]
        x, y = LOADERS[name](config, seed)
        n_classes = N_CLASSES.get(name, 2)

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

    extent: tuple[float, float, float, float] | None = None
    if kind == "plane":
        extent = (*_span(x[:, 0], -1.0, 1.0), *_span(x[:, 1], -1.0, 1.0))
    elif kind == "curve":
        extent = (*_span(x[:, 0], -1.0, 1.0), *_span(y))
    plotted = kind in ("plane", "curve")
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
        extent=extent,
        _encode=encode if plotted else None,
    )
