"""Run a lesson's arms on the CPU (network runs, or optimizer-lab paths) and check its claim against what
they measured."""

import time
from typing import Any

from glassnet.config import ExperimentConfig
from glassnet.lessons.base import LabMeasured, Lesson, Measured, Verdict
from glassnet.lessons.figures import figure_labels
from glassnet.train.metrics import FINAL
from glassnet.train.pack import finite_or_none

TRACE_EVERY = 25  # the training-loss trace has one point per this many steps
CURVE_POINTS = 100  # a lab path's loss curve is thinned to at most this many points (a network arm's has steps/25)


def measure_arm(config: dict[str, Any]) -> Measured:
    """Train `config` for its `steps` on the CPU through the driver: full readings of the first and the last
    step (a diverged arm ends at its first non-finite step), and the training-loss trace."""
    import torch

    from glassnet.train.driver import BySteps, Callbacks, drive
    from glassnet.train.loop import Trainer
    from glassnet.train.probe import Reading

    start = time.perf_counter()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny nets: one thread is fastest and steadiest
    readings: list[Reading] = []
    try:
        trainer = Trainer(ExperimentConfig.model_validate({**config, "device": "cpu"}))
        drive(trainer, trainer.config.total_steps, BySteps(TRACE_EVERY), Callbacks(on_reading=readings.append))
    finally:
        torch.set_num_threads(threads)
    first, last = readings[0], readings[-1]
    trace = [r["train_loss"] for r in readings[1:-1]]
    curve = {"step": [r.step for r in readings], "loss": [r.get("train_loss") for r in readings]}
    return Measured(config, first, last, trace, time.perf_counter() - start, curve)


def measure_lab_arm(request: dict[str, Any]) -> LabMeasured:
    """Every optimizer's path of a lab request (validated as POST /api/lab/run validates it)."""
    from glassnet.api.schemas import LabRun
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


def check(lesson: Lesson) -> dict[str, Any]:
    """Train the lesson's arms and judge its claim: what POST /api/lessons/{id}/run answers and the CLI's
    `glassnet lessons --verify` prints."""
    measured, verdict = run_lesson(lesson)
    result = verdict.to_json()
    result["figures"] = {name: finite_or_none(value) for name, value in verdict.figures.items()}
    result["labels"] = figure_labels(lesson, list(verdict.figures))
    runs = [_arm_run(name, m) for name, m in measured.items()]
    return {"lesson": lesson.id, "verdict": result, "runs": runs}


def _arm_run(name: str, m: Measured | LabMeasured) -> dict[str, Any]:
    if isinstance(m, LabMeasured):
        keys = ("optimizer", "steps", "stopped", "stop_reason", "stopped_at")
        paths = [
            {**{k: p[k] for k in keys}, "final_loss": finite_or_none(p["final_loss"]), "curve": thinned(p["loss"])}
            for p in m.paths
        ]
        return {"arm": name, "lab": m.config, "seconds": m.seconds, "paths": paths}
    final = {key: m.last.get(key) for key in FINAL}
    return {"arm": name, "config": m.config, "seconds": m.seconds, "final": final, "curve": m.curve}


def thinned(loss: list[float], points: int = CURVE_POINTS) -> dict[str, list]:
    """A lab path's loss after each update (index = step) as a curve of at most about `points` points, the last
    step always among them; non-finite values are null."""
    every = max(1, -(-len(loss) // points))
    steps = list(range(0, len(loss), every))
    if steps and steps[-1] != len(loss) - 1:
        steps.append(len(loss) - 1)
    return {"step": steps, "loss": [finite_or_none(loss[i]) for i in steps]}
