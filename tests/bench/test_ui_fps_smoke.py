"""The page-speed benchmark keeps running: a short measurement in a real Chromium on a real server."""

import re
import subprocess
import sys

import pytest

from tests.live_server import ROOT

pytestmark = pytest.mark.e2e


def test_ui_fps_benchmark_measures_frames_while_the_run_streams():
    # its own process: Playwright's sync API cannot start inside the browser fixtures' event loop
    done = subprocess.run(
        [sys.executable, "-m", "bench.ui_fps", "--seconds", "2", "--windows", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    fps = float(re.search(r"ui fps median (\d+\.\d+)", done.stdout).group(1))
    received = float(re.search(r"stream frames received (\d+\.\d+)/s", done.stdout).group(1))
    assert fps > 0, done.stdout
    assert received > 0, done.stdout
