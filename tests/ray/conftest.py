"""The Ray executor's tests run against a real local Ray cluster of our own (tests/ray/cluster.py): a head with
1 CPU and a worker node with 2, started once per session. Each test module skips itself where ray is not installed
(it is an extra: pip install glassnet[ray]; `make test` installs it); nothing here imports ray."""

import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from glassnet.api.app import create_app
from glassnet.runs.owners import KEY_HEADER
from glassnet.settings import Settings
from tests.ray.cluster import Node, free_ports, wait_for_nodes

# a small MLP (it batches into a cohort when fresh), trained until stopped so that a test can act mid-run
LONG: dict[str, Any] = {
    "dataset": {"name": "circle", "n_samples": 200, "noise": 0.05},
    "model": {"hidden": [4], "activation": "tanh"},
    "optimizer": {"name": "adam", "lr": 0.02},
    "batch_size": 16,
    "steps": None,
    "frame_hz": 10,
    "seed": 1,
}


@dataclass
class Cluster:
    head: Node
    root: Path
    logs: Path
    workers: list[Node] = field(default_factory=list)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.head.gcs_port}"

    def add_worker(self, name: str, cpus: int) -> Node:
        node = Node(name, cpus, self.head.gcs_port, self.root / "ray", self.logs).start()
        self.workers.append(node)
        return node


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    # (a short temp dir: Ray's socket paths must stay under the 107 bytes of a unix socket's name)
    root = Path(f"/tmp/gnray-{free_ports(1)[0]}")
    root.mkdir(parents=True)
    logs = tmp_path_factory.mktemp("ray-nodes")  # each node's output, kept for a look after a failure
    head = Node("head", 1, free_ports(1)[0], root / "ray", logs, head=True).start()
    found = Cluster(head, root, logs)
    try:
        wait_for_nodes(head, 1)
        found.add_worker("worker-1", 2)
        wait_for_nodes(head, 2)
        yield found
    finally:
        for node in [*found.workers, head]:
            node.kill()
        shutil.rmtree(root, ignore_errors=True)


def until(
    check: Callable[[], Any], timeout: float = 60.0, what: str = "the condition", state: Callable[[], Any] | None = None
) -> Any:
    """`check()` once it is truthy; on a timeout an error naming `what`, with `state()` (what was seen) if given."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}" + (f"; saw {state()}" if state else ""))


def ray_app(cluster: Cluster, data_dir: Path, **settings: Any) -> Iterator[TestClient]:
    """The real app, training on the cluster; once its bridge has connected."""
    config = Settings(
        workers=0, max_runs=16, max_runs_per_owner=16, data_dir=data_dir, ray_address=cluster.address, **settings
    )
    with TestClient(create_app(config)) as client:
        client.headers[KEY_HEADER] = client.post("/api/owners").json()["key"]
        until(lambda: client.get("/api/health").json()["cluster"]["connected"], 90, "the bridge to connect")
        yield client


def cluster_state(client: TestClient) -> dict[str, Any]:
    return client.get("/api/health").json()["cluster"]


def run_info(client: TestClient, run_id: str) -> dict[str, Any]:
    return client.get(f"/api/runs/{run_id}").json()


def events(client: TestClient, run_id: str) -> list[dict[str, Any]]:
    return client.get(f"/api/runs/{run_id}/export?format=json").json()["events"]
