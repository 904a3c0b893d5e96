"""A lesson's check over seeds (glassnet/lessons/runner.py): the arms of one architecture, over all seeds, train as
one cohort and each member measures what its run alone measures; the claim is judged on every seed and holds on 4
of 5; a check's result is kept, so the same lesson checked again (or while it trains) does not train again."""

import asyncio
import math
import time
from dataclasses import replace
from typing import Any

import httpx
import numpy as np
import pytest

from glassnet.api.app import create_app
from glassnet.config import DEFAULT_CONFIG, merge_config
from glassnet.lessons import LESSONS, runner
from glassnet.lessons.base import Text, Verdict
from glassnet.lessons.runner import (
    SEEDS,
    check,
    forget_checks,
    lesson_version,
    measure_arm,
    measure_arms,
    measure_cohort,
)
from glassnet.settings import Settings

PLANE = merge_config(
    DEFAULT_CONFIG, {"dataset": {"name": "plane", "n_samples": 200}, "optimizer": {"name": "sgd", "lr": 0.01}}
)


@pytest.fixture(autouse=True)
def no_kept_checks() -> Any:
    forget_checks()
    yield
    forget_checks()


def _values(value: Any) -> np.ndarray:
    """A figure as floats, null (not finite, not measured) as nan."""
    return np.array([math.nan if v is None else v for v in np.ravel(np.asarray(value, dtype=object))], dtype=float)


def assert_close(mine: Any, its: Any, what: str) -> None:
    np.testing.assert_allclose(_values(mine), _values(its), rtol=1e-4, atol=1e-6, err_msg=what)


def assert_same_measured(member: runner.Measured, alone: runner.Measured) -> None:
    assert member.config == alone.config
    assert member.curve["step"] == alone.curve["step"]
    assert_close(member.curve["loss"], alone.curve["loss"], "curve")
    assert_close(member.train_loss, alone.train_loss, "trace")
    for mine, its in ((member.first, alone.first), (member.last, alone.last)):
        assert (mine.step, mine.detail, mine.first_bad_step) == (its.step, its.detail, its.first_bad_step)
        for name in ("train_loss", "test_loss", "test_acc", "grad_norm", "act_grad_norm", "dead_fraction"):
            assert_close(mine.get(name), its.get(name), name)


def test_a_cohort_member_measures_what_its_run_alone_measures() -> None:
    lesson = LESSONS["dead-relu"]
    leaky = merge_config(lesson.arm_config(lesson.arms[1]), {"steps": 60})
    configs = [{**leaky, "seed": seed} for seed in (0, 1, 2)]
    for member, config in zip(measure_cohort(configs), configs, strict=True):
        alone = measure_arm(config)
        assert member.curve["step"] == [1, 25, 50, 60]  # step 1, every 25 steps, the last step
        assert member.first.detail and member.last.detail and member.seconds > 0
        assert_same_measured(member, alone)


def test_a_diverging_member_ends_where_its_run_alone_ends() -> None:
    # regression with SGD: at lr 5 the weights grow until the loss overflows (tests/unit/test_cohort_frames.py)
    configs = [
        {**PLANE, "steps": 80, "seed": 0},
        merge_config(PLANE, {"steps": 80, "seed": 1, "optimizer": {"lr": 5.0}}),
    ]
    steady, diverged = measure_cohort(configs)
    assert_same_measured(steady, measure_arm(configs[0]))
    alone = measure_arm(configs[1])
    assert alone.last.diverged and alone.last.step < 80
    assert_same_measured(diverged, alone)
    assert not math.isfinite(diverged.late_train_loss())


def test_the_runs_of_one_architecture_train_as_one_cohort_and_the_others_alone(monkeypatch) -> None:
    cohorts: list[int] = []
    alone: list[dict] = []
    monkeypatch.setattr(runner, "measure_cohort", lambda cs: cohorts.append(len(cs)) or [measure_arm(c) for c in cs])
    monkeypatch.setattr(runner, "measure_arm", lambda c: alone.append(c) or measure_arm(c))
    narrow = merge_config(PLANE, {"steps": 5, "model": {"hidden": [4]}})
    wide = merge_config(PLANE, {"steps": 5, "model": {"hidden": [8]}})
    cnn_lesson = LESSONS["cnn-weight-sharing"]
    cnn = merge_config(cnn_lesson.arm_config(cnn_lesson.arms[0]), {"steps": 3})
    configs = [
        {**narrow, "seed": 0},
        {**wide, "seed": 0},
        {**cnn, "seed": 0},
        merge_config(narrow, {"seed": 1, "optimizer": {"lr": 0.1}}),  # a hyper-parameter is per member
        {**wide, "seed": 1},
        {**narrow, "seed": 2},
    ]
    measured = measure_arms(configs)
    assert sorted(cohorts) == [2, 3]
    assert alone == [configs[2]]  # a CNN cannot batch
    assert [m.config for m in measured] == configs  # in the order asked


def _verdict(passed: bool, value: float) -> Verdict:
    return Verdict(passed, {"x": value}, Text(f"x is {value}", f"x 是 {value}"))


def test_the_claim_holds_when_it_holds_on_4_of_5_seeds() -> None:
    four = Verdict.over_seeds({s: _verdict(s != 3, float(s)) for s in SEEDS}, shown=0)
    assert four.passed and four.held == 4 and four.need == 4 and four.figures == {"x": 0.0}
    assert four.summary.en.startswith("The claim held on 4 of 5 seeds") and four.summary.en.endswith("x is 0.0")
    assert "5 个随机种子中的 4 个" in four.summary.zh
    shown = four.to_json()
    assert (shown["held"], shown["of"], shown["need"]) == (4, 5, 4)
    assert [(s["seed"], s["passed"]) for s in shown["seeds"]] == [
        (0, True),
        (1, True),
        (2, True),
        (3, False),
        (4, True),
    ]
    three = Verdict.over_seeds({s: _verdict(s in (0, 1, 2), 1.0) for s in SEEDS}, shown=2)
    assert not three.passed and three.held == 3
    assert "held on 3 of 5 seeds" in three.summary.en
    assert "held" not in _verdict(True, 1.0).to_json()  # one seed's verdict (a lab lesson's) is as before


def _counting(monkeypatch) -> list[int]:
    """How many configs the runner trained, per call."""
    trained: list[int] = []
    real = runner.measure_arms
    monkeypatch.setattr(runner, "measure_arms", lambda configs: trained.append(len(configs)) or real(configs))
    return trained


def test_a_lesson_checked_again_is_not_trained_again(monkeypatch) -> None:
    trained = _counting(monkeypatch)
    lesson = LESSONS["preprocessing"]
    first = check(lesson)
    assert trained == [len(lesson.arms) * len(SEEDS)] and first["cached"] is False
    verdict = first["verdict"]
    assert (verdict["held"], verdict["of"]) == (5, 5) and [s["seed"] for s in verdict["seeds"]] == list(SEEDS)
    assert f"held on {verdict['held']} of 5 seeds" in verdict["summary"]["en"]
    assert [run["config"]["seed"] for run in first["runs"]] == [lesson.seed] * len(lesson.arms)
    started = time.perf_counter()
    again = check(lesson)
    assert time.perf_counter() - started < 0.5
    assert trained == [15] and again["cached"] is True
    assert {**again, "cached": False} == first
    # another version of the lesson (its arms changed) or other seeds: checked anew
    check(replace(lesson, steps=lesson.steps - 10))
    check(lesson, seeds=(0, 1, 2))
    assert trained == [15, 15, 9]


def test_a_lessons_version_follows_what_its_check_depends_on() -> None:
    lesson = LESSONS["dead-relu"]
    assert lesson_version(lesson) == lesson_version(replace(lesson))
    assert lesson_version(lesson) != lesson_version(replace(lesson, steps=lesson.steps + 1))
    assert lesson_version(lesson) != lesson_version(replace(lesson, verify=lambda measured: _verdict(True, 0.0)))
    assert lesson_version(lesson) != lesson_version(LESSONS["degradation"])


def test_a_class_checking_one_lesson_at_once_trains_it_once(monkeypatch, tmp_path) -> None:
    """Requests for a check that is training wait for it, beyond MAX_CHECKS; later ones get the kept result."""
    from glassnet.api.routes.lessons import MAX_CHECKS

    trained: list[int] = []
    real = runner.measure_arms

    def slow(configs: list[dict]) -> list[runner.Measured]:
        trained.append(len(configs))
        time.sleep(0.3)  # the others ask while it trains
        return real(configs)

    monkeypatch.setattr(runner, "measure_arms", slow)
    app = create_app(Settings(workers=0, data_dir=tmp_path))

    async def class_of(n: int) -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await asyncio.gather(*(client.post("/api/lessons/preprocessing/run") for _ in range(n)))

    responses = asyncio.run(class_of(2 * MAX_CHECKS + 1))
    assert [r.status_code for r in responses] == [200] * len(responses), responses[0].text
    assert trained == [15]
    assert sorted(r.json()["cached"] for r in responses) == [False] + [True] * (len(responses) - 1)
    assert len({str(r.json()["verdict"]) for r in responses}) == 1
    later = asyncio.run(class_of(1))[0]
    assert later.status_code == 200 and later.json()["cached"] is True and trained == [15]
    assert app.state.lesson_checks == 0 and app.state.lesson_pending == {}
