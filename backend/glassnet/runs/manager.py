"""Run lifecycle: each run trains in its own worker process, taken from a pool of pre-warmed ones.

Runs belong to owners (runs/owners.py): anyone may read a run, only its owner (or the admin) may change it.
Limits hold per server and per owner. A run started from the page holds a lease that its viewers (open
streams) renew: unwatched for `idle_pause_s` it pauses, and paused unwatched for `idle_stop_s` it stops; a
viewer's return resumes it. An ended run keeps its training state and can continue as the same run.

A reader thread per run turns the worker's pipe (runs/messages.py) into calls on the event loop, which
update the run, add to its history, persist it, and publish to the hub. A worker that dies without a last
word turns its run `failed` with the exit code. Runs survive restarts through the store; those that were
active when the server stopped come back `interrupted`.
"""

import asyncio
import contextlib
import copy
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from pydantic import ValidationError

from glassnet.config import LIMITS, ExperimentConfig, merge_config
from glassnet.data import tabular
from glassnet.protocol import Event, Status
from glassnet.runs import messages as m
from glassnet.runs.checkpoints import Checkpoints
from glassnet.runs.history import History
from glassnet.runs.hub import Hub
from glassnet.runs.owners import Caller, check_change
from glassnet.runs.pool import WorkerPool
from glassnet.runs.rules import (
    InvalidRequest,
    InvalidTransition,
    RunLimitReached,
    RunNotFound,
    check_config,
    check_fork_changes,
)
from glassnet.runs.status import ACTIVE, TERMINAL
from glassnet.runs.store import Store, segment_row
from glassnet.settings import Settings
from glassnet.train.metrics import SUMMARY
from glassnet.train.pack import finite_or_none

COMMAND_TIMEOUT = 5.0  # seconds the API waits for a worker to act on pause, resume, step or an lr change
STOP_TIMEOUT = 1.0  # seconds a worker has to stop before it is terminated
HISTORY_FLUSH = 10.0  # seconds between writes of a training run's history
EVENT_LIMIT = 500
log = logging.getLogger("glassnet")


class InvalidChanges(ValueError):
    """A fork's changes make a config that does not validate: pydantic's errors, located under `changes`."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors))
        self.errors = errors


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


STORED = (  # the run's fields that the store keeps (besides its config)
    *("id", "created_at", "updated_at", "status", "step", "device", "error", "parent", "layers", "data"),
    *("events", "lr_changes", "lineage", "summary", "metrics", "latest", "owner", "name", "lease", "idle"),
)
CONTINUABLE = frozenset({"finished", "stopped", "interrupted"})  # with a saved state at the run's last step


def _widths(widths: list[int]) -> str:
    if len(widths) > 3 and len(set(widths)) == 1:
        return f"{widths[0]}×{len(widths)}"
    return "-".join(map(str, widths)) or "0"


def default_name(config: ExperimentConfig, created_at: str) -> str:
    """A run's name until its owner gives it one: the data, the model and the time it started (UTC), as in
    "circle · mlp 8-8 tanh · 14:03 UTC" (the UI's modelSummary says the model the same way)."""
    m = config.model
    if m.kind == "cnn":
        model = f"cnn {_widths(m.channels)} {m.activation}"
    elif m.kind == "rnn":
        model = f"{m.cell} {m.rnn_hidden}×{m.rnn_layers}"
    else:
        model = f"mlp {_widths(m.hidden)} {m.activation}"
    return f"{config.dataset.name} · {model} · {created_at[11:16]} UTC"


@dataclass
class Run:
    id: str
    config: ExperimentConfig  # as it is now (a live lr change updates it)
    created_at: str
    updated_at: str = ""
    status: str = "pending"
    step: int = 0
    device: str | None = None
    error: str | None = None
    parent: str | None = None
    layers: list[dict[str, Any]] = field(default_factory=list)
    data: dict[str, Any] | None = None  # the stream hello's data description, once the worker has built the data
    metrics: list[str] = field(default_factory=list)  # the registry metrics the run measures
    events: list[dict[str, Any]] = field(default_factory=list)
    # live learning-rate changes: {"step": the worker's step when applied, "lr": new, "from": old}
    lr_changes: list[dict[str, Any]] = field(default_factory=list)
    # how to rebuild the state this run started from: [{"config", "until", "lr_changes"}, ...] (forks)
    lineage: list[dict[str, Any]] = field(default_factory=list)
    # the headline figures, each with the step it was measured at (kept for runs whose history is not loaded)
    summary: dict[str, Any] = field(default_factory=dict)
    latest: str | None = None  # the newest detail frame (JSON): an ended run is shown as it finished
    owner: str | None = None  # the owner id; None: a run stored before owners existed
    name: str | None = None  # given by its owner; None: default_name
    lease: bool = False  # pauses, then stops, while nobody watches it (runs started from the page)
    # set while it is paused, or once it stopped, for want of a viewer: {"action", "step", "after_s"}
    idle: dict[str, Any] | None = None
    viewers: int = 0  # open streams
    unwatched_since: float = field(default_factory=time.monotonic)
    paused_since: float = field(default_factory=time.monotonic)
    history: History | None = field(default_factory=History)  # None: in the store, not loaded yet
    process: BaseProcess | None = None
    conn: Connection | None = None
    flushed_at: float = 0.0
    weights_waiters: dict[str, asyncio.Future] = field(default_factory=dict)

    def start_config(self) -> dict[str, Any]:
        """The config the run was started with (before live changes)."""
        config = self.config.model_dump(mode="json")
        if self.lr_changes:
            config["optimizer"]["lr"] = self.lr_changes[0]["from"]
        return config

    def current_summary(self) -> dict[str, Any]:
        """Each headline figure's last measurement: {name: {"value", "step"}} (value null if not finite)."""
        if self.history is None:
            return self.summary
        figures = {}
        for name in SUMMARY:
            latest = self.history.latest(name)
            if latest is not None:
                step, value = latest
                figures[name] = {"value": finite_or_none(value), "step": step}
        return figures

    def info(self, caller: Caller | None = None) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name or default_name(self.config, self.created_at),
            "status": self.status,
            "step": self.step,
            "config": self.config.model_dump(mode="json"),
            "created_at": self.created_at,
            "updated_at": self.updated_at or self.created_at,
            "device": self.device,
            "error": self.error,
            "parent": self.parent,
            "summary": self.current_summary(),
            "owner": self.owner,
            "mine": caller is not None and caller.owner is not None and caller.owner == self.owner,
            "can_change": caller is not None and caller.may_change(self.owner),
            "lease": self.lease,
            "idle": self.idle,
        }

    @property
    def counts(self) -> bool:
        """Whether the run counts against the limits: active, and not paused for want of a viewer."""
        return self.status in ACTIVE and self.idle is None

    def row(self) -> dict[str, Any]:
        self.summary = self.current_summary()
        row = {k: getattr(self, k) for k in STORED}
        row["updated_at"] = self.updated_at or self.created_at
        return {**row, "config": self.config.model_dump(mode="json")}

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "Run":
        fields = {k: row[k] for k in STORED}
        fields["lease"] = bool(fields["lease"])
        # a summary stored by an earlier version has bare values: take them as of the run's last step
        fields["summary"] = {
            name: figure if isinstance(figure, dict) else {"value": figure, "step": row["step"]}
            for name, figure in row["summary"].items()
            if figure is None or isinstance(figure, dict | float | int)
        }
        return cls(config=ExperimentConfig.model_validate(row["config"]), history=None, **fields)


class RunManager:
    def __init__(self, settings: Settings, hub: Hub, loop: asyncio.AbstractEventLoop) -> None:
        self.settings = settings
        self.hub = hub
        self.loop = loop
        self.pool = WorkerPool(settings.workers, settings.torch_threads)
        self.store = Store(settings.data_dir / "glassnet.db")
        self.weights_dir = settings.data_dir / "weights"
        self.checkpoints = Checkpoints(settings.data_dir / "checkpoints")
        self.uploads = settings.data_dir / "datasets"
        tabular.set_uploads_dir(self.uploads)
        self.runs: dict[str, Run] = {}
        self.tasks: set[asyncio.Future] = set()  # resumes for returning viewers, in flight

    def start(self) -> None:
        interrupted = self.store.mark_interrupted(ACTIVE)
        for row in self.store.load_runs():
            try:
                self.runs[row["id"]] = Run.from_row(row)
            except ValidationError as exc:  # a run saved by a version with another config schema
                log.warning("run %s is not loaded: its config no longer validates (%s)", row["id"], exc)
        if interrupted:
            log.warning("%d run(s) were active when the server stopped; they are marked interrupted", interrupted)
        self.pool.fill()

    def shutdown(self) -> None:
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

    def list_runs(self, caller: Caller, status: str | None = None, everyone: bool = False) -> list[Run]:
        """The caller's runs (everyone's for `everyone`, which the routes allow the admin only), newest first."""
        runs = [
            r
            for r in self.runs.values()
            if (everyone or r.owner == caller.owner) and (status is None or r.status == status)
        ]
        return sorted(runs, key=lambda r: r.created_at, reverse=True)

    def active_count(self) -> int:
        return sum(run.status in ACTIVE for run in self.runs.values())

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
    ) -> Run:
        owner = caller.need_owner("starting a run")
        check_config(config)
        await self._make_room(caller, owner)
        created = now_iso()
        run = Run(id=uuid.uuid4().hex[:12], config=config, created_at=created, updated_at=created)
        run.owner, run.lease = owner, lease
        start: bytes | None = None
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
            start, replay = self._starting_point(parent, run.lineage, at)
            run.step = at  # where it starts (its worker confirms it)
            run.name = f"{parent.info()['name']} · fork at {at}"
        self.runs[run.id] = run
        self._launch(
            run, m.Job(config=config.model_dump(mode="json"), replay=replay, uploads=str(self.uploads), start=start)
        )
        return run

    def _launch(self, run: Run, job: m.Job) -> None:
        run.process, run.conn = self.pool.take()
        self.hub.open(run.id)
        self.store.save_run(run.row())
        run.unwatched_since = time.monotonic()
        run.conn.send(job)
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

    async def _make_room(self, caller: Caller, owner: str | None) -> None:
        """Refuse a new active run over the owner's or the server's limit (429, listing the caller's active
        runs); at the server's limit, a run paused for want of a viewer stops to make way."""
        counted = [r for r in self.runs.values() if r.counts]
        mine = [r for r in self.runs.values() if owner is not None and r.owner == owner and r.status in ACTIVE]
        active = [r.info(caller) for r in mine]
        per_owner = self.settings.max_runs_per_owner
        if owner is not None and sum(r.counts for r in mine) >= per_owner:
            raise RunLimitReached(
                f"You have {per_owner} active run{'s' if per_owner != 1 else ''}, the most one owner may have "
                "(GLASSNET_MAX_RUNS_PER_OWNER); "
                "stop one of them first",
                "owner",
                active,
            )
        if len(counted) >= self.settings.max_runs:
            raise RunLimitReached(
                f"The server is busy: {self.settings.max_runs} runs are active, its limit (GLASSNET_MAX_RUNS); "
                "try again when one ends, or stop one of yours",
                "server",
                active,
            )
        idle = sorted(
            (r for r in self.runs.values() if r.status in ACTIVE and not r.counts), key=lambda r: r.paused_since
        )
        while idle and self.active_count() >= self.settings.max_runs:
            victim = idle.pop(0)
            with contextlib.suppress(InvalidTransition):  # it may have ended meanwhile
                await self.command(victim.id, "stop", Caller(admin=True))
                self._idle_note(victim, "stopped", "made way for a new run")

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
        job = m.Job(config=run.config.model_dump(mode="json"), replay=[], uploads=str(self.uploads), start=saved[1])
        self._launch(run, job)
        return run

    def rename(self, run_id: str, name: str, caller: Caller) -> Run:
        run = self.get(run_id)
        check_change(caller, run.owner, run.id)
        run.name = name
        self.store.save_run(run.row())
        return run

    async def stop_all(self, caller: Caller) -> list[Run]:
        """Stop every active run of the caller's."""
        caller.need_owner("stopping your runs")
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
        if command in ("resume", "step") and run.idle is not None:
            await self._make_room(caller, run.owner)  # it counts again from here
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
        if run.status not in ACTIVE or run.conn is None:
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

    # ---- leases: nobody watching, no training
    def viewer_joined(self, run: Run) -> None:
        run.viewers += 1
        if run.idle is not None and run.idle["action"] == "paused" and run.status == "paused":
            task = asyncio.ensure_future(self._resume_for_viewer(run))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    def viewer_left(self, run: Run) -> None:
        run.viewers = max(0, run.viewers - 1)
        if run.viewers == 0:
            run.unwatched_since = time.monotonic()

    async def _resume_for_viewer(self, run: Run) -> None:
        try:
            await self.command(run.id, "resume", Caller(admin=True))
        except (RunLimitReached, InvalidTransition):
            return  # no room for it now (or it ended): it stays paused, and its page offers Resume
        self._notice(run, "idle_resumed", "Resumed: someone is watching again", "已继续：又有人在看了", "")

    async def watch_leases(self) -> None:
        """Pause leased runs nobody watches, and stop paused ones still unwatched; runs until cancelled."""
        tick = min(1.0, self.settings.idle_pause_s / 4)
        while True:
            await asyncio.sleep(tick)
            await self.check_leases()

    async def check_leases(self) -> None:
        now = time.monotonic()
        for run in list(self.runs.values()):
            if not run.lease or run.viewers or run.status not in ACTIVE:
                continue
            unwatched = now - run.unwatched_since
            if run.status == "running" and unwatched >= self.settings.idle_pause_s:
                await self._idle_pause(run, unwatched)
            elif (
                run.status == "paused" and now - max(run.paused_since, run.unwatched_since) >= self.settings.idle_stop_s
            ):
                await self._idle_stop(run)

    async def _idle_pause(self, run: Run, unwatched: float) -> None:
        run.idle = {"action": "paused", "step": run.step, "after_s": round(unwatched)}
        try:
            await self.command(run.id, "pause", Caller(admin=True))
        except InvalidTransition:
            run.idle = None
            return
        after = round(unwatched)
        self._notice(
            run,
            "idle_paused",
            f"Paused: nobody watched this run for {after} s",
            f"已暂停：{after} 秒无人观看",
            "A run started from the page trains only while someone watches it. Open it again and it resumes.",
        )
        self.store.save_run(run.row())

    async def _idle_stop(self, run: Run) -> None:
        try:
            await self.command(run.id, "stop", Caller(admin=True))
        except InvalidTransition:
            return
        self._idle_note(run, "stopped", f"paused and unwatched for {round(self.settings.idle_stop_s)} s")

    def _idle_note(self, run: Run, action: str, why: str) -> None:
        run.idle = {"action": action, "step": run.step, "after_s": round(time.monotonic() - run.unwatched_since)}
        self._notice(
            run,
            "idle_stopped",
            f"Stopped: {why}",
            "已停止：无人观看",
            "Its history and training state are kept: Continue trains it on from here.",
        )
        self.store.save_run(run.row())

    def _notice(self, run: Run, kind: str, message: str, message_zh: str, explanation: str) -> None:
        event = Event(
            kind=kind,
            step=run.step,
            layer=None,
            layer_index=None,
            message=message,
            message_zh=message_zh,
            explanation=explanation,
            explanation_zh=explanation,
        )
        if len(run.events) < EVENT_LIMIT:
            run.events.append(event.model_dump(mode="json"))
        self.hub.publish(run.id, event)

    # ---- plumbing
    def _send(self, run: Run, message: m.Message) -> None:
        try:
            assert run.conn is not None
            run.conn.send(message)
        except (OSError, AssertionError):
            pass  # the worker is gone; its reader thread reports that

    def _kill(self, run: Run, status: str, error: str | None) -> None:
        if run.process is not None and run.process.is_alive():
            run.process.terminate()
        self._set_status(run, status, run.step, error)

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
                if len(run.events) < EVENT_LIMIT:
                    run.events.append(event.model_dump(mode="json"))
                self.hub.publish(run.id, event)
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
        if run.status in ACTIVE:
            how = f"was killed by signal {-exitcode}" if exitcode and exitcode < 0 else f"exited with code {exitcode}"
            self._set_status(run, "failed", run.step, f"the worker process {how} before the run ended")
        for future in run.weights_waiters.values():
            if not future.done():
                future.set_result(None)

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
