"""Every guided lesson (glassnet.lessons): its claim holds on seed 0 by its own check, every text it shows
is there in English and Chinese, and every arm is a config the server accepts."""

import json
import re

import pytest

from glassnet.api.schemas import LabRun, LessonOut
from glassnet.config import ExperimentConfig
from glassnet.lessons import LESSONS
from glassnet.lessons.base import Lesson, Text
from glassnet.lessons.runner import run_lesson
from glassnet.runs.rules import check_config

CJK = re.compile(r"[\u3400-\u9fff]")
MAX_SECONDS = 40.0  # a lesson's arms together (budget: about 8 s on an idle core; generous for a busy machine)


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
    measured, verdict = run_lesson(lesson)
    figures = ", ".join(f"{name}={value}" for name, value in verdict.figures.items())
    assert verdict.passed, f"{lesson_id} (seed {lesson.seed}): {verdict.summary.en} [{figures}]"
    assert verdict.figures, f"{lesson_id}: the verdict names no figures"
    _check_text(f"{lesson_id} verdict summary", verdict.summary)
    assert "{" not in verdict.summary.en + verdict.summary.zh, f"{lesson_id}: a number was not filled in"
    seconds = sum(m.seconds for m in measured.values())
    assert seconds < MAX_SECONDS, f"{lesson_id}: its arms took {seconds:.1f} s together [{figures}]"
