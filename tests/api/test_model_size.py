"""POST /api/configs/size: the parameter count the page shows while a network is built, and the limit a run is
refused over; counted by hand for a few models (the oracle) and equal to the count of the run itself."""

from itertools import pairwise

import pytest

from glassnet.config import LIMITS

BASE = {"dataset": {"name": "circle"}, "optimizer": {"name": "sgd"}, "steps": 5}


def size(client, model: dict, dataset: dict | None = None) -> dict:
    config = {**BASE, "model": model, "dataset": dataset or BASE["dataset"]}
    response = client.post("/api/configs/size", json=config)
    assert response.status_code == 200, response.text
    return response.json()


def dense(widths: list[int], norm_units: int = 0) -> int:
    """Weights and biases of a dense stack, and a scale and a shift per normalized unit."""
    return sum(a * b + b for a, b in pairwise(widths)) + 2 * norm_units


CASES = [
    # 2 features (x1, x2) -> 8 -> 8 -> 1
    ("mlp", {"hidden": [8, 8], "activation": "tanh"}, None, dense([2, 8, 8, 1])),
    ("layer norm", {"hidden": [8, 8], "activation": "tanh", "norm": "layer"}, None, dense([2, 8, 8, 1], 16)),
    (
        "more features",
        {"hidden": [5], "activation": "relu"},
        {"name": "xor", "features": ["x1", "x2", "x1x2", "sin_x1"]},
        dense([4, 5, 1]),
    ),
    # digits: 64 pixels -> 16 -> 10 classes
    ("digits", {"hidden": [16], "activation": "relu"}, {"name": "digits"}, dense([64, 16, 10])),
]


@pytest.mark.parametrize(("case", "model", "dataset", "expected"), CASES, ids=[c[0] for c in CASES])
def test_the_count_is_the_models_own(client, case, model, dataset, expected):
    answer = size(client, model, dataset)
    assert answer == {"parameters": expected, "max_parameters": LIMITS["max_parameters"], "over_limit": False}


def test_a_network_over_the_limit_is_flagged_and_its_run_refused_with_the_same_numbers(client):
    model = {"hidden": [1024] * 6, "activation": "relu"}
    answer = size(client, model)
    assert answer["over_limit"] and answer["parameters"] == dense([2, *[1024] * 6, 1])
    assert (
        answer["parameters"] > LIMITS["max_parameters"] >= size(client, {**model, "hidden": [1024] * 5})["parameters"]
    )
    refused = client.post("/api/runs", json={**BASE, "model": model})
    assert refused.status_code == 422 and f"{answer['parameters']:,} parameters" in refused.json()["detail"]


def test_the_count_equals_the_runs_own_and_a_bad_config_names_its_field(client):
    model = {"hidden": [6, 3], "activation": "tanh", "norm": "batch"}
    counted = size(client, model)["parameters"]
    assert counted == dense([2, 6, 3, 1], 9)
    run = client.post("/api/runs", json={**BASE, "model": model})
    assert run.status_code == 201, run.text
    with client.websocket_connect(f"/api/runs/{run.json()['id']}/stream") as ws:
        hello = ws.receive_json()
    assert hello["type"] == "hello" and hello["data"]["parameters"] == counted  # the trainer's real model
    bad = client.post("/api/configs/size", json={**BASE, "model": {**model, "hidden": [2000]}})
    assert bad.status_code == 422 and "model.hidden" in bad.text
