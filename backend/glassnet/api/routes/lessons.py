"""Guided lessons (glassnet.lessons): list them, and run a lesson's check of its claim on the server's CPU.

A check's result is kept (lessons/runner.py): a lesson checked before is answered at once, and a check asked for
while the same one is running waits for it; neither counts towards MAX_CHECKS."""

import asyncio
from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from starlette.concurrency import run_in_threadpool

from glassnet.api.schemas import ErrorOut, LessonCheck, LessonOut
from glassnet.lessons import LESSONS
from glassnet.lessons.base import Lesson
from glassnet.lessons.runner import cached_check, check, check_key

MAX_CHECKS = 2  # lesson checks that may train at once (each trains its arms on one CPU thread)

router = APIRouter(prefix="/lessons", tags=["lessons"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut, "description": "No lesson has this id"}}
TOO_MANY: dict[int | str, dict[str, Any]] = {
    429: {"model": ErrorOut, "description": f"{MAX_CHECKS} other lesson checks are already running"}
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
    kept = cached_check(lesson)
    if kept is not None:
        return kept
    state = request.app.state
    if not hasattr(state, "lesson_pending"):
        state.lesson_pending = {}
    pending: dict[Any, asyncio.Future[dict]] = state.lesson_pending
    key = check_key(lesson)
    running = pending.get(key)
    if running is not None:  # the same check is training (a class checks one lesson at once): wait for it
        return {**await asyncio.shield(running), "cached": True}
    checks = getattr(state, "lesson_checks", 0)
    if checks >= MAX_CHECKS:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"{checks} lesson checks are running, the limit is {MAX_CHECKS}; try again when one has finished",
        )
    state.lesson_checks = checks + 1  # the event loop is one thread: no lock needed
    task = asyncio.ensure_future(run_in_threadpool(check, lesson))
    pending[key] = task

    def finished(_: asyncio.Future[dict]) -> None:  # when the training ends, even if this request went away
        state.lesson_checks -= 1
        del pending[key]

    task.add_done_callback(finished)
    return await asyncio.shield(task)
