"""A class on one server: N students join a room, each starts the room's setup (TensorFlow Playground's default net,
frame_hz 20, until stopped) and keeps its run's stream open for S seconds, while the teacher's view of the room is
open in headless Chromium.

Reported per executor: per-student updates/s (training steps) and frames/s received (min, median), frame latency
(the frame's `wall` to its arrival) p50 and p95, the teacher page's frames/s (requestAnimationFrame callbacks while
its tiles follow the class) and the tiles it shows, and the RSS and CPU of the server with its worker processes
(and of the Ray nodes, on Ray) over the window, with the whole machine's CPU. Targets on a 2-core machine with the
local executor: N = 60, every student at least 200 updates/s and 10 frames/s, p95 latency at most 100 ms, teacher
page at least 30 fps. `--executor ray` runs the same class on a two-node local Ray cluster (a head and a second
node, one CPU each: tests/ray/cluster.py); `both` puts the two side by side.
Run: `.venv/bin/python -m bench.classroom [--students N] [--seconds S] [--executor local|ray|both]`.
"""

import argparse
import asyncio
import contextlib
import math
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from bench.stream import CLASS_CONFIG, owner_address, until_started, watch_all, where_they_train
from bench.ui_fps import CHROMIUM_FLAGS, SYSTEM_CHROMIUM
from glassnet.runs.cohorts import MEMBERS_PER_SLOT
from glassnet.runs.owners import KEY_HEADER
from tests.live_server import running_server

TARGETS = {"updates/s": 200.0, "frames/s": 10.0, "p95 ms": 100.0, "teacher fps": 30.0}
TICKS = os.sysconf("SC_CLK_TCK")

# rAF callbacks over `ms` on the teacher's page, and the tiles it shows
TEACHER_FPS_JS = """async (ms) => {
  let frames = 0;
  const t0 = performance.now();
  await new Promise((done) => {
    const tick = (t) => { frames += 1; if (t - t0 < ms) requestAnimationFrame(tick); else done(); };
    requestAnimationFrame(tick);
  });
  const seconds = (performance.now() - t0) / 1000;
  return { fps: frames / seconds, tiles: document.querySelectorAll('[data-testid=room-tile]').length };
}"""


# ---- processes: RSS and CPU of a process and its descendants, from /proc
def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds) of a process; None if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS


def _rss_mb(pid: int) -> float:
    with contextlib.suppress(FileNotFoundError, ProcessLookupError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def tree(roots: list[int]) -> dict[int, float]:
    """Each process of the trees under `roots` with its CPU seconds so far."""
    stats = {int(p.name): s for p in Path("/proc").iterdir() if p.name.isdigit() and (s := _stat(int(p.name)))}
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in stats.items():
        children.setdefault(parent, []).append(pid)
    found, todo = {}, [r for r in roots if r in stats]
    while todo:
        pid = todo.pop()
        found[pid] = stats[pid][1]
        todo += children.get(pid, [])
    return found


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU ticks of the whole machine so far."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


class Usage:
    """RSS at the end and CPU over a window, of the process trees under some roots, and of the machine."""

    def __init__(self, roots: list[int]) -> None:
        self.roots = roots
        self.cpu0, self.machine0, self.t0 = tree(roots), machine_busy(), time.monotonic()

    def report(self) -> dict[str, float]:
        now = tree(self.roots)
        seconds = time.monotonic() - self.t0
        cpu = sum(now[p] - self.cpu0.get(p, 0.0) for p in now)
        busy, total = machine_busy()
        machine = (busy - self.machine0[0]) / max(1, total - self.machine0[1]) * 100 * (os.cpu_count() or 1)
        server = self.roots[0]  # the server's process itself: the front (REST, streams), not its workers
        front = now.get(server, 0.0) - self.cpu0.get(server, 0.0)
        return {
            "rss_mb": sum(_rss_mb(p) for p in now),
            "cpu_pct": cpu / seconds * 100,
            "server_pct": front / seconds * 100,
            "machine_pct": machine,
        }


# ---- the class
async def teacher_page(base: str, teacher_path: str, opened: asyncio.Event, seconds: float) -> dict[str, float]:
    """The teacher's view in Chromium: opened at once, measured over the window."""
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        executable = SYSTEM_CHROMIUM if Path(SYSTEM_CHROMIUM).exists() else None
        browser = await p.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        page = await browser.new_page(viewport={"width": 1440, "height": 900})
        await page.goto(base + teacher_path)
        await page.wait_for_selector("[data-testid=teacher-view]", timeout=60_000)
        await opened.wait()
        measured = await page.evaluate(TEACHER_FPS_JS, seconds * 1000)
        await browser.close()
    return measured


async def class_of(base: str, students: int, seconds: float, roots: list[int]) -> dict[str, Any]:
    """A room with `students` students, each starting the setup and watching its run (its reader offers
    permessage-deflate, as browsers do); the figures."""
    teacher = httpx.AsyncClient(base_url=base, timeout=60)
    created = (await teacher.post("/api/rooms", json={"title": "bench", "config": CLASS_CONFIG})).raise_for_status()
    room_id, teacher_path = created.json()["room"]["id"], created.json()["teacher_path"]
    clients = [
        httpx.AsyncClient(base_url=base, timeout=60, transport=httpx.AsyncHTTPTransport(local_address=owner_address(i)))
        for i in range(students)
    ]
    opened = asyncio.Event()
    page = asyncio.create_task(teacher_page(base, teacher_path, opened, seconds))
    try:
        joins = await asyncio.gather(
            *(c.post(f"/api/rooms/{room_id}/join", json={"name": f"student {i}"}) for i, c in enumerate(clients))
        )
        for client, join in zip(clients, joins, strict=True):
            client.headers[KEY_HEADER] = join.raise_for_status().json()["owner_key"]
        posted = time.monotonic()
        answers = await asyncio.gather(
            *(c.post("/api/runs", json={**CLASS_CONFIG, "seed": i}) for i, c in enumerate(clients))
        )
        started = [(c, a.json()["id"]) for c, a in zip(clients, answers, strict=True) if a.status_code == 201]
        refused = [f"{a.status_code} {a.text[:300]}" for a in answers if a.status_code != 201]
        all_running_s = await until_started(teacher, [run_id for _, run_id in started], posted)
        window, watchers = await watch_all(base, [run_id for _, run_id in started])
        usage = Usage(roots)
        window.open(seconds)
        opened.set()
        watched = await asyncio.gather(*watchers)
        used = usage.report()
        midway = [(await teacher.get(f"/api/runs/{run_id}")).json() for _, run_id in started]
        shown = await page
        await asyncio.gather(*(c.post(f"/api/runs/{run_id}/stop") for c, run_id in started))
    finally:
        if not page.done():
            page.cancel()
        await asyncio.gather(*(c.aclose() for c in [*clients, teacher]))
    fps = [w.frames / seconds for w in watched] or [0.0]
    ups = [w.per_second(0) for w in watched] or [0.0]
    latencies = sorted(x for w in watched for x in w.latencies) or [float("nan")]
    return {
        "students": students,
        "accepted": len(started),
        "refused": refused,
        "running_after_s": all_running_s,
        "training_in": where_they_train(midway),
        "updates": (min(ups), statistics.median(ups), sum(ups)),
        "frames": (min(fps), statistics.median(fps)),
        "latency_ms": (latencies[len(latencies) // 2] * 1e3, latencies[int(len(latencies) * 0.95)] * 1e3),
        "teacher": shown,
        **used,
    }


# ---- the executors
def max_runs(students: int) -> int:
    """GLASSNET_MAX_RUNS for the class: the default (4, which holds 64 runs in cohorts), or room for every student."""
    return max(4, math.ceil(students / MEMBERS_PER_SLOT))


@contextlib.contextmanager
def local_server(students: int, **settings: str) -> Iterator[tuple[str, list[int]]]:
    env = {"GLASSNET_WORKERS": str(os.cpu_count() or 1), "GLASSNET_MAX_RUNS": str(max_runs(students)), **settings}
    with tempfile.TemporaryDirectory() as data, running_server(Path(data), "bench-classroom", **env) as url:
        yield url, [url.process.pid]


@contextlib.contextmanager
def ray_server(students: int, **settings: str) -> Iterator[tuple[str, list[int]]]:
    """A head and a second node (one CPU each) on this machine, and the server on them."""
    from tests.ray.cluster import Node, free_ports, wait_for_nodes

    with tempfile.TemporaryDirectory(prefix="gr") as tmp:
        gcs = free_ports(1)[0]
        logs = Path(tmp) / "logs"
        logs.mkdir()
        head = Node("head", 1, gcs, Path(tmp) / "ray", logs, head=True).start()
        second = Node("second", 1, gcs, Path(tmp) / "ray", logs)
        try:
            wait_for_nodes(head, 1)
            second.start()
            wait_for_nodes(head, 2)
            env = {"GLASSNET_RAY_ADDRESS": f"127.0.0.1:{gcs}", "GLASSNET_MAX_RUNS": str(max_runs(students)), **settings}
            with running_server(Path(tmp), "bench-classroom-ray", **env) as url:
                roots = [url.process.pid, *(n.process.pid for n in (head, second) if n.process is not None)]
                yield url, roots
        finally:
            second.kill()
            head.kill()


EXECUTORS = {"local": local_server, "ray": ray_server}


def verdict(figures: dict[str, Any]) -> str:
    misses = []
    if figures["updates"][0] < TARGETS["updates/s"]:
        misses.append("updates/s")
    if figures["frames"][0] < TARGETS["frames/s"]:
        misses.append("frames/s")
    if figures["latency_ms"][1] > TARGETS["p95 ms"]:
        misses.append("p95 latency")
    if figures["teacher"]["fps"] < TARGETS["teacher fps"]:
        misses.append("teacher fps")
    if figures["accepted"] < figures["students"]:
        misses.append("students refused")
    return "meets every target" if not misses else "misses: " + ", ".join(misses)


def table(columns: dict[str, dict[str, Any]]) -> None:
    rows = {
        "students accepted": lambda f: f"{f['accepted']} of {f['students']}",
        "all running after": lambda f: f"{f['running_after_s']:.1f} s",
        "training in": lambda f: f["training_in"],
        "updates/s per student min / median": lambda f: f"{f['updates'][0]:,.0f} / {f['updates'][1]:,.0f}",
        "updates/s all students": lambda f: f"{f['updates'][2]:,.0f}",
        "frames/s per student min / median": lambda f: f"{f['frames'][0]:.1f} / {f['frames'][1]:.1f}",
        "latency p50 / p95": lambda f: f"{f['latency_ms'][0]:.0f} ms / {f['latency_ms'][1]:.0f} ms",
        "teacher page fps (tiles)": lambda f: f"{f['teacher']['fps']:.1f} ({f['teacher']['tiles']} tiles)",
        "RSS (server, workers, nodes)": lambda f: f"{f['rss_mb']:,.0f} MiB",
        "CPU of those (100% = 1 core)": lambda f: f"{f['cpu_pct']:.0f}%",
        "of which the server process": lambda f: f"{f['server_pct']:.0f}%",
        "CPU of the machine": lambda f: f"{f['machine_pct']:.0f}% of {(os.cpu_count() or 1) * 100}%",
        "verdict": verdict,
    }
    cells = {name: {row: say(f) for row, say in rows.items()} for name, f in columns.items()}
    label = max(map(len, rows))
    widths = {name: max(len(name), *map(len, c.values())) for name, c in cells.items()}
    print(" " * label + "".join(f" | {name:{widths[name]}s}" for name in cells))
    for row in rows:
        print(f"{row:{label}s}" + "".join(f" | {c[row]:{widths[name]}s}" for name, c in cells.items()))


def main(argv: list[str] | None = None) -> None:
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=60)
    parser.add_argument("--seconds", type=float, default=30.0, help="how long every stream is read")
    parser.add_argument("--executor", choices=["local", "ray", "both"], default="both")
    parser.add_argument(
        "--compression",
        action="store_true",
        help="the server compresses the streams' frames (GLASSNET_WS_COMPRESSION=true; the students offer "
        "permessage-deflate, as browsers do)",
    )
    args = parser.parse_args(argv)
    names = ["local", "ray"] if args.executor == "both" else [args.executor]
    columns = {}
    for name in names:
        if name == "ray":
            try:
                import ray  # noqa: F401
            except ImportError:
                print("ray: not installed (pip install glassnet[ray]); its column is left out")
                continue
        with EXECUTORS[name](args.students, GLASSNET_WS_COMPRESSION=str(args.compression).lower()) as (url, roots):
            columns[name] = asyncio.run(class_of(url, args.students, args.seconds, roots))
        print(f"{name}: measured")
    print(
        f"classroom: {args.students} students each run (a) TF Playground's default net, frame_hz "
        f"{CLASS_CONFIG['frame_hz']}, until stopped; streams read {args.seconds:g} s; {os.cpu_count()} cores; "
        f"targets: >= {TARGETS['updates/s']:g} updates/s and >= {TARGETS['frames/s']:g} frames/s per student, "
        f"p95 <= {TARGETS['p95 ms']:g} ms, teacher page >= {TARGETS['teacher fps']:g} fps"
    )
    table(columns)
    for name, figures in columns.items():
        for reason in figures["refused"]:
            print(f"{name}: a student was refused: {reason}")


if __name__ == "__main__":
    main()
