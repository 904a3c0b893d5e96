"""A run alone as a cohort of one: the Trainer's interface (train/loop.py), as the driver, the worker, the CLI and
the lessons use it, over the cohort engine. Every MLP that can batch trains on the same arithmetic whether it is
alone, in a cohort, paused, continued or forked (and alone it takes the engine's fast path for tiny nets).

`make_trainer` picks: this for a config that can batch (cohort/compat.py), the nn.Module Trainer otherwise.
"""

from typing import Any

import torch

from glassnet.cohort.compat import Alone, cohort_key
from glassnet.cohort.engine import Cohort
from glassnet.config import ExperimentConfig
from glassnet.nn.models import LayerInfo
from glassnet.train.insights import Insights
from glassnet.train.loop import Trainer
from glassnet.train.optim import Schedule
from glassnet.train.probe import Probe, Reading


class CohortTrainer:
    def __init__(self, config: ExperimentConfig, checkpoint: bytes | None = None) -> None:
        self.config = config
        self.cohort = Cohort([config], [checkpoint])
        self.device = torch.device("cpu")
        self.read_seconds = 0.0
        # a member handed over by its cohort: the step it was last read in full at, and its detectors' state
        self.last_full = -1
        self.insights: Insights | None = None

    @property
    def member(self) -> Any:
        return self.cohort.members[0]

    @property
    def step_count(self) -> int:
        return int(self.member.step_count)

    @property
    def first_bad_step(self) -> int | None:
        return self.member.first_bad_step

    @property
    def stop_reason(self) -> str | None:
        return self.member.stop_reason

    @property
    def current_lr(self) -> float:
        """The learning rate of its next step."""
        return float(self.member.current_lr)

    @property
    def schedule(self) -> Schedule:
        return self.member.schedule

    @property
    def layers(self) -> list[LayerInfo]:
        return self.cohort.template.layer_info()

    @property
    def probe(self) -> Probe:
        return self.cohort.probe(0)

    @property
    def frame_count(self) -> int:
        return int(self.member.frame_count)

    @frame_count.setter
    def frame_count(self, value: int) -> None:
        self.member.frame_count = value

    @property
    def started(self) -> float:
        return float(self.member.started)

    @started.setter
    def started(self, value: float) -> None:
        self.member.started = value

    def describe_data(self) -> dict[str, Any]:
        return self.cohort.describe_data(0)

    def set_lr(self, lr: float) -> None:
        self.cohort.set_lr(0, lr)

    def step(self, measure: bool = False, detail: bool = False) -> Reading | None:
        """As Trainer.step: a step whose loss is not finite, and the step early stopping ends on, are read in full
        (as the Trainer reads them: the gradients as they are, the update unknown)."""
        m = self.member
        bad_before, stopped_before = m.first_bad_step, m.stop_reason
        self.cohort.step([True] if measure else None)
        ended = (m.first_bad_step is not None and bad_before is None) or (
            m.stop_reason is not None and stopped_before is None
        )
        if ended:
            return self._timed(lambda: self.cohort.read(0, detail=True, measured=False))
        if not measure:
            return None
        if detail:
            return self._timed(lambda: self.cohort.read(0, detail=True, measured=True))
        return self._timed(lambda: self.cohort.read_frames([0])[0])

    def read(self, detail: bool = True) -> Reading:
        """The net as it is now, between steps."""
        return self._timed(lambda: self.cohort.read(0, detail=detail, measured=False))

    def _timed(self, read: Any) -> Reading:
        import time

        started = time.monotonic()
        reading = read()
        self.read_seconds = time.monotonic() - started
        return reading

    def checkpoint(self) -> bytes:
        return self.cohort.checkpoint(0)

    def state_dict(self) -> dict[str, torch.Tensor]:
        """The model's weights, as the single model's state_dict has them."""
        return self.cohort.model.member_state(0)

    @classmethod
    def resume(cls, config: ExperimentConfig, checkpoint: bytes) -> "CohortTrainer":
        return cls(config, checkpoint)


AnyTrainer = Trainer | CohortTrainer


def make_trainer(config: ExperimentConfig, checkpoint: bytes | None = None) -> AnyTrainer:
    """A run alone: on the cohort engine where its config can batch, else the nn.Module Trainer."""
    if isinstance(cohort_key(config), Alone):
        return Trainer.resume(config, checkpoint) if checkpoint else Trainer(config)
    return CohortTrainer(config, checkpoint)


def hand_over(cohort: Cohort, k: int, last_full: int, insights: Insights | None = None) -> CohortTrainer:
    """Member k of `cohort` as a run alone that goes on exactly where the member is: the same state, frames'
    sequence, clock, learning rate (live changes included) and training losses since its last reading. The
    caller then removes the member."""
    m = cohort.members[k]
    trainer = CohortTrainer(m.config, cohort.checkpoint(k))
    alone, one = trainer.member, trainer.cohort
    alone.frame_count, alone.started = m.frame_count, m.started
    trainer.last_full, trainer.insights = last_full, insights
    alone.schedule.base_lr = m.schedule.base_lr  # (the config's lr is the one it started with)
    one._schedule()
    one.loss_sum[0], one.read_at[0] = cohort.loss_sum[k], one.steps - (cohort.steps - cohort.read_at[k])
    one.act_grads = {i: grads[k : k + 1] for i, grads in cohort.act_grads.items()}
    one.bn_batch = {i: (mean[k : k + 1], var[k : k + 1]) for i, (mean, var) in cohort.bn_batch.items()}
    return trainer
