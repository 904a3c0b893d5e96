"""The teacher's stream of a room: one tile per student (its newest run), a few times a second.

A tile carries the run's status, step, a sparkline of its training loss and its last test figures, and its output
(the decision boundary of a 2-D task, or the fitted curve of a 1-D one) only when that changed since the client's
last message: a run's output changes with its detail frames, and its grid is most of a tile's bytes. The newest
detail frame is parsed once per frame for every teacher watching (`Views`), not once per message per client.
"""

import json
from typing import TYPE_CHECKING, Any

from glassnet.runs.run import Run
from glassnet.runs.status import ACTIVE

if TYPE_CHECKING:
    from glassnet.runs.rooms import Room, Rooms

SPARK_POINTS = 60


class Views:
    """A run's output view from its newest detail frame, parsed once per frame."""

    def __init__(self) -> None:
        self.parsed: dict[str, tuple[str, dict[str, Any] | None]] = {}  # run id -> (the frame's text, its view)

    def of(self, run: Run) -> tuple[str | None, dict[str, Any] | None]:
        """(the frame text it comes from, or None; the view, or None when the run has no output to draw)."""
        if run.latest is None:
            return None, None
        cached = self.parsed.get(run.id)
        if cached is not None and cached[0] is run.latest:
            return cached
        dense = json.loads(run.latest).get("dense") or {}
        data = run.data or {}
        kind = "grid" if "grid" in dense else "curve" if "curve" in dense else None
        view = None
        if kind is not None:
            view = {"kind": kind, "dense": dense[kind], "extent": data.get("extent"), "classes": data.get("classes", 1)}
        self.parsed[run.id] = (run.latest, view)
        return run.latest, view

    def forget(self, run_ids: set[str]) -> None:
        for run_id in [r for r in self.parsed if r not in run_ids]:
            del self.parsed[run_id]


def sparkline(run: Run, rooms: "Rooms") -> list[float | None]:
    """The training loss, up to SPARK_POINTS points, oldest first."""
    history = rooms.manager.history(run)
    if "train_loss" not in history.tracks:  # (no frame yet)
        return []
    return history.series(["train_loss"], max_points=SPARK_POINTS)["series"]["train_loss"]["last"]


class TileSender:
    """One teacher stream's tiles: remembers which output it last sent for each run."""

    def __init__(self, rooms: "Rooms", room: "Room") -> None:
        self.rooms, self.room = rooms, room
        self.sent_views: dict[str, str | None] = {}  # run id -> the frame text whose view it last sent
        self.sparks: dict[str, tuple[int, str, list[float | None]]] = {}  # run id -> (step, status, sparkline)

    def _spark(self, run: Run) -> list[float | None]:
        cached = self.sparks.get(run.id)
        if cached is None or cached[:2] != (run.step, run.status):
            cached = (run.step, run.status, sparkline(run, self.rooms))
            self.sparks[run.id] = cached
        return cached[2]

    def tile(self, run: Run) -> dict[str, Any]:
        assert run.owner is not None
        tile: dict[str, Any] = {
            "run_id": run.id,
            "student_id": run.owner,
            "student": self.room.students[run.owner].name,
            "status": run.status,
            "step": run.step,
            "steps_total": run.config.steps,  # (None: until stopped)
            "loss": self._spark(run),
            "test_loss": run.figure("test_loss"),
            "accuracy": run.figure("test_acc"),
        }
        source, view = self.rooms.views.of(run)
        if source is not None and self.sent_views.get(run.id) is not source:
            tile["view"] = view
            self.sent_views[run.id] = source
        return tile

    def message(self) -> str:
        """The stream's next message (room_schemas.RoomMessage) as JSON text; watching renews the runs' leases."""
        newest: dict[str, Run] = {}
        for run in self.rooms.runs(self.room):  # (newest first)
            newest.setdefault(run.owner or "", run)
            if run.lease and run.status in ACTIVE:
                self.rooms.manager.leases.seen(run)
        message = {
            "type": "room",
            "room": self.room.info(),
            "students": [s.info() for s in self.room.students.values()],
            "tiles": [self.tile(run) for run in newest.values()],
        }
        return json.dumps(message)
