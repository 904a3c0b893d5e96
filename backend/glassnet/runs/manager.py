"""Run lifecycle: each run trains in its own worker process, taken from a pool of pre-warmed ones.

Runs (runs/run.py) belong to owners (runs/owners.py): anyone may read a run, only its owner (or the admin)
may change it. Limits hold per server and per owner; a run paused for want of a viewer (runs/leases.py)
does not count, and makes way at the server's limit. Workers save the training state now and then and as a
run ends (runs/checkpoints.py): a fork starts from the nearest saved state, and an ended run continues from
its last one as the same run.

A reader thread per run turns the worker's pipe (runs/messages.py) into calls on the event loop, which
update the run, add to its history, persist it, and publish to the hub. A worker that dies without a last
word turns its run `failed` with the exit code. Runs survive restarts through the store; those that were
active when the server stopped come back `interrupted`.
"""

import asyncio
import contextlib
import copy
import json
import logging
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from typing import Any, Literal

from pydantic import ValidationError

from glassnet.cohort.compat import Alone, cohort_key
from glassnet.config import LIMITS, ExperimentConfig, merge_config
from glassnet.data import tabular
from glassnet.protocol import Event, Status, server_event
from glassnet.runs import messages as m
from glassnet.runs.checkpoints import Checkpoints
from glassnet.runs.cohorts import MEMBERS_PER_SLOT, CohortHost, load_of
from glassnet.runs.history import History
from glassnet.runs.hub import Hub
from glassnet.runs.leases import Leases
from glassnet.runs.owners import Caller, check_change
from glassnet.runs.pool import make_pool
from glassnet.runs.rules import (
    InvalidRequest,
    InvalidTransition,
    RunLimitReached,
    RunNotFound,
    SweepNotFound,
    check_config,
    check_fork_changes,
)
from glassnet.runs.run import CONTINUABLE, Run, now_iso
from glassnet.runs.status import ACTIVE, TERMINAL
from glassnet.runs.store import Store, segment_row
from glassnet.runs.sweeps import Sweep, SweepRequest, default_name, distinct_name, expand
from glassnet.settings import Settings

COMMAND_TIMEOUT = 5.0  # seconds the API waits for a worker to act on pause, resume, step or an lr change
STOP_TIMEOUT = 1.0  # seconds a worker has to stop before it is terminated
HISTORY_FLUSH = 10.0  # seconds between writes of a training run's history
RunStart = Literal["run", "pause", "step"]
# what a new run's worker is told right after its job: the driver reads commands before its first step
FIRST_COMMANDS: dict[str, tuple[m.Message, ...]] = {"run": (), "pause": (m.Pause(),), "step": (m.Pause(), m.Step())}
EVENT_LIMIT = 500
log = logging.getLogger("glassnet")


class InvalidChanges(ValueError):
    """A fork's changes make a config that does not validate: pydantic's errors, located under `changes`."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors))
        self.errors = errors


class RunManager:
    def __init__(self, settings: Settings, hub: Hub, loop: asyncio.AbstractEventLoop) -> None:
        self.settings = settings
        self.hub = hub
        self.loop = loop
        self.pool = make_pool(settings)  # local worker processes, or Ray actors (GLASSNET_RAY_ADDRESS)
        self.store = Store(settings.data_dir / "glassnet.db")
        self.weights_dir = settings.data_dir / "weights"
        self.checkpoints = Checkpoints(settings.data_dir / "checkpoints")
        self.uploads = settings.data_dir / "datasets"
        tabular.set_uploads_dir(self.uploads)
        self.runs: dict[str, Run] = {}
        self.hosts: list[CohortHost] = []  # the worker processes training cohorts
        self.queue: list[Run] = []  # sweep members waiting for room on the server, in order
        self.sweeps: dict[str, Sweep] = {}
        self.leases = Leases(self)
        self.moved: dict[str, int] = {}  # run id -> the last step recorded before it moved (Ray: a lost node)

    def start(self) -> None:
        interrupted = self.store.mark_interrupted(ACTIVE)
        for row in self.store.load_runs():
            try:
                self.runs[row["id"]] = Run.from_row(row)
            except ValidationError as exc:  # a run saved by a version with another config schema
                log.warning("run %s is not loaded: its config no longer validates (%s)", row["id"], exc)
        if interrupted:
            log.warning("%d run(s) were active when the server stopped; they are marked interrupted", interrupted)
        for row in self.store.load_sweeps():
            self.sweeps[row["id"]] = Sweep.from_row(row)
        self.pool.fill()

    def shutdown(self) -> None:
        for host in self.hosts:
            if host.process.is_alive():
                host.process.terminate()
        for run in self.runs.values():
            if run.process is not None and run.process.is_alive():
                run.process.terminate()
            if run.status in ACTIVE:
                self._set_status(run, "interrupted", run.step, "the server stopped while the run was active")
        self.pool.shutdown()
        self.store.close()

    # ---- queries
    def get(self, run_id: str) -> Run:
        try:
            return self.runs[run_id]
        except KeyError:
            raise RunNotFound(run_id) from None

    def list_runs(
        self, caller: Caller, status: str | None = None, everyone: bool = False, sweeps: bool = False
    ) -> list[Run]:
        """The caller's runs (everyone's for `everyone`, which the routes allow the admin only), newest first;
        the members of sweeps only with `sweeps` (a sweep lists its own)."""
        if caller.owner is None and not everyone:
            return []  # no key, no runs of one's own (the runs of nobody are listed with owner=all)
        runs = [
            r
            for r in self.runs.values()
            if (everyone or r.owner == caller.owner)
            and (status is None or r.status == status)
            and (sweeps or r.sweep is None)
        ]
        return sorted(runs, key=lambda r: r.created_at, reverse=True)

    def active_count(self) -> int:
        return sum(run.status in ACTIVE for run in self.runs.values())

    def load(self) -> float:
        """The share of GLASSNET_MAX_RUNS the active runs take (a cohort member takes 1/MEMBERS_PER_SLOT)."""
        return load_of(list(self.runs.values()))

    def history(self, run: Run) -> History:
        if run.history is None:
            run.history = History.replay(self.store.load_history(run.id))
        return run.history

    # ---- lifecycle
    async def create(
        self,
        config: ExperimentConfig,
        caller: Caller,
        lease: bool = False,
        parent: Run | None = None,
        fork_step: int | None = None,
        start: RunStart = "run",
    ) -> Run:
        owner = caller.need_owner("starting a run")
        check_config(config)
        key = self._cohort_key(config, parent is None and start == "run")
        await self._make_room(caller, owner, 1 / MEMBERS_PER_SLOT if isinstance(key, str) else 1.0)
        created = now_iso()
        run = Run(id=uuid.uuid4().hex[:12], config=config, created_at=created, updated_at=created)
        run.owner, run.lease = owner, lease
        checkpoint: bytes | None = None
        replay: list[m.ReplaySegment] = []
        if parent is not None:
            at = fork_step or 0
            run.parent = parent.id
            run.lineage = [
                *copy.deepcopy(parent.lineage),
                {
                    "config": parent.start_config(),
                    "until": at,
                    "lr_changes": [c for c in parent.lr_changes if c["step"] < at],
                },
            ]
            checkpoint, replay = self._starting_point(parent, run.lineage, at)
            run.step = at  # where it starts (its worker confirms it)
            run.name = f"{parent.info()['name']} · fork at {at}"
        self.runs[run.id] = run
        if isinstance(key, str):
            self._place(run, key)
            return run
        run.alone = key.reason
        job = m.Job(config=config.model_dump(mode="json"), replay=replay, uploads=str(self.uploads), start=checkpoint)
        self._launch(run, job, FIRST_COMMANDS[start])
        return run

    def _cohort_key(self, config: ExperimentConfig, fresh: bool, together: int = 1) -> str | Alone:
        """The cohort a new run may join, or why it trains alone (`together`: runs of its architecture starting
        with it, cohort/compat.py)."""
        if not self.settings.cohorts:
            return Alone("cohorts are off on this server (GLASSNET_COHORTS)")
        if not fresh:
            return Alone("it starts from a saved state or paused, so it trains alone")
        return cohort_key(config, together)

    def _together(self, sweep_id: str | None) -> dict[str, int]:
        """By run id, how many of a sweep's members share each member's architecture: the cohort they start as,
        which decides whether a CNN or a recurrent net batches (cohort/compat.py)."""
        sweep = self.sweeps.get(sweep_id) if sweep_id is not None else None
        if sweep is None:
            return {}
        runs = [r for r in self.sweep_runs(sweep) if r is not None]
        keys = {r.id: cohort_key(r.config, len(runs)) for r in runs}
        counts = Counter(keys.values())
        return {run_id: counts[key] for run_id, key in keys.items()}

    def _place(self, run: Run, key: str) -> None:
        """Into a cohort of its key that admits it, else a new one (a worker from the pool)."""
        config = run.config.model_dump(mode="json")
        self.hub.open(run.id)
        run.unwatched_since = time.monotonic()
        host = next((h for h in self.hosts if h.admits(run.config, key)), None)
        if host is not None:
            index = host.join(run)
            self.store.save_run(run.row())
            host.conn.send(m.Join(member=index, config=config))
            return
        process, conn = self.pool.take()
        host = CohortHost(key, process, conn, budget=self.settings.max_memory_mb << 20)
        self.hosts.append(host)
        host.join(run)
        self.store.save_run(run.row())
        conn.send(m.CohortJob(configs=[config], uploads=str(self.uploads)))
        threading.Thread(target=self._read_host, args=(host,), name=f"cohort-{run.id}", daemon=True).start()
        self.pool.fill()

    def _launch(self, run: Run, job: m.Job, first: tuple[m.Message, ...] = ()) -> None:
        run.process, run.conn = self.pool.take()
        self.hub.open(run.id)
        self.store.save_run(run.row())
        run.unwatched_since = time.monotonic()
        run.conn.send(job)
        for command in first:  # in the pipe before the worker has built its trainer, so before its first step
            run.conn.send(command)
        threading.Thread(target=self._read, args=(run,), name=f"run-{run.id}", daemon=True).start()
        self.pool.fill()

    def _starting_point(
        self, parent: Run, lineage: list[dict[str, Any]], at: int
    ) -> tuple[bytes | None, list[m.ReplaySegment]]:
        """Where a fork at step `at` of `parent` starts: the parent's newest saved state at or before `at`, then
        a replay of the parent's config (and live lr changes) up to `at`; with no saved state, a replay of the
        whole lineage from step 0."""
        saved = self.checkpoints.at_or_before(parent.id, at)
        if saved is None:
            return None, [m.ReplaySegment.model_validate(segment) for segment in lineage]
        step, data = saved
        config = parent.start_config()
        earlier = [c for c in parent.lr_changes if c["step"] < step]
        if earlier:
            config["optimizer"]["lr"] = earlier[-1]["lr"]  # the lr in force when the state was saved
        changes = [c for c in parent.lr_changes if step <= c["step"] < at]
        segment = m.ReplaySegment(config=config, until=at, lr_changes=changes)
        return data, [segment] if at > step else []

    def owner_slots(self, owner: str | None) -> int:
        """The owner's active runs and sweeps (a sweep takes one slot, however many members it has)."""
        runs = sum(r.counts for r in self.runs.values() if r.owner == owner and r.sweep is None)
        return runs + sum(s.owner == owner and self.sweep_status(s) in ACTIVE for s in self.sweeps.values())

    async def _make_room(self, caller: Caller, owner: str | None, cost: float = 1.0, slot: bool = True) -> None:
        """Refuse a new active run (taking `cost` of the server's limit, and with `slot` one of its owner's) over
        the owner's or the server's limit (429, listing the caller's active runs and sweeps); at the server's
        limit, a run paused for want of a viewer stops to make way."""
        mine = [r for r in self.runs.values() if owner is not None and r.owner == owner and r.status in ACTIVE]
        active = [r.info(caller) for r in mine if r.sweep is None]
        sweeps = [
            {"id": s.id, "name": s.name, "status": status, "members": len(s.members)}
            for s in self.sweeps.values()
            if owner is not None and s.owner == owner and (status := self.sweep_status(s)) in ACTIVE
        ]
        per_owner = self.settings.max_runs_per_owner
        if slot and owner is not None and self.owner_slots(owner) >= per_owner:
            raise RunLimitReached(
                f"You have {per_owner} active run{'s' if per_owner != 1 else ''}, the most one owner may have "
                "(GLASSNET_MAX_RUNS_PER_OWNER; a sweep counts as one run); "
                "stop one of them first",
                "owner",
                active,
                sweeps,
            )
        if self.load() + cost > self.settings.max_runs + 1e-9:
            raise RunLimitReached(
                f"The server is busy: its active runs fill its limit of {self.settings.max_runs} (GLASSNET_MAX_RUNS; a "
                f"run trained in a cohort takes 1/{MEMBERS_PER_SLOT} of one); try again when one ends, or stop one of "
                "yours",
                "server",
                active,
                sweeps,
            )
        idle = sorted(
            (r for r in self.runs.values() if r.status in ACTIVE and not r.counts), key=lambda r: r.paused_since
        )
        while idle and load_of(list(self.runs.values()), idle_too=True) + cost > self.settings.max_runs + 1e-9:
            await self.leases.stop(idle.pop(0), "made way for a new run")  # (unless it ended meanwhile)

    async def fork(self, run_id: str, step: int | None, changes: dict[str, Any], caller: Caller) -> Run:
        """A new run (the caller's) that continues `run_id` from `step` (default: its current step) with
        `changes`; anyone who may read a run may fork it."""
        check_fork_changes(changes)
        parent = self.get(run_id)
        at = parent.step if step is None else step
        if not 0 <= at <= parent.step:
            raise InvalidRequest(f"step: {at} is outside 0..{parent.step}, the steps run {parent.id} has trained")
        merged = merge_config(parent.start_config(), changes)
        if parent.lr_changes and "lr" not in changes.get("optimizer", {}):
            applied = [c for c in parent.lr_changes if c["step"] < at]  # the lr in force at the fork
            if applied:
                merged["optimizer"]["lr"] = applied[-1]["lr"]
        try:
            config = ExperimentConfig.model_validate(merged)
        except ValidationError as exc:
            raise InvalidChanges(
                [{**e, "loc": ("changes", *e["loc"])} for e in exc.errors(include_url=False)]
            ) from None
        if config.total_steps <= at:
            raise InvalidRequest(
                f"changes.steps: the fork starts at step {at} and would end at step {config.total_steps}, so it has "
                f'nothing to train; give it more steps (e.g. {{"steps": {at + 1000}}}) or none (until stopped)'
            )
        return await self.create(config, caller, parent=parent, fork_step=at)

    async def continue_run(self, run_id: str, steps: int | None, caller: Caller) -> Run:
        """An ended run trains on from its saved state for `steps` more (its total becomes the step it ended
        at plus `steps`; None: until stopped), as the same run with one history."""
        run = self.get(run_id)
        check_change(caller, run.owner, run.id)
        if run.status not in CONTINUABLE:
            why = {
                "diverged": "its state is not finite; fork it from an earlier step instead",
                "failed": "it failed; fork it from an earlier step instead",
            }.get(run.status, "it is still active; only an ended run continues")
            raise InvalidTransition(f"run {run.id} is {run.status}: {why}")
        saved = self.checkpoints.at_or_before(run.id, run.step)
        if saved is None or saved[0] != run.step:
            raise InvalidTransition(
                f"run {run.id} has no saved state at its last step {run.step} (it ended before states were "
                "kept, or with the server); fork it instead"
            )
        if steps is None:
            total = None
        else:
            total = run.step + steps  # more steps from where it ended (a finished run's step is its total)
            if total > LIMITS["max_steps"]:
                raise InvalidRequest(
                    f"steps: {steps} more would make {total:,} steps, over the limit of {LIMITS['max_steps']:,}"
                )
        await self._make_room(caller, run.owner)
        run.config = run.config.model_copy(update={"steps": total})
        run.status, run.error, run.idle = "pending", None, None
        run.host, run.member, run.alone = None, None, "a continued run trains alone, from its saved state"
        job = m.Job(config=run.config.model_dump(mode="json"), replay=[], uploads=str(self.uploads), start=saved[1])
        self._launch(run, job)
        return run

    # ---- sweeps
    def sweep_viewed(self, sweep: Sweep) -> None:
        """Someone looks at the sweep (its page polls it): its leased members are watched; those paused for want of
        a viewer resume."""
        for run in self.sweep_runs(sweep):
            if run is not None and run.lease and run.status in ACTIVE:
                self.leases.seen(run)

    async def create_sweep(self, request: SweepRequest, caller: Caller, lease: bool = False) -> Sweep:
        """A sweep's members as runs of the caller's: each into a cohort of its key (or alone), as many as the
        server has room for; the others wait `pending` and start as room frees. The sweep takes one of the
        owner's slots."""
        owner = caller.need_owner("starting a sweep")
        members = expand(request, self.settings.max_sweep)
        for member in members:
            check_config(member.config)
        await self._make_room(caller, owner, 0.0)  # (its members take the server's room as it frees)
        created = now_iso()
        # (named after the last await: two sweeps of an owner's never share a name)
        taken = {s.name for s in self.sweeps.values() if s.owner == owner}
        name = distinct_name(request.name or default_name(request), taken)
        sweep = Sweep(
            id=uuid.uuid4().hex[:12],
            created_at=created,
            owner=owner,
            name=name,
            request=request.model_dump(mode="json"),
            members=[],
        )
        for member in members:
            run = Run(id=uuid.uuid4().hex[:12], config=member.config, created_at=created, updated_at=created)
            run.owner, run.sweep, run.lease = owner, sweep.id, lease
            label = ", ".join(f"{path}={json.dumps(value)}" for path, value in member.values.items())
            run.name = f"{name} · {label}"
            self.runs[run.id] = run
            self.store.save_run(run.row())
            sweep.members.append({"run_id": run.id, "values": member.values})
            self.queue.append(run)
        self.sweeps[sweep.id] = sweep
        self.store.save_sweep(sweep.row())
        self.pump()
        return sweep

    def pump(self) -> None:
        """Start the waiting sweep members that fit on the server now, in order (a member that cannot batch
        takes a whole run's room, and waits while it does not fit)."""
        started = []
        together: dict[str | None, dict[str, int]] = {}
        for run in self.queue:
            if run.sweep not in together:
                together[run.sweep] = self._together(run.sweep)
            key = self._cohort_key(run.config, True, together[run.sweep].get(run.id, 1))
            cost = 1 / MEMBERS_PER_SLOT if isinstance(key, str) else 1.0
            if self.load() + cost > self.settings.max_runs + 1e-9:
                continue
            started.append(run)
            if isinstance(key, str):
                self._place(run, key)
            else:
                run.alone = key.reason
                config = run.config.model_dump(mode="json")
                self._launch(run, m.Job(config=config, replay=[], uploads=str(self.uploads)))
        for run in started:
            self.queue.remove(run)

    def get_sweep(self, sweep_id: str) -> Sweep:
        try:
            return self.sweeps[sweep_id]
        except KeyError:
            raise SweepNotFound(sweep_id) from None

    def list_sweeps(self, caller: Caller) -> list[Sweep]:
        mine = [s for s in self.sweeps.values() if caller.owner is not None and s.owner == caller.owner]
        return sorted(mine, key=lambda s: s.created_at, reverse=True)

    def sweep_runs(self, sweep: Sweep) -> list[Run | None]:
        return [self.runs.get(member["run_id"]) for member in sweep.members]

    def sweep_status(self, sweep: Sweep) -> str:
        """pending (no member started yet), running, stopped (by its owner) or done."""
        statuses = [run.status for run in self.sweep_runs(sweep) if run is not None]
        if sweep.stopped and not any(s in ACTIVE for s in statuses):
            return "stopped"
        if any(s in ("running", "paused") for s in statuses):
            return "running"
        if any(s == "pending" for s in statuses):
            return "pending" if all(s == "pending" for s in statuses) else "running"
        return "stopped" if sweep.stopped else "done"

    def sweep_info(self, sweep: Sweep, caller: Caller | None = None) -> dict[str, Any]:
        members: list[dict[str, Any]] = []
        counts: dict[str, int] = {}
        steps_total = steps_done = 0
        for index, (member, run) in enumerate(zip(sweep.members, self.sweep_runs(sweep), strict=True)):
            status = run.status if run is not None else "stopped"
            counts[status] = counts.get(status, 0) + 1
            if run is not None:  # (a member that has ended counts what it trained)
                steps_total += run.step if status in TERMINAL else run.config.total_steps
                steps_done += run.step
            members.append(
                {
                    "index": index,
                    "run_id": member["run_id"],
                    "values": member["values"],
                    "status": status,
                    "step": run.step if run is not None else 0,
                    "summary": run.current_summary() if run is not None else {},
                    "cohort": run.cohort_info() if run is not None else None,
                }
            )
        return {
            "id": sweep.id,
            "name": sweep.name,
            "status": self.sweep_status(sweep),
            "created_at": sweep.created_at,
            "owner": sweep.owner,
            "mine": caller is not None and caller.owner is not None and caller.owner == sweep.owner,
            "config": sweep.request["config"],
            "grid": sweep.request["grid"],
            "members": members,
            "counts": counts,
            "steps_total": steps_total,
            "steps_done": steps_done,
        }

    async def stop_sweep(self, sweep_id: str, caller: Caller) -> Sweep:
        """Stop every member: those waiting never start, the others stop where they are."""
        sweep = self.get_sweep(sweep_id)
        check_change(caller, sweep.owner, sweep.id, "sweep")
        sweep.stopped = True
        self.store.save_sweep(sweep.row())
        active = [run for run in self.sweep_runs(sweep) if run is not None and run.status in ACTIVE]
        for run in active:
            if run in self.queue:
                self.queue.remove(run)
                self._set_status(run, "stopped", run.step, None)
            else:
                self._send(run, m.Stop())
        deadline = time.monotonic() + STOP_TIMEOUT
        while any(run.status in ACTIVE for run in active) and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        for run in active:
            if run.status in ACTIVE:
                self._kill(run, "stopped", None)
        return sweep

    def rename(self, run_id: str, name: str, caller: Caller) -> Run:
        run = self.get(run_id)
        check_change(caller, run.owner, run.id)
        run.name = name
        self.store.save_run(run.row())
        return run

    async def stop_all(self, caller: Caller) -> list[Run]:
        """Stop every active run of the caller's."""
        caller.need_owner("stopping your runs")
        for sweep in self.sweeps.values():
            if sweep.owner == caller.owner and self.sweep_status(sweep) in ACTIVE:
                await self.stop_sweep(sweep.id, caller)
        mine = [r for r in self.runs.values() if r.owner == caller.owner and r.status in ACTIVE]
        for run in mine:
            await self.command(run.id, "stop", caller)
        return mine

    async def command(self, run_id: str, command: str, caller: Caller) -> Run:
        """pause, resume, step or stop; waits (briefly) until the worker has acted on it."""
        run = self.get(run_id)
        check_change(caller, run.owner, run.id)
        allowed = {"pause": {"running"}, "resume": {"paused"}, "step": {"paused"}, "stop": ACTIVE}[command]
        if run.status not in allowed:
            raise InvalidTransition(
                f"run {run.id} is {run.status}; '{command}' needs it to be {' or '.join(sorted(allowed))}"
            )
        if command == "stop" and run in self.queue:  # waiting for room: it never started
            self.queue.remove(run)
            self._set_status(run, "stopped", run.step, None)
            return run
        if command in ("resume", "step") and run.idle is not None:
            # it counts again from here (a sweep's member in its sweep's slot, a cohort's member as one)
            cost = 1 / MEMBERS_PER_SLOT if run.host is not None else 1.0
            await self._make_room(caller, run.owner, cost, slot=run.sweep is None)
            run.idle = None
        step = run.step
        # what the command's own outcome looks like (a frame already on its way changes the step, not that)
        done = {
            "pause": lambda: run.status != "running",
            "resume": lambda: run.status != "paused",
            "step": lambda: run.step > step or run.status != "paused",
            "stop": lambda: run.status not in ACTIVE,
        }[command]
        self._send(run, m.COMMANDS[command]())
        deadline = time.monotonic() + (STOP_TIMEOUT if command == "stop" else COMMAND_TIMEOUT)
        while not done() and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        if command == "stop" and run.status in ACTIVE:
            self._kill(run, "stopped", None)  # the worker did not answer in time
        return run

    async def set_lr(self, run_id: str, lr: float, caller: Caller) -> Run:
        """A live change of the learning rate of an active run; waits (briefly) for the worker's word."""
        run = self.get(run_id)
        check_change(caller, run.owner, run.id)
        if run.status not in ACTIVE:
            raise InvalidTransition(f"run {run.id} is {run.status}; the learning rate can change while it is active")
        changes = len(run.lr_changes)
        self._send(run, m.SetLr(lr=lr))
        deadline = time.monotonic() + COMMAND_TIMEOUT
        while len(run.lr_changes) == changes and run.status in ACTIVE and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        return run

    async def weights(self, run_id: str) -> bytes | None:
        """The model's weights as safetensors: the final ones of an ended run, the current ones of an active
        run (asked of its worker). None if the run ended before it had any."""
        run = self.get(run_id)
        path = self.weights_dir / f"{run.id}.safetensors"
        if run.status not in ACTIVE or (run.conn is None and run.host is None):
            return path.read_bytes() if path.is_file() else None
        request = uuid.uuid4().hex
        future = self.loop.create_future()
        run.weights_waiters[request] = future
        self._send(run, m.GetWeights(request=request))
        try:
            return await asyncio.wait_for(future, timeout=10)
        except TimeoutError:
            return path.read_bytes() if path.is_file() else None
        finally:
            run.weights_waiters.pop(request, None)

    async def delete(self, run_id: str, caller: Caller) -> None:
        run = self.get(run_id)
        check_change(caller, run.owner, run.id)
        if run.status in ACTIVE:
            await self.command(run_id, "stop", caller)
        del self.runs[run_id]
        self.hub.close(run_id)
        self.store.delete(run_id)
        (self.weights_dir / f"{run_id}.safetensors").unlink(missing_ok=True)
        self.checkpoints.delete(run_id)

    def add_event(self, run: Run, event: Event) -> None:
        """A detector's (or the server's) event: kept with the run (the first EVENT_LIMIT), sent to its viewers."""
        if len(run.events) < EVENT_LIMIT:
            run.events.append(event.model_dump(mode="json"))
        self.hub.publish(run.id, event)

    # ---- plumbing
    def _send(self, run: Run, message: m.Message) -> None:
        try:
            if run.host is not None:
                run.host.conn.send(m.ToMember(member=run.member, command=message))
                return
            assert run.conn is not None
            run.conn.send(message)
        except (OSError, AssertionError):
            pass  # the worker is gone; its reader thread reports that

    def _kill(self, run: Run, status: str, error: str | None) -> None:
        """A worker that did not answer: ended (a cohort's worker goes on with its other members)."""
        if run.host is None and run.process is not None and run.process.is_alive():
            run.process.terminate()
        self._set_status(run, status, run.step, error)

    def _read_host(self, host: CohortHost) -> None:
        """Runs in a thread: forwards a cohort worker's messages to the loop until its pipe closes."""
        try:
            while True:
                message = host.conn.recv()
                self.loop.call_soon_threadsafe(self._on_host_message, host, message)
        except (EOFError, OSError):
            pass
        host.process.join(timeout=5)
        with contextlib.suppress(RuntimeError):  # the server has shut down meanwhile
            self.loop.call_soon_threadsafe(self._on_host_exit, host, host.process.exitcode)

    def _on_host_message(self, host: CohortHost, message: m.Message) -> None:
        match message:
            case m.FromMember(member=member, report=report) if 0 <= member < len(host.members):
                run = host.members[member]
                if run.host is host:  # (not a run that has since continued elsewhere)
                    self._on_message(run, report)
            case m.Idle(seen=seen):
                host.idle_seen = seen
                self._close_if_done(host)
            case m.StatusChanged(status="failed", error=error):  # the whole worker failed
                for run in host.active:
                    self._set_status(run, "failed", run.step, error)

    def _close_if_done(self, host: CohortHost) -> None:
        """Let a cohort's worker exit once it has no member left and no Join is on its way to it."""
        if host.closed or host.idle_seen != len(host.members) or host.active:
            return
        host.closed = True
        with contextlib.suppress(OSError):
            host.conn.send(m.Close())

    def _on_host_exit(self, host: CohortHost, exitcode: int | None) -> None:
        host.closed = True
        if host in self.hosts:
            self.hosts.remove(host)
        lost = getattr(host.process, "lost", None)  # (Ray: its actor, node or the bridge was lost)
        if lost is not None:
            for run in host.active:  # each member on alone, from its own last saved state
                self._move(run, lost, getattr(host.process, "retry", False))
            return
        how = f"was killed by signal {-exitcode}" if exitcode and exitcode < 0 else f"exited with code {exitcode}"
        for run in host.active:
            self._set_status(
                run, "failed", run.step, f"the worker process training its cohort ({len(host.members)} runs) {how}"
            )
            for future in run.weights_waiters.values():
                if not future.done():
                    future.set_result(None)

    def _read(self, run: Run) -> None:
        """Runs in a thread: forwards the worker's messages to the loop until the pipe closes. It keeps its own
        worker and pipe: a run that continues gets a new worker while this one may still be exiting."""
        conn, process = run.conn, run.process
        assert conn is not None and process is not None
        try:
            while True:
                message = conn.recv()
                self.loop.call_soon_threadsafe(self._on_message, run, message)
        except (EOFError, OSError):
            pass
        process.join(timeout=5)
        with contextlib.suppress(RuntimeError):  # the server has shut down meanwhile
            self.loop.call_soon_threadsafe(self._on_exit, run, process, process.exitcode)

    def _on_message(self, run: Run, message: m.Report) -> None:
        match message:
            case m.Framed():
                self._on_frame(run, message)
            case m.Noticed(event=event):
                self.add_event(run, event)
            case m.StatusChanged(status=status, step=step, error=error):
                self._set_status(run, status, run.step if step is None else step, error)
            case m.Started():
                run.layers = [layer.model_dump(mode="json") for layer in message.layers]
                run.device, run.data = message.device, message.data.model_dump(mode="json")
                run.metrics = message.metrics
                self.hub.describe(run.id, message.layers, message.data, message.metrics)
                self.store.save_run(run.row())
            case m.LrApplied(step=step, lr=lr, old=old):
                run.lr_changes.append({"step": step, "lr": lr, "from": old})
                optimizer = run.config.optimizer.model_copy(update={"lr": lr})
                run.config = run.config.model_copy(update={"optimizer": optimizer})
                self.add_event(run, lr_changed(step, old, lr))  # every viewer marks it on the loss chart
                self.store.save_run(run.row())
            case m.Checkpointed(step=step, data=data):
                self.checkpoints.save(run.id, step, data)
            case m.Weights(request=request, data=data):
                if request is None:  # the final weights, as the run ends
                    self.weights_dir.mkdir(parents=True, exist_ok=True)
                    (self.weights_dir / f"{run.id}.safetensors").write_bytes(data)
                elif request in run.weights_waiters and not run.weights_waiters[request].done():
                    run.weights_waiters[request].set_result(data)

    def _on_frame(self, run: Run, frame: m.Framed) -> None:
        if frame.step <= self.moved.get(run.id, -1):
            return  # a moved run retrains the steps after its last saved state: they are recorded already
        run.step = frame.step
        self.history(run).add(frame.step, frame.values)
        if frame.detail:
            run.latest = frame.text
        if time.monotonic() - run.flushed_at > HISTORY_FLUSH:
            self._flush(run)
        self.hub.publish_frame(run.id, frame.text, frame.detail)

    def _flush(self, run: Run) -> None:
        """Queue the run's row and the history added since the last flush for the store's writer."""
        run.flushed_at = time.monotonic()
        run.updated_at = now_iso()
        self.store.save_run(run.row())
        if run.history is not None:
            closed, open_parts = run.history.take_segments()
            self.store.append_history(run.id, [segment_row(s) for s in closed], [segment_row(s) for s in open_parts])

    def _on_exit(self, run: Run, process: BaseProcess, exitcode: int | None) -> None:
        if process is not run.process:
            return  # the worker of the run's earlier part (it has continued since)
        lost = getattr(process, "lost", None)  # (Ray: its actor, node or the bridge was lost)
        if lost is not None and run.status in ACTIVE:
            self._move(run, lost, getattr(process, "retry", False))
            return
        if run.status in ACTIVE:
            how = f"was killed by signal {-exitcode}" if exitcode and exitcode < 0 else f"exited with code {exitcode}"
            self._set_status(run, "failed", run.step, f"the worker process {how} before the run ended")
        for future in run.weights_waiters.values():
            if not future.done():
                future.set_result(None)

    def _move(self, run: Run, why: str, retry: bool) -> None:
        """A run whose Ray executor was lost (`why`): on elsewhere from its last saved state (from the start of its
        lineage if it has none yet), as the same run, unless there is no room (`retry` False): interrupted."""
        for future in run.weights_waiters.values():
            if not future.done():
                future.set_result(None)
        if not retry:
            self._set_status(run, "interrupted", run.step, f"lost on the Ray cluster: {why}")
            return
        first = (m.Pause(),) if run.status == "paused" else ()
        run.host, run.member, run.alone = None, None, "it moved to another Ray actor and trains alone"
        reached = run.step
        self._relaunch(run, first, lambda since: moved(since, reached, why))

    async def restart(self, run_id: str, caller: Caller) -> Run:
        """An interrupted run (its server stopped, or its Ray node was lost with no room left) trains on from its
        last saved state as the same run."""
        run = self.get(run_id)
        check_change(caller, run.owner, run.id)
        if run.status != "interrupted":
            raise InvalidTransition(f"run {run.id} is {run.status}; only an interrupted run restarts")
        await self._make_room(caller, run.owner)
        reached = run.step
        run.status, run.error, run.idle = "pending", None, None
        run.host, run.member, run.alone = None, None, "a restarted run trains alone, from its saved state"
        self._relaunch(run, (), lambda since: restarted(since, reached))
        return run

    def _relaunch(self, run: Run, first: tuple[m.Message, ...], event: Callable[[int], Event]) -> None:
        """The run on, in a new worker, from its last saved state (from the start of its lineage if it has none
        yet), with the event `event(step it continues from)`: the steps after that state are trained again and
        recorded once (_on_frame drops them)."""
        saved = self.checkpoints.at_or_before(run.id, run.step)
        if saved is not None:
            since, start, replay = saved[0], saved[1], []
        else:
            since, start = (run.lineage[-1]["until"] if run.lineage else 0), None
            replay = [m.ReplaySegment.model_validate(segment) for segment in run.lineage]
        self.moved[run.id] = max(run.step, self.moved.get(run.id, -1))
        self.add_event(run, event(since))
        job = m.Job(config=run.config.model_dump(mode="json"), replay=replay, uploads=str(self.uploads), start=start)
        self._launch(run, job, first)

    def _set_status(self, run: Run, status: str, step: int, error: str | None) -> None:
        if run.status in TERMINAL:
            return  # the first ending wins
        if status == "paused" and run.status != "paused":
            run.paused_since = time.monotonic()
        if status == "running":
            run.idle = None  # however it was resumed
        run.status, run.step, run.error = status, step, error
        self._flush(run)
        self.hub.publish(run.id, Status.model_validate({"status": status, "step": step, "error": error}))
        if status in TERMINAL:
            self.hub.close(run.id)  # clients joining later get the stored history
            if run.host is not None:
                self._close_if_done(run.host)
            if self.queue:
                self.pump()


def lr_changed(step: int, old: float, lr: float) -> Event:
    """The event of a live learning-rate change (PATCH lr), as the worker applied it at `step`."""
    return server_event(
        "lr_changed",
        step,
        (f"learning rate changed from {old:.3g} to {lr:.3g}", f"学习率从 {old:.3g} 改为 {lr:.3g}"),
        (
            "Changed while the run trained; the steps from here on use the new rate.",
            "在训练过程中修改；从这一步起使用新的学习率。",
        ),
    )


def moved(since: int, reached: int, why: str) -> Event:
    """The event of a run that continues on another Ray actor (its node was lost), from its state at `since`."""
    return server_event(
        "moved",
        since,
        (
            f"moved to another node: {why}; it continues from step {since} (it had reached step {reached})",
            f"已迁移到另一个节点：{why}；从第 {since} 步继续（此前已到第 {reached} 步）",
        ),
        (
            "Its Ray node or actor was lost. The run continues from its last saved state; the steps after that state "
            "are trained again and recorded once.",
            "它所在的 Ray 节点或 actor 丢失了。运行从最后保存的状态继续；之后的步骤会重新训练，但只记录一次。",
        ),
    )


def restarted(since: int, reached: int) -> Event:
    """The event of an interrupted run that trains on (restarted by its owner or teacher), from its state at
    `since`."""
    return server_event(
        "restarted",
        since,
        (
            f"restarted: it continues from step {since}, its last saved state (it had reached step {reached})",
            f"已重新开始：从最后保存的第 {since} 步继续（此前已到第 {reached} 步）",
        ),
        (
            "It was interrupted (the server stopped while it trained). The steps after its last saved state are "
            "trained again and recorded once.",
            "它曾被中断（训练时服务器停止了）。最后保存状态之后的步骤会重新训练，但只记录一次。",
        ),
    )
