"""Input shape and output count of a dataset, known from its config alone (before generating data), so
that a model can be sized, and its parameters counted, without building the data set."""

from glassnet import registry
from glassnet.config import DatasetConfig
from glassnet.data import tabular

SEQUENCE_DIMS = {"adding": 2, "copy": 4, "parity": 1}  # features per time step
CLASSES = {"copy": 4, "digits": 10}  # multiclass datasets and their class counts


def input_shape(config: DatasetConfig) -> tuple[int, ...]:
    if config.name == "upload":
        meta = tabular.meta(config.upload or "")
        return (len(config.features),) if meta["input"] == "plane" else (len(meta["features"]),)
    kind = registry.find(registry.DATASETS, config.name).tags["input"]
    if kind == "plane":
        return (len(config.features),)
    if kind == "curve":
        return (1,)
    if kind == "sequence":
        return (config.seq_len, SEQUENCE_DIMS[config.name])
    return (1, 8, 8)


def n_outputs(config: DatasetConfig) -> int:
    if config.name == "upload":
        meta = tabular.meta(config.upload or "")
        return len(meta["classes"]) if meta["task"] == "multiclass" else 1
    task = registry.find(registry.DATASETS, config.name).tags["task"]
    return CLASSES[config.name] if task == "multiclass" else 1
