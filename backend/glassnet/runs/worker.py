"""The worker process: imports torch once, waits for a run, trains it and reports over a pipe.

The job is (config, checkpoint or None). Messages to the server are tuples: ("layers", [LayerInfo dict],
device), ("frame", frame message), ("status", status, step, error), ("checkpoint", request id, bytes).
Commands from the server: "pause", "resume", "step", "stop", ("set", {"lr": x}), ("checkpoint", request id).
The worker polls for commands between steps, so a stop lands within one step; a process that does not
answer is terminated by the manager.
"""

import contextlib
import math
import time
import traceback
from dataclasses import asdict
from multiprocessing.connection import Connection
from typing import Any

from glassnet.config import ExperimentConfig


def worker_main(conn: Connection, torch_threads: int) -> None:
    import torch  # the expensive import happens here, while the worker waits in the pool

    import glassnet.train.loop  # noqa: F401  (and the engine's, so a run starts at once)

    torch.set_num_threads(torch_threads)
    try:
        job = conn.recv()
    except (EOFError, KeyboardInterrupt):
        return
    if job is None:  # the pool is shutting down
        return
    try:
        config, checkpoint = job
        _run(conn, ExperimentConfig.model_validate(config), checkpoint)
    except Exception as exc:  # a failed run must reach the server as a status, not a dead pipe
        reason = f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"
        with contextlib.suppress(OSError):  # unless the server itself is gone
            conn.send(("status", "failed", None, reason))
    finally:
        conn.close()


def _run(conn: Connection, config: ExperimentConfig, checkpoint: bytes | None) -> None:
    from glassnet.train.insights import Insights
    from glassnet.train.loop import Trainer

    trainer = Trainer.resume(config, checkpoint) if checkpoint else Trainer(config)
    insights = Insights([layer.name for layer in trainer.layers])
    conn.send(("layers", [asdict(layer) for layer in trainer.layers], trainer.device.type))
    conn.send(("status", "running", trainer.step_count, None))
    period = 1.0 / config.frame_hz
    last_frame = -math.inf
    paused = False

    while trainer.step_count < config.steps:
        # while paused, block until a command comes; while running, only look
        command: Any = conn.recv() if paused else (conn.recv() if conn.poll() else None)
        if command == "stop":
            conn.send(("status", "stopped", trainer.step_count, None))
            return
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
                conn.send(
                    ("status", "diverged", trainer.step_count, f"the loss became non-finite at step {step}{where}")
                )
                return
        if trainer.stop_reason:
            conn.send(("status", "finished", trainer.step_count, trainer.stop_reason))
            return

    conn.send(("status", "finished", trainer.step_count, None))


def _apply(conn: Connection, trainer: Any, command: tuple) -> None:
    kind, value = command
    if kind == "set" and "lr" in value:
        trainer.set_lr(float(value["lr"]))
    elif kind == "checkpoint":
        conn.send(("checkpoint", value, trainer.step_count, trainer.checkpoint()))
