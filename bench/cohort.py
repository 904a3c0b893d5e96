"""What a cohort buys: updates/s of K runs trained as one batched model (cohort/engine.py), probe at 20 Hz, against
K separate plain nn.Module loops on one thread, and against the single-run path (a run alone driven with its probe).

Per case and K, in one process and one thread (as a worker trains), alternating A B A B ... and taking medians:
  - plain: the loop a user writes by hand (build_model, torch.optim, loss, backward, step on glassnet.data.load's
    data). K such loops sharing one thread have together the updates/s of one, so one loop is timed alone; once,
    8 loops stepped round robin are timed too, to check that;
  - trainer: the single-run path a worker takes, drive(make_trainer(config)) with ByClock(20) (a cohort of one
    where the config batches alone, else the nn.Module Trainer), each reading serialised as the worker does;
  - cohort: drive_cohort over K seats, frames at 20 Hz per member, each reading serialised as the worker does;
    members differ in seed and learning rate (per-member hyper-parameters).
Driver rates are of `seconds` from the second step on, then the run is stopped: clear of the full readings the
driver forces at the first step and at a stop.
Memory per member: the bytes of the tensors (and arrays) the cohort holds, by kind, over K, and the process's RSS
growth over K; for the plain loop, those of one model, optimizer and dataset.
Run: `make bench` or `.venv/bin/python -m bench.cohort [--seconds S] [--rounds R] [--ks 1,8] [--quick] [--json F]`.
"""

import argparse
import concurrent.futures
import gc
import json
import math
import multiprocessing
import os
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from glassnet.cohort.alone import make_trainer
from glassnet.cohort.compat import Alone, cohort_key
from glassnet.cohort.driver import Seat, drive_cohort
from glassnet.cohort.engine import Cohort
from glassnet.config import ExperimentConfig
from glassnet.data import load
from glassnet.nn.models import build_model
from glassnet.runs.worker import framed
from glassnet.train.driver import ByClock, Callbacks, Command, Ending, drive
from glassnet.train.optim import make_optimizer
from glassnet.train.probe import Reading

FRAME_HZ = 20.0
ROUND_ROBIN_K = 8


@dataclass(frozen=True)
class Case:
    title: str
    config: dict[str, Any]


CASES = {
    "a": Case(
        "TF Playground default: circle, x1 x2, hidden [4, 2] tanh, batch 10, sgd lr 0.03",
        {
            "dataset": {"name": "circle", "n_samples": 500, "noise": 0.0, "features": ["x1", "x2"]},
            "model": {"hidden": [4, 2], "activation": "tanh"},
            "optimizer": {"name": "sgd", "lr": 0.03},
            "batch_size": 10,
        },
    ),
    "b": Case(
        "10x64 MLP: spiral, hidden [64]*10 relu, batch 64, adam lr 1e-3",
        {
            "dataset": {"name": "spiral", "n_samples": 1000},
            "model": {"hidden": [64] * 10, "activation": "relu"},
            "optimizer": {"name": "adam", "lr": 1e-3},
            "batch_size": 64,
        },
    ),
    "c": Case(
        "LSTM: adding problem T=50, hidden 32, batch 64, adam lr 1e-3",
        {
            "dataset": {"name": "adding", "n_samples": 2000, "seq_len": 50},
            "model": {"kind": "rnn", "cell": "lstm", "rnn_hidden": 32, "hidden": [], "activation": "tanh"},
            "optimizer": {"name": "adam", "lr": 1e-3},
            "batch_size": 64,
        },
    ),
    "d": Case(
        "digits CNN (the images demo): channels [8, 16], 3x3, max pool, dense [32] relu, batch 32, adam lr 0.01",
        {
            "dataset": {"name": "digits", "n_samples": 1797, "train_fraction": 0.8, "noise": 0.0},
            "model": {"kind": "cnn", "channels": [8, 16], "kernel_size": 3, "pooling": "max", "hidden": [32]}
            | {"activation": "relu"},
            "optimizer": {"name": "adam", "lr": 0.01},
            "batch_size": 32,
        },
    ),
    "e": Case(
        "GRU: adding problem T=50, hidden 32, batch 64, adam lr 1e-3",
        {
            "dataset": {"name": "adding", "n_samples": 2000, "seq_len": 50},
            "model": {"kind": "rnn", "cell": "gru", "rnn_hidden": 32, "hidden": [], "activation": "tanh"},
            "optimizer": {"name": "adam", "lr": 1e-3},
            "batch_size": 64,
        },
    ),
}


def member_config(case: Case, k: int) -> ExperimentConfig:
    """Member k: its own seed, and a learning rate 0.5x to 2x the case's (per-member hyper-parameters)."""
    raw = {**case.config, "seed": k, "steps": 10**6, "frame_hz": FRAME_HZ, "device": "cpu"}
    raw["optimizer"] = {**raw["optimizer"], "lr": raw["optimizer"]["lr"] * 2 ** ((k % 5 - 2) / 2)}
    return ExperimentConfig.model_validate(raw)


# ---- the plain loops


class PlainLoop:
    """The loop a user writes by hand: a model, a torch.optim optimizer, shuffled batches, loss, backward, step."""

    def __init__(self, config: ExperimentConfig) -> None:
        torch.manual_seed(config.seed)
        self.data = load(config.dataset, config.seed, torch.device("cpu"))
        self.model = build_model(self.data.input_shape, self.data.n_outputs, config.model)
        self.optimizer = make_optimizer(self.model.parameters(), config.optimizer)
        self.loss = _loss_for(self.data.task)
        self.batch_size = min(config.batch_size, len(self.data.x_train))
        self.order, self.cursor = torch.randperm(len(self.data.x_train)), 0

    def step(self) -> None:
        if self.cursor + self.batch_size > len(self.order):
            self.order, self.cursor = torch.randperm(len(self.data.x_train)), 0
        index = self.order[self.cursor : self.cursor + self.batch_size]
        self.cursor += self.batch_size
        loss = self.loss(self.model(self.data.x_train[index]), self.data.y_train[index])
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()


def _loss_for(task: str) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    if task == "binary":
        return lambda out, y: F.binary_cross_entropy_with_logits(out.squeeze(-1), y.float())
    if task == "multiclass":
        return F.cross_entropy
    return lambda out, y: F.mse_loss(out.squeeze(-1), y)


def plain_rate(loops: list[PlainLoop], seconds: float) -> float:
    """Aggregate updates/s of `loops` stepped round robin on this thread for `seconds`."""
    for loop in loops:  # first-step costs (optimizer state, allocator) out of the timing
        loop.step()
    updates, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for loop in loops:
            loop.step()
        updates += len(loops)
    return updates / (time.perf_counter() - start)


# ---- the drivers, timed in their steady state


@dataclass
class Window:
    """Times a driven run from its second step for `seconds`, then stops it: clear of the full readings the
    driver forces at the first step and at a stop."""

    seconds: float
    frames: int = 0  # readings serialised so far, all members
    step: int = 0
    start: float = math.nan
    start_frames: int = 0
    end: float = math.nan
    end_step: int = 0
    end_frames: int = 0

    def on_reading(self, reading: Reading) -> None:
        framed(reading)  # what the worker does with every reading before it sends it
        self.frames += 1

    def on_step(self, step: int) -> None:
        self.step = step
        if step == 2:
            self.start, self.start_frames = time.perf_counter(), self.frames

    def control(self, paused: bool) -> Command | None:
        if math.isnan(self.end) and time.perf_counter() - self.start >= self.seconds:
            self.end, self.end_step, self.end_frames = time.perf_counter(), self.step, self.frames
        return None if math.isnan(self.end) else "stop"

    def rates(self, members: int) -> tuple[float, float]:
        """Aggregate updates/s and frames/s per member over the window."""
        seconds = self.end - self.start
        return members * (self.end_step - 2) / seconds, (self.end_frames - self.start_frames) / members / seconds


def trainer_rate(config: ExperimentConfig, seconds: float) -> tuple[float, float]:
    """The single-run path as a worker takes it: drive(make_trainer(config)) by the clock at 20 Hz (a cohort of
    one where the config batches, else the nn.Module Trainer); updates/s and frames/s."""
    window = Window(seconds)
    calls = Callbacks(on_reading=window.on_reading, on_step=window.on_step, control=window.control)
    _check_stopped([drive(make_trainer(config), config.total_steps, ByClock(FRAME_HZ), calls)])
    return window.rates(1)


def cohort_rate(configs: list[ExperimentConfig], seconds: float) -> tuple[float, float]:
    """drive_cohort over len(configs) members at 20 Hz each; aggregate updates/s and frames/s per member."""
    cohort = Cohort(configs)
    window = Window(seconds)
    seats = []
    for k, config in enumerate(configs):
        calls = Callbacks(on_reading=window.on_reading, control=window.control)
        if k == 0:  # (the members step together)
            calls.on_step = window.on_step
        seats.append(Seat(calls, config.total_steps, FRAME_HZ, k).bind(cohort, k))
    endings: list[Ending | None] = []
    drive_cohort(cohort, seats, lambda k, seat, ending: endings.append(ending))
    _check_stopped(endings)
    return window.rates(len(configs))


def _check_stopped(endings: Iterable[Ending | None]) -> None:
    statuses = {None if e is None else e.status for e in endings}
    if statuses != {"stopped"}:
        raise RuntimeError(f"a timed run ended otherwise than by its stop ({statuses}): its rate would be wrong")


# ---- memory


def held_bytes(roots: Iterable[Any], seen: set[int]) -> int:
    """Bytes of the tensor storages and numpy buffers reachable from `roots` (through containers and glassnet or
    torch objects; gradients included) that are not in `seen`, which they are added to."""
    total, visited = 0, set()
    stack = list(roots)
    while stack:
        obj = stack.pop()
        if id(obj) in visited:
            continue
        visited.add(id(obj))
        if isinstance(obj, torch.Tensor):
            if obj.is_leaf and obj.grad is not None:
                stack.append(obj.grad)
            storage = obj.untyped_storage()
            key, size = storage.data_ptr(), storage.nbytes()
        elif isinstance(obj, np.ndarray):
            while isinstance(obj.base, np.ndarray):
                obj = obj.base
            key, size = obj.__array_interface__["data"][0], obj.nbytes
        else:
            if isinstance(obj, dict):
                stack.extend(obj.keys())
                stack.extend(obj.values())
            elif isinstance(obj, list | tuple | set | frozenset):
                stack.extend(obj)
            elif type(obj).__module__.startswith(("glassnet", "torch")) and hasattr(obj, "__dict__"):
                stack.extend(vars(obj).values())
            continue
        if size and key not in seen:
            seen.add(key)
            total += size
    return total


def cohort_memory(cohort: Cohort) -> dict[str, float]:
    """Bytes per member of what the cohort holds, by kind (each storage counted once, in the first kind)."""
    seen: set[int] = set()
    params = cohort.model.parameters
    kinds = {
        "parameters": held_bytes([p.detach() for p in params], seen),
        "gradients": held_bytes([p.grad for p in params if p.grad is not None], seen),
        "optimizer": held_bytes([cohort.optimizer], seen),
        "data": held_bytes(
            [[m.data for m in cohort.members], cohort.x_train, cohort.y_train, cohort.test_x, cohort.test_y], seen
        ),
        "other": held_bytes([cohort], seen),  # template model, probes, orders, per-member figures
    }
    return {name: size / cohort.k for name, size in kinds.items()} | {"total": sum(kinds.values()) / cohort.k}


def plain_memory(loop: PlainLoop) -> dict[str, float]:
    seen: set[int] = set()
    params = list(loop.model.parameters())
    kinds = {
        "parameters": held_bytes([p.detach() for p in params], seen),
        "gradients": held_bytes([p.grad for p in params if p.grad is not None], seen),
        "optimizer": held_bytes([loop.optimizer.state], seen),
        "data": held_bytes([loop.data], seen),
        "other": held_bytes([loop], seen),
    }
    return {name: float(size) for name, size in kinds.items()} | {"total": float(sum(kinds.values()))}


def rss_bytes() -> float:
    """This process's resident set size now (Linux), NaN elsewhere."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024.0
    except OSError:
        pass
    return math.nan


def rss_per_member(case_key: str, k: int, path: str) -> float:
    """RSS growth over k of building k members (a cohort, or separate plain loops) and taking a few steps, in a
    fresh process: in this one, memory freed by earlier measurements would be reused and hide the growth."""
    spawn = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=spawn) as pool:
        return pool.submit(_rss_growth, case_key, k, path).result()


def _rss_growth(case_key: str, k: int, path: str) -> float:
    torch.set_num_threads(1)
    configs = [member_config(CASES[case_key], i) for i in range(k)]
    build = Cohort if path == "cohort" else _Loops
    _stepped(build(configs[:1]))  # imports and first-time allocations out of the figure
    gc.collect()
    before = rss_bytes()
    built = _stepped(build(configs))  # (held while RSS is read)
    grown = rss_bytes() - before
    del built
    return grown / k


class _Loops:
    """k plain loops stepped together (for their RSS growth)."""

    def __init__(self, configs: list[ExperimentConfig]) -> None:
        self.loops = [PlainLoop(c) for c in configs]

    def step(self) -> None:
        for loop in self.loops:
            loop.step()


# ---- one case


def run_case(case_key: str, ks: list[int], seconds: float, rounds: int, rss: bool = True) -> dict[str, Any]:
    """Every path's figures for one case; `rss`: also the RSS growth per member, in fresh processes (seconds each)."""
    case = CASES[case_key]
    # compat's verdict at each K (what the server does with K such runs started together); the cohort is measured
    # at every K all the same, so that a verdict to train alone shows the figures it rests on
    verdicts = {k: cohort_key(member_config(case, 0), k) for k in ks}
    pool = [member_config(case, k) for k in range(max(*ks, ROUND_ROBIN_K))]
    batches = ks
    # a warm-up: first-time costs (imports, the first optimizer, allocator growth) out of the first round
    trainer_rate(pool[0], seconds / 10)
    for k in batches:
        cohort_rate(pool[:k], seconds / 10)

    plain, trainer, trainer_frames = [], [], []
    cohort: dict[int, list[float]] = {k: [] for k in batches}
    cohort_frames: dict[int, list[float]] = {k: [] for k in batches}
    round_robin = math.nan
    for r in range(rounds):  # A B A B ...: drift in the machine's speed hits every path alike
        plain.append(plain_rate([PlainLoop(pool[0])], seconds))
        rate, frames = trainer_rate(pool[0], seconds)
        trainer.append(rate)
        trainer_frames.append(frames)
        for k in batches:
            rate, frames = cohort_rate(pool[:k], seconds)
            cohort[k].append(rate)
            cohort_frames[k].append(frames)
        if r == 0:
            round_robin = plain_rate([PlainLoop(c) for c in pool[:ROUND_ROBIN_K]], seconds)

    one = statistics.median(plain)
    result: dict[str, Any] = {
        "title": case.title,
        "plain": {"updates_per_s": one},
        "round_robin": {"k": ROUND_ROBIN_K, "aggregate_per_s": round_robin, "vs_plain": round_robin / one},
        "trainer": {
            "updates_per_s": statistics.median(trainer),
            "vs_plain": statistics.median(trainer) / one,
            "frames_per_s": statistics.median(trainer_frames),
        },
        "memory": {"plain": plain_memory(_stepped(PlainLoop(pool[0])))},
    }
    result["cohort"] = {
        str(k): {
            "aggregate_per_s": statistics.median(cohort[k]),
            "per_member_per_s": statistics.median(cohort[k]) / k,
            "vs_plain": statistics.median(cohort[k]) / one,
            "frames_per_s_per_member": statistics.median(cohort_frames[k]),
        }
        | ({"trains_alone": verdict.reason} if isinstance(verdict := verdicts[k], Alone) else {})
        for k in batches
    }
    result["memory"]["cohort"] = {str(k): cohort_memory(_stepped(Cohort(pool[:k]))) for k in ks}
    if not rss:
        return result
    big = max(ks)
    result["memory"]["rss_per_member"] = {
        "k": big,
        "cohort": rss_per_member(case_key, big, "cohort"),
        "plain": rss_per_member(case_key, big, "plain"),
    }
    return result


def _stepped(trained: Any) -> Any:
    """After a few steps, so gradients and optimizer state exist."""
    for _ in range(3):
        trained.step()
    return trained


# ---- the report


def targets(results: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The issue's targets, for the cases and sizes measured."""
    checks = []
    a = results.get("a", {}).get("cohort", {})
    if "trainer" in results.get("a", {}):
        single = results["a"]["trainer"]["vs_plain"]
        checks.append({"what": "(a) a single run (make_trainer + drive, probe at 20 Hz) vs one plain loop"})
        checks[-1] |= {"ratio": single, "target": 2.0}
    if "64" in a:
        checks.append({"what": "(a) K=64 cohort+probe aggregate vs one plain loop", "ratio": a["64"]["vs_plain"]})
        checks[-1]["target"] = 60.0
    for key in ("b", "c", "d", "e"):
        measured = results.get(key, {}).get("cohort", {})
        cohort = {k: c for k, c in measured.items() if "trains_alone" not in c}  # (the sizes that batch)
        if measured and not cohort:  # it trains alone at every K: no cohort to judge, K single-run paths instead
            checks.append({"what": f"({key}) no cohort (it trains alone); its single-run path vs a plain loop"})
            checks[-1] |= {"ratio": results[key]["trainer"]["vs_plain"], "target": None}
            checks[-1]["note"] = next(iter(measured.values()))["trains_alone"]
        elif cohort:
            worst = min(cohort, key=lambda k: cohort[k]["vs_plain"])
            checks.append(
                {"what": f"({key}) cohort aggregate vs K plain loops, worst K={worst}", "target": 1.0}
                | {"ratio": cohort[worst]["vs_plain"]}
            )
    for check in checks:
        check["met"] = None if check["ratio"] is None or check["target"] is None else check["ratio"] >= check["target"]
    return checks


def _kb(size: float) -> str:
    return f"{size / 1024:,.1f} KB"


def print_case(key: str, result: dict[str, Any]) -> None:
    one = result["plain"]["updates_per_s"]
    print(f"\n({key}) {result['title']}")
    header = f"{'aggregate upd/s':>18}{'per-member upd/s':>18}{'vs 1 plain loop':>17}{'frames/s':>10}"
    print(f"  {'path':<34}{'K':>5}{header}")

    def row(path: str, k: int | str, aggregate: float, per_member: float, frames: float | None = None) -> None:
        frames_text = "" if frames is None else f"{frames:.1f}"
        ratio = f"{aggregate / one:.2f}x"
        print(f"  {path:<34}{k!s:>5}{aggregate:>18,.0f}{per_member:>18,.0f}{ratio:>17}{frames_text:>10}")

    row("plain nn.Module loop", 1, one, one)
    rr = result["round_robin"]
    row("plain loops, round robin", rr["k"], rr["aggregate_per_s"], rr["aggregate_per_s"] / rr["k"])
    t = result["trainer"]
    row("single run: make_trainer + drive", 1, t["updates_per_s"], t["updates_per_s"], t["frames_per_s"])
    for k, c in result["cohort"].items():
        row("cohort + probe", k, c["aggregate_per_s"], c["per_member_per_s"], c["frames_per_s_per_member"])
        if "trains_alone" in c:
            print(f"  {'':<30}{'':>5}  (so K={k} such runs train alone: {c['trains_alone']})")
    memory = result["memory"]
    parts = ", ".join(f"{name} {_kb(size)}" for name, size in memory["plain"].items())
    print(f"  memory, one plain loop: {parts}")
    for k, kinds in memory.get("cohort", {}).items():
        parts = ", ".join(f"{name} {_kb(size)}" for name, size in kinds.items())
        print(f"  memory per member, cohort K={k}: {parts}")
    if "rss_per_member" in memory:
        rss = memory["rss_per_member"]
        print(
            f"  RSS growth per member (K={rss['k']}, fresh process): cohort {_kb(rss['cohort'])}, "
            f"separate plain loops {_kb(rss['plain'])}"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.5, help="length of each timed stretch")
    parser.add_argument("--rounds", type=int, default=3, help="alternations of every path")
    parser.add_argument("--ks", help="cohort sizes, comma-separated (default 1,8,64,256; with --quick, 1,3)")
    parser.add_argument("--cases", default=",".join(CASES), help=f"which of {', '.join(CASES)}")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a moment's run (K 1 and 3, one short round, RSS growth of the first case only)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.rounds = 0.05, 1
    args.ks = args.ks or ("1,3" if args.quick else "1,8,64,256")
    ks = sorted({int(k) for k in args.ks.split(",")})
    torch.set_num_threads(1)  # as in the worker processes
    load_before = os.getloadavg()
    print(
        f"torch {torch.__version__}, one thread, {args.rounds} round(s) of {args.seconds}s stretches, frames at "
        f"{FRAME_HZ:.0f} Hz per run, serialised; load average {load_before[0]:.2f}"
    )
    results = {}
    for i, key in enumerate(args.cases.split(",")):
        # (--quick: the RSS growth of the first case only; each takes two fresh processes)
        results[key] = run_case(key, ks, args.seconds, args.rounds, rss=not args.quick or i == 0)
        print_case(key, results[key])
    checks = targets(results)
    print("\ntargets:")
    for check in checks:
        ratio = "-" if check["ratio"] is None else f"{check['ratio']:.2f}x"
        if check["target"] is None:
            print(f"  {check['what']}: {ratio}{_note(check)}")
            continue
        verdict = {True: "met", False: "NOT met", None: "not measurable"}[check["met"]]
        print(f"  {check['what']}: {ratio} (target >= {check['target']:g}x): {verdict}{_note(check)}")
    if args.json:
        report = {
            "torch": torch.__version__,
            "seconds": args.seconds,
            "rounds": args.rounds,
            "load_average": {"before": load_before, "after": os.getloadavg()},
            "cases": results,
            "targets": checks,
        }
        args.json.write_text(json.dumps(report, indent=2))
        print(f"figures written to {args.json}")


def _note(check: dict[str, Any]) -> str:
    return f" ({check['note']})" if "note" in check else ""


if __name__ == "__main__":
    main()
