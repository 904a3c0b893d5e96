"""CSV uploads: validated whole, size-capped, then trained on like any dataset."""

import numpy as np
import pytest

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
    assert done["summary"]["test_acc"] > 0.9  # a linearly separable upload


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
    assert done["summary"]["test_acc"] is None and done["summary"]["test_loss"] is not None


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
