"""A run's whole life on a real Ray cluster, through the real app: it trains on an actor, streams real frames,
pauses, resumes, forks and stops; a sweep's members train as a cohort; the health endpoint reports the cluster."""

import copy
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.ray.cluster import require_ray
from tests.ray.conftest import LONG, Cluster, cluster_state, ray_app, run_info, until

require_ray()
pytestmark = [pytest.mark.ray, pytest.mark.xdist_group("ray")]  # one cluster: one xdist worker (loadgroup)


@pytest.fixture(scope="module")
def client(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    yield from ray_app(cluster, tmp_path_factory.mktemp("ray-lifecycle"))


def test_health_reports_the_ray_cluster(client: TestClient) -> None:
    state = until(lambda: (s := cluster_state(client))["nodes"] == 2 and s, what="two nodes")
    assert state["executor"] == "ray" and state["connected"] is True
    assert state["address"].startswith("127.0.0.1:")
    assert state["cpus"] == 3 and state["gpus"] == 0
    assert state["last_error"] is None


def test_a_run_streams_pauses_resumes_forks_and_stops_on_ray(client: TestClient) -> None:
    run = client.post("/api/runs", json=LONG).json()
    with client.websocket_connect(f"/api/runs/{run['id']}/stream") as ws:
        hello = ws.receive_json()
        assert hello["type"] == "hello" and hello["layers"]
        frames = []
        while len(frames) < 3:
            message = ws.receive_json()
            if message["type"] == "frame":
                frames.append(message)
        assert frames[-1]["step"] > frames[0]["step"]  # real training, on the cluster
    assert cluster_state(client)["actors"] >= 1

    assert client.post(f"/api/runs/{run['id']}/pause").json()["status"] == "paused"
    paused_at = run_info(client, run["id"])["step"]
    assert client.post(f"/api/runs/{run['id']}/resume").json()["status"] == "running"
    until(lambda: run_info(client, run["id"])["step"] > paused_at, what="training after resume")

    fork = client.post(f"/api/runs/{run['id']}/fork", json={"changes": {"optimizer": {"lr": 0.005}}})
    assert fork.status_code == 201, fork.text
    fork_id, fork_at = fork.json()["id"], fork.json()["step"]
    until(lambda: run_info(client, fork_id)["step"] > fork_at + 10, what="the fork to train")
    assert run_info(client, fork_id)["parent"] == run["id"]

    for run_id in (run["id"], fork_id):
        assert client.post(f"/api/runs/{run_id}/stop").json()["status"] == "stopped"
    history = client.get(f"/api/runs/{run['id']}/metrics?series=train_loss&max_points=10000").json()
    steps = history["series"]["train_loss"]["step"]
    assert steps == sorted(set(steps)) and len(steps) >= 3


def test_a_seed_band_trains_as_a_cohort_on_one_actor(client: TestClient) -> None:
    base = {**copy.deepcopy(LONG), "steps": 300}
    answer = client.post("/api/sweeps", json={"config": base, "grid": {"seed": [0, 1, 2]}})
    assert answer.status_code == 201, answer.text
    sweep_id = answer.json()["id"]
    sweep = until(
        lambda: (s := client.get(f"/api/sweeps/{sweep_id}").json())["status"] in ("done", "stopped") and s,
        what="the sweep to finish",
    )
    assert [m["status"] for m in sweep["members"]] == ["finished"] * 3
    assert all(m["step"] == 300 for m in sweep["members"])
    assert max(m["cohort"]["members"] for m in sweep["members"]) > 1  # batched together
    losses = [m["summary"]["train_loss"]["value"] for m in sweep["members"]]
    assert len(set(losses)) == 3  # each member its own seed
