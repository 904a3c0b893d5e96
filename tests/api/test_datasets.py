"""CSV uploads: validated whole, size-capped, then trained on like any dataset; dataset previews."""

import numpy as np
import pytest
import torch

from glassnet.config import DatasetConfig
from glassnet.data import load
from glassnet.data.toy2d import make_toy2d
from tests.api.test_runs import wait_for_status


def csv_text(rows: int = 200) -> str:
    x = np.random.default_rng(0).normal(size=(rows, 2))
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    return "a,b,label\n" + "\n".join(f"{p:.4f},{q:.4f},{c}" for (p, q), c in zip(x, y, strict=True))


def upload(client, text: str, **params):
    return client.post("/api/datasets", content=text.encode(), params=params, headers={"content-type": "text/csv"})


def test_an_uploaded_csv_trains_with_a_decision_boundary(client):
    response = upload(client, csv_text(), name="my points")
    assert response.status_code == 201, response.text
    dataset = response.json()
    assert dataset["task"] == "binary" and dataset["input"] == "plane" and dataset["rows"] == 200
    assert dataset["features"] == ["a", "b"] and dataset["target"] == "label"
    assert dataset["id"] in [d["id"] for d in client.get("/api/datasets").json()]
    config = {
        "dataset": {"name": "upload", "upload": dataset["id"], "features": ["x1", "x2", "x1x2"]},
        "model": {"hidden": [8], "activation": "tanh"},
        "optimizer": {"name": "adam", "lr": 0.05},
        "steps": 400,
    }
    run = client.post("/api/runs", json=config)
    assert run.status_code == 201, run.text
    done = wait_for_status(client, run.json()["id"], "finished", timeout=60)
    assert done["summary"]["test_acc"]["value"] > 0.9  # a linearly separable upload


def test_a_regression_table_and_a_chosen_target(client):
    x = np.random.default_rng(1).normal(size=(100, 4))
    text = "y,f1,f2,f3,f4\n" + "\n".join(f"{v.sum():.5f}," + ",".join(f"{c:.5f}" for c in v) for v in x)
    dataset = upload(client, text, target="y").json()
    assert dataset["task"] == "regression" and dataset["input"] == "table"
    assert dataset["features"] == ["f1", "f2", "f3", "f4"]
    config = {
        "dataset": {"name": "upload", "upload": dataset["id"]},
        "model": {"hidden": [8], "activation": "relu"},
        "optimizer": {"name": "adam", "lr": 0.01},
        "steps": 200,
    }
    run_id = client.post("/api/runs", json=config).json()["id"]
    done = wait_for_status(client, run_id, "finished", timeout=60)
    assert "test_acc" not in done["summary"] and done["summary"]["test_loss"]["value"] is not None


BAD_FILES = [
    ("empty", "", "body"),
    ("header only", "a,b,label\n", "header row and data rows"),
    ("too few rows", "a,label\n" + "1,0\n" * 5, "rows: 5"),
    ("a word", "a,label\n" + "1,0\n" * 30 + "one,1\n", "line 32, column 'a'"),
    ("ragged", "a,b,label\n" + "1,2,0\n" * 30 + "1,0\n", "line 32"),
    ("not finite", "a,label\n" + "1,0\n" * 30 + "inf,1\n", "not a finite number"),
    ("one class", "a,label\n" + "1,0\n" * 30, "single value"),
    ("duplicate names", "a,a,label\n" + "1,2,0\n" * 30, "header"),
    ("unknown target", "a,label\n" + "1,0\n1,1\n" * 15, "target: no column named 'nope'"),
    ("binary junk", "\xff\xfe", "UTF-8"),
]


@pytest.mark.parametrize(("case", "text", "words"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_a_bad_file_is_refused_with_where_and_why_and_nothing_is_stored(client, case, text, words):
    before = len(client.get("/api/datasets").json())
    params = {"target": "nope"} if case == "unknown target" else {}
    body = text.encode("latin-1") if case == "binary junk" else text.encode()
    response = client.post("/api/datasets", content=body, params=params, headers={"content-type": "text/csv"})
    assert response.status_code == 422
    assert words in response.json()["detail"], response.json()
    assert len(client.get("/api/datasets").json()) == before


@pytest.mark.parametrize(("delimiter", "name"), [(";", "semicolon"), ("\t", "tab"), ("|", "vertical bar")])
def test_a_file_with_another_delimiter_alone_in_its_header_is_read_with_it(client, delimiter, name):
    text = csv_text().replace(",", delimiter)
    response = upload(client, text)
    assert response.status_code == 201, response.text
    dataset = response.json()
    assert dataset["delimiter"] == delimiter and dataset["features"] == ["a", "b"] and dataset["rows"] == 200
    assert upload(client, csv_text()).json()["delimiter"] == ","


DELIMITER_ERRORS = [
    # a refusal of a file read with another delimiter names it
    (
        "decimal commas",
        "a;label\n" + "0,5;0\n1,5;1\n" * 15,
        ["'0,5' is not a number", "decimals with a point", "semicolon (';')"],
    ),
    ("too few rows", "a\tlabel\n" + "1\t0\n" * 5, ["rows: 5", "tab ('\\t')"]),
    # a header that two delimiters split alike: both are named
    ("two delimiters", "a;b,c;label\n" + "1;2,3;0\n" * 30, ["comma (',') and semicolon (';')"]),
    # no delimiter at all: said so, with the ones that are read
    ("spaces", "a b label\n" + "1 2 0\n" * 30, ["no column delimiter", "'a b label'", "semicolon (';')"]),
]


@pytest.mark.parametrize(("case", "text", "words"), DELIMITER_ERRORS, ids=[d[0] for d in DELIMITER_ERRORS])
def test_a_refused_file_names_the_delimiter_it_was_read_with(client, case, text, words):
    response = upload(client, text)
    assert response.status_code == 422
    for word in words:
        assert word in response.json()["detail"], response.json()


def test_an_oversize_upload_is_413_and_an_unknown_upload_id_is_422(client):
    response = upload(client, "a,label\n" + "1.000000,0\n" * 600_000)
    assert response.status_code == 413 and "limit" in response.json()["detail"]
    config = {
        "dataset": {"name": "upload", "upload": "0123456789ab"},
        "model": {"hidden": [4], "activation": "tanh"},
        "optimizer": {"name": "sgd"},
    }
    response = client.post("/api/runs", json=config)
    assert response.status_code == 422 and "0123456789ab" in response.json()["detail"]
    response = client.post("/api/runs", json={**config, "dataset": {"name": "upload"}})
    assert response.status_code == 422 and "upload" in response.json()["detail"]


def test_a_preview_shows_the_points_a_run_would_train_on(client):
    response = client.get("/api/datasets/circle/preview", params={"noise": 0.3, "seed": 7})
    assert response.status_code == 200, response.text
    preview = response.json()
    # the same generator, config defaults, noise and seed as a run: its first 200 raw points and its extent
    run_data = load(DatasetConfig(name="circle", noise=0.3), 7, torch.device("cpu"))
    x, y = make_toy2d("circle", DatasetConfig.model_fields["n_samples"].default, 0.3, 7)
    assert preview["input"] == "plane" and preview["task"] == "binary" and preview["classes"] == 2
    assert preview["extent"] == pytest.approx(list(run_data.extent))
    np.testing.assert_allclose(preview["x"], x[:200], atol=1e-4)
    assert preview["y"] == y[:200].tolist()
    curve = client.get("/api/datasets/sine/preview").json()
    assert curve["input"] == "curve" and np.shape(curve["x"]) == (200, 1) and len(curve["extent"]) == 4


@pytest.mark.parametrize(
    ("name", "x_shape", "y"),
    [("digits", (10, 8, 8), list(range(10))), ("adding", (12, 2), None), ("copy", (12, 4), None)],
)
def test_a_preview_of_images_and_sequences(client, name, x_shape, y):
    preview = client.get(f"/api/datasets/{name}/preview", params={"noise": 0.5}).json()
    assert np.shape(preview["x"]) == x_shape and preview["extent"] is None
    if y is not None:  # the first image of each class, pixels clipped to [0, 1]
        assert preview["y"] == y and np.min(preview["x"]) >= 0 and np.max(preview["x"]) <= 1
    else:  # one sequence of 12 steps, its target as the one entry of y
        assert len(preview["y"]) == 1 and len(preview["features"]) == x_shape[1]


def test_a_preview_of_an_upload_and_bad_previews(client):
    dataset = upload(client, csv_text(50)).json()
    preview = client.get("/api/datasets/upload/preview", params={"upload": dataset["id"]}).json()
    assert preview["input"] == "plane" and len(preview["x"]) == 50 and preview["features"] == ["x1", "x2"]
    for url, params, code, words in [
        ("/api/datasets/mnist9/preview", {}, 404, "'mnist9'"),
        ("/api/datasets/upload/preview", {}, 422, "upload"),
        ("/api/datasets/upload/preview", {"upload": "0123456789ab"}, 404, "0123456789ab"),
        ("/api/datasets/circle/preview", {"noise": 2.5}, 422, "noise"),  # DatasetConfig's limit
        ("/api/datasets/circle/preview", {"seed": -1}, 422, "seed"),
    ]:
        response = client.get(url, params=params)
        assert response.status_code == code and words in response.json()["detail"], (url, response.json())
    schema = client.get("/openapi.json").json()
    assert "DatasetPreview" in schema["components"]["schemas"]
