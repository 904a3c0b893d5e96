"""Every guided lesson (glassnet.lessons): its claim holds by its own check, on at least 4 of seeds 0-4 (a network
lesson's arms train as cohorts, so 5 seeds cost about what one did; a seed it fails on is warned of), every text it
shows is there in English and Chinese (the figures the check reports named in words), its predictions do not give the
answer away, and every arm is a config the server accepts."""

import json
import re
import unicodedata
import warnings
from collections import Counter

import pytest

from glassnet.api.schemas import LabRun, LessonOut
from glassnet.config import ExperimentConfig
from glassnet.lessons import LESSONS
from glassnet.lessons.base import Lesson, Text
from glassnet.lessons.figures import figure_label
from glassnet.lessons.runner import SEEDS, run_lesson, run_seeds
from glassnet.runs.rules import check_config

CJK = re.compile(r"[\u3400-\u9fff]")
# a lesson's arms over all seeds together (budget: about 9 s on an idle core, for the RNN lesson, whose runs cannot
# batch and train alone; generous for a busy machine)
MAX_SECONDS = 40.0


def _texts(lesson: Lesson) -> dict[str, Text]:
    texts = {"title": lesson.title, "question": lesson.question, "explanation": lesson.explanation}
    texts |= {f"prediction {i}": text for i, text in enumerate(lesson.predictions)}
    return texts


def _check_text(where: str, text: Text, chinese: bool = True) -> None:
    assert text.en.strip(), f"{where}: the English text is empty"
    assert text.zh.strip(), f"{where}: the Chinese text is empty"
    if chinese:
        assert CJK.search(text.zh), f"{where}: the Chinese text has no Chinese characters: {text.zh!r}"


def test_there_are_lessons_in_a_clear_order():
    assert LESSONS, "no lesson module defines LESSON"
    orders = [lesson.order for lesson in LESSONS.values()]
    assert len(set(orders)) == len(orders), f"two lessons share an order: {orders}"
    assert orders == sorted(orders)
    for lesson_id, lesson in LESSONS.items():
        assert lesson_id == lesson.id and re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", lesson_id), lesson_id


@pytest.mark.parametrize("lesson_id", list(LESSONS))
def test_a_lesson_speaks_both_languages(lesson_id):
    lesson = LESSONS[lesson_id]
    for where, text in _texts(lesson).items():
        _check_text(f"{lesson_id} {where}", text)
    assert len(lesson.predictions) >= 2 and 0 <= lesson.answer < len(lesson.predictions)
    assert len(lesson.arms) >= 2 and len({arm.name for arm in lesson.arms}) == len(lesson.arms)
    for arm in lesson.arms:
        # an arm's label may be a name that reads the same in both languages ("ReLU", "Adam")
        _check_text(f"{lesson_id} arm {arm.name} label", arm.label, chinese=False)


def _width(text: str) -> int:
    """Length as read: a Chinese character (or full-width punctuation) is as wide as two Latin letters."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_predictions_do_not_give_the_answer_away(lang):
    """The right prediction is neither the longest as a rule nor always in one place: the options of a lesson are
    of comparable length (the longest at most 1.6 times the shortest), the right one is the longest in at most
    half of the lessons, and it stands in every position, in none for more than half of the lessons."""
    longest = 0
    for lesson in LESSONS.values():
        widths = [_width(getattr(p, lang)) for p in lesson.predictions]
        assert max(widths) <= 1.6 * min(widths), f"{lesson.id} ({lang}): prediction lengths {widths} differ too much"
        longest += widths[lesson.answer] == max(widths)
    assert longest <= len(LESSONS) / 2, f"{lang}: the right prediction is the longest in {longest} of {len(LESSONS)}"
    positions = Counter(lesson.answer for lesson in LESSONS.values())
    assert set(positions) == set(range(3)), f"the right prediction's positions: {dict(positions)}"
    assert max(positions.values()) <= len(LESSONS) / 2, f"the right prediction's positions: {dict(positions)}"


def _check_figure_names(lesson: Lesson, keys: list[str]) -> None:
    for key in keys:
        name = figure_label(lesson, key)  # KeyError: the lesson does not name this figure
        _check_text(f"{lesson.id} figure {key}", name)
        assert "_" not in name.en + name.zh, f"{lesson.id} figure {key}: a raw key in its name: {name}"


@pytest.mark.parametrize("lesson_id", list(LESSONS))
def test_every_arm_is_a_config_the_server_takes(lesson_id):
    lesson = LESSONS[lesson_id]
    as_json = json.loads(json.dumps(lesson.to_json()))  # what GET /api/lessons sends
    LessonOut.model_validate(as_json)
    if lesson.kind == "lab":  # optimizer-lab setups, as POST /api/lab/run validates them
        for arm, sent in zip(lesson.arms, as_json["arms"], strict=True):
            request = LabRun.model_validate(lesson.arm_config(arm))
            assert sent["lab"] == lesson.arm_config(arm) and sent.get("config") is None
            assert len({o.lr for o in request.optimizers}) == 1, f"{arm.name}: the lab UI has one step size"
        return
    for arm in lesson.arms:
        config = ExperimentConfig.model_validate(lesson.arm_config(arm))  # as POST /api/runs validates it
        check_config(config)  # within the parameter limit, on this device
        assert config.steps == lesson.steps and config.seed == lesson.seed


@pytest.mark.parametrize("lesson_id", list(LESSONS))
def test_the_lessons_claim_holds(lesson_id):
    lesson = LESSONS[lesson_id]
    if lesson.kind == "lab":  # the optimizer lab's paths have no seed
        measured, verdict = run_lesson(lesson)
        seconds = sum(m.seconds for m in measured.values())
        per_seed = {lesson.seed: verdict}
    else:
        by_seed, verdict = run_seeds(lesson)
        seconds = sum(m.seconds for arms in by_seed.values() for m in arms.values())
        per_seed = verdict.seeds
        assert list(per_seed) == list(SEEDS) and verdict.need == 4
        assert f"held on {verdict.held} of {len(SEEDS)} seeds" in verdict.summary.en
        assert f"{len(SEEDS)} 个随机种子中的 {verdict.held} 个" in verdict.summary.zh
    failed = {seed: v for seed, v in per_seed.items() if not v.passed}
    report = "\n".join(
        f"seed {seed}: {v.summary.en} [{', '.join(f'{name}={value}' for name, value in v.figures.items())}]"
        for seed, v in failed.items()
    )
    assert verdict.passed, f"{lesson_id}: the claim failed on {len(failed)} of {len(per_seed)} seeds\n{report}"
    if failed:  # the check forgives one unlucky seed; whoever runs the tests hears of it
        warnings.warn(f"{lesson_id}: the claim held, but not on every seed\n{report}", stacklevel=1)
    for seed, one in per_seed.items():
        assert one.figures, f"{lesson_id}: the verdict names no figures"
        _check_text(f"{lesson_id} seed {seed} verdict summary", one.summary)
        assert "{" not in one.summary.en + one.summary.zh, f"{lesson_id}: a number was not filled in"
        _check_figure_names(lesson, list(one.figures))
    assert seconds < MAX_SECONDS, f"{lesson_id}: its arms took {seconds:.1f} s together"
