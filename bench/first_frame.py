"""How soon a run shows its first frame, the moment that makes the page feel immediate:

  - API: from POST /api/runs to the first `frame` message on the run's stream;
  - page: from a click on Play in Chromium to the run's first frame drawn (the output plot at step 1; before
    Play it shows the untrained net's step 0).

Each `--samples` times, with a warm pool (the server has been up a while, its idle workers ready) and a cold
one (the first run of a server just started, its workers still starting). Median and p95.
Run: `.venv/bin/python -m bench.first_frame`; against another tree, put it first on PYTHONPATH.
"""

import argparse
import asyncio
import contextlib
import json
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import websockets
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from glassnet.runs.owners import KEY_HEADER
from tests.live_server import running_server

CONFIG = {
    "dataset": {"name": "circle"},
    "model": {"hidden": [8, 8], "activation": "tanh"},
    "optimizer": {"name": "adam", "lr": 0.01},
    "steps": 100_000,
}
SETTLE = 8.0  # seconds for a pool to refill and warm up between samples


async def api_sample(url: str, key: str) -> float:
    """Seconds from POST to the first frame on the stream; the run is stopped afterwards."""
    async with httpx.AsyncClient(base_url=url, headers={KEY_HEADER: key}, timeout=60) as http:
        started = time.perf_counter()
        run = (await http.post("/api/runs", json=CONFIG)).json()
        stream = url.replace("http", "ws", 1) + f"/api/runs/{run['id']}/stream?key={key}"
        async with websockets.connect(stream, max_size=None) as ws:
            async for text in ws:
                if json.loads(text)["type"] == "frame":
                    break
        seconds = time.perf_counter() - started
        await http.post(f"/api/runs/{run['id']}/stop")
        return seconds


def page_sample(browser, url: str) -> float:
    """Seconds from a click on Play to the run's first frame on the output plot; the run is stopped afterwards."""
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.goto(f"{url}/?steps=100000")
    page.get_by_test_id("play").wait_for()
    drawn = "() => Number(document.querySelector('canvas[data-testid=boundary]')?.dataset.step)"
    with contextlib.suppress(PlaywrightTimeout):  # the step-0 preview is up (a build without one shows nothing)
        page.wait_for_function(f"() => ({drawn})() === 0", timeout=5000)
    started = time.perf_counter()
    page.get_by_test_id("play").click()
    page.wait_for_function(f"() => ({drawn})() >= 1", polling="raf")
    seconds = time.perf_counter() - started
    page.get_by_test_id("stop").click()
    page.close()
    return seconds


def summary(name: str, seconds: list[float]) -> None:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    each = ", ".join(f"{s * 1e3:.0f}" for s in seconds)
    print(f"  {name:16s} median {statistics.median(seconds) * 1e3:7.0f} ms, p95 {p95 * 1e3:7.0f} ms  ({each})")


def main(argv: list[str] | None = None) -> None:
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM_FLAGS, SYSTEM_CHROMIUM

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--settle", type=float, default=SETTLE, help="seconds for the pool to warm between samples")
    args = parser.parse_args(argv)
    results: dict[str, list[float]] = {"API, warm pool": [], "API, cold pool": [], "page, warm pool": []}
    with tempfile.TemporaryDirectory() as folder:
        artifacts = Path(folder)
        env = {"GLASSNET_WORKERS": "2", "GLASSNET_MAX_RUNS_PER_OWNER": "4"}
        for i in range(args.samples):  # cold: the first run of a server just started
            with running_server(artifacts, f"cold-{i}", **env) as url:
                key = httpx.post(f"{url}/api/owners").json()["key"]
                results["API, cold pool"].append(asyncio.run(api_sample(url, key)))
        with running_server(artifacts, "warm", **env) as url:
            key = httpx.post(f"{url}/api/owners").json()["key"]
            for _ in range(args.samples):
                time.sleep(args.settle)
                results["API, warm pool"].append(asyncio.run(api_sample(url, key)))
            with sync_playwright() as playwright:  # (it holds an event loop of its own: after the API's samples)
                browser = playwright.chromium.launch(executable_path=SYSTEM_CHROMIUM, args=CHROMIUM_FLAGS)
                for _ in range(args.samples):
                    time.sleep(args.settle)
                    results["page, warm pool"].append(page_sample(browser, url))
                browser.close()
    print(f"first frame, {args.samples} samples each (Play or POST to the first frame):")
    for name, seconds in results.items():
        summary(name, seconds)


if __name__ == "__main__":
    main()
