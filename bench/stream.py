"""Streams under load, on loopback: latency, frames per client, training speed with clients, server memory.

Starts `glassnet serve` on a free port and measures, in one run:
  - step-to-client latency p50/p95 (the frame's `wall` time to its arrival),
  - frames/s delivered per client with 1, 10 and 50 clients,
  - training steps/s with no client, with 20 clients, and with one stalled client (one that never reads),
    as ratios to the no-client speed, measured side by side on identical runs,
  - the server process's RSS across a long run.
Then a class, on servers with the default limits (GLASSNET_MAX_RUNS 4), cohorts on and cohorts off side by side:
  `--class-runs` runs of bench/cohort.py's case (a) (TF Playground's default net, frame_hz 20, until stopped), each
  started by its own owner (a key per client address, as a class's machines get theirs) with concurrent POSTs, then
  all streams read at once for `--class-seconds`: the runs accepted (429s), how many train at once and in how many
  cohorts, frames/s per run received and made (by `seq`: fewer received means frames skipped on the way), steps/s
  per run and of all together, and frame latency (`wall` to arrival).
Run: `make bench` or `.venv/bin/python -m bench.stream [--seconds S] [--long-steps N] [--class-runs N]
[--class-seconds S] [--class-only]`.
"""

import argparse
import asyncio
import json
import os
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import websockets

from bench.cohort import CASES
from glassnet.runs.owners import KEY_HEADER
from glassnet.settings import Settings
from tests.live_server import running_server

CONFIG = {
    "dataset": {"name": "circle", "n_samples": 400},
    "model": {"hidden": [16, 16], "activation": "tanh"},
    "optimizer": {"name": "adam", "lr": 0.01},
    "steps": 1_000_000,
    "frame_hz": 20,
}
# the class's runs: TF Playground's default net, trained until stopped
CLASS_CONFIG = {**CASES["a"].config, "steps": None, "frame_hz": 20}


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


async def bench(base: str, pid: int, seconds: float, long_steps: int, rounds: int = 2) -> None:
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

    # side by side: alternate the three conditions `rounds` times, each on a fresh identical run
    speeds: dict[str, list[float]] = {"no client": [], "20 clients": [], "1 stalled client": []}
    for _ in range(rounds):
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


@dataclass
class Window:
    """The span every class stream is measured over: opened once all streams have said hello."""

    opened: asyncio.Event = field(default_factory=asyncio.Event)
    start: float = 0.0
    end: float = 0.0

    def open(self, seconds: float) -> None:
        self.start = time.monotonic()
        self.end = self.start + seconds
        self.opened.set()


@dataclass
class Watched:
    """What one run's stream delivered inside the window."""

    frames: int = 0
    first: tuple[int, int, float] | None = None  # (step, seq, wall) of its first frame in the window
    last: tuple[int, int, float] | None = None
    latencies: list[float] = field(default_factory=list)

    def per_second(self, index: int) -> float:
        """Steps (index 0) or frames made (1: `seq` counts them, received or skipped) per second of the run."""
        if self.first is None or self.last is None or self.last[2] <= self.first[2]:
            return 0.0
        return (self.last[index] - self.first[index]) / (self.last[2] - self.first[2])


async def until_started(reader: httpx.AsyncClient, run_ids: list[str], posted: float) -> float:
    """Seconds from `posted` until no run is pending any more (at most 120)."""
    while True:
        infos = await asyncio.gather(*(reader.get(f"/api/runs/{run_id}") for run_id in run_ids))
        if all(info.json()["status"] != "pending" for info in infos) or time.monotonic() - posted > 120:
            return time.monotonic() - posted
        await asyncio.sleep(0.1)


async def watch_all(base: str, run_ids: list[str]) -> tuple[Window, list["asyncio.Task[Watched]"]]:
    """A stream reader per run, each once it has said hello; the window they measure, not yet open. The readers
    offer permessage-deflate, as browsers do (the server takes it where GLASSNET_WS_COMPRESSION is on)."""
    window, hellos = Window(), [asyncio.Event() for _ in run_ids]
    ws_base = base.replace("http", "ws")
    watchers = [
        asyncio.create_task(watch(f"{ws_base}/api/runs/{run_id}/stream", window, hello))
        for run_id, hello in zip(run_ids, hellos, strict=True)
    ]
    await asyncio.wait_for(asyncio.gather(*(hello.wait() for hello in hellos)), 60)
    return window, watchers


async def watch(url: str, window: Window, said_hello: asyncio.Event) -> Watched:
    """Read a stream from before the window opens until it closes, keeping what arrived inside it."""
    watched = Watched()
    async with websockets.connect(url, max_size=None, compression="deflate") as ws:
        await ws.recv()  # hello
        said_hello.set()
        while not window.opened.is_set() or (left := window.end - time.monotonic()) > 0:
            try:
                raw = await asyncio.wait_for(ws.recv(), left if window.opened.is_set() else 1.0)
            except TimeoutError:
                continue
            arrived = time.time()
            if not window.opened.is_set() or time.monotonic() < window.start:
                continue  # read and dropped: a frame left queued would arrive late into the window
            header = frame_header(raw)
            if header is None:
                continue
            watched.frames += 1
            watched.latencies.append(arrived - header[2])
            watched.first = watched.first or header
            watched.last = header
    return watched


HEADER = re.compile(r'"(type|seq|step|wall)":("[a-z_]+"|[-+.\deE]+)')


def frame_header(raw: str | bytes) -> tuple[int, int, float] | None:
    """(step, seq, wall) of a frame, None for another message. Read from the frame's first fields (a frame opens
    with them): parsing all of 60 students' frames would take this machine's CPU from the server it measures."""
    text = raw if isinstance(raw, str) else raw.decode()
    fields = dict(HEADER.findall(text[:200]))
    if fields.get("type") != '"frame"':
        return None
    if len(fields) < 4:  # another field order: the whole message
        message = json.loads(text)
        return message["step"], message["seq"], message["wall"]
    return int(fields["step"]), int(fields["seq"]), float(fields["wall"])


def owner_address(i: int) -> str:
    """A loopback address of the i-th owner's own: the server issues 60 keys a minute per client address, and
    a class's machines each have theirs."""
    return f"127.0.{1 + i // 254}.{1 + i % 254}"


def tally(codes: list[int]) -> str:
    return ", ".join(f"{code} x{n}" for code, n in sorted(Counter(codes).items()))


def where_they_train(infos: list[dict[str, Any]]) -> str:
    """The worker processes training the runs: cohorts by size, and the runs alone (with why)."""
    sizes = Counter(info["cohort"]["members"] for info in infos if info["cohort"] and not info["cohort"]["alone"])
    cohorts = [f"{n // k} cohort(s) of {k}" for k, n in sorted(sizes.items(), reverse=True)]
    alone = Counter(info["cohort"]["alone"] for info in infos if info["cohort"] and info["cohort"]["alone"])
    return ", ".join(cohorts + [f"{n} alone ({why})" for why, n in alone.items()]) or "none"


async def class_of(base: str, runs: int, seconds: float) -> dict[str, str]:
    """`runs` owners each start a run of CLASS_CONFIG at once, then all streams are read together for `seconds`."""
    owners = [
        httpx.AsyncClient(base_url=base, timeout=60, transport=httpx.AsyncHTTPTransport(local_address=owner_address(i)))
        for i in range(runs)
    ]
    reader = httpx.AsyncClient(base_url=base, timeout=60)
    try:
        for owner in owners:
            owner.headers[KEY_HEADER] = (await owner.post("/api/owners")).raise_for_status().json()["key"]
        posted = time.monotonic()
        answers = await asyncio.gather(
            *(owner.post("/api/runs", json={**CLASS_CONFIG, "seed": i}) for i, owner in enumerate(owners))
        )
        started = [(owner, a.json()["id"]) for owner, a in zip(owners, answers, strict=True) if a.status_code == 201]
        limits = Counter(a.json().get("limit") for a in answers if a.status_code == 429)
        all_running_s = await until_started(reader, [run_id for _, run_id in started], posted)
        window, watchers = await watch_all(base, [run_id for _, run_id in started])
        window.open(seconds)
        await asyncio.sleep(seconds / 2)
        midway = [(await reader.get(f"/api/runs/{run_id}")).json() for _, run_id in started]
        watched = await asyncio.gather(*watchers)
        stops = await asyncio.gather(*(owner.post(f"/api/runs/{run_id}/stop") for owner, run_id in started))
    finally:
        await asyncio.gather(*(client.aclose() for client in [*owners, reader]))

    fps = [w.frames / seconds for w in watched] or [0.0]
    made = [w.per_second(1) for w in watched] or [0.0]
    sps = [w.per_second(0) for w in watched] or [0.0]
    latencies = sorted(x for w in watched for x in w.latencies) or [float("nan")]
    refused = f" (limit: {', '.join(f'{k} x{n}' for k, n in limits.items())})" if limits else ""
    return {
        "POST /api/runs": tally([a.status_code for a in answers]) + refused,
        "all accepted running after": f"{all_running_s:.1f} s",
        "running midway": f"{sum(info['status'] == 'running' for info in midway)} of {runs}",
        "training in": where_they_train(midway),
        "frames/s per run median / min": f"{statistics.median(fps):.1f} / {min(fps):.1f}",
        "frames/s made (seq) median / min": f"{statistics.median(made):.1f} / {min(made):.1f}",
        "steps/s per run median / min": f"{statistics.median(sps):,.0f} / {min(sps):,.0f}",
        "steps/s all runs together": f"{sum(sps):,.0f}",
        "latency wall->client p50 / p95": (
            f"{latencies[len(latencies) // 2] * 1e3:.0f} ms / {latencies[int(len(latencies) * 0.95)] * 1e3:.0f} ms"
        ),
        "POST stop": tally([stop.status_code for stop in stops]),
    }


def class_bench(runs: int, seconds: float) -> None:
    """The class on a server with the default limits, cohorts on, then off; the figures side by side."""
    columns: dict[str, dict[str, str]] = {}
    max_runs = Settings.model_fields["max_runs"].default
    for cohorts in (True, False):
        name = "cohorts on" if cohorts else "cohorts off"
        env = {
            "GLASSNET_MAX_RUNS": str(max_runs),
            "GLASSNET_WORKERS": str(os.cpu_count() or 1),  # the default (the tests' servers keep one)
            "GLASSNET_COHORTS": str(cohorts).lower(),
        }
        with tempfile.TemporaryDirectory() as data, running_server(Path(data), "bench-class", **env) as url:
            columns[name] = asyncio.run(class_of(url, runs, seconds))
        print(f"class of {runs}, {name}: measured")
    print(
        f"class: {runs} owners each start a run of (a) {CASES['a'].title}, frame_hz {CLASS_CONFIG['frame_hz']}, "
        f"until stopped; GLASSNET_MAX_RUNS {max_runs}; streams read {seconds:g} s; {os.cpu_count()} cores"
    )
    figures = next(iter(columns.values()))
    label = max(map(len, figures))
    widths = {name: max(len(name), *map(len, column.values())) for name, column in columns.items()}
    print(" " * label + "".join(f" | {name:{widths[name]}s}" for name in columns))
    for figure in figures:
        cells = "".join(f" | {column[figure]:{widths[name]}s}" for name, column in columns.items())
        print(f"{figure:{label}s}{cells}")


def main(argv: list[str] | None = None) -> None:
    sys.stdout.reconfigure(line_buffering=True)  # each figure as soon as it is measured, even into a file
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each measurement")
    parser.add_argument("--long-steps", type=int, default=200_000, help="steps of the memory run")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of the training-speed conditions, alternated")
    parser.add_argument("--class-runs", type=int, default=64, help="runs (and owners) of the class; 0: no class")
    parser.add_argument("--class-seconds", type=float, default=10.0, help="how long the class's streams are read")
    parser.add_argument("--class-only", action="store_true", help="only the class (cohorts on and off)")
    args = parser.parse_args(argv)
    if not args.class_only:
        with tempfile.TemporaryDirectory() as data:
            artifacts = Path(data)
            # the server gets a core to itself as far as it can: one worker, one torch thread
            env = {"GLASSNET_WORKERS": "1", "GLASSNET_MAX_RUNS": "2"}
            with running_server(artifacts, "bench-server", **env) as url:
                print(f"server pid {url.process.pid} on {url}; {os.cpu_count()} cores; python {sys.version.split()[0]}")
                asyncio.run(bench(url, url.process.pid, args.seconds, args.long_steps, args.rounds))
    if args.class_runs > 0:
        class_bench(args.class_runs, args.class_seconds)


if __name__ == "__main__":
    main()
