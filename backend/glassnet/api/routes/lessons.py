"""Guided lessons (glassnet.lessons): list them, and run a lesson's check of its claim on the server's CPU."""

import math
from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from starlette.concurrency import run_in_threadpool

from glassnet.api.schemas import ErrorOut, LessonCheck, LessonOut
from glassnet.lessons import LESSONS
from glassnet.lessons.base import LabMeasured, Lesson, Measured

MAX_CHECKS = 2  # lesson checks that may run at once (each trains its arms on one CPU thread)
FINAL_KEYS = ("train_loss", "test_loss", "train_acc", "test_acc")

router = APIRouter(prefix="/lessons", tags=["lessons"])

NOT_FOUND = {404: {"model": ErrorOut, "description": "No lesson has this id"}}
TOO_MANY = {429: {"model": ErrorOut, "description": f"{MAX_CHECKS} lesson checks are already running"}}


def _lesson(lesson_id: str) -> Lesson:
    lesson = LESSONS.get(lesson_id)
    if lesson is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"lesson '{lesson_id}' not found; the lessons are {', '.join(LESSONS)}"
        )
    return lesson


def _number(value: Any) -> float | None:
    """JSON has no NaN or infinity: a non-finite figure is null."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


@router.get("", response_model=list[LessonOut], summary="Every lesson, in order, with its arms' full configs")
def list_lessons() -> list[dict]:
    return [lesson.to_json() for lesson in LESSONS.values()]


@router.get("/{lesson_id}", response_model=LessonOut, responses=NOT_FOUND, summary="One lesson")
def get_lesson(lesson_id: str) -> dict:
    return _lesson(lesson_id).to_json()


def check(lesson: Lesson) -> dict[str, Any]:
    """Train the lesson's arms and judge its claim: what POST /api/lessons/{id}/run answers."""
    from glassnet.lessons.runner import run_lesson

    measured, verdict = run_lesson(lesson)
    result = verdict.to_json()
    result["figures"] = {name: _number(value) for name, value in verdict.figures.items()}
    runs = [_arm_run(name, m) for name, m in measured.items()]
    return {"lesson": lesson.id, "verdict": result, "runs": runs}


def _arm_run(name: str, m: Measured | LabMeasured) -> dict[str, Any]:
    if isinstance(m, LabMeasured):
        keys = ("optimizer", "steps", "stopped", "stop_reason", "stopped_at")
        paths = [{**{k: p[k] for k in keys}, "final_loss": _number(p["final_loss"])} for p in m.paths]
        return {"arm": name, "lab": m.config, "seconds": m.seconds, "paths": paths}
    final = {key: _number(m.last.get(key)) for key in FINAL_KEYS}
    return {"arm": name, "config": m.config, "seconds": m.seconds, "final": final}


@router.post(
    "/{lesson_id}/run",
    response_model=LessonCheck,
    responses={**NOT_FOUND, **TOO_MANY},
    summary="Run a lesson's check: train every arm on the server's CPU and judge the claim by the measured figures",
)
async def run_lesson_check(lesson_id: str, request: Request) -> dict:
    lesson = _lesson(lesson_id)
    state = request.app.state
    running = getattr(state, "lesson_checks", 0)
    if running >= MAX_CHECKS:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"{running} lesson checks are running, the limit is {MAX_CHECKS}; try again when one has finished",
        )
    state.lesson_checks = running + 1  # the event loop is one thread: no lock needed
    try:
        return await run_in_threadpool(check, lesson)
    finally:
        state.lesson_checks -= 1
