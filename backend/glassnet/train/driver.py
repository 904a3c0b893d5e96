"""The one training driver: advances a Trainer, decides when readings and detail readings are due, ends
the run at the first non-finite step or when early stopping says so, and calls back.

The worker (live runs and a fork's replay), the CLI's headless runs and the lessons all train through
`drive`; they differ only in their pacing (by the clock, by steps, or never), their callbacks, and whether
something can pause or stop them between steps.
"""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from glassnet.nn.models import LayerInfo
from glassnet.train.insights import Insights
from glassnet.train.probe import Reading

if TYPE_CHECKING:
    from glassnet.cohort.alone import AnyTrainer as Trainer  # the nn.Module Trainer, or a cohort of one

DETAIL_HZ = 10.0  # at most this many detail readings a second ...
DETAIL_BUDGET = 0.03  # ... and no more than this share of the time spent on them (fewer for costly models)

Command = Literal["pause", "resume", "step", "stop"]


@dataclass
class Ending:
    status: Literal["finished", "stopped", "diverged"]
    reason: str | None = None


@dataclass
class ByClock:
    """Readings at most `frame_hz` times a second (never faster, not even forced ones), detail readings at
    most DETAIL_HZ times a second and within DETAIL_BUDGET of the time."""

    frame_hz: float
    last_frame: float = -math.inf
    last_detail: float = -math.inf
    detail_cost: float = 0.0

    def due(self, trainer: "Trainer", forced: bool) -> tuple[bool, bool]:
        now = time.monotonic()
        period = 1.0 / self.frame_hz
        measure = forced or now - self.last_frame >= period
        if measure and now - self.last_frame < period:
            time.sleep(period - (now - self.last_frame))
        interval = max(1 / DETAIL_HZ, self.detail_cost / DETAIL_BUDGET)
        return measure, time.monotonic() - self.last_detail >= interval

    def done(self, reading: Reading, seconds: float) -> None:
        # frames are paced from the moment their figures are of (their `time`), not from when a reading finished:
        # the reading's own `seconds` would make every period longer (about 17 frames a second at 20 Hz); and no
        # two frames' times are closer than the period
        self.last_frame = reading.made
        if reading.detail:
            self.last_detail, self.detail_cost = self.last_frame, seconds


@dataclass
class BySteps:
    """A light reading every `every` steps (0: none); the first and the last are read in full."""

    every: int = 0

    def due(self, trainer: "Trainer", forced: bool) -> tuple[bool, bool]:
        upcoming = trainer.step_count + 1
        return forced or bool(self.every and upcoming % self.every == 0), False

    def done(self, reading: Reading, seconds: float) -> None:
        pass


Pacing = ByClock | BySteps


@dataclass
class Callbacks:
    on_reading: Callable[[Reading], None] | None = None
    on_event: Callable[[dict], None] | None = None
    on_status: Callable[[Literal["running", "paused"]], None] | None = None
    # between steps: the next command, waiting for one while `paused` is true
    control: Callable[[bool], Command | None] | None = None
    lr_changes: dict[int, float] = field(default_factory=dict)  # step -> a live learning-rate change to replay
    on_step: Callable[[int], None] | None = None  # after every step, with the step count (cheap work only)


@dataclass
class Reporter:
    """Hands readings to `on_reading`, with the layers' verdicts on detail readings, then the events they confirm."""

    calls: Callbacks
    insights: Insights | None

    def report(self, reading: Reading, final: bool = False) -> None:
        """On the run's `final` reading, every condition that holds there is reported."""
        events = []
        if self.insights is not None and (reading.detail or reading.diverged):
            events = self.insights.observe(reading, final)
            if reading.detail:
                reading.health = self.insights.health  # the frame's verdicts: weights collapsing included
        if self.calls.on_reading:
            self.calls.on_reading(reading)
        if self.calls.on_event:
            for event in events:
                self.calls.on_event(event)


def drive(trainer: "Trainer", until: int, pacing: Pacing, callbacks: Callbacks | None = None) -> Ending:
    """Train until step `until`, a stop, a divergence or early stopping; the first and the last step, a
    single step taken while paused, and the net as it is when paused or stopped are read in full."""
    calls = callbacks or Callbacks()
    # (a member handed over by its cohort brings its own: what it has reported is not reported again)
    kept = getattr(trainer, "insights", None)
    insights = kept or Insights.for_config(trainer.config, trainer.layers)
    reporter = Reporter(calls, insights if calls.on_event else None)
    report = reporter.report
    paused, first = False, True
    last_full = getattr(trainer, "last_full", -1)  # the step last read in full (a member handed over: its own)

    def read_as_it_is(final: bool) -> None:
        """A pause or a stop shows the net as it is then, in full (steps since the last reading included)."""
        if calls.on_reading and trainer.step_count not in (0, last_full):
            report(trainer.read(detail=True), final)

    while trainer.step_count < until:
        command = calls.control(paused) if calls.control else None
        if command == "stop":
            read_as_it_is(final=True)
            return Ending("stopped")
        if command in ("pause", "resume") and paused != (command == "pause"):
            paused = command == "pause"
            if paused:
                read_as_it_is(final=False)
                last_full = trainer.step_count
            if calls.on_status:
                calls.on_status("paused" if paused else "running")
        if paused and command != "step":
            continue
        if trainer.step_count in calls.lr_changes:
            trainer.set_lr(calls.lr_changes[trainer.step_count])
        forced = first or paused or trainer.step_count + 1 == until
        # nobody reads (a fork's replay): no reading is due, but a diverging step still reads itself
        measure, detail = pacing.due(trainer, forced) if calls.on_reading else (False, False)
        reading = trainer.step(measure=measure, detail=detail or forced)
        if calls.on_step:
            calls.on_step(trainer.step_count)
        if reading is not None:
            first = False
            if reading.detail:  # (a light reading shows the loss, not the net: a pause there still reads it)
                last_full = reading.step
            pacing.done(reading, trainer.read_seconds)
            report(reading, final=reading.step >= until or trainer.stop_reason is not None)
        if trainer.first_bad_step is not None:
            return Ending("diverged", divergence(trainer, reading))
        if trainer.stop_reason:  # (the trainer read the step it stopped at in full)
            return Ending("finished", trainer.stop_reason)
    return Ending("finished")


def divergence(trainer: "Trainer", reading: Reading | None) -> str:
    """Why a run diverged: the step and, from a reading of the diverged net, the first layer affected."""
    return divergence_reason(trainer.layers, reading if reading is not None else trainer.read())


def divergence_reason(layers: list[LayerInfo], reading: Reading) -> str:
    layer = first_bad_layer(layers, reading)
    where = f"; the first layer affected is '{layer}'" if layer else ""
    return f"the loss became non-finite at step {reading.first_bad_step}{where}"


def first_bad_layer(layers: list[LayerInfo], reading: Reading) -> str | None:
    """The first layer (input side) whose weights, else whose gradients, else whose outputs are no longer
    finite, in a reading of the diverged net."""
    for name in ("weight_norm", "grad_norm", "act_mean"):
        values = reading.values.get(name)
        for info, value in zip(layers, values if values is not None else [], strict=False):
            if not math.isfinite(float(value)):
                return info.name
    return None
