"""The cohort's training driver: steps every member at once, reads each member at its own frame rate, and lets
a member leave when it ends (finished, stopped, diverged, early stopping) or asks to be paused or stepped (it
then goes on alone, on the single-run driver, exactly where it was).

Each member's readings and events are the ones train/driver.py makes for a run alone: the same first and last
readings in full, the same reading at a stop, the same verdicts and events (its Reporter).
"""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from glassnet.cohort.engine import Cohort
from glassnet.train.driver import DETAIL_BUDGET, DETAIL_HZ, BySteps, Callbacks, Ending, Reporter, divergence_reason
from glassnet.train.insights import Insights
from glassnet.train.probe import Reading

COHORT_DETAIL_SHARE = 0.5  # at most this share of a cohort's time goes to its members' detail readings
# ... and at most this share to their other frames (read and sent): a large class that cannot have all its members'
# frames at frame_hz gets fewer frames per member, not (its time all spent on frames) almost no training between them
# (bench/classroom.py, 100 students on 2 cores: 7 updates/s each without it, about 100 with it)
COHORT_FRAME_SHARE = 0.4
FRAME_WINDOW = 1.0  # seconds over which the light frames' share is measured
MAX_FRAME_INTERVAL = 2.0  # however costly, a member's frames come at least this often


@dataclass
class Seat:
    """One member's place in the driver: its callbacks, its end, and its pacing (by the clock at `frame_hz`, or
    by steps as train/driver.py's BySteps paces a run alone: the lessons' checks)."""

    calls: Callbacks
    until: int
    frame_hz: float
    member: int = 0  # which member of its job it is (the cohort's index changes as members leave)
    by_steps: BySteps | None = None
    reporter: Reporter = field(init=False)
    first: bool = True
    last_full: int = -1
    last_frame: float = -math.inf
    last_detail: float = -math.inf

    def bind(self, cohort: Cohort, k: int) -> "Seat":
        m = cohort.members[k]
        insights = Insights.for_config(m.config, cohort.template.layer_info()) if self.calls.on_event else None
        self.reporter = Reporter(self.calls, insights)
        return self

    def due(self, step_count: int, now: float, frame_interval: float, detail_interval: float) -> tuple[bool, bool]:
        """Whether the member's next step is read, and whether in full: the first and the last always in full."""
        if not self.calls.on_reading:
            return False, False
        forced = self.first or step_count + 1 == self.until
        if self.by_steps is not None:
            every = self.by_steps.every
            return forced or bool(every and (step_count + 1) % every == 0), forced
        measure = forced or now - self.last_frame >= self.frame_gap(frame_interval)
        return measure, measure and (forced or now - self.last_detail >= detail_interval)

    def frame_gap(self, frame_interval: float) -> float:
        """The time between its frames: its frame rate's, or longer where the cohort's frame budget says so."""
        return max(1 / self.frame_hz, frame_interval)


def detail_share(members: int) -> float:
    """The share of a cohort's time its members' detail readings may take: each member's share as a run alone
    (DETAIL_BUDGET), so that it is read in full as often as alone, up to COHORT_DETAIL_SHARE for the cohort. Past
    that, members are read in full less often (a class of 60 small runs: each about once a second, where a budget
    of DETAIL_BUDGET for the whole cohort would read each once in 15 s and leave its output and test loss stale)."""
    return min(COHORT_DETAIL_SHARE, DETAIL_BUDGET * members)


@dataclass
class FrameBudget:
    """The cohort-wide shortest time between a member's light frames (0: each member's frame_hz). Over windows of
    FRAME_WINDOW it is set so that light frames, read and sent, take COHORT_FRAME_SHARE of the cohort's time: from
    the gap between a member's frames measured there, scaled by the share they took over the share they may take.
    Within the budget it shrinks back, at most by half a window."""

    interval: float = 0.0
    since: float = field(default_factory=time.monotonic)
    spent: float = 0.0
    frames: int = 0

    def add(self, seconds: float, frames: int, members: int) -> None:
        self.spent, self.frames = self.spent + seconds, self.frames + frames
        now = time.monotonic()
        window = now - self.since
        if window < FRAME_WINDOW:
            return
        share = self.spent / window
        gap = window * members / self.frames if self.frames else 0.0  # (no frames: nothing to stretch)
        wanted = min(MAX_FRAME_INTERVAL, gap * share / COHORT_FRAME_SHARE)
        if share > COHORT_FRAME_SHARE:
            self.interval = max(self.interval, wanted)
        else:
            self.interval = max(self.interval / 2, min(self.interval, wanted))
        self.since, self.spent, self.frames = now, 0.0, 0


# why a member leaves: an ending, or None to go on alone (it was paused or stepped)
Leave = Callable[[int, Seat, Ending | None], None]


def drive_cohort(
    cohort: Cohort,
    seats: list[Seat],
    leave: Leave,
    admit: Callable[[], None] | None = None,
    pending: Callable[[], bool] | None = None,
) -> None:
    """Train until every member has left. `leave(k, seat, ending)` is called while member k is still in the
    cohort (to take its checkpoint or weights); it is removed right after. `admit()`, at every step boundary,
    adds the members that asked to join (to the cohort and to `seats`). `pending()` says whether any member may
    have a command waiting (None: ask every member's control at every step).

    Most steps read no member and end none: those pay one check of the next reading due (by the clock or by the
    step) and of the first end, not a look at every member."""
    detail_cost = 0.0  # seconds one member's reading in full takes, read and reported
    frames = FrameBudget()
    quiet_until = (-1, -math.inf)  # (step of the first member, time): before both, no member is due anything
    while seats:
        if admit is not None:
            joined = len(seats)
            admit()
            if len(seats) != joined:
                quiet_until = (-1, -math.inf)
        if pending() if pending is not None else any(seat.calls.control for seat in seats):
            leaving = _commands(cohort, seats)
            if leaving:
                _leave(cohort, seats, leaving, leave)
                quiet_until = (-1, -math.inf)
                continue

        now = time.monotonic()
        first_step = cohort.members[0].step_count
        if first_step < quiet_until[0] and now < quiet_until[1]:
            cohort.step(None)
            if not cohort.ended_any:
                for k, seat in enumerate(seats):
                    if seat.calls.on_step:
                        seat.calls.on_step(cohort.members[k].step_count)
                continue
            measure = [False] * len(seats)
            detail = [False] * len(seats)
        else:
            detail_interval = max(1 / DETAIL_HZ, detail_cost * len(seats) / detail_share(len(seats)))
            measure, detail = [], []
            for k, seat in enumerate(seats):
                read, in_full = seat.due(cohort.members[k].step_count, now, frames.interval, detail_interval)
                measure.append(read)
                detail.append(in_full)
            # as a run alone: frames never come faster than frame_hz, not even a forced one (a run's last step)
            early = [
                s.last_frame + 1 / s.frame_hz - now
                for s, due in zip(seats, measure, strict=True)
                if due and not s.by_steps
            ]
            if early and max(early) > 0:  # (at most 0.1 s: a member with a slow frame rate must not stall the rest)
                time.sleep(min(max(early), 0.1))
                now = time.monotonic()
            cohort.step(measure)
        measured = list(measure)

        ended: dict[int, Ending | None] = {}
        for k, m in enumerate(cohort.members):
            if m.first_bad_step is not None:
                ended[k] = Ending("diverged")
            elif m.stop_reason is not None or m.step_count >= seats[k].until:
                ended[k] = Ending("finished", m.stop_reason)
            if k in ended and seats[k].calls.on_reading:
                measure[k] = detail[k] = True  # a run's end is read in full
        full = [k for k in range(len(seats)) if detail[k]]
        light = [k for k in range(len(seats)) if measure[k] and not detail[k]]
        started = time.monotonic()
        readings: dict[int, Reading] = dict(zip(light, cohort.read_frames(light), strict=True)) if light else {}
        seconds = {False: time.monotonic() - started, True: 0.0}  # (light, in full) read and reported
        started = time.monotonic()
        for k in full:
            # a step read only because the run ended there (a divergence, early stopping) is read as the single
            # Trainer reads it: the gradients as they are, the update unknown
            readings[k] = cohort.read(k, detail=True, measured=measured[k])
        seconds[True] = time.monotonic() - started
        for k, reading in sorted(readings.items()):
            started = time.monotonic()
            seat = seats[k]
            seat.first, seat.last_frame = False, reading.made  # (as a run alone)
            if reading.detail:
                seat.last_full, seat.last_detail = reading.step, reading.made
            ending = ended.get(k)
            if ending is not None and ending.status == "diverged":
                ending.reason = divergence_reason(cohort.template.layer_info(), reading)
            seat.reporter.report(reading, final=k in ended)
            seconds[reading.detail] += time.monotonic() - started
        if full:
            detail_cost = seconds[True] / len(full)
        frames.add(seconds[False], len(light), len(seats))
        for k, seat in enumerate(seats):
            if seat.calls.on_step:
                seat.calls.on_step(cohort.members[k].step_count)
        for k, ending in ended.items():
            if ending is not None and ending.status == "diverged" and ending.reason is None:  # nobody read it
                ending.reason = divergence_reason(cohort.template.layer_info(), cohort.read(k, True, False))
        if ended:
            _leave(cohort, seats, ended, leave)
        if seats:
            quiet_until = _quiet_until(cohort, seats, frames.interval)


def _quiet_until(cohort: Cohort, seats: list[Seat], frame_interval: float) -> tuple[int, float]:
    """The first member's step, and the time, before which no member is due a reading or ends: the soonest of
    every member's next reading by the step (its first, its last, BySteps), its end, and its next by the clock."""
    first_step = cohort.members[0].step_count
    step, when = math.inf, math.inf
    for k, seat in enumerate(seats):
        own = cohort.members[k].step_count
        nearest = seat.until - 1  # (its last step is read in full)
        if seat.first:
            nearest = own
        elif seat.by_steps is not None and seat.by_steps.every:
            nearest = min(nearest, (own // seat.by_steps.every + 1) * seat.by_steps.every - 1)
        step = min(step, first_step + nearest - own)
        if seat.by_steps is None and seat.calls.on_reading:
            when = min(when, seat.last_frame + seat.frame_gap(frame_interval))
    return (int(step) if step < math.inf else 2**62), when


def _commands(cohort: Cohort, seats: list[Seat]) -> dict[int, Ending | None]:
    """Each member's command: who stops (read as it is, in full), and who goes on alone (pause, step)."""
    leaving: dict[int, Ending | None] = {}
    for k, seat in enumerate(seats):
        command = seat.calls.control(False) if seat.calls.control else None
        if command == "stop":
            if seat.calls.on_reading and cohort.members[k].step_count not in (0, seat.last_full):
                seat.reporter.report(cohort.read(k, detail=True, measured=False), final=True)
            leaving[k] = Ending("stopped")
        elif command in ("pause", "step"):
            leaving[k] = None
    return leaving


def _leave(cohort: Cohort, seats: list[Seat], leaving: dict[int, Ending | None], leave: Leave) -> None:
    for k, ending in sorted(leaving.items()):
        leave(k, seats[k], ending)
    cohort.remove(list(leaving))
    for k in sorted(leaving, reverse=True):
        del seats[k]
