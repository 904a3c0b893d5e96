"""A real local Ray cluster for the Ray executor's tests: a head node and worker nodes, each a `ray start --block`
process of our own (in a session of its own, so that killing its process group takes its raylet and workers
with it). Never `ray stop`: it would stop every Ray process on the machine, other people's too."""

import contextlib
import importlib.util
import os
import random
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

RAY = Path(sys.executable).parent / "ray"
# the head notices a dead node within about 2 s (Ray's default is about 30 s)
FAST_HEALTH = {
    "RAY_health_check_period_ms": "500",
    "RAY_health_check_timeout_ms": "500",
    "RAY_health_check_failure_threshold": "4",
    "RAY_health_check_initial_delay_ms": "0",
}


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _living(group: int) -> bool:
    """Whether a process of this process group is still alive (zombies, which hold nothing, do not count)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == group and fields[0] != "Z":
                return True
    return False


def free_ports(n: int) -> list[int]:
    """`n` consecutive free ports (a worker-port range needs them consecutive)."""
    for _ in range(200):
        base = random.randint(20_000, 60_000 - n)
        if all(_free(p) for p in range(base, base + n)):
            return list(range(base, base + n))
    raise RuntimeError(f"no {n} consecutive free ports")


@dataclass
class Node:
    name: str
    cpus: int
    gcs_port: int
    temp_dir: Path  # Ray's sessions (short: unix socket paths live under it)
    log_dir: Path  # the node's output, kept after the tests
    head: bool = False
    process: subprocess.Popen | None = None
    starts: int = 0
    ports: list[int] = field(default_factory=list)

    def start(self) -> "Node":
        if not self.ports:
            self.ports = free_ports(16)  # kept across restarts: a restarted head has the same address
        p = self.ports
        if self.head:  # (a restarted head: until the killed one's processes have let go of its port)
            deadline = time.monotonic() + 30
            while not _free(self.gcs_port) and time.monotonic() < deadline:
                time.sleep(0.2)
        args = [str(RAY), "start", "--block", "--disable-usage-stats", "--num-cpus", str(self.cpus), "--num-gpus", "0"]
        args += ["--node-ip-address", "127.0.0.1", "--object-store-memory", str(100 << 20)]
        args += ["--node-manager-port", str(p[0]), "--object-manager-port", str(p[1])]
        args += ["--dashboard-agent-listen-port", str(p[2]), "--dashboard-agent-grpc-port", str(p[3])]
        args += ["--runtime-env-agent-port", str(p[4]), "--metrics-export-port", str(p[5])]
        args += ["--dashboard-port", str(p[6])]
        args += ["--min-worker-port", str(p[8]), "--max-worker-port", str(p[15])]
        if self.head:
            args += ["--head", "--port", str(self.gcs_port), "--include-dashboard=false"]
            # a session directory of its own per start: Ray refuses to start a head where the file of a
            # killed one still names its address
            self.starts += 1
            args += ["--temp-dir", str(self.temp_dir / str(self.starts))]
        else:
            args += ["--address", f"127.0.0.1:{self.gcs_port}"]
        env = {**os.environ, **FAST_HEALTH, "RAY_USAGE_STATS_ENABLED": "0"}
        log = open(self.log_dir / f"{self.name}.log", "ab")  # noqa: SIM115 (kept open for the process)
        self.process = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def kill(self) -> None:
        """Kill the node as a crash would: its `ray start` and everything it started (raylet, workers, actors)."""
        if self.process is None:
            return
        group = self.process.pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None
        deadline = time.monotonic() + 10
        while _living(group) and time.monotonic() < deadline:  # (its raylet, GCS, workers: gone, not dying)
            time.sleep(0.1)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


def wait_for_nodes(head: Node, count: int, timeout: float = 120) -> None:
    """Until the cluster has `count` alive nodes (one short-lived driver asks the head's node table)."""
    script = (
        "import ray,sys,time; ray.init(address=sys.argv[1], logging_level='ERROR', log_to_driver=False)\n"
        "while sum(n['Alive'] for n in ray.nodes()) < int(sys.argv[2]): time.sleep(0.3)\n"
    )
    address = f"127.0.0.1:{head.gcs_port}"
    subprocess.run([sys.executable, "-c", script, address, str(count)], check=True, timeout=timeout)


def require_ray() -> None:
    """Skip the calling test module where ray is not installed (without importing it into the test process)."""
    if importlib.util.find_spec("ray") is None:
        pytest.skip(
            "ray is not installed: pip install 'glassnet[ray]' (make test installs it)", allow_module_level=True
        )
