"""How long a fork of an ended run takes to train its first step past the fork, side by side:

  - from a saved state (what the server does): the parent's newest saved training state at or before the fork
    step, then a replay of the few steps from there;
  - by replay (what it did before): the parent's config replayed from step 0 up to the fork step.

One finished parent (a small MLP on the circle, `--steps` steps), forks near its end with a changed learning
rate, alternating the two ways `--repeat` times; the real app in-process (worker pool, store, routes).
Run: `.venv/bin/python -m bench.fork`.
"""

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from glassnet.api.app import create_app
from glassnet.runs.owners import KEY_HEADER
from glassnet.settings import Settings

CONFIG = {
    "dataset": {"name": "circle", "n_samples": 400},
    "model": {"hidden": [16, 16], "activation": "tanh"},
    "optimizer": {"name": "adam", "lr": 0.01},
}


def wait(client: TestClient, run_id: str, done, timeout: float = 600.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = client.get(f"/api/runs/{run_id}").json()
        if done(run):
            return run
        time.sleep(0.01)
    raise TimeoutError(run_id)


def fork_seconds(client: TestClient, parent: str, step: int) -> float:
    """Seconds from the fork request to the fork's first trained step past `step`; then the fork is deleted."""
    started = time.perf_counter()
    changes = {"optimizer": {"lr": 0.002}}
    fork = client.post(f"/api/runs/{parent}/fork", json={"step": step, "changes": changes}).json()
    wait(client, fork["id"], lambda r: r["step"] > step)
    seconds = time.perf_counter() - started
    client.delete(f"/api/runs/{fork['id']}")
    return seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=20_000, help="the parent's steps")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as data:
        settings = Settings(workers=2, data_dir=Path(data))
        with TestClient(create_app(settings)) as client:
            client.headers[KEY_HEADER] = client.post("/api/owners").json()["key"]
            parent = client.post("/api/runs", json={**CONFIG, "steps": args.steps}).json()["id"]
            wait(client, parent, lambda r: r["status"] == "finished")
            manager = client.app.state.manager
            saved = manager.checkpoints.steps(parent)
            folder = Path(data) / "checkpoints" / parent
            aside = Path(data) / "aside"
            step = args.steps - args.steps // 20  # 95 % of the way
            ways: dict[str, list[float]] = {"saved state": [], "replay": []}
            for _ in range(args.repeat):
                ways["saved state"].append(fork_seconds(client, parent, step))
                shutil.move(folder, aside)  # no saved state: the fork replays from step 0
                ways["replay"].append(fork_seconds(client, parent, step))
                shutil.move(aside, folder)
    print(f"fork at step {step:,} of a finished {args.steps:,}-step run; saved states at {saved}")
    for way, seconds in ways.items():
        each = ", ".join(f"{s:.2f}" for s in seconds)
        print(f"  {way:12s} median {statistics.median(seconds):6.2f} s to its first step  ({each})")
    ratio = statistics.median(ways["replay"]) / statistics.median(ways["saved state"])
    print(f"  from a saved state: {ratio:.1f}x faster than by replay")


if __name__ == "__main__":
    main()
