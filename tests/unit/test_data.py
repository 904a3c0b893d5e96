import numpy as np
import pytest

from glassnet.data.toy2d import GENERATORS, make_toy2d
from glassnet.registry import DATASETS


def test_every_registered_dataset_has_a_generator():
    assert {d.name for d in DATASETS} == set(GENERATORS)


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_datasets_are_seeded_balanced_and_in_range(name):
    x, y = make_toy2d(name, 300, 0.0, seed=3)
    x2, y2 = make_toy2d(name, 300, 0.0, seed=3)
    x3, _ = make_toy2d(name, 300, 0.0, seed=4)
    assert x.shape == (300, 2) and y.shape == (300,)
    assert x.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(x, x3)
    assert set(np.unique(y)) == {0, 1}
    assert 0.35 < y.mean() < 0.65
    assert np.abs(x).max() <= 1.6


def test_circle_labels_inside_as_one():
    x, y = make_toy2d("circle", 500, 0.0, seed=0)
    radius = np.linalg.norm(x, axis=1)
    assert radius[y == 1].max() <= 0.5 + 1e-6
    assert radius[y == 0].min() >= 0.7 - 1e-6


def test_noise_moves_points():
    clean, _ = make_toy2d("xor", 200, 0.0, seed=0)
    noisy, _ = make_toy2d("xor", 200, 0.3, seed=0)
    assert np.abs(noisy - clean).mean() > 0.1
