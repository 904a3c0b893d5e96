"""Guided lessons (glassnet.lessons): list them, and run a lesson's check of its claim on the server's CPU."""

from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from starlette.concurrency import run_in_threadpool

from glassnet.api.schemas import ErrorOut, LessonCheck, LessonOut
from glassnet.lessons import LESSONS
from glassnet.lessons.base import Lesson
from glassnet.lessons.runner import check

MAX_CHECKS = 2  # lesson checks that may run at once (each trains its arms on one CPU thread)

router = APIRouter(prefix="/lessons", tags=["lessons"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut, "description": "No lesson has this id"}}
TOO_MANY: dict[int | str, dict[str, Any]] = {
    429: {"model": ErrorOut, "description": f"{MAX_CHECKS} lesson checks are already running"}
}


def _lesson(lesson_id: str) -> Lesson:
    lesson = LESSONS.get(lesson_id)
    if lesson is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"lesson '{lesson_id}' not found; the lessons are {', '.join(LESSONS)}"
        )
    return lesson


@router.get("", response_model=list[LessonOut], summary="Every lesson, in order, with its arms' full configs")
def list_lessons() -> list[dict]:
    return [lesson.to_json() for lesson in LESSONS.values()]


@router.get("/{lesson_id}", response_model=LessonOut, responses=NOT_FOUND, summary="One lesson")
def get_lesson(lesson_id: str) -> dict:
    return _lesson(lesson_id).to_json()


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
