"""Run a lesson's arms on the CPU (network runs, or optimizer-lab paths) and check its claim against what
they measured.

A network lesson's check trains every arm on each of SEEDS and judges the claim on each seed; the arms of one
architecture, over all seeds, train as one cohort (glassnet.cohort), which costs about what one of them costs
alone. A check's result is kept for the process's lifetime, by lesson, version and seeds: a class checking the
same lesson trains it once."""

import copy
import hashlib
import inspect
import json
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from glassnet import __version__
from glassnet.config import ExperimentConfig
from glassnet.lessons.base import LabMeasured, Lesson, Measured, Verdict
from glassnet.lessons.figures import figure_labels
from glassnet.train.metrics import FINAL
from glassnet.train.pack import finite_or_none

if TYPE_CHECKING:
    from glassnet.train.probe import Reading

TRACE_EVERY = 25  # the training-loss trace has one point per this many steps
CURVE_POINTS = 100  # a lab path's loss curve is thinned to at most this many points (a network arm's has steps/25)
SEEDS = (0, 1, 2, 3, 4)  # a network lesson's claim is judged on each (it holds on at least 4 of them)


@contextmanager
def _one_thread() -> Iterator[None]:
    """Tiny nets: one thread is fastest and steadiest."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _measured(config: dict[str, Any], readings: "list[Reading]", seconds: float) -> Measured:
    first, last = readings[0], readings[-1]
    trace = [r["train_loss"] for r in readings[1:-1]]
    curve = {"step": [r.step for r in readings], "loss": [r.get("train_loss") for r in readings]}
    return Measured(config, first, last, trace, seconds, curve)


def measure_arm(config: dict[str, Any]) -> Measured:
    """Train `config` for its `steps` on the CPU through the driver: full readings of the first and the last
    step (a diverged arm ends at its first non-finite step), and the training-loss trace."""
    from glassnet.cohort.alone import make_trainer
    from glassnet.train.driver import BySteps, Callbacks, drive

    start = time.perf_counter()
    readings: list[Reading] = []
    with _one_thread():
        trainer = make_trainer(ExperimentConfig.model_validate({**config, "device": "cpu"}))
        drive(trainer, trainer.config.total_steps, BySteps(TRACE_EVERY), Callbacks(on_reading=readings.append))
    return _measured(config, readings, time.perf_counter() - start)


def measure_cohort(configs: list[dict[str, Any]]) -> list[Measured]:
    """What measure_arm measures for each of `configs` (one cohort key), trained together as one cohort; each
    member's `seconds` is its share of the cohort's time."""
    from glassnet.cohort.driver import Seat, drive_cohort
    from glassnet.cohort.engine import Cohort
    from glassnet.train.driver import BySteps, Callbacks

    start = time.perf_counter()
    readings: list[list[Reading]] = [[] for _ in configs]
    with _one_thread():
        cohort = Cohort([ExperimentConfig.model_validate({**c, "device": "cpu"}) for c in configs])
        seats = [
            Seat(
                Callbacks(on_reading=readings[k].append),
                m.config.total_steps,
                m.config.frame_hz,
                member=k,
                by_steps=BySteps(TRACE_EVERY),
            ).bind(cohort, k)
            for k, m in enumerate(cohort.members)
        ]
        drive_cohort(cohort, seats, lambda k, seat, ending: None)
    share = (time.perf_counter() - start) / len(configs)
    return [_measured(config, r, share) for config, r in zip(configs, readings, strict=True)]


def measure_arms(configs: list[dict[str, Any]]) -> list[Measured]:
    """measure_arm of each config, in order: the configs that can batch (glassnet.cohort.compat) as one cohort
    per architecture, the others alone."""
    from glassnet.cohort.compat import Alone, cohort_key

    cohorts: dict[str, list[int]] = {}
    for i, config in enumerate(configs):
        # (the arms start together: a CNN's or a recurrent net's seeds batch as a sweep's members do)
        key = cohort_key(ExperimentConfig.model_validate({**config, "device": "cpu"}), len(configs))
        cohorts.setdefault(f"alone {i}" if isinstance(key, Alone) else key, []).append(i)
    measured: dict[int, Measured] = {}
    for members in cohorts.values():
        if len(members) == 1:
            measured[members[0]] = measure_arm(configs[members[0]])
        else:
            measured |= dict(zip(members, measure_cohort([configs[i] for i in members]), strict=True))
    return [measured[i] for i in range(len(configs))]


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
    """The lesson's arms, each trained alone on the lesson's own seed, and its check of them."""
    measure = measure_lab_arm if lesson.kind == "lab" else measure_arm
    measured = {arm.name: measure(lesson.arm_config(arm)) for arm in lesson.arms}
    return measured, lesson.verify(measured)


def run_seeds(lesson: Lesson, seeds: Sequence[int] = SEEDS) -> tuple[dict[int, dict[str, Measured]], Verdict]:
    """A network lesson's arms trained on each of `seeds` (in cohorts), and its check judged on each seed. The
    verdict shows the figures of the lesson's own seed (its arms' one-click configs), else of the first."""
    runs = [(seed, arm.name, {**lesson.arm_config(arm), "seed": seed}) for seed in seeds for arm in lesson.arms]
    results = measure_arms([config for _, _, config in runs])
    measured: dict[int, dict[str, Measured]] = {seed: {} for seed in seeds}
    for (seed, name, _), m in zip(runs, results, strict=True):
        measured[seed][name] = m
    verdicts = {seed: lesson.verify(arms) for seed, arms in measured.items()}
    return measured, Verdict.over_seeds(verdicts, lesson.seed if lesson.seed in measured else seeds[0])


# ---- the check, as the API and the CLI answer it, kept by lesson version and seeds

_checks: dict[tuple[str, str, tuple[int, ...]], dict[str, Any]] = {}
_checks_lock = threading.Lock()


def lesson_version(lesson: Lesson) -> str:
    """A fingerprint of what a lesson's check depends on: its arms' configs, its steps, the source of the module
    that defines its claim, and glassnet's version."""
    module = sys.modules.get(lesson.verify.__module__)
    try:
        source = inspect.getsource(module) if module is not None else ""
    except (OSError, TypeError):  # no source (a frozen build): the version and the configs still tell
        source = ""
    what = {
        "glassnet": __version__,
        "arms": {arm.name: lesson.arm_config(arm) for arm in lesson.arms},
        "verify": f"{lesson.verify.__module__}.{lesson.verify.__qualname__}",
        "source": source,
        "trace_every": TRACE_EVERY,
    }
    return hashlib.sha256(json.dumps(what, sort_keys=True, default=str).encode()).hexdigest()[:16]


def check_key(lesson: Lesson, seeds: Sequence[int] = SEEDS) -> tuple[str, str, tuple[int, ...]]:
    """What a check's result is kept by (a lab lesson has no seeds)."""
    return lesson.id, lesson_version(lesson), () if lesson.kind == "lab" else tuple(seeds)


def cached_check(lesson: Lesson, seeds: Sequence[int] = SEEDS) -> dict[str, Any] | None:
    """The kept result of this lesson's check (marked `cached`), or None when it has not been checked."""
    with _checks_lock:
        kept = _checks.get(check_key(lesson, seeds))
    return None if kept is None else {**copy.deepcopy(kept), "cached": True}


def check(lesson: Lesson, seeds: Sequence[int] = SEEDS) -> dict[str, Any]:
    """Train the lesson's arms and judge its claim (over `seeds` for a network lesson), or answer the kept result
    of the same check: what POST /api/lessons/{id}/run answers and the CLI's `glassnet lessons --verify` prints."""
    kept = cached_check(lesson, seeds)
    if kept is not None:
        return kept
    result = _check(lesson, seeds)
    with _checks_lock:
        _checks[check_key(lesson, seeds)] = result
    return {**copy.deepcopy(result), "cached": False}


def forget_checks() -> None:
    """Drop every kept check result."""
    with _checks_lock:
        _checks.clear()


def _check(lesson: Lesson, seeds: Sequence[int]) -> dict[str, Any]:
    if lesson.kind == "lab":
        measured, verdict = run_lesson(lesson)
        runs = [_arm_run(name, m) for name, m in measured.items()]
    else:
        by_seed, verdict = run_seeds(lesson, seeds)
        shown = by_seed[lesson.seed if lesson.seed in by_seed else seeds[0]]
        # an arm's seconds: all its seeds' together (a cohort member's: its share of the cohort's time)
        seconds = {name: sum(arms[name].seconds for arms in by_seed.values()) for name in shown}
        runs = [
            {**_arm_run(name, m), "seconds": seconds[name], "curves": _seed_curves(by_seed, name)}
            for name, m in shown.items()
        ]
    result = verdict.to_json()
    result["figures"] = _finite(verdict.figures)
    result["labels"] = figure_labels(lesson, list(verdict.figures))
    for one in result.get("seeds", []):
        one["figures"] = _finite(one["figures"])
    return {"lesson": lesson.id, "verdict": result, "runs": runs}


def _seed_curves(by_seed: dict[int, dict[str, Measured]], arm: str) -> list[dict[str, Any]]:
    """An arm's training-loss curve on each seed, in seed order (the UI draws their median and range)."""
    return [{"seed": seed, **arms[arm].curve} for seed, arms in by_seed.items()]


def _finite(figures: dict[str, float | None]) -> dict[str, float | None]:
    return {name: finite_or_none(value) for name, value in figures.items()}


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
