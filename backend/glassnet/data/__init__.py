"""Datasets. `load` turns a DatasetConfig into train and test tensors."""

from dataclasses import dataclass

import torch

from glassnet.config import DatasetConfig
from glassnet.data.toy2d import make_toy2d


@dataclass
class Split:
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    n_inputs: int
    n_outputs: int


def load(config: DatasetConfig, seed: int, device: torch.device) -> Split:
    x, y = make_toy2d(config.name, config.n_samples, config.noise, seed)
    n_train = max(1, min(len(x) - 1, round(len(x) * config.train_fraction)))
    xt, yt = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
    return Split(xt[:n_train], yt[:n_train], xt[n_train:], yt[n_train:], n_inputs=2, n_outputs=1)
