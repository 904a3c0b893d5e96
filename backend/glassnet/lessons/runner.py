"""Run a lesson's arms on the CPU (network runs, or optimizer-lab paths) and check its claim against what
they measured."""

import time
from typing import Any

from glassnet.config import ExperimentConfig
from glassnet.lessons.base import LabMeasured, Lesson, Measured, Verdict

TRACE_EVERY = 25  # the training-loss trace has one point per this many steps


def measure_arm(config: dict[str, Any]) -> Measured:
    """Train `config` for its `steps` on the CPU: detail frames of the first and the last step, and the
    training-loss trace."""
    import torch

    from glassnet.train.loop import Trainer

    start = time.perf_counter()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny nets: one thread is fastest and steadiest
    try:
        trainer = Trainer(ExperimentConfig.model_validate({**config, "device": "cpu"}))
        steps = trainer.config.steps
        first = trainer.step(measure=True, detail=True)
        trace: list[float | None] = []
        last = first
        for i in range(2, steps + 1):
            if i == steps or trainer.stop_reason:  # the end, or early stopping ended it
                last = trainer.step(measure=True, detail=True)
                break
            if i % TRACE_EVERY == 0:
                frame = trainer.step(measure=True, detail=False)
                trace.append(frame["train_loss"] if frame else None)
            else:
                trainer.step()
    finally:
        torch.set_num_threads(threads)
    assert first is not None and last is not None
    return Measured(config, first, last, trace, time.perf_counter() - start)


def measure_lab_arm(request: dict[str, Any]) -> LabMeasured:
    """Every optimizer's path of a lab request (validated as POST /api/lab/run validates it)."""
    from glassnet.api.lab_schemas import LabRun
    from glassnet.lab import SURFACES, trajectory

    start = time.perf_counter()
    run = LabRun.model_validate(request)
    surface = SURFACES[run.surface]
    paths = [
        {"optimizer": config.name, **trajectory(surface, config, run.start, run.steps, run.k)}
        for config in run.optimizers
    ]
    return LabMeasured(request, paths, time.perf_counter() - start)


def run_lesson(lesson: Lesson) -> tuple[dict[str, Measured | LabMeasured], Verdict]:
    measure = measure_lab_arm if lesson.kind == "lab" else measure_arm
    measured = {arm.name: measure(lesson.arm_config(arm)) for arm in lesson.arms}
    return measured, lesson.verify(measured)
