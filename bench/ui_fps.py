"""Frames per second of the real page in headless Chromium while a 10-layer MLP streams at 30 Hz.

Opens the page with the run's config in its URL (10 hidden layers of 32 ReLU units on circle, 30 frames/s),
presses Play, waits for frames, then counts requestAnimationFrame callbacks over a few windows while the
charts follow the stream. It also counts the stream frames the page received (WebSocket messages) and
the points the loss chart took, to show it was drawing a live 30 Hz stream all along. Target: >= 55 fps
(headless Chromium paces rAF at the display rate, usually 60 Hz, so that is the ceiling).
Run: `make bench` or `.venv/bin/python -m bench.ui_fps [--seconds S] [--windows N] [--port P]`.
"""

import argparse
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from tests.live_server import running_server

SYSTEM_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
FRAME_HZ = 30
TARGET_FPS = 55
# the run, as URL state: dotted config paths, lists comma-joined; enough steps to outlast the measurement
HIDDEN = ",".join(["32"] * 10)
QUERY = f"model.hidden={HIDDEN}&model.activation=relu&dataset.name=circle&frame_hz={FRAME_HZ}&steps=1000000"

# Counts rAF callbacks for `ms`; also the longest gap between two of them (a dropped-frame stall).
MEASURE_JS = """async (ms) => {
  const chart = document.querySelector('[data-testid=loss-chart]');
  const points = () => Number(chart?.dataset.points ?? 0);
  const p0 = points();
  let frames = 0, worst = 0;
  const t0 = performance.now();
  let last = t0;
  await new Promise((done) => {
    const tick = (t) => {
      frames += 1;
      worst = Math.max(worst, t - last);
      last = t;
      if (t - t0 < ms) requestAnimationFrame(tick); else done();
    };
    requestAnimationFrame(tick);
  });
  return { frames, elapsed: performance.now() - t0, worst, points: points() - p0 };
}"""


@contextlib.contextmanager
def server(port: int | None) -> Iterator[str]:
    """The server at `port` (already running), else a fresh one on a free port."""
    if port:
        yield f"http://127.0.0.1:{port}"
        return
    with tempfile.TemporaryDirectory() as data, running_server(Path(data), "bench-ui", GLASSNET_WORKERS="1") as url:
        yield url


def measure(url: str, seconds: float, windows: int) -> dict:
    from playwright.sync_api import sync_playwright

    executable = SYSTEM_CHROMIUM if Path(SYSTEM_CHROMIUM).exists() else None
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        received: list[float] = []  # arrival times of stream frames

        def on_socket(ws):
            ws.on("framereceived", lambda payload: _count_frame(payload, received))

        page.on("websocket", on_socket)
        page.goto(f"{url}/?{QUERY}")
        play = page.get_by_test_id("play")
        play.wait_for(state="visible", timeout=120_000)
        page.wait_for_function("() => !document.querySelector('[data-testid=play]').disabled", timeout=120_000)
        play.click()
        page.wait_for_function(
            "() => Number(document.querySelector('[data-testid=loss-chart]')?.dataset.points ?? 0) > 10",
            timeout=120_000,
        )
        results = []
        for _ in range(windows):
            start = time.monotonic()
            n0 = len(received)
            r = page.evaluate(MEASURE_JS, seconds / windows * 1000)
            r["received"] = (len(received) - n0) / (time.monotonic() - start)
            results.append(r)
        status = page.get_by_test_id("status").inner_text()
        page.get_by_test_id("stop").click()  # the run would outlive the page on a server given by --port
        page.wait_for_function("() => document.querySelector('[data-testid=stop]').disabled", timeout=30_000)
        browser.close()
    return {"windows": results, "status": status}


def _count_frame(payload: str | bytes, received: list[float]) -> None:
    with contextlib.suppress(ValueError, AttributeError):
        if json.loads(payload).get("type") == "frame":
            received.append(time.monotonic())


def report(result: dict, seconds: float) -> None:
    windows = result["windows"]
    fps = [w["frames"] / (w["elapsed"] / 1000) for w in windows]
    print(f"{'window':>6} {'fps':>6} {'worst frame ms':>15} {'stream frames/s':>16} {'chart points/s':>15}")
    for i, (w, f) in enumerate(zip(windows, fps, strict=True)):
        secs = w["elapsed"] / 1000
        print(f"{i + 1:>6} {f:6.1f} {w['worst']:15.1f} {w['received']:16.1f} {w['points'] / secs:15.1f}")
    median = statistics.median(fps)
    received = statistics.median(w["received"] for w in windows)
    verdict = "meets" if median >= TARGET_FPS else "below"
    print(
        f"ui fps median {median:.1f} over {len(windows)} windows of {seconds / len(windows):.1f} s "
        f"(target >= {TARGET_FPS}: {verdict}); stream frames received {received:.1f}/s "
        f"(frame_hz {FRAME_HZ}: at most that many); run status at the end: {result['status']}"
    )


def main(argv: list[str] | None = None) -> None:
    sys.stdout.reconfigure(line_buffering=True)
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0, help="total length of the measurement")
    parser.add_argument("--windows", type=int, default=5, help="windows the measurement is split into")
    parser.add_argument("--port", type=int, default=0, help="use the server listening here (default: start one)")
    args = parser.parse_args(argv)
    load = os.getloadavg()
    print(f"ui_fps: 10x32 relu MLP at {FRAME_HZ} Hz; {os.cpu_count()} cores, load average {load[0]:.2f} before")
    with server(args.port) as url:
        result = measure(url, args.seconds, args.windows)
    report(result, args.seconds)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
