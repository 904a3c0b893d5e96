"""The optimizer lab's API: the surfaces with their grids, runs, and 422s that name the field and limit."""

import pytest

from glassnet.api.schemas import LabRun
from glassnet.lab import LAB_LIMITS, SURFACES
from glassnet.registry import OPTIMIZERS


def test_surfaces_come_with_grids_starts_and_limits(client):
    body = client.get("/api/lab/surfaces").json()
    assert [s["name"] for s in body["surfaces"]] == list(SURFACES)
    assert body["limits"]["max_steps"] == LAB_LIMITS["max_steps"]
    for surface in body["surfaces"]:
        assert set(surface["label"]) == {"en", "zh"} and len(surface["extent"]) == 4
        assert len(surface["grid"]["display"]) == surface["grid"]["size"] ** 2
    quad = next(s for s in body["surfaces"] if s["name"] == "quadratic")
    assert quad["params"] == [{"name": "k", "default": 10.0, "min": 1.0, "max": 1000.0}]
    # where y = 0 is a floor or ridge the paths cross, the UI counts y's sign changes
    assert {s["name"] for s in body["surfaces"] if s["y_floor"]} == {"quadratic", "saddle"}


def test_a_run_returns_one_path_per_optimizer(client):
    optimizers = [{"name": c.name, "lr": 0.01} for c in OPTIMIZERS]
    response = client.post(
        "/api/lab/run",
        json={"surface": "quadratic", "k": 50, "start": [-1.5, 0.5], "steps": 30, "optimizers": optimizers},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["k"] == 50 and body["start"] == [-1.5, 0.5]
    assert [p["optimizer"]["name"] for p in body["paths"]] == [c.name for c in OPTIMIZERS]
    for path in body["paths"]:
        assert len(path["x"]) == 31 and path["x"][0] == -1.5 and path["loss"][0] == pytest.approx(0.5 * (2.25 + 12.5))
    adam = body["paths"][6]
    assert adam["momentum"][5] is not None and adam["scale"][5] is not None
    assert body["paths"][0]["momentum"][5] is None  # plain SGD keeps no velocity


@pytest.mark.parametrize(
    ("change", "field", "limit"),
    [
        ({"steps": 2001}, "steps", "2000"),
        ({"k": 1001}, "k", "1000"),
        ({"start": [11, 0]}, "start.0", "10"),
        ({"start": [0]}, "start.1", "required"),
        ({"surface": "moon"}, "surface", "rosenbrock"),
        ({"optimizers": []}, "optimizers", "1"),
        ({"optimizers": [{"name": "adam", "lr": 11}]}, "optimizers.0.lr", "10"),
        ({"optimizers": [{"name": "lbfgs"}]}, "optimizers.0.name", "adam"),
    ],
)
def test_out_of_range_is_a_422_that_names_the_field_and_the_limit(client, change, field, limit):
    body = {"surface": "rosenbrock", "start": [-1.2, 1.0], "steps": 10, "optimizers": [{"name": "sgd"}], **change}
    response = client.post("/api/lab/run", json=body)
    assert response.status_code == 422
    error = response.json()
    assert field in [e["field"] for e in error["errors"]], error
    assert limit in error["detail"]


def test_a_large_answer_travels_compressed(client):
    """Eight optimizers for 2000 steps is about 2.5 MB of JSON; a browser asks for gzip and gets a few times less."""
    names = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adadelta", "adam", "adamw"]
    body = {"surface": "beale", "start": [1.0, 1.4], "steps": 2000, "optimizers": [{"name": n} for n in names]}
    response = client.post("/api/lab/run", json=body, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and response.headers["content-encoding"] == "gzip"
    raw = int(response.headers["content-length"])
    assert len(response.content) > 2 * raw  # httpx unzipped it: the JSON is more than twice what travelled
    assert len(response.json()["paths"]) == 8
    plain = client.post("/api/lab/run", json=body, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.json() == response.json()


def _alone(client, body: dict, optimizer: dict) -> dict:
    response = client.post("/api/lab/run", json={**body, "optimizers": [optimizer]})
    assert response.status_code == 200, response.text
    return response.json()["paths"][0]


@pytest.mark.parametrize(
    "optimizers",
    [
        [{"name": "sgd", "lr": 0.002}, {"name": "adam", "lr": 0.05}],
        [{"name": "sgd", "lr": 0.001}, {"name": "sgd", "lr": 0.003}],  # the same optimizer at two step sizes
    ],
)
def test_each_optimizer_takes_its_own_learning_rate(client, optimizers):
    """The lab has no shared step size: every optimizer of a request runs at its own lr, and its path is exactly
    the one it takes alone."""
    body = {"surface": "rosenbrock", "start": [-1.2, 1.0], "steps": 40}
    response = client.post("/api/lab/run", json={**body, "optimizers": optimizers})
    assert response.status_code == 200, response.text
    paths = response.json()["paths"]
    assert [p["optimizer"]["lr"] for p in paths] == [o["lr"] for o in optimizers]
    assert paths[0]["x"][1:] != paths[1]["x"][1:]  # different step sizes, different paths
    for path, optimizer in zip(paths, optimizers, strict=True):
        alone = _alone(client, body, optimizer)
        for key in ("x", "y", "loss", "momentum", "scale"):
            assert path[key] == alone[key], (optimizer, key)
    sgd = paths[0]  # SGD's first step is lr times the gradient: its own lr, not the other's
    assert sgd["x"][1] == pytest.approx(-1.2 - optimizers[0]["lr"] * sgd["gx"][0])


def test_the_lab_defaults_are_served_and_an_empty_request_runs_them(client):
    """LabRun's defaults are the lab's opening setup: GET /api/lab/surfaces serves them (the UI starts from them)
    and POST /api/lab/run with an empty body runs them."""
    body = client.get("/api/lab/surfaces").json()
    defaults = body["defaults"]
    assert defaults == LabRun().model_dump(mode="json")
    surface = next(s for s in body["surfaces"] if s["name"] == defaults["surface"])
    assert defaults["start"] == surface["start"]  # a left-out start is the surface's own
    assert [o["name"] for o in defaults["optimizers"]] == ["sgd", "adam"]
    # each at its own step size on the surface (served per optimizer): Adam's is not SGD's
    assert all(o["lr"] == surface["lrs"][o["name"]] for o in defaults["optimizers"])
    assert defaults["optimizers"][1]["lr"] > 10 * defaults["optimizers"][0]["lr"]
    for served in body["surfaces"]:
        assert set(served["lrs"]) == {c.name for c in OPTIMIZERS} and served["lr"] == served["lrs"]["sgd"]
    ran = client.post("/api/lab/run", json={}).json()
    assert ran["surface"] == defaults["surface"] and ran["start"] == defaults["start"]
    assert [p["steps"] for p in ran["paths"]] == [defaults["steps"]] * 2
    # a start left out (or null) is the chosen surface's own
    saddle = next(s for s in body["surfaces"] if s["name"] == "saddle")
    for start in ({}, {"start": None}):
        response = client.post("/api/lab/run", json={"surface": "saddle", "steps": 5, **start})
        assert response.json()["start"] == saddle["start"]
