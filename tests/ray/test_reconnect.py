"""The cluster's head restarts: the server survives it. Its Ray bridge (the driver) notices that the head no longer
answers, exits and is started again; the new one connects to the restarted head; the runs that were training
continue there from their last saved state, and new runs train."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.ray.cluster import require_ray
from tests.ray.conftest import LONG, Cluster, cluster_state, events, ray_app, run_info, until

require_ray()
pytestmark = [pytest.mark.ray, pytest.mark.xdist_group("ray")]  # one cluster: one xdist worker (loadgroup)


@pytest.fixture(scope="module")
def client(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    yield from ray_app(cluster, tmp_path_factory.mktemp("ray-reconnect"))


def test_the_server_reconnects_after_the_head_restarts_and_its_run_goes_on(client: TestClient, cluster: Cluster):
    run_id = client.post("/api/runs", json={**LONG, "seed": 5}).json()["id"]
    until(lambda: run_info(client, run_id)["step"] > 300, 60, "a saved state")
    restarts = cluster_state(client)["restarts"]

    cluster.head.kill()
    cluster.head.start()  # on the same address

    state = until(
        lambda: (s := cluster_state(client))["connected"] and s["restarts"] > restarts and s, 120, "a reconnection"
    )
    assert state["nodes"] >= 1 and state["address"] == cluster.address
    moved = until(lambda: [e for e in events(client, run_id) if e["kind"] == "moved"], 60, "the run to move")
    since = moved[-1]["step"]
    until(lambda: run_info(client, run_id)["step"] > since + 300, 90, "the run to train on the new head")
    assert run_info(client, run_id)["status"] == "running"
    steps = client.get(f"/api/runs/{run_id}/metrics?series=train_loss&max_points=10000").json()["series"]
    assert steps["train_loss"]["step"] == sorted(set(steps["train_loss"]["step"]))

    fresh = client.post("/api/runs", json={**LONG, "steps": 200, "model": {"hidden": [2], "activation": "relu"}})
    fresh_id = fresh.json()["id"]
    assert until(lambda: run_info(client, fresh_id)["status"] == "finished", 60, "a new run to train")
    assert client.post(f"/api/runs/{run_id}/stop").json()["status"] == "stopped"
