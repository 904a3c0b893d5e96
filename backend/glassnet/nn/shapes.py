"""Input shape and output count of a dataset, known from its config alone (before generating data), so
that a model can be sized, and its parameters counted, without building the data set."""

from glassnet import registry
from glassnet.config import DatasetConfig
from glassnet.data import N_CLASSES, tabular
from glassnet.data.sequences import STEP_FEATURES


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
        return (config.seq_len, STEP_FEATURES[config.name])
    return (1, 8, 8)


def n_outputs(config: DatasetConfig) -> int:
    if config.name == "upload":
        meta = tabular.meta(config.upload or "")
        return len(meta["classes"]) if meta["task"] == "multiclass" else 1
    task = registry.find(registry.DATASETS, config.name).tags["task"]
    return N_CLASSES[config.name] if task == "multiclass" else 1
