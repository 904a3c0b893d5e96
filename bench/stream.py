"""Streams under load, on loopback: latency, frames per client, training speed with clients, server memory.

Starts `glassnet serve` on a free port and measures, in one run:
  - step-to-client latency p50/p95 (the frame's `wall` time to its arrival),
  - frames/s delivered per client with 1, 10 and 50 clients,
  - training steps/s with no client, with 20 clients, and with one stalled client (one that never reads),
    as ratios to the no-client speed, measured side by side on identical runs,
  - the server process's RSS across a long run.
Run: `make bench` or `.venv/bin/python -m bench.stream [--seconds S] [--long-steps N]`.
"""

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import websockets

from glassnet.runs.owners import KEY_HEADER
from tests.live_server import running_server

CONFIG = {
    "dataset": {"name": "circle", "n_samples": 400},
    "model": {"hidden": [16, 16], "activation": "tanh"},
    "optimizer": {"name": "adam", "lr": 0.01},
    "steps": 1_000_000,
    "frame_hz": 20,
}


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def follow(url: str, seconds: float, latencies: list[float] | None = None) -> int:
    """Read a run's stream for `seconds`; the frames received."""
    frames = 0
    async with websockets.connect(url, max_size=None) as ws:
        await ws.recv()  # hello
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            try:
                message = json.loads(await asyncio.wait_for(ws.recv(), left))
            except TimeoutError:
                break
            if message["type"] == "frame":
                frames += 1
                if latencies is not None:
                    latencies.append(time.time() - message["wall"])
    return frames


async def stall(url: str, seconds: float) -> None:
    """Connect and never read: the socket's buffers fill and stay full."""
    async with websockets.connect(url, max_size=None, max_queue=1) as ws:
        ws.transport.pause_reading()
        await asyncio.sleep(seconds)


def steps_per_second(http: httpx.Client, run_id: str, seconds: float) -> float:
    start = http.get(f"/api/runs/{run_id}").json()["step"]
    time.sleep(seconds)
    return (http.get(f"/api/runs/{run_id}").json()["step"] - start) / seconds


async def speed_with(base: str, http: httpx.Client, clients: int, stalled: bool, seconds: float) -> float:
    run_id = http.post("/api/runs", json=CONFIG).json()["id"]
    ws_url = base.replace("http", "ws") + f"/api/runs/{run_id}/stream"
    while http.get(f"/api/runs/{run_id}").json()["status"] != "running":
        await asyncio.sleep(0.05)
    tasks = [asyncio.create_task(follow(ws_url, seconds + 2)) for _ in range(clients)]
    if stalled:
        tasks.append(asyncio.create_task(stall(ws_url, seconds + 2)))
    await asyncio.sleep(1)  # let them connect
    rate = await asyncio.to_thread(steps_per_second, http, run_id, seconds)
    await asyncio.gather(*tasks)
    http.post(f"/api/runs/{run_id}/stop")
    return rate


async def bench(base: str, pid: int, seconds: float, long_steps: int) -> None:
    http = httpx.Client(base_url=base, timeout=30)
    http.headers[KEY_HEADER] = http.post("/api/owners").json()["key"]  # the runs are this bench's
    run_id = http.post("/api/runs", json=CONFIG).json()["id"]
    ws_url = base.replace("http", "ws") + f"/api/runs/{run_id}/stream"
    latencies: list[float] = []
    await follow(ws_url, seconds, latencies)
    latencies.sort()
    p50, p95 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.95)]
    print(f"latency step->client: p50 {p50 * 1e3:.1f} ms, p95 {p95 * 1e3:.1f} ms ({len(latencies)} frames)")
    for n in (1, 10, 50):
        counts = await asyncio.gather(*(follow(ws_url, seconds) for _ in range(n)))
        print(
            f"{n:2d} client(s): frames/s per client median {statistics.median(counts) / seconds:.1f}, "
            f"min {min(counts) / seconds:.1f} (the run makes at most {CONFIG['frame_hz']}/s)"
        )
    http.post(f"/api/runs/{run_id}/stop")

    # side by side: alternate the three conditions twice, each on a fresh identical run
    speeds: dict[str, list[float]] = {"no client": [], "20 clients": [], "1 stalled client": []}
    for _ in range(2):
        speeds["no client"].append(await speed_with(base, http, 0, False, seconds))
        speeds["20 clients"].append(await speed_with(base, http, 20, False, seconds))
        speeds["1 stalled client"].append(await speed_with(base, http, 0, True, seconds))
    baseline = statistics.median(speeds["no client"])
    for name, values in speeds.items():
        rate = statistics.median(values)
        print(f"training with {name}: {rate:,.0f} steps/s, ratio {rate / baseline:.3f}")

    run_id = http.post("/api/runs", json={**CONFIG, "steps": long_steps}).json()["id"]
    while http.get(f"/api/runs/{run_id}").json()["status"] == "pending":
        await asyncio.sleep(0.05)
    start_rss, peak = rss_mb(pid), 0.0
    started = time.monotonic()
    while (run := http.get(f"/api/runs/{run_id}").json())["status"] == "running":
        peak = max(peak, rss_mb(pid))
        await asyncio.sleep(0.5)
    end_rss = rss_mb(pid)
    print(
        f"server RSS over a run of {run['step']:,} steps ({time.monotonic() - started:.0f} s): "
        f"{start_rss:.1f} MB -> {end_rss:.1f} MB (peak {peak:.1f} MB, growth {end_rss - start_rss:+.1f} MB)"
    )
    http.close()


def main(argv: list[str] | None = None) -> None:
    sys.stdout.reconfigure(line_buffering=True)  # each figure as soon as it is measured, even into a file
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each measurement")
    parser.add_argument("--long-steps", type=int, default=200_000, help="steps of the memory run")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as data:
        artifacts = Path(data)
        # the server gets a core to itself as far as it can: one worker, one torch thread
        env = {"GLASSNET_WORKERS": "1", "GLASSNET_MAX_RUNS": "2"}
        with running_server(artifacts, "bench-server", **env) as url:
            print(f"server pid {url.process.pid} on {url}; {os.cpu_count()} cores; python {sys.version.split()[0]}")
            asyncio.run(bench(url, url.process.pid, args.seconds, args.long_steps))


if __name__ == "__main__":
    main()
