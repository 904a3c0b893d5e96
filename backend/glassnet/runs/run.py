"""A run as the server keeps it: its config, status, owner, lease, history and the links to its worker;
`info` is what the API shows of it (RunInfo), `row` what the store keeps."""

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from glassnet.config import ExperimentConfig
from glassnet.runs.history import History
from glassnet.runs.owners import Caller
from glassnet.runs.status import ACTIVE
from glassnet.train.metrics import SUMMARY
from glassnet.train.pack import finite_or_none


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


STORED = (  # the run's fields that the store keeps (besides its config)
    *("id", "created_at", "updated_at", "status", "step", "device", "error", "parent", "layers", "data"),
    *("events", "lr_changes", "lineage", "summary", "metrics", "latest", "owner", "name", "lease", "idle"),
    *("sweep", "alone"),
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
    sweep: str | None = None  # the sweep it is a member of
    alone: str | None = None  # why it trains alone (None: in a cohort, or not started yet)
    host: Any = None  # the cohort hosting it (runs/cohorts.py CohortHost); None: alone in its own worker
    member: int | None = None  # its index in that cohort's job
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

    def figure(self, name: str) -> float | None:
        """A headline figure's last measured value (None: not measured yet, or not finite)."""
        figure = self.current_summary().get(name)
        return None if figure is None else figure["value"]

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
            "continuable": self.status in CONTINUABLE,
            "lr_changes": self.lr_changes,
            "sweep": self.sweep,
            "cohort": self.cohort_info(),
        }

    def cohort_info(self) -> dict[str, Any] | None:
        """Where it trains: in a cohort (and with how many others), or alone and why; None before it starts."""
        if self.host is not None:  # (an ended run: the most it trained with)
            return {"members": self.host.size if self.status in ACTIVE else self.host.peak, "alone": None}
        if self.alone is not None:
            return {"members": 1, "alone": self.alone}
        return None

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
