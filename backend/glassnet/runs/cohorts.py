"""Placing runs into cohorts: a worker process that trains the runs of one cohort key (cohort/compat.py) as one
batched model (runs/cohort_worker.py), and admits new members at its step boundaries.

A CohortHost is the server's view of one such process: its members by index (a member keeps its index after it
ends), how much memory they take, and whether the process may still admit members. When every member has left
the cohort, the worker says so (Idle, with how many members it has seen); the server closes it unless a Join
is on its way, so no member is ever sent to a process that is exiting.
"""

import math
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING

from glassnet.config import ExperimentConfig
from glassnet.runs.status import ACTIVE

if TYPE_CHECKING:
    from glassnet.runs.run import Run

MAX_MEMBERS = 256  # members one cohort admits
MEMBERS_PER_SLOT = 16  # a cohort member costs this fraction of a run alone against the server's limit


def member_bytes(config: ExperimentConfig) -> int:
    """What one member takes, roughly: its parameters with their gradients and optimizer state, its data, and
    the activations of a batch (forward and backward)."""
    from glassnet.nn.models import count_parameters
    from glassnet.nn.shapes import input_shape, n_outputs

    shape = input_shape(config.dataset)
    inputs = math.prod(shape)
    params = count_parameters(shape, n_outputs(config.dataset), config.model)
    states = {"sgd": 0, "momentum": 1, "nesterov": 1, "adagrad": 1, "rmsprop": 2, "adadelta": 2}
    tensors = params * (2 + states.get(config.optimizer.name, 2))
    data = config.dataset.n_samples * (inputs + 1)
    activations = config.batch_size * (inputs + sum(config.model.hidden) + 10) * 6
    return 4 * (tensors + data + activations)


@dataclass
class CohortHost:
    key: str
    process: BaseProcess
    conn: Connection
    budget: int  # bytes its members may take (GLASSNET_MAX_MEMORY_MB)
    members: list["Run"] = field(default_factory=list)  # by member index
    bytes_used: int = 0
    peak: int = 0  # the most members it has trained at once
    closed: bool = False  # told to exit (or gone): admits no one
    idle_seen: int | None = None  # the members the worker had seen when it last said it was idle

    @property
    def active(self) -> list["Run"]:
        return [run for run in self.members if run.status in ACTIVE and run.host is self]

    @property
    def size(self) -> int:
        """Members training in it now."""
        return len(self.active)

    def admits(self, config: ExperimentConfig, key: str) -> bool:
        return (
            not self.closed
            and self.process.is_alive()
            and key == self.key
            and self.size < MAX_MEMBERS
            and self.bytes_used + member_bytes(config) <= self.budget
        )

    def join(self, run: "Run") -> int:
        run.host, run.member = self, len(self.members)
        self.members.append(run)
        self.peak = max(self.peak, self.size)
        self.bytes_used += member_bytes(run.config)
        return run.member


def load_of(runs: "list[Run]", idle_too: bool = False) -> float:
    """The share of the server's limit (GLASSNET_MAX_RUNS) that these runs take: a run alone takes 1, a cohort
    member 1 / MEMBERS_PER_SLOT; a run paused for want of a viewer takes none, unless `idle_too`."""
    return sum(
        1 / MEMBERS_PER_SLOT if run.host is not None else 1
        for run in runs
        if (run.status in ACTIVE if idle_too else run.counts) and (run.host or run.process)  # (queued: none yet)
    )
