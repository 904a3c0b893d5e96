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


def test_rmsprop_is_plain_unless_asked_and_a_switch_of_optimizer_takes_the_new_ones_defaults():
    from glassnet.config import OptimizerConfig, merge_config
    from glassnet.registry import OPTIMIZERS

    # torch and Keras default RMSprop to no momentum; the Momentum optimizer's default stays 0.9
    assert OptimizerConfig(name="rmsprop").momentum == 0.0
    assert OptimizerConfig(name="momentum").momentum == 0.9
    assert OptimizerConfig(name="rmsprop", momentum=0.5).momentum == 0.5
    # /api/options shows each choice's own default
    params = {c.name: {p["name"]: p["default"] for p in c.to_json("optimizers")["params"]} for c in OPTIMIZERS}
    assert params["rmsprop"]["momentum"] == 0.0 and params["momentum"]["momentum"] == 0.9
    # a fork or an arm that switches the optimizer does not carry the old one's momentum over ...
    switched = merge_config(
        {"optimizer": {"name": "momentum", "momentum": 0.9, "lr": 0.1}}, {"optimizer": {"name": "rmsprop"}}
    )
    assert OptimizerConfig.model_validate(switched["optimizer"]).momentum == 0.0
    assert switched["optimizer"]["lr"] == 0.1  # what does not depend on the choice is kept
    back = merge_config({"optimizer": {"name": "rmsprop", "momentum": 0.0}}, {"optimizer": {"name": "nesterov"}})
    assert OptimizerConfig.model_validate(back["optimizer"]).momentum == 0.9
    # ... unless it says so, and a change that keeps the optimizer keeps its settings
    kept = merge_config(
        {"optimizer": {"name": "momentum", "momentum": 0.5}}, {"optimizer": {"name": "rmsprop", "momentum": 0.5}}
    )
    assert kept["optimizer"]["momentum"] == 0.5
    same = merge_config({"optimizer": {"name": "rmsprop", "momentum": 0.3}}, {"optimizer": {"lr": 0.5}})
    assert same["optimizer"] == {"name": "rmsprop", "momentum": 0.3, "lr": 0.5}
