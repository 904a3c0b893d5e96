"""Parameter counts: the model's own and its CNN's "equivalent MLP", counted by hand."""

import pytest

from glassnet.config import ModelConfig
from glassnet.nn.models import build_model, count_parameters, mlp_parameters

DIGITS = (1, 8, 8)


def linear(n_in: int, n_out: int) -> int:
    return n_in * n_out + n_out


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        # 8x8 -> conv 4 ch, pooled to 4x4 (64 units) -> conv 8 ch, pooled to 2x2 (32 units) -> 16 -> 10
        (
            {"channels": [4, 8], "hidden": [16]},
            linear(64, 64) + linear(64, 32) + linear(32, 16) + linear(16, 10),
        ),
        # no pooling: a conv block of 2 channels keeps 8x8 maps (128 units); no dense layer after it
        ({"channels": [2], "hidden": [], "pooling": "none"}, linear(64, 128) + linear(128, 10)),
        # batch norm (2 parameters a unit) everywhere; residual: the dense block keeps its projection (32 -> 16),
        # the layers in place of conv blocks have none
        (
            {"channels": [4, 8], "hidden": [16], "norm": "batch", "residual": True},
            linear(64, 64) + 2 * 64 + linear(64, 32) + 2 * 32 + linear(32, 16) + 2 * 16 + 32 * 16 + linear(16, 10),
        ),
    ],
)
def test_the_equivalent_mlp_of_a_cnn(model, expected):
    config = ModelConfig.model_validate({"kind": "cnn", "activation": "relu", **model})
    assert mlp_parameters(DIGITS, 10, config) == expected
    # the CNN itself shares its weights: far fewer
    assert count_parameters(DIGITS, 10, config) < expected


def test_only_a_cnn_has_an_equivalent_mlp():
    assert mlp_parameters((2,), 1, ModelConfig(hidden=[4], activation="tanh")) is None


def test_count_parameters_matches_the_built_model():
    config = ModelConfig.model_validate({"kind": "cnn", "activation": "relu", "channels": [3, 5], "hidden": [7]})
    model = build_model(DIGITS, 10, config)
    conv = (1 * 9 + 1) * 3 + (3 * 9 + 1) * 5
    assert count_parameters(DIGITS, 10, config) == sum(p.numel() for p in model.parameters())
    assert count_parameters(DIGITS, 10, config) == conv + linear(5 * 2 * 2, 7) + linear(7, 10)


def test_an_lstm_starts_with_its_forget_gate_open():
    from glassnet.config import DEFAULT_CONFIG, ExperimentConfig, merge_config
    from glassnet.nn.models import build_model

    config = ExperimentConfig.model_validate(
        merge_config(
            DEFAULT_CONFIG, {"dataset": {"name": "adding"}, "model": {"kind": "rnn", "hidden": [], "cell": "lstm"}}
        )
    )
    model = build_model((20, 2), 1, config.model)
    h = config.model.rnn_hidden
    bias = model.blocks[0].rnn.bias_ih_l0.detach()
    assert bias[h : 2 * h].eq(1.0).all()  # gates in PyTorch's order: input, forget, cell, output
    assert bias[:h].eq(0.0).all() and bias[2 * h :].eq(0.0).all()


@pytest.mark.parametrize(
    ("cell", "activation"), [("rnn_tanh", "tanh"), ("rnn_relu", "relu"), ("lstm", "tanh"), ("gru", "tanh")]
)
def test_a_recurrent_layer_reports_the_activation_its_cell_is_tagged_with(cell, activation):
    from glassnet import registry

    choice = registry.find(registry.RNN_CELLS, cell)
    assert choice.tags["activation"] == activation
    registry.find(registry.ACTIVATIONS, activation)  # the tag names a registered activation
    config = ModelConfig.model_validate(
        {"kind": "rnn", "cell": cell, "rnn_layers": 2, "hidden": [4], "activation": "sigmoid"}
    )
    infos = build_model((20, 2), 1, config).layer_info()
    assert [(i.kind, i.activation) for i in infos[:2]] == [(cell, activation)] * 2
    assert infos[2].activation == "sigmoid"  # the dense layer after them keeps the model's own
