"""Shared fixtures: configs small enough to train in about a second, and the real app in-process."""

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from glassnet.api.app import create_app
from glassnet.runs.owners import KEY_HEADER
from glassnet.settings import Settings

SMALL_CONFIG: dict[str, Any] = {
    "dataset": {"name": "circle", "n_samples": 400, "noise": 0.05},
    "model": {"hidden": [8, 8], "activation": "tanh"},
    "optimizer": {"name": "adam", "lr": 0.02},
    "batch_size": 16,
    "steps": 800,
    "seed": 1,
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Fast feedback first: the browser tests (marked e2e) run last. Under pytest-xdist (`make test
    PYTEST_ARGS="-n 2 --dist loadgroup"`) a file's tests stay on one worker, so that its module fixtures (servers,
    browsers) are made once; files that share a session fixture (tests/ray's cluster) name one group for all of
    them."""
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))


# a small run that cannot batch (an RNN: it trains alone, in a worker of its own, and takes a whole run's room
# against GLASSNET_MAX_RUNS, where a run in a cohort takes 1/16)
ALONE_CONFIG: dict[str, Any] = {
    "dataset": {"name": "adding", "n_samples": 100, "seq_len": 5},
    "model": {"kind": "rnn", "cell": "rnn_tanh", "rnn_hidden": 4, "hidden": [], "activation": "tanh"},
    "optimizer": {"name": "adam", "lr": 0.01},
    "batch_size": 16,
    "steps": 1_000_000,
}


@pytest.fixture
def small_config() -> dict[str, Any]:
    return copy.deepcopy(SMALL_CONFIG)


@pytest.fixture
def alone_config() -> dict[str, Any]:
    return copy.deepcopy(ALONE_CONFIG)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The real app (worker pool, hub, store, routes) behind an in-process client, with its own data dir. The
    client sends an owner key of its own (as the page and the CLI do); the per-owner limit is the server's, so
    tests that are not about it can run four at once."""
    settings = Settings(workers=1, max_runs=4, max_runs_per_owner=4, data_dir=tmp_path_factory.mktemp("data"))
    with TestClient(create_app(settings)) as test_client:
        test_client.headers[KEY_HEADER] = test_client.post("/api/owners").json()["key"]
        yield test_client
