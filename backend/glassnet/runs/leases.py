"""Leases: a run started from the page trains only while someone watches it. Its viewers (open streams)
renew its lease; unwatched for `idle_pause_s` it pauses, and paused unwatched for `idle_stop_s` it stops,
keeping its history and training state (Continue trains it on). A viewer's return resumes a run paused this
way. Each of these is an event on the run (idle_paused, idle_resumed, idle_stopped), and `run.idle` says why
it is paused or stopped. Scripted runs hold no lease and are left alone.
"""

import asyncio
import time
from typing import TYPE_CHECKING

from glassnet.protocol import Event
from glassnet.runs.owners import Caller
from glassnet.runs.rules import InvalidTransition, RunLimitReached
from glassnet.runs.run import Run
from glassnet.runs.status import ACTIVE

if TYPE_CHECKING:
    from glassnet.runs.manager import RunManager

SERVER = Caller(admin=True)  # the server acts on a run for want of a viewer


class Leases:
    def __init__(self, manager: "RunManager") -> None:
        self.manager = manager
        self.settings = manager.settings
        self.tasks: set[asyncio.Future] = set()  # resumes for returning viewers, in flight

    def viewer_joined(self, run: Run) -> None:
        run.viewers += 1
        if run.idle is not None and run.idle["action"] == "paused" and run.status == "paused":
            task = asyncio.ensure_future(self._resume_for_viewer(run))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    def seen(self, run: Run) -> None:
        """A look at the run that is not a stream (a sweep's page polling it): it renews the lease as a viewer who
        comes and goes at once."""
        self.viewer_joined(run)
        self.viewer_left(run)

    def viewer_left(self, run: Run) -> None:
        run.viewers = max(0, run.viewers - 1)
        if run.viewers == 0:
            run.unwatched_since = time.monotonic()

    async def watch(self) -> None:
        """Check the leases now and then; runs until cancelled."""
        tick = min(1.0, self.settings.idle_pause_s / 4)
        while True:
            await asyncio.sleep(tick)
            await self.check()

    async def check(self) -> None:
        """Pause leased runs nobody watches, and stop paused ones still unwatched; then start the sweep members
        waiting for the room that frees (a run paused for want of a viewer leaves it too)."""
        await self._check_leases()
        if self.manager.queue:
            self.manager.pump()

    async def _check_leases(self) -> None:
        now = time.monotonic()
        for run in list(self.manager.runs.values()):
            if not run.lease or run.viewers or run.status not in ACTIVE:
                continue
            unwatched = now - run.unwatched_since
            if run.status == "running" and unwatched >= self.settings.idle_pause_s:
                await self._pause(run, unwatched)
            elif (
                run.status == "paused" and now - max(run.paused_since, run.unwatched_since) >= self.settings.idle_stop_s
            ):
                await self._stop(run)

    async def _resume_for_viewer(self, run: Run) -> None:
        try:
            await self.manager.command(run.id, "resume", SERVER)
        except (RunLimitReached, InvalidTransition):
            return  # no room for it now (or it ended): it stays paused, and its page offers Resume
        self._notice(run, "idle_resumed", "Resumed: someone is watching again", "已继续：又有人在看了", "")

    async def _pause(self, run: Run, unwatched: float) -> None:
        after = round(unwatched)
        run.idle = {"action": "paused", "step": run.step, "after_s": after}  # set first: it no longer counts
        try:
            await self.manager.command(run.id, "pause", SERVER)
        except InvalidTransition:
            run.idle = None  # it ended meanwhile
            return
        run.idle["step"] = run.step  # where it did pause (a few steps on)
        self._notice(
            run,
            "idle_paused",
            f"Paused: nobody watched this run for {after} s",
            f"已暂停：{after} 秒无人观看",
            "A run started from the page trains only while someone watches it. Open it again and it resumes.",
        )

    async def _stop(self, run: Run) -> None:
        await self.stop(run, f"paused and unwatched for {round(self.settings.idle_stop_s)} s")

    async def stop(self, run: Run, why: str) -> None:
        """Stop a run for want of a viewer (`why`), and say so on it. Its `idle` says so before the stop is sent:
        the run may read as stopped while the stop is acknowledged, and must never read as stopped but paused."""
        before = run.idle
        run.idle = {"action": "stopped", "step": run.step, "after_s": round(time.monotonic() - run.unwatched_since)}
        try:
            await self.manager.command(run.id, "stop", SERVER)
        except InvalidTransition:
            run.idle = before  # it ended meanwhile
            return
        run.idle["step"] = run.step
        self._notice(
            run,
            "idle_stopped",
            f"Stopped: {why}",
            "已停止：无人观看",
            "Its history and training state are kept: Continue trains it on from here.",
        )

    def _notice(self, run: Run, kind: str, message: str, message_zh: str, explanation: str) -> None:
        event = Event(
            kind=kind,
            step=run.step,
            layer=None,
            layer_index=None,
            message=message,
            message_zh=message_zh,
            explanation=explanation,
            explanation_zh=explanation,
        )
        self.manager.add_event(run, event)
        self.manager.store.save_run(run.row())
