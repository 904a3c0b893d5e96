"""Guided experiments: one module per lesson, each defining `LESSON` (see base.py). LESSONS lists them in
their order; adding a lesson is adding a module."""

import importlib
import pkgutil

from glassnet.lessons.base import PANELS, Lesson


def _discover() -> dict[str, Lesson]:
    found: list[Lesson] = []
    for module in pkgutil.iter_modules(__path__):
        if module.name in ("base", "runner"):
            continue
        lesson = getattr(importlib.import_module(f"{__name__}.{module.name}"), "LESSON", None)
        if isinstance(lesson, Lesson):
            found.append(lesson)
    found.sort(key=lambda lesson: lesson.order)
    for lesson in found:
        assert lesson.watch in PANELS, f"lesson {lesson.id}: watch must be one of {PANELS}"
        assert 0 <= lesson.answer < len(lesson.predictions), f"lesson {lesson.id}: answer out of range"
    return {lesson.id: lesson for lesson in found}


LESSONS: dict[str, Lesson] = _discover()
