"""pack.py and probe.fetch: the one host copy of a reading, dense 8-bit arrays, non-finite figures as null."""

import base64
import json
import math

import numpy as np
import pytest
import torch

from glassnet.train.pack import dense, finite_or_none, to_json_value, undense
from glassnet.train.probe import fetch


def test_fetch_returns_every_tensor_with_its_shape_in_one_host_copy():
    values, views = fetch(
        {
            "grad_norm": torch.arange(6).reshape(2, 3),
            "lr": 0.5,  # measured on the host already
            "grid": torch.tensor([[True, False]]),  # a view
            "unit_maps": {0: torch.zeros(2, 2), 3: torch.ones(1, 2)},  # a view per layer
        }
    )
    np.testing.assert_array_equal(values["grad_norm"], np.arange(6, dtype=np.float32).reshape(2, 3))
    assert values["lr"] == 0.5 and values["lr"].dtype == np.float64
    np.testing.assert_array_equal(views["grid"], [[1.0, 0.0]])
    assert sorted(views["unit_maps"]) == [0, 3] and views["unit_maps"][3].shape == (1, 2)
    assert fetch({}) == ({}, {})


@pytest.mark.parametrize("shape", [(7,), (3, 5), (2, 4, 4)])
def test_dense_round_trip_is_within_one_quantization_step(shape):
    array = np.random.default_rng(0).normal(size=shape).astype(np.float32) * 3 - 1
    message = dense(array)
    assert json.loads(json.dumps(message)) == message  # plain JSON
    assert message["shape"] == list(shape)
    assert message["lo"] == pytest.approx(array.min()) and message["hi"] == pytest.approx(array.max())
    assert len(base64.b64decode(message["q8"])) == array.size  # one byte a value
    values = undense(message)
    assert values.shape == shape
    step = (message["hi"] - message["lo"]) / 255
    assert np.abs(values - array).max() <= step / 2 + 1e-6  # rounded to the nearest level
    assert values.min() == pytest.approx(array.min()) and values.max() == pytest.approx(array.max())


def test_dense_keeps_a_constant_array_exactly():
    message = dense(np.full((2, 3), 0.7))
    np.testing.assert_array_equal(undense(message), np.full((2, 3), 0.7))
    np.testing.assert_array_equal(undense(dense(np.zeros(4))), np.zeros(4))


def test_dense_clamps_non_finite_values_into_the_finite_range():
    array = np.array([0.0, np.nan, 1.0, np.inf, -np.inf, 0.5])
    message = dense(array)
    assert (message["lo"], message["hi"]) == (0.0, 1.0)
    values = undense(message)
    assert np.isfinite(values).all()
    np.testing.assert_allclose(values[[0, 2, 5]], [0.0, 1.0, 0.5], atol=1 / 255)
    assert values[3] == 1.0 and values[4] == 0.0
    assert np.isfinite(undense(dense(np.array([np.nan, np.nan])))).all()  # nothing finite: all 0


def test_finite_or_none():
    assert finite_or_none(np.float32(1.5)) == 1.5
    assert isinstance(finite_or_none(np.float32(1.5)), float)
    for value in (math.nan, math.inf, -math.inf, np.float32("nan")):
        assert finite_or_none(value) is None


def test_to_json_value_turns_non_finite_entries_into_null_at_any_depth():
    assert to_json_value(np.array(2.0)) == 2.0
    assert to_json_value(np.array(np.nan)) is None
    assert to_json_value(np.array([1.0, np.nan, np.inf])) == [1.0, None, None]
    nested = to_json_value(np.array([[1.0, -np.inf], [np.nan, 4.0]], dtype=np.float32))
    assert nested == [[1.0, None], [None, 4.0]]
    assert all(isinstance(v, float) for row in nested for v in row if v is not None)
    json.dumps(nested, allow_nan=False)
