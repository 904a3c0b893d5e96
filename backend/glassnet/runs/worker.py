"""The worker process: imports torch once, waits for a Job, trains it through the driver and reports over
its pipe in the typed messages of runs/messages.py.

A job may carry `start`, a saved training state to resume from (an ended run that continues, or a fork
starting from its parent's newest saved state at or before its step), and `replay`: the segments that
rebuild a fork's starting point from there (training is deterministic, so replaying the parent's config and
its live changes up to the fork step gives exactly the parent's state there). The worker saves the training
state now and then, and as the run ends. A worker that does not answer is terminated by the server.
"""

import contextlib
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING

from glassnet.config import ExperimentConfig
from glassnet.runs import messages as m

if TYPE_CHECKING:
    import torch

    from glassnet.cohort.alone import AnyTrainer
    from glassnet.train.driver import Command
    from glassnet.train.probe import Reading


def worker_main(conn: Connection, torch_threads: int) -> None:
    from glassnet.runs.warmup import waiting_quietly, warm_up

    with waiting_quietly(conn):  # the expensive imports and first-time costs, while the worker waits in the pool
        import torch

        torch.set_num_threads(torch_threads)
        warm_up(conn)  # unless a job is already waiting: that job pays the first-time costs
    try:
        job = conn.recv()
    except (EOFError, KeyboardInterrupt):
        return
    if job is None:  # the pool is shutting down
        return
    serve_job(conn, job)


def serve_job(conn: Connection, job: m.Job | m.CohortJob) -> None:
    """Train `job` (a run alone, or a cohort), reporting over `conn` until it ends, then close `conn`. A local
    worker process calls it once with its pipe; a Ray actor (runs/ray_actor.py) once per run it hosts, in a
    thread, with a queue-backed stand-in for the pipe."""
    try:
        from glassnet.data import tabular

        tabular.set_uploads_dir(Path(job.uploads))
        if isinstance(job, m.CohortJob):
            from glassnet.runs.cohort_worker import train_cohort

            train_cohort(conn, [ExperimentConfig.model_validate(c) for c in job.configs])
        else:
            _run(conn, ExperimentConfig.model_validate(job.config), job.replay, job.start)
    except Exception as exc:  # a failed run must reach the server as a status, not a dead pipe
        reason = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"
        with contextlib.suppress(OSError):  # unless the server itself is gone
            conn.send(m.StatusChanged(status="failed", step=None, error=reason))
    finally:
        conn.close()


def replay(segments: list[m.ReplaySegment], start: bytes | None = None) -> bytes | None:
    """From `start` (or from scratch), train through each segment's config up to its `until` step, applying its
    live lr changes; the state reached."""
    from glassnet.cohort.alone import make_trainer
    from glassnet.train.driver import BySteps, Callbacks, drive

    checkpoint = start
    for segment in segments:
        config = ExperimentConfig.model_validate(segment.config)
        trainer = make_trainer(config, checkpoint)
        changes = {c["step"]: c["lr"] for c in segment.lr_changes}
        drive(trainer, segment.until, BySteps(), Callbacks(lr_changes=changes))
        checkpoint = trainer.checkpoint()
    return checkpoint


def weights(trainer: "AnyTrainer") -> bytes:
    return weights_of(trainer.state_dict())


def weights_of(state: "dict[str, torch.Tensor]") -> bytes:
    """A model's state_dict as safetensors."""
    from safetensors.torch import save

    return save({k: v.detach().cpu().contiguous() for k, v in state.items()})


class Channel:
    """One run's side of the pipe: its reports out, its commands in. A run alone has the pipe to itself; the
    members of a cohort share one (runs/cohort_worker.py), their messages addressed by member."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def send(self, message: m.Message) -> None:
        self.conn.send(message)

    def next_command(self, block: bool) -> m.Message | None:
        if block or self.conn.poll():
            return self.conn.recv()
        return None


def _run(conn: Connection, config: ExperimentConfig, segments: list[m.ReplaySegment], start: bytes | None) -> None:
    from glassnet.cohort.alone import make_trainer

    checkpoint = replay(segments, start) if segments else start
    train_alone(Channel(conn), make_trainer(config, checkpoint))


def started(layers: list, device: str, data: dict, metrics: list[str]) -> m.Started:
    from glassnet.protocol import DataInfo, Layer

    return m.Started(
        layers=[Layer.model_validate(vars(layer)) for layer in layers],
        device=device,
        data=DataInfo.model_validate(data),
        metrics=metrics,
    )


def framed(reading: "Reading") -> m.Framed:
    from glassnet.protocol import frame_of

    text = frame_of(reading).model_dump_json(exclude_unset=True)
    return m.Framed(text=text, step=reading.step, detail=reading.detail, values=reading.values)


def noticed(event: dict) -> m.Noticed:
    from glassnet.protocol import Event

    return m.Noticed(event=Event.model_validate(event))


def train_alone(channel: Channel, trainer: "AnyTrainer", announce: bool = True) -> None:
    """Train one run through the driver, reporting over `channel` (`announce`: tell the server it runs and what
    it is, unless a cohort it leaves already did)."""
    from glassnet.runs.checkpoints import Cadence
    from glassnet.train.driver import ByClock, Callbacks, drive

    config = trainer.config
    send = channel.send
    if announce:
        # running before the layers: a stream's hello waits for the layers, so a client that has its hello can
        # already pause the run
        send(m.StatusChanged(status="running", step=trainer.step_count))
        send(
            started(
                trainer.layers, trainer.device.type, trainer.describe_data(), [x.name for x in trainer.probe.metrics]
            )
        )

    def control(paused: bool) -> "Command | None":
        while (command := channel.next_command(block=paused)) is not None:
            if isinstance(command, m.SetLr):
                old = trainer.schedule.base_lr
                trainer.set_lr(command.lr)
                send(m.LrApplied(step=trainer.step_count, lr=command.lr, old=old))
            elif isinstance(command, m.GetWeights):
                send(m.Weights(request=command.request, data=weights(trainer)))
            else:
                return command.kind  # type: ignore[attr-defined]
        return None

    cadence = Cadence()

    def on_step(step: int) -> None:
        if cadence.due(step):
            send(m.Checkpointed(step=step, data=trainer.checkpoint()))

    callbacks = Callbacks(
        on_reading=lambda reading: send(framed(reading)),
        on_step=on_step,
        on_event=lambda event: send(noticed(event)),
        on_status=lambda status: send(m.StatusChanged(status=status, step=trainer.step_count)),
        control=control,
    )
    ending = drive(trainer, config.total_steps, ByClock(config.frame_hz), callbacks)
    send(m.Weights(request=None, data=weights(trainer)))
    if ending.status != "diverged":  # a diverged state is not one to continue from
        send(m.Checkpointed(step=trainer.step_count, data=trainer.checkpoint(), final=True))
    send(m.StatusChanged(status=ending.status, step=trainer.step_count, error=ending.reason))
