import math

import numpy as np
import pytest
import torch

from glassnet.config import DatasetConfig
from glassnet.data import LOADERS, Dataset, load, preprocess
from glassnet.data.toy2d import CLASSIFICATION, make_toy2d
from glassnet.registry import DATASETS, FEATURES, PREPROCESSING, find

CPU = torch.device("cpu")
NAMES = [d.name for d in DATASETS]  # generated datasets
NAMES = [n for n in NAMES if n != "upload"]  # an upload comes from a file: tests/api/test_datasets.py
SHAPES = {"plane": (2,), "curve": (1,), "image": (1, 8, 8)}
SEQ_DIMS = {"adding": 2, "copy": 4, "parity": 1}
CLASSES = {"binary": 2, "copy": 4, "digits": 10}


def _load(name: str, seed: int = 0, **kwargs) -> Dataset:
    return load(DatasetConfig(name=name, **kwargs), seed, CPU)


def _tags(name: str) -> dict:
    return find(DATASETS, name).tags


def test_every_registered_dataset_has_a_loader():
    assert set(NAMES) == set(LOADERS)


@pytest.mark.parametrize("name", NAMES)
def test_load_gives_the_contract(name):
    ds = _load(name, n_samples=100, train_fraction=0.7, seq_len=12)
    tags = _tags(name)
    assert ds.task == tags["task"] and ds.input_kind == tags["input"]
    expected = SHAPES.get(ds.input_kind) or (12, SEQ_DIMS[name])
    assert ds.input_shape == expected
    assert ds.x_train.shape == (70, *expected) and ds.x_test.shape == (30, *expected)
    assert ds.y_train.shape == (70,) and ds.y_test.shape == (30,)
    assert ds.x_train.dtype == ds.x_test.dtype == torch.float32
    assert ds.x_train.device == CPU
    label_dtype = torch.float32 if ds.task == "regression" else torch.int64
    assert ds.y_train.dtype == ds.y_test.dtype == label_dtype
    assert ds.n_outputs == (CLASSES[name] if ds.task == "multiclass" else 1)
    assert torch.isfinite(ds.x_train).all() and torch.isfinite(ds.x_test).all()
    assert math.isfinite(ds.baseline_loss) and ds.baseline_loss > 0
    if ds.input_kind in ("plane", "curve"):
        assert ds.raw_train.shape == (70, expected[0] if ds.input_kind == "curve" else 2)
        assert ds.raw_test.shape[0] == 30 and ds.extent is not None
    else:
        assert ds.raw_train.size == 0 and ds.raw_test.size == 0 and ds.extent is None
        assert ds.plot_inputs(10) is None


@pytest.mark.parametrize("name", NAMES)
def test_seeded_and_independent_of_global_rng(name):
    np.random.seed(1)
    torch.manual_seed(1)
    a = _load(name, seed=5, n_samples=60)
    np.random.seed(2)
    torch.manual_seed(2)
    b = _load(name, seed=5, n_samples=60)
    c = _load(name, seed=6, n_samples=60)
    for field in ("x_train", "y_train", "x_test", "y_test"):
        assert torch.equal(getattr(a, field), getattr(b, field))
    assert not torch.equal(a.x_train, c.x_train)


@pytest.mark.parametrize("name", [n for n in NAMES if _tags(n)["task"] != "regression"])
def test_labels_cover_all_classes(name):
    ds = _load(name, n_samples=1000)
    k = CLASSES.get(name, 2)
    assert set(ds.y_train.tolist()) == set(range(k)) and set(ds.y_test.tolist()) == set(range(k))


def test_split_sizes_keep_one_example_each_side():
    ds = _load("circle", n_samples=20, train_fraction=0.9)
    assert len(ds.y_train) == 18 and len(ds.y_test) == 2
    ds = _load("sine", n_samples=21, train_fraction=0.5)
    assert len(ds.y_train) + len(ds.y_test) == 21 and len(ds.y_train) == round(21 * 0.5)


# --- 2-D datasets -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CLASSIFICATION))
def test_toy2d_classification_is_seeded_balanced_and_in_range(name):
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


def test_classification_noise_moves_points():
    clean, _ = make_toy2d("xor", 200, 0.0, seed=0)
    noisy, _ = make_toy2d("xor", 200, 0.3, seed=0)
    assert np.abs(noisy - clean).mean() > 0.1


def test_plane_regression_targets():
    x, y = make_toy2d("plane", 300, 0.0, seed=0)
    assert y.dtype == np.float32 and np.abs(x).max() <= 1.0
    np.testing.assert_allclose(y, 0.5 * (x[:, 0] + x[:, 1]), atol=1e-6)
    x, y = make_toy2d("multigauss", 2000, 0.0, seed=0)
    assert np.abs(x).max() <= 1.0 and -1.05 < y.min() < -0.8 and 0.8 < y.max() < 1.05
    # hills at (0.5, 0.5) and (-0.5, -0.5), valleys at the other two corners
    assert y[(x[:, 0] > 0.3) & (x[:, 1] > 0.3)].mean() > 0.3
    assert y[(x[:, 0] < -0.3) & (x[:, 1] > 0.3)].mean() < -0.3


@pytest.mark.parametrize("name", ["plane", "multigauss", "sine"])
def test_regression_noise_goes_to_the_target(name):
    clean, noisy = _load(name, noise=0.0), _load(name, noise=0.3)
    np.testing.assert_array_equal(clean.raw_train, noisy.raw_train)
    assert torch.equal(clean.x_train, noisy.x_train)
    assert 0.2 < (noisy.y_train - clean.y_train).std().item() < 0.4


def test_features_are_computed_from_the_raw_point():
    names = [f.name for f in FEATURES]
    ds = _load("spiral", features=names, n_samples=200)
    assert ds.input_shape == (len(names),)
    for x, raw in ((ds.x_train.numpy(), ds.raw_train), (ds.x_test.numpy(), ds.raw_test)):
        x1, x2 = raw[:, 0].astype(np.float64), raw[:, 1].astype(np.float64)
        expected = {
            "x1": x1,
            "x2": x2,
            "x1_sq": x1**2,
            "x2_sq": x2**2,
            "x1x2": x1 * x2,
            "sin_x1": np.sin(np.pi * x1),
            "sin_x2": np.sin(np.pi * x2),
        }
        for i, name in enumerate(names):
            np.testing.assert_allclose(x[:, i], expected[name], atol=1e-6, err_msg=name)


def test_features_follow_config_order():
    ds = _load("xor", features=["x1_sq", "x2"])
    np.testing.assert_allclose(ds.x_train[:, 0].numpy(), ds.raw_train[:, 0] ** 2, atol=1e-6)
    np.testing.assert_allclose(ds.x_train[:, 1].numpy(), ds.raw_train[:, 1], atol=1e-6)


def test_features_are_ignored_off_the_plane():
    ds = _load("sine", features=["x1_sq", "sin_x2", "x1x2"])
    assert ds.input_shape == (1,)
    np.testing.assert_allclose(ds.x_train.numpy(), ds.raw_train)


def test_plot_inputs_grid_on_the_plane():
    ds = _load("moons", features=["x1", "x2", "x1x2"])
    x1min, x1max, x2min, x2max = ds.extent
    raw = np.concatenate([ds.raw_train, ds.raw_test])
    assert x1min < raw[:, 0].min() and raw[:, 0].max() < x1max
    assert x2min < raw[:, 1].min() and raw[:, 1].max() < x2max
    grid = ds.plot_inputs(7).numpy()
    assert grid.shape == (49, 3) and grid.dtype == np.float32
    np.testing.assert_allclose(grid[0], [x1min, x2min, x1min * x2min], atol=1e-6)
    np.testing.assert_allclose(grid[6], [x1max, x2min, x1max * x2min], atol=1e-6)  # row 0 runs along x1
    np.testing.assert_allclose(grid[7][:2], [x1min, x2min + (x2max - x2min) / 6], atol=1e-6)
    np.testing.assert_allclose(grid[-1][:2], [x1max, x2max], atol=1e-6)


def test_plot_inputs_use_the_training_preprocessing():
    ds = _load("circle", features=["x1", "x2_sq"], preprocessing="standardize")
    x1min, _, x2min, _ = ds.extent
    train = np.stack([ds.raw_train[:, 0], ds.raw_train[:, 1] ** 2], axis=1).astype(np.float64)
    corner = (np.array([x1min, x2min**2]) - train.mean(0)) / train.std(0)
    np.testing.assert_allclose(ds.plot_inputs(4)[0].numpy(), corner, atol=1e-5)


def test_plot_inputs_on_a_curve():
    ds = _load("poly", preprocessing="minmax")
    xmin, xmax, ymin, ymax = ds.extent
    assert ymin < min(ds.y_train.min(), ds.y_test.min()) and max(ds.y_train.max(), ds.y_test.max()) < ymax
    grid = ds.plot_inputs(50)
    assert grid.shape == (50, 1)
    lo, hi = ds.raw_train.min(), ds.raw_train.max()
    np.testing.assert_allclose(grid[[0, -1], 0].numpy(), (np.array([xmin, xmax]) - lo) / (hi - lo), atol=1e-5)


# --- curves -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "f"),
    [
        ("sine", lambda x: np.sin(3 * x)),
        ("step", lambda x: np.where(x < 0, -0.5, 0.5)),
        ("abs", np.abs),
        ("poly", lambda x: 2.5 * x**3 - 1.5 * x),
    ],
)
def test_curves_follow_their_formula(name, f):
    ds = _load(name, noise=0.0, n_samples=300)
    x = ds.raw_train[:, 0].astype(np.float64)
    assert x.min() >= -1 and x.max() <= 1
    np.testing.assert_allclose(ds.y_train.numpy(), f(x), atol=1e-5)
    assert np.abs(ds.y_train.numpy()).max() <= 1.0 + 1e-6


# --- sequences --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("t", [2, 7, 20])
def test_adding_problem(t):
    ds = _load("adding", noise=0.0, seq_len=t, n_samples=300)
    for x, y in ((ds.x_train, ds.y_train), (ds.x_test, ds.y_test)):
        values, markers = x[..., 0].numpy(), x[..., 1].numpy()
        assert set(np.unique(markers)) <= {0.0, 1.0}
        assert (markers.sum(1) == 2).all()
        assert (markers[:, : t // 2].sum(1) == 1).all() and (markers[:, t // 2 :].sum(1) == 1).all()
        assert values.min() >= 0 and values.max() <= 1
        np.testing.assert_allclose(y.numpy(), (values * markers).sum(1), atol=1e-5)


def test_adding_noise_touches_only_the_values():
    clean, noisy = _load("adding", noise=0.0), _load("adding", noise=0.2)
    assert torch.equal(clean.x_train[..., 1], noisy.x_train[..., 1])
    assert torch.equal(clean.y_train, noisy.y_train)
    assert 0.1 < (noisy.x_train[..., 0] - clean.x_train[..., 0]).std().item() < 0.3


def test_copy_label_is_the_first_symbol():
    ds = _load("copy", seq_len=9, n_samples=300)
    x = ds.x_train.numpy()
    assert set(np.unique(x)) == {0.0, 1.0} and (x.sum(-1) == 1).all()  # one-hot at every step
    np.testing.assert_array_equal(x[:, 0].argmax(-1), ds.y_train.numpy())
    assert len(np.unique(x[:, 1:].argmax(-1))) == 4  # distractors from the same alphabet


def test_parity_label_is_the_sum_mod_two():
    ds = _load("parity", seq_len=15, n_samples=300)
    bits = ds.x_train[..., 0].numpy()
    assert set(np.unique(bits)) == {0.0, 1.0}
    np.testing.assert_array_equal(bits.sum(1).astype(np.int64) % 2, ds.y_train.numpy())


# --- images -----------------------------------------------------------------------------------------------


def test_digits():
    ds = _load("digits", n_samples=20_000, noise=0.0)
    assert len(ds.y_train) + len(ds.y_test) == 1797
    assert set(ds.y_train.tolist()) == set(range(10)) and ds.n_outputs == 10
    assert ds.x_train.min() >= 0 and ds.x_train.max() <= 1 and ds.x_train.max() == 1
    small = _load("digits", n_samples=100, noise=0.0)
    assert len(small.y_train) + len(small.y_test) == 100
    noisy = _load("digits", n_samples=100, noise=0.3)
    assert 0.2 < (noisy.x_train - small.x_train).std().item() < 0.4


# --- preprocessing ----------------------------------------------------------------------------------------


def _affine_from_train(ds: Dataset, feats_train: np.ndarray, feats_test: np.ndarray) -> np.ndarray:
    """The test inputs predicted by the affine map that takes train features to train inputs."""
    design = np.hstack([feats_train, np.ones((len(feats_train), 1))])
    coef, *_ = np.linalg.lstsq(design, ds.x_train.numpy().astype(np.float64), rcond=None)
    return np.hstack([feats_test, np.ones((len(feats_test), 1))]) @ coef


@pytest.mark.parametrize("method", [p.name for p in PREPROCESSING])
def test_preprocessing_uses_training_statistics(method):
    ds = _load("gauss", features=["x1", "x2", "x1x2"], preprocessing=method, n_samples=400)

    def feats(raw):
        raw = raw.astype(np.float64)
        return np.stack([raw[:, 0], raw[:, 1], raw[:, 0] * raw[:, 1]], axis=1)

    x = ds.x_train.numpy().astype(np.float64)
    if method == "minmax":
        np.testing.assert_allclose([x.min(0), x.max(0)], [np.zeros(3), np.ones(3)], atol=1e-6)
    elif method == "standardize":
        np.testing.assert_allclose([x.mean(0), x.std(0)], [np.zeros(3), np.ones(3)], atol=1e-5)
    elif method == "whiten":
        np.testing.assert_allclose(x.mean(0), 0, atol=1e-5)
        np.testing.assert_allclose(np.cov(x, rowvar=False, bias=True), np.eye(3), atol=1e-3)
        test_cov = np.cov(ds.x_test.numpy(), rowvar=False, bias=True)
        assert not np.allclose(test_cov, np.eye(3), atol=1e-3)  # not refitted on the test set
    else:
        np.testing.assert_allclose(x, feats(ds.raw_train), atol=1e-6)
    predicted = _affine_from_train(ds, feats(ds.raw_train), feats(ds.raw_test))
    np.testing.assert_allclose(ds.x_test.numpy(), predicted, atol=1e-4)


def test_sequences_are_preprocessed_per_step_feature():
    ds = _load("adding", preprocessing="standardize", n_samples=200)
    flat = ds.x_train.reshape(-1, 2).double()
    torch.testing.assert_close(flat.mean(0), torch.zeros(2, dtype=torch.float64), atol=1e-5, rtol=0)
    torch.testing.assert_close(flat.std(0, correction=0), torch.ones(2, dtype=torch.float64), atol=1e-5, rtol=0)
    raw = _load("adding", n_samples=200)
    assert torch.equal(ds.y_train, raw.y_train)


def test_images_are_preprocessed_per_pixel():
    ds = _load("digits", preprocessing="minmax", n_samples=500, noise=0.1)
    flat = ds.x_train.reshape(len(ds.x_train), -1)
    torch.testing.assert_close(flat.min(0).values, torch.zeros(64), atol=1e-6, rtol=0)
    torch.testing.assert_close(flat.max(0).values, torch.ones(64), atol=1e-6, rtol=0)
    assert ds.input_shape == (1, 8, 8)


def test_constant_features_do_not_divide_by_zero():
    x = np.array([[1.0, 2.0], [3.0, 2.0], [5.0, 2.0]])
    np.testing.assert_allclose(preprocess.fit("minmax", x)(x), [[0, 0], [0.5, 0], [1, 0]])
    np.testing.assert_allclose(preprocess.fit("standardize", x)(x)[:, 1], 0)
    whitened = preprocess.fit("whiten", x)(x)
    assert np.isfinite(whitened).all()
    np.testing.assert_allclose(np.sort(whitened.var(0)), [0, 1], atol=1e-4)
    new = np.array([[7.0, 2.0]])
    np.testing.assert_allclose(preprocess.fit("minmax", x)(new), [[1.5, 0]])  # train statistics on new data


# --- baseline loss ----------------------------------------------------------------------------------------


def test_baseline_binary_balanced_is_ln2():
    ds = _load("circle", n_samples=2000)
    assert ds.baseline_loss == pytest.approx(math.log(2), abs=0.01)
    p = ds.y_train.double().mean()
    bce = torch.nn.functional.binary_cross_entropy(
        torch.full_like(ds.y_test, p, dtype=torch.float64), ds.y_test.double()
    )
    assert ds.baseline_loss == pytest.approx(bce.item(), abs=1e-3)


def test_baseline_copy_is_ln4():
    ds = _load("copy", n_samples=4000, seq_len=5)
    assert ds.baseline_loss == pytest.approx(math.log(4), abs=0.01)


def test_baseline_multiclass_uses_training_frequencies():
    ds = _load("digits", n_samples=1797)
    freq = torch.bincount(ds.y_train, minlength=10).double() / len(ds.y_train)
    ce = torch.nn.functional.nll_loss(freq.log().expand(len(ds.y_test), 10), ds.y_test)
    assert ds.baseline_loss == pytest.approx(ce.item(), abs=1e-2)


def test_baseline_regression_is_mse_around_the_train_mean():
    ds = _load("multigauss", n_samples=500)
    expected = ((ds.y_test.double() - ds.y_train.double().mean()) ** 2).mean().item()
    assert ds.baseline_loss == pytest.approx(expected, rel=1e-5)


def test_the_data_description_has_raw_points_and_the_plot_extent():
    ds = _load("circle", n_samples=800, features=["x1_sq", "x2"], preprocessing="standardize")
    data = ds.describe()
    assert data["input"] == "plane" and data["task"] == "binary" and data["classes"] == 2
    assert data["features"] == ["x1_sq", "x2"] and data["images"] is None
    assert data["extent"] == list(ds.extent)
    # the raw 2-D points (not the features the model sees), at most 300 of each split
    np.testing.assert_allclose(data["train"]["x"], ds.raw_train[:300], atol=1e-4)
    np.testing.assert_allclose(data["test"]["x"], ds.raw_test[:300], atol=1e-4)
    assert data["train"]["y"] == ds.y_train[:300].tolist() and len(data["test"]["y"]) == 300


def test_the_data_description_of_curves_sequences_and_images():
    curve = _load("sine", n_samples=100).describe()
    assert curve["extent"][:2] == pytest.approx([-1.1, 1.1], abs=0.05) and curve["features"] == ["x"]
    assert np.shape(curve["train"]["x"]) == (50, 1) and curve["classes"] == 0
    sequence = _load("adding", n_samples=60, seq_len=7).describe()
    assert sequence["features"] == ["value", "marker"] and sequence["train"] is None and sequence["extent"] is None
    digits = _load("digits", n_samples=200).describe()
    images, labels = np.array(digits["images"]["x"]), digits["images"]["y"]
    assert images.shape == (10, 8, 8) and images.min() >= 0 and images.max() <= 1
    assert labels == list(range(10)) and digits["features"] is None


def test_a_class_without_a_test_example_is_shown_by_the_first_test_example():
    ds = _load("digits", n_samples=20, train_fraction=0.9)  # 2 test images: most classes have none
    y = ds.y_test.tolist()
    assert ds.examples.tolist() == [y.index(k) if k in y else 0 for k in range(10)]
