"""What the server and a worker process say to each other over their pipe, as typed messages.

Server -> worker: a Job, then commands (Pause, Resume, Step, Stop, SetLr, GetWeights). Worker -> server:
Started (the model's layers, the device, the data), Framed (a frame, already serialised for the stream,
with its raw figures for the history), Noticed (a detector's event), StatusChanged, LrApplied, Weights and
Checkpointed.
The worker polls for commands between steps, so a stop lands within one step.
"""

from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from glassnet.protocol import DataInfo, Event, Layer
from glassnet.runs.status import RunStatus


class Message(BaseModel):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)


# ---- server -> worker
class ReplaySegment(Message):
    """Part of a fork's past: train `config` up to step `until`, applying its live lr changes."""

    config: dict[str, Any]
    until: int
    lr_changes: list[dict[str, Any]]


class Job(Message):
    config: dict[str, Any]
    replay: list[ReplaySegment]
    uploads: str  # the uploaded datasets' directory
    start: bytes | None = None  # a checkpoint (Trainer.checkpoint) to resume from, before any replay


class CohortJob(Message):
    """Runs of one cohort key (cohort/compat.py) to train as one batched model, each from scratch."""

    configs: list[dict[str, Any]]
    uploads: str


class Join(Message):
    """A new member for a cohort's worker, from scratch: it is admitted at the next step boundary."""

    member: int  # its index (the members so far, in the order they came)
    config: dict[str, Any]


class Close(Message):
    """A cohort's worker with no member left may exit (the answer to its Idle)."""


class Pause(Message):
    kind: Literal["pause"] = "pause"


class Resume(Message):
    kind: Literal["resume"] = "resume"


class Step(Message):
    kind: Literal["step"] = "step"


class Stop(Message):
    kind: Literal["stop"] = "stop"


class SetLr(Message):
    lr: float


class GetWeights(Message):
    request: str


Command = Pause | Resume | Step | Stop | SetLr | GetWeights


class ToMember(Message):
    """A command for one member of a cohort (its index in the CohortJob)."""

    member: int
    command: Command


COMMANDS: dict[str, type[Message]] = {"pause": Pause, "resume": Resume, "step": Step, "stop": Stop}


# ---- worker -> server
class Started(Message):
    layers: list[Layer]
    device: str
    data: DataInfo
    metrics: list[str]  # the registry metrics this model has


class Framed(Message):
    text: str  # the stream's Frame as JSON, serialised once, in the worker
    step: int
    detail: bool
    values: dict[str, np.ndarray]  # the frame's series figures (NaN where not finite), for the history


class Noticed(Message):
    event: Event


class StatusChanged(Message):
    status: RunStatus
    step: int | None
    error: str | None = None


class LrApplied(Message):
    step: int
    lr: float
    old: float


class Weights(Message):
    request: str | None  # None: the final weights, as the run ends
    data: bytes


class Checkpointed(Message):
    """The full training state at `step` (Trainer.checkpoint): now and then while training, and as the run ends
    (`final`), so that forks start near their step and an ended run can continue."""

    step: int
    data: bytes
    final: bool = False


Report = Started | Framed | Noticed | StatusChanged | LrApplied | Weights | Checkpointed


class Idle(Message):
    """A cohort's worker has no member training (`seen`: the members it has admitted so far)."""

    seen: int


class FromMember(Message):
    """A report of one member of a cohort (its index in the CohortJob)."""

    member: int
    report: Report
