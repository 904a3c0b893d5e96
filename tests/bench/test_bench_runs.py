"""The benchmarks are not timed tests, but they must keep running: each runs here for a moment."""

import re

from bench import overhead


def test_overhead_benchmark_runs_and_reports_both_cases(capsys):
    overhead.main(["--seconds", "0.05", "--rounds", "1"])
    out = capsys.readouterr().out
    ratios = re.findall(r"ratio (\d+\.\d+)", out)
    assert len(ratios) == len(overhead.CASES)
    assert all(float(r) > 0 for r in ratios)
