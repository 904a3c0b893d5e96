"""`glassnet lessons`: the list, and the lessons' checks run here or on a server."""

import os
import subprocess
import sys

from glassnet.lessons import LESSONS
from tests.live_server import ARTIFACTS, running_server

TOKEN = "correct-horse-battery"


def glassnet(*args: str, **env: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "glassnet.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, env={**os.environ, **env})


def test_the_list_names_every_lesson():
    result = glassnet("lessons")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["order", "id", "title", "watch"]
    for lesson in LESSONS.values():
        assert any(lesson.id in line and lesson.title.en in line for line in lines), lesson.id
    chinese = glassnet("lessons", "--lang", "zh")
    assert chinese.returncode == 0 and LESSONS["dead-relu"].title.zh in chinese.stdout


def test_a_reader_that_stops_early_gets_no_error():
    """`glassnet lessons | head`: a pipe closed before the listing is written ends it quietly, exit code 0."""
    process = subprocess.Popen(
        [sys.executable, "-m", "glassnet.cli", "lessons"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    process.stdout.close()  # the reader is gone before the first line
    stderr = process.stderr.read()
    assert process.wait(timeout=60) == 0 and stderr == "", stderr


def test_verify_checks_a_lesson_here_and_prints_its_figures():
    result = glassnet("lessons", "--verify", "dead-relu")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS  dead-relu" in result.stdout
    assert "relu_dead=" in result.stdout  # a figure the check used
    assert "1 of 1 lesson(s) passed" in result.stdout
    lab = glassnet("lessons", "--verify", "saddle-points")  # a lesson whose arms are optimizer-lab setups
    assert lab.returncode == 0, lab.stdout + lab.stderr
    assert "sgd_steps_to_escape=73" in lab.stdout and "bowl-100: final loss sgd" in lab.stdout
    unknown = glassnet("lessons", "--verify", "nope")
    assert unknown.returncode == 2 and "nope" in unknown.stderr and "dead-relu" in unknown.stderr


def test_lessons_through_a_server():
    ARTIFACTS.mkdir(exist_ok=True)
    with running_server(ARTIFACTS, "lessons-server", GLASSNET_TOKEN=TOKEN) as url:
        listing = glassnet("lessons", "--server", url, "--token", TOKEN)
        assert listing.returncode == 0 and "dead-relu" in listing.stdout, listing.stderr
        result = glassnet("lessons", "--verify", "dead-relu", "--lang", "zh", "--server", url, "--token", TOKEN)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "PASS  dead-relu" in result.stdout and "死亡" in result.stdout and "relu_dead=" in result.stdout
        assert "1 / 1 节课通过" in result.stdout
        # a key issued under the token opens the server (the CLI kept one above): someone with neither is refused
        refused = glassnet("lessons", "--server", url, XDG_CONFIG_HOME=str(ARTIFACTS / "nobody-config"))
        assert refused.returncode == 2 and "401" in refused.stderr
        assert glassnet("lessons", "--server", url).returncode == 0


def test_a_failing_check_exits_1(monkeypatch, capsys):
    """In-process, with a lesson whose check cannot pass: FAIL and exit code 1."""
    from dataclasses import replace

    from glassnet import cli
    from glassnet.lessons import base

    lesson = LESSONS["dead-relu"]
    never = replace(
        lesson,
        verify=lambda measured: base.Verdict(False, {"x": 1.0}, base.Text("no", "不")),
        figures={**lesson.figures, "x": base.Text("a figure", "一个数")},  # every figure is named in words
    )
    monkeypatch.setitem(LESSONS, "dead-relu", never)
    assert cli.main(["lessons", "--verify", "dead-relu", "--lang", "en"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  dead-relu" in out and "x=1" in out and "0 of 1 lesson(s) passed" in out
