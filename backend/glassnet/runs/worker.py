"""The worker process: imports torch once, waits for a run, trains it and reports over a pipe.

The job is {"config", "replay"}: `replay` lists the segments that rebuild a fork's starting point
(training is deterministic, so replaying the parent's config and its live changes up to the fork step
gives exactly the parent's state there). Messages to the server are tuples: ("layers", [LayerInfo dict],
device, the hello's data description), ("frame", frame), ("event", event), ("status", status, step, error),
("lr_set", step, lr, old lr), ("weights", request id or None for the final ones, safetensors bytes).
Commands from the server: "pause", "resume", "step", "stop", ("set", {"lr": x}), ("weights", request id).
The worker polls for commands between steps, so a stop lands within one step; a worker that does not
answer is terminated.
"""

import contextlib
import math
import time
import traceback
from dataclasses import asdict
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from glassnet.config import ExperimentConfig


def worker_main(conn: Connection, torch_threads: int) -> None:
    import torch  # the expensive imports happen here, while the worker waits in the pool

    import glassnet.train.loop  # noqa: F401

    torch.set_num_threads(torch_threads)
    try:
        job = conn.recv()
    except (EOFError, KeyboardInterrupt):
        return
    if job is None:  # the pool is shutting down
        return
    try:
        from glassnet.data import tabular

        tabular.set_uploads_dir(Path(job["uploads"]))
        _run(conn, ExperimentConfig.model_validate(job["config"]), job["replay"])
    except Exception as exc:  # a failed run must reach the server as a status, not a dead pipe
        reason = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"
        with contextlib.suppress(OSError):  # unless the server itself is gone
            conn.send(("status", "failed", None, reason))
    finally:
        conn.close()


def replay(segments: list[dict[str, Any]]) -> bytes | None:
    """Train through each segment's config up to its `until` step, applying its live lr changes."""
    from glassnet.train.loop import Trainer

    checkpoint = None
    for segment in segments:
        config = ExperimentConfig.model_validate(segment["config"])
        trainer = Trainer.resume(config, checkpoint) if checkpoint else Trainer(config)
        changes = {c["step"]: c["lr"] for c in segment["lr_changes"]}
        while trainer.step_count < segment["until"]:
            if trainer.step_count in changes:
                trainer.set_lr(changes[trainer.step_count])
            trainer.step()
        checkpoint = trainer.checkpoint()
    return checkpoint


def weights(trainer: Any) -> bytes:
    from safetensors.torch import save

    return save({k: v.detach().cpu().contiguous() for k, v in trainer.model.state_dict().items()})


def _run(conn: Connection, config: ExperimentConfig, segments: list[dict[str, Any]]) -> None:
    from glassnet.train.insights import Insights
    from glassnet.train.loop import Trainer

    checkpoint = replay(segments) if segments else None
    trainer = Trainer.resume(config, checkpoint) if checkpoint else Trainer(config)
    insights = Insights([layer.name for layer in trainer.layers])
    # running before the layers: a stream's hello waits for the layers, so a client that has its hello can
    # already pause the run
    conn.send(("status", "running", trainer.step_count, None))
    conn.send(("layers", [asdict(layer) for layer in trainer.layers], trainer.device.type, trainer.describe_data()))
    period = 1.0 / config.frame_hz
    last_frame = -math.inf
    paused = False

    def end(status: str, reason: str | None) -> None:
        conn.send(("weights", None, weights(trainer)))
        conn.send(("status", status, trainer.step_count, reason))

    while trainer.step_count < config.steps:
        # while paused, block until a command comes; while running, only look
        command: Any = conn.recv() if paused else (conn.recv() if conn.poll() else None)
        if command == "stop":
            return end("stopped", None)
        if command in ("pause", "resume") and paused != (command == "pause"):
            paused = command == "pause"
            conn.send(("status", "paused" if paused else "running", trainer.step_count, None))
        if isinstance(command, tuple):
            _apply(conn, trainer, command)
        if paused and command != "step":
            continue

        # a frame is due by the clock, on the last step, and on every single step while paused
        now = time.monotonic()
        final = trainer.step_count + 1 == config.steps
        due = now - last_frame >= period or final or paused
        if due and now - last_frame < period:  # never exceed frame_hz, not even for those
            time.sleep(period - (now - last_frame))
        # the last frame and single steps get every figure; others get the detail figures at most DETAIL_HZ
        frame = trainer.step(measure=due, detail=True if final or paused else None)
        if frame is not None:
            last_frame = time.monotonic()
            conn.send(("frame", frame))
            diverged = frame["first_bad_step"] is not None or frame["train_loss"] is None
            if diverged or frame["detail_step"] == frame["step"]:  # detectors read the detail figures
                for event in insights.observe(frame):
                    conn.send(("event", event))
            if diverged:
                layer = trainer.first_bad_layer(frame)
                where = f"; the first layer affected is '{layer}'" if layer else ""
                step = frame["first_bad_step"] or trainer.step_count
                return end("diverged", f"the loss became non-finite at step {step}{where}")
        if trainer.stop_reason:
            return end("finished", trainer.stop_reason)

    return end("finished", None)


def _apply(conn: Connection, trainer: Any, command: tuple) -> None:
    kind, value = command
    if kind == "set" and "lr" in value:
        old = trainer.schedule.base_lr
        trainer.set_lr(float(value["lr"]))
        conn.send(("lr_set", trainer.step_count, float(value["lr"]), old))
    elif kind == "weights":
        conn.send(("weights", value, weights(trainer)))
