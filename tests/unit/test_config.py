import pytest
from pydantic import ValidationError

from glassnet.config import LIMITS, ExperimentConfig, default_config
from glassnet.nn.activations import make_activation
from glassnet.registry import ACTIVATIONS, OPTIMIZERS
from glassnet.train.optim import make_optimizer


def test_the_registry_is_the_only_list_of_choices():
    schema = ExperimentConfig.model_json_schema()
    assert schema["$defs"]["Activation"]["enum"] == [a.name for a in ACTIVATIONS]
    assert schema["$defs"]["OptimizerName"]["enum"] == [o.name for o in OPTIMIZERS]


@pytest.mark.parametrize("name", [a.name for a in ACTIVATIONS])
def test_every_activation_builds(name):
    assert make_activation(name, default_config().model) is not None


@pytest.mark.parametrize("name", [o.name for o in OPTIMIZERS])
def test_every_optimizer_builds(name):
    import torch

    config = default_config().optimizer.model_copy(update={"name": name})
    assert isinstance(make_optimizer([torch.nn.Parameter(torch.zeros(1))], config), torch.optim.Optimizer)


def test_limits_are_enforced_where_they_are_advertised():
    base = default_config().model_dump()
    with pytest.raises(ValidationError):
        ExperimentConfig.model_validate({**base, "model": {**base["model"], "hidden": [LIMITS["max_width"] + 1]}})
    ok = {**base, "model": {**base["model"], "hidden": [LIMITS["max_width"]] * LIMITS["max_hidden_layers"]}}
    ExperimentConfig.model_validate(ok)
    with pytest.raises(ValidationError):
        ExperimentConfig.model_validate({**base, "frame_hz": LIMITS["max_frame_hz"] + 1})
