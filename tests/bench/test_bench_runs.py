"""The benchmarks are not timed tests, but they must keep running: each runs here for a moment."""

import json
import re

from bench import overhead


def test_overhead_benchmark_runs_and_reports_both_cases(capsys):
    overhead.main(["--seconds", "0.05", "--rounds", "1"])
    out = capsys.readouterr().out
    ratios = re.findall(r"ratio (\d+\.\d+)", out)
    assert len(ratios) == len(overhead.CASES)
    assert all(float(r) > 0 for r in ratios)


def test_cohort_benchmark_runs_every_path_and_reports_the_targets(capsys, tmp_path):
    from bench import cohort

    figures = tmp_path / "cohort.json"
    cohort.main(["--quick", "--json", str(figures)])
    out = capsys.readouterr().out
    for path in (
        "plain nn.Module loop",
        "plain loops, round robin",
        "single run: make_trainer + drive",
        "cohort + probe",
    ):
        assert out.count(path) >= len(cohort.CASES), (path, out)
    assert re.search(r"cohort \+ probe\s+3\s+[\d,]+\s+[\d,]+\s+\d+\.\d+x", out), out
    assert "trains alone" in out  # the LSTM's cohort figures are marked as what the server does not take
    report = json.loads(figures.read_text())
    assert set(report["cases"]) == set(cohort.CASES)
    for key in ("a", "b"):
        for k, figures_k in report["cases"][key]["cohort"].items():
            assert figures_k["aggregate_per_s"] > 0 and figures_k["per_member_per_s"] > 0, (key, k)
        memory = report["cases"][key]["memory"]["cohort"]["3"]
        assert memory["parameters"] > 0 and memory["data"] > 0 and memory["total"] >= memory["parameters"]
    (lstm,) = [t for t in report["targets"] if t["what"].startswith("(c)")]
    assert "trains alone" in lstm["what"] and "LSTM" in lstm["note"] and lstm["ratio"] > 0  # its single-run path


def test_stream_benchmark_runs_and_reports_every_figure(capsys):
    from bench import stream

    stream.main(["--seconds", "0.5", "--long-steps", "300", "--class-runs", "0", "--rounds", "1"])
    out = capsys.readouterr().out
    for figure in (
        "latency step->client: p50",
        "50 client(s)",
        "training with 20 clients",
        "1 stalled client",
        "server RSS over a run",
    ):
        assert figure in out, figure


def test_stream_benchmark_trains_a_class_in_a_cohort_and_refuses_it_past_the_limit_alone(capsys):
    from bench import stream

    stream.main(["--class-only", "--class-runs", "5", "--class-seconds", "2"])
    out = capsys.readouterr().out
    rows = {line.split(" | ")[0].strip(): line.split(" | ")[1:] for line in out.splitlines() if " | " in line}
    assert [cell.strip() for cell in rows[""]] == ["cohorts on", "cohorts off"], out
    on, off = (dict((figure, cells[i].strip()) for figure, cells in rows.items()) for i in (0, 1))
    assert on["POST /api/runs"] == "201 x5" and on["running midway"] == "5 of 5", out
    assert on["training in"] == "1 cohort(s) of 5", out  # 5 runs of one architecture: one worker
    assert off["POST /api/runs"].startswith("201 x4, 429 x1 (limit: server"), out  # GLASSNET_MAX_RUNS 4
    assert off["running midway"] == "4 of 5" and off["training in"].startswith("4 alone"), out
    assert on["POST stop"] == "200 x5" and off["POST stop"] == "200 x4", out
    for column in (on, off):
        frames_min = float(column["frames/s per run median / min"].split(" / ")[1])
        steps_min = float(column["steps/s per run median / min"].split(" / ")[1].replace(",", ""))
        assert frames_min > 0 and steps_min > 0, out
        assert re.fullmatch(r"\d+ ms / \d+ ms", column["latency wall->client p50 / p95"]), out


def test_lab_benchmark_runs_and_both_ways_end_at_the_same_losses(capsys):
    from bench import lab

    lab.main(["--steps", "50", "--rounds", "1"])
    out = capsys.readouterr().out
    assert re.search(r"autograd / hand = \d+\.\d+", out), out
    difference = float(re.search(r"final losses: (\S+)", out).group(1))
    assert difference < 1e-6  # the same optimizer steps, so the same path up to rounding


def test_history_benchmark_runs_and_reports_the_ratio(capsys):
    from bench import history

    history.main(["--rounds", "1", "--capacity", "32"])
    out = capsys.readouterr().out
    assert re.search(r"incremental \d+\.\d+ ms .* ratio \d+x", out), out


def test_fork_benchmark_runs_and_times_both_ways(capsys):
    from bench import fork

    fork.main(["--steps", "600", "--repeat", "1"])
    out = capsys.readouterr().out
    assert "saved state  median" in out and "replay       median" in out
    assert re.search(r"from a saved state: \d+\.\d+x", out), out


def test_first_frame_benchmark_runs_and_reports_every_case(capsys):
    from bench import first_frame

    first_frame.main(["--samples", "1", "--settle", "2"])
    out = capsys.readouterr().out
    for case in ("API, warm pool", "API, cold pool", "page, warm pool"):
        assert re.search(rf"{case}\s+median\s+\d+ ms, p95\s+\d+ ms", out), (case, out)
