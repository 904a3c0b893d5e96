"""Faults on a real Ray cluster: a node that dies takes its actors with it; its runs continue from their last
saved state on another node (one run, one history with no step twice, an event that says it moved), or end
`interrupted` with the reason when no room is left; the other runs go on."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.ray.cluster import require_ray
from tests.ray.conftest import LONG, Cluster, cluster_state, events, ray_app, run_info, until

require_ray()
pytestmark = [pytest.mark.ray, pytest.mark.xdist_group("ray")]  # one cluster: one xdist worker (loadgroup)


@pytest.fixture(scope="module")
def client(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    # two runs per actor: the head's one CPU takes one actor, so two moved runs fill it
    yield from ray_app(cluster, tmp_path_factory.mktemp("ray-faults"), ray_runs_per_actor=2)


def steps_of(client: TestClient, run_id: str) -> list[int]:
    history = client.get(f"/api/runs/{run_id}/metrics?series=train_loss&max_points=10000").json()
    return history["series"]["train_loss"]["step"]


def test_a_lost_nodes_cohort_members_each_continue_from_their_checkpoint_and_with_no_room_left_a_run_ends(
    client: TestClient, cluster: Cluster
) -> None:
    # every CPU free (the other module's actors have gone): a new actor goes to the node with most free CPUs,
    # the worker node (2) rather than the head (1)
    until(lambda: (s := cluster_state(client))["cpus_free"] == s["cpus"] == 3, 60, "a free cluster")
    runs = [client.post("/api/runs", json={**LONG, "seed": seed}).json()["id"] for seed in (1, 2)]
    until(lambda: all(run_info(client, r)["step"] >= 700 for r in runs), 120, "the runs to pass step 700")
    assert run_info(client, runs[1])["cohort"]["members"] == 2  # one cohort, on one actor
    assert cluster_state(client)["actors"] == 1
    before = {r: run_info(client, r)["step"] for r in runs}

    cluster.workers[0].kill()  # the worker node dies, with its raylet, its workers and the cohort's actor

    for run_id in runs:
        moved = until(
            lambda r=run_id: [e for e in events(client, r) if e["kind"] == "moved"], 60, f"run {run_id} to move"
        )
        assert len(moved) == 1
        since = moved[0]["step"]
        assert since >= 100 and since % 100 == 0  # a saved state's step (states are saved every 100 steps or more)
        assert "from step" in moved[0]["message"]
        until(lambda r=run_id, s=since: run_info(client, r)["step"] > s + 500, 60, f"run {run_id} to train on")
        info = run_info(client, run_id)
        assert info["status"] == "running" and info["error"] is None
        assert info["cohort"]["alone"]  # each member on alone
        steps = steps_of(client, run_id)
        assert steps == sorted(set(steps))  # one history, no step recorded twice
        assert steps[-1] > since + 500 and steps[0] < before[run_id]
    state = until(lambda: (s := cluster_state(client))["nodes"] == 1 and s, 30, "the dead node to leave the cluster")
    assert state["actors"] == 1, state  # both on the head's actor now
    assert "lost" in (state["last_error"] or "") or "died" in (state["last_error"] or "")
    # then the next fault, from this state (one test: pytest-xdist may run another module's tests in between,
    # and the module's app, with these runs, would be made anew)
    with_no_room_left_a_lost_nodes_run_is_interrupted_and_the_others_go_on(client, cluster)


def with_no_room_left_a_lost_nodes_run_is_interrupted_and_the_others_go_on(
    client: TestClient, cluster: Cluster
) -> None:
    # the moved runs fill the head's one actor (on a loaded machine they may still be on their way there)
    moved = until(
        lambda: (
            len(ids := [r["id"] for r in client.get("/api/runs").json()["items"] if r["status"] == "running"]) == 2
            and ids
        ),
        120,
        "the two moved runs to train on the head",
        lambda: [(r["status"], r["step"], r.get("error")) for r in client.get("/api/runs").json()["items"]],
    )
    until(lambda: cluster_state(client)["nodes"] == 1, 30, "the dead node to leave the cluster")
    cluster.add_worker("worker-2", 1)
    until(lambda: (s := cluster_state(client))["nodes"] == 2 and s["cpus_free"] >= 1, 90, "the new node's CPU")
    other = client.post("/api/runs", json={**LONG, "model": {"hidden": [3], "activation": "relu"}}).json()["id"]
    until(lambda: run_info(client, other)["step"] > 50, 60, "the new run to train (on the new node)")
    before = {r: run_info(client, r)["step"] for r in moved}

    cluster.workers[-1].kill()

    info = until(lambda: (i := run_info(client, other))["status"] != "running" and i, 60, "the run to end")
    assert info["status"] == "interrupted"
    assert "no room" in info["error"] and "Ray" in info["error"]
    for run_id in moved:  # the runs elsewhere go on
        until(lambda r=run_id: run_info(client, r)["step"] > before[r] + 50, 30, f"run {run_id} to go on")
        assert client.post(f"/api/runs/{run_id}/stop").json()["status"] == "stopped"
