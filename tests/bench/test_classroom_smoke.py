"""The classroom benchmark keeps running: a class of three for a moment, with the teacher's view in Chromium."""

import re
import subprocess
import sys

import pytest

from tests.live_server import ROOT

pytestmark = pytest.mark.e2e


def test_classroom_benchmark_measures_a_small_class_and_the_teacher_page():
    # its own process: Playwright's async API runs in the benchmark's own event loop
    done = subprocess.run(
        [sys.executable, "-m", "bench.classroom", "--students", "3", "--seconds", "2", "--executor", "local"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert re.search(r"students accepted\s+\| 3 of 3", out), out
    assert re.search(r"training in\s+\| 1 cohort\(s\) of 3", out), out
    teacher = re.search(r"teacher page fps \(tiles\)\s+\| (\d+\.\d+) \((\d+) tiles\)", out)
    assert teacher is not None and float(teacher.group(1)) > 0 and teacher.group(2) == "3", out
    updates = re.search(r"updates/s per student min / median\s+\| ([\d,]+)", out)
    assert updates is not None and int(updates.group(1).replace(",", "")) > 0, out
