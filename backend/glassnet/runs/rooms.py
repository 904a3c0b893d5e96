"""Rooms: a teacher's class on one server.

A teacher creates a room (a title, a setup or a lesson, an expiry) and gets its teacher key, shown once: the
server keeps only its hash. Students join with the room's id, the secret of the join link (which carries it in
its fragment; the room routes carry it in their path, blanked in the logs by api/logs.py), and a display name;
each gets an owner key of its own (runs/owners.py), and the runs made with that key are the room's. The
teacher's key opens the room's view: the students' runs, their results, a new setup for everyone, pause or stop
all. A room expires: its runs stop, and its data is deleted unless the teacher exported it first (the room is
then kept, read-only). Rooms live in the store, so they survive a restart like runs do.
"""

import asyncio
import csv
import hashlib
import io
import logging
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from glassnet.config import DEFAULT_CONFIG, ExperimentConfig, merge_config
from glassnet.lessons import LESSONS
from glassnet.protocol import Event, server_event
from glassnet.ratelimit import PerMinute
from glassnet.runs.owners import Caller, Forbidden, Keys
from glassnet.runs.room_tiles import Views
from glassnet.runs.run import Run, now_iso
from glassnet.runs.status import ACTIVE
from glassnet.settings import Settings

if TYPE_CHECKING:
    from glassnet.runs.manager import RunManager

TEACHER_HEADER = "X-Glassnet-Teacher"
ROOM_ID_BYTES = 16  # 128 bits
TEACHER_KEY_BYTES = 32  # 256 bits
MAX_TITLE = 80
MAX_NAME = 40
EXPIRY_CHECK_S = 30.0  # how often the server looks for rooms past their expiry
ADMIN = Caller(admin=True)  # the server acts on a room's runs for its teacher
# characters that are never part of a name: bidirectional overrides and isolates reorder what follows them
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
ACTIONS = {"pause": "running", "resume": "paused", "stop": None}  # a teacher's action: the status it applies to
log = logging.getLogger("glassnet")


class RoomNotFound(LookupError):
    """No open room has this id (404)."""


class NameTaken(ValueError):
    """Another student of the room has this name (422): the teacher could not tell them apart."""


class JoinLimitReached(Exception):
    """Too many joins this minute, for the room or from the client's address (429)."""

    def __init__(self, message: str, limit: str) -> None:
        super().__init__(message)
        self.limit = limit


def clean_name(raw: str) -> str:
    """A student's display name, trimmed: 1 to MAX_NAME characters, no control characters (ValueError saying
    which rule it breaks). It is shown as text, never as markup, so any other character may stay."""
    name = raw.strip()
    if not name:
        raise ValueError(f"a name is 1 to {MAX_NAME} characters; this one is empty")
    if len(name) > MAX_NAME:
        raise ValueError(f"{len(name)} characters is over the limit of {MAX_NAME}")
    bad = next((c for c in name if unicodedata.category(c) == "Cc" or c in BIDI_CONTROLS), None)
    if bad is not None:
        raise ValueError(f"control characters are not allowed in a name (found U+{ord(bad):04X})")
    return name


def named(room_id: str) -> str:
    """A room as errors name it: the start of its id (enough to tell rooms apart, not the whole secret)."""
    return f"room {room_id[:8]}…" if len(room_id) > 8 else f"room {room_id!r}"


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass
class Student:
    id: str  # the owner id of the key the join gave it
    name: str
    joined_at: str

    def info(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "joined_at": self.joined_at}


@dataclass
class Room:
    id: str
    title: str
    teacher_hash: str
    created_at: str
    expires_at: str
    config: dict[str, Any] | None = None  # the setup (None: a lesson, or the server's default config)
    lesson: str | None = None
    setup_version: int = 0  # grows with each setup sent to everyone: the students' pages switch to it
    kept: bool = False  # exported by its teacher: its data outlives its expiry
    expired: bool = False
    students: dict[str, Student] = field(default_factory=dict)  # by owner id
    # every setup it has had, oldest first: {"version", "config", "lesson", "at"} (a run is compared with the one
    # in force when it started)
    setups: list[dict[str, Any]] = field(default_factory=list)

    def is_teacher(self, key: str | None) -> bool:
        return key is not None and secrets.compare_digest(_hash(key), self.teacher_hash)

    def due(self, now: datetime) -> bool:
        return not self.expired and datetime.fromisoformat(self.expires_at) <= now

    def setup_at(self, when: str) -> dict[str, Any]:
        """The setup in force at `when` (an ISO time): {"version", "config", "lesson", "at"}."""
        current = {"version": self.setup_version, "config": self.config, "lesson": self.lesson, "at": ""}
        earlier = [s for s in self.setups if s["at"] <= when]
        return earlier[-1] if earlier else (self.setups[0] if self.setups else current)

    def info(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "config": self.config,
            "lesson": self.lesson,
            "setup_version": self.setup_version,
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "status": "expired" if self.expired else "open",
            "students": len(self.students),
            "kept": self.kept,
        }

    def row(self) -> dict[str, Any]:
        fields = ("id", "title", "teacher_hash", "created_at", "expires_at", "config", "lesson", "setup_version")
        row = {k: getattr(self, k) for k in fields}
        return row | {
            "kept": int(self.kept),
            "expired": int(self.expired),
            "students": [s.info() for s in self.students.values()],
            "setups": self.setups,
        }

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "Room":
        students = {s["id"]: Student(**s) for s in row["students"]}
        fields = {k: v for k, v in row.items() if k not in ("students", "kept", "expired")}
        return cls(**fields, kept=bool(row["kept"]), expired=bool(row["expired"]), students=students)


def leaves(config: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A config's leaves by dotted path (lists are leaves)."""
    out: dict[str, Any] = {}
    for key, value in config.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            out |= leaves(value, f"{path}.")
        else:
            out[path] = value
    return out


def reference(setup: dict[str, Any]) -> dict[str, Any]:
    """The whole config a setup stands for (every leaf, as a run's config has them): its config, its lesson's base,
    or the default config."""
    if setup["config"] is not None:
        base = setup["config"]
    elif setup["lesson"] is not None and setup["lesson"] in LESSONS:
        base = merge_config(DEFAULT_CONFIG, LESSONS[setup["lesson"]].base)
    else:
        base = DEFAULT_CONFIG
    return ExperimentConfig.model_validate(base).model_dump(mode="json")


def changes(setup: dict[str, Any], config: dict[str, Any]) -> list[dict[str, Any]]:
    """How `config` differs from the setup's config, leaf by leaf: [{"field", "setup", "run"}] (a leaf one of them
    lacks is null on that side)."""
    ours, theirs = leaves(reference(setup)), leaves(config)
    return [
        {"field": path, "setup": ours.get(path), "run": theirs.get(path)}
        for path in sorted(ours.keys() | theirs.keys())
        if ours.get(path) != theirs.get(path)
    ]


class Rooms:
    """Every room of the server, and what teachers and students do with them."""

    def __init__(self, manager: "RunManager", keys: Keys, settings: Settings) -> None:
        self.manager, self.keys, self.settings = manager, keys, settings
        self.rooms: dict[str, Room] = {}
        self.student_room: dict[str, str] = {}  # a student's owner id -> its room's id
        self.joins_per_room = PerMinute(settings.room_joins_per_minute)
        self.joins_per_address = PerMinute(settings.room_joins_per_address)
        self.views = Views()  # the runs' outputs, parsed once for every teacher stream

    def start(self) -> None:
        for row in self.manager.store.load_rooms():
            room = Room.from_row(row)
            self.rooms[room.id] = room
            self.student_room |= dict.fromkeys(room.students, room.id)

    def _save(self, room: Room) -> None:
        self.manager.store.save_room(room.row())

    # ---- finding a room
    def get(self, room_id: str) -> Room:
        """An open room (RoomNotFound naming it: unknown, or expired)."""
        room = self.rooms.get(room_id)
        if room is None:
            raise RoomNotFound(f"{named(room_id)} not found: check the link your teacher gave you")
        if room.expired or room.due(datetime.now(UTC)):
            raise RoomNotFound(f"{named(room_id)} has ended (at {room.expires_at[:16].replace('T', ' ')} UTC)")
        return room

    def as_teacher(self, room_id: str, key: str | None, read_only: bool = False) -> Room:
        """The room, for the holder of its teacher key (Forbidden otherwise). An expired room is gone, except
        one its teacher kept (exported), which stays to read (`read_only`)."""
        room = self.rooms.get(room_id)
        if room is None or not (read_only and room.kept):
            room = self.get(room_id)
        if not room.is_teacher(key):
            what = "missing" if not key else "not this room's teacher key"
            raise Forbidden(f"{TEACHER_HEADER}: {what}; the teacher link holds the key (it was shown once)")
        return room

    # ---- teachers
    def create(self, title: str, config: dict[str, Any] | None, lesson: str | None, days: float) -> tuple[Room, str]:
        """A new room and its teacher key (the key is not kept: only its hash)."""
        key = secrets.token_urlsafe(TEACHER_KEY_BYTES)
        created = datetime.now(UTC)
        room = Room(
            id=secrets.token_hex(ROOM_ID_BYTES),
            title=title,
            teacher_hash=_hash(key),
            created_at=created.isoformat(timespec="microseconds"),
            expires_at=(created + timedelta(days=days)).isoformat(timespec="seconds"),
            config=config,
            lesson=lesson,
        )
        room.setups.append({"version": 0, "config": config, "lesson": lesson, "at": room.created_at})
        self.rooms[room.id] = room
        self._save(room)
        return room, key

    def set_setup(self, room: Room, config: dict[str, Any] | None, lesson: str | None) -> Room:
        room.config, room.lesson = config, lesson
        room.setup_version += 1
        room.setups.append({"version": room.setup_version, "config": config, "lesson": lesson, "at": now_iso()})
        self._save(room)
        return room

    def runs(self, room: Room) -> list[Run]:
        """The students' runs, newest first."""
        runs = [r for r in self.manager.runs.values() if r.owner is not None and r.owner in room.students]
        return sorted(runs, key=lambda r: r.created_at, reverse=True)

    def run_row(self, room: Room, run: Run) -> dict[str, Any]:
        assert run.owner is not None
        return {
            "run_id": run.id,
            "student_id": run.owner,
            "student": room.students[run.owner].name,
            "name": run.info()["name"],
            "status": run.status,
            "step": run.step,
            "steps_total": run.config.steps,  # (None: until stopped)
            "created_at": run.created_at,
            "summary": run.current_summary(),
            # (as it trains now: a live change of its learning rate is a change too)
            "changes": changes(room.setup_at(run.created_at), run.config.model_dump(mode="json")),
        }

    def teacher_view(self, room: Room) -> dict[str, Any]:
        return {
            "room": room.info(),
            "students": [s.info() for s in room.students.values()],
            "runs": [self.run_row(room, run) for run in self.runs(room)],
        }

    async def act(self, room: Room, action: str) -> list[str]:
        """pause, resume or stop every student run it applies to (running, paused, active; a resume also restarts
        each student's newest run if it was interrupted); their ids."""
        wanted = ACTIONS[action]
        runs = [r for r in self.runs(room) if r.status in ACTIVE and (wanted is None or r.status == wanted)]
        if action == "resume":  # and each student's newest run, if the server's restart interrupted it
            newest: dict[str | None, Run] = {}
            for run in self.runs(room):
                newest.setdefault(run.owner, run)
            runs += [r for r in newest.values() if r.status == "interrupted"]
        done = []
        for run in runs:
            try:
                if run.status == "interrupted":
                    await self.manager.restart(run.id, ADMIN)
                else:
                    await self.manager.command(run.id, action, ADMIN)
                done.append(run.id)
                self.manager.add_event(run, teacher_did(action, run.step))
            except Exception as exc:  # (it ended meanwhile, or the server is full for a resume): the others go on
                log.info("a room's %s skipped run %s: %s", action, run.id, exc)
        return done

    def results(self, room: Room) -> list[dict[str, Any]]:
        """One row per run, for the CSV."""
        rows = []
        for run in self.runs(room):
            info = self.run_row(room, run)
            rows.append(
                {
                    "student": info["student"],
                    "run_id": run.id,
                    "run": info["name"],
                    "status": run.status,
                    "steps": run.step,
                    "test_loss": run.figure("test_loss"),
                    "test_accuracy": run.figure("test_acc"),
                    "train_loss": run.figure("train_loss"),
                    "changes": "; ".join(f"{c['field']}={c['run']}" for c in info["changes"]),
                }
            )
        return rows

    def results_csv(self, room: Room) -> str:
        out = io.StringIO()
        columns = ["student", "run_id", "run", "status", "steps", "test_loss", "test_accuracy", "train_loss"]
        writer = csv.DictWriter(out, fieldnames=[*columns, "changes"], lineterminator="\n")
        writer.writeheader()
        for row in self.results(room):
            # a cell that a spreadsheet would run as a formula starts with a quote instead
            writer.writerow({k: f"'{v}" if isinstance(v, str) and v and v[0] in "=+-@" else v for k, v in row.items()})
        return out.getvalue()

    def export(self, room: Room) -> dict[str, Any]:
        """Everything the room holds, and from now on its data outlives its expiry."""
        if not room.kept:
            room.kept = True
            self._save(room)
        runs = []
        for run in self.runs(room):
            history = self.manager.history(run)
            runs.append({**self.run_row(room, run), "config": run.config.model_dump(mode="json"), **history.series()})
        return {"room": room.info(), "students": [s.info() for s in room.students.values()], "runs": runs}

    async def end(self, room: Room) -> None:
        """Expire the room now: its runs stop; unless it was kept, they are deleted with its students and setup
        (what stays is a tombstone, so that a late student hears that the room has expired)."""
        room.expired = True
        room.expires_at = min(room.expires_at, datetime.now(UTC).isoformat(timespec="seconds"))  # (ended early)
        await self.act(room, "stop")
        if not room.kept:
            for run in self.runs(room):
                await self.manager.delete(run.id, ADMIN)
            self.views.forget(set(self.manager.runs))
            for owner in room.students:
                self.student_room.pop(owner, None)
            room.students, room.config, room.lesson = {}, None, None
        self._save(room)

    async def watch(self) -> None:
        """End the rooms past their expiry, now and then; runs until cancelled."""
        while True:
            now = datetime.now(UTC)
            for room in [r for r in self.rooms.values() if r.due(now)]:
                try:
                    await self.end(room)
                except Exception:  # one room's failure must not keep the others open
                    log.exception("a room could not be ended at its expiry")
            await asyncio.sleep(EXPIRY_CHECK_S)

    # ---- students
    def join(self, room_id: str, name: str, address: str, owner: str | None) -> tuple[Room, Student, str | None]:
        """The student `name` in the room: a new one with a new owner key, or (`owner`: a key the join gave
        before) the same student, renamed, and no new key."""
        room = self.get(room_id)
        taken = next(
            (s for s in room.students.values() if s.name.casefold() == name.casefold() and s.id != owner), None
        )
        if taken is not None:
            raise NameTaken(f"{name!r} is taken in this room; add an initial or a number")
        if owner is not None and owner in room.students:
            student = room.students[owner]
            student.name = name
            self._save(room)
            return room, student, None
        if not self.joins_per_room.allow(room.id):
            limit = self.settings.room_joins_per_minute
            raise JoinLimitReached(
                f"{named(room.id)} has had {limit} joins this minute, its limit (GLASSNET_ROOM_JOINS_PER_MINUTE); "
                "try again in a minute",
                "room",
            )
        if not self.joins_per_address.allow(address):
            limit = self.settings.room_joins_per_address
            raise JoinLimitReached(
                f"{limit} joins this minute from your address is the limit (GLASSNET_ROOM_JOINS_PER_ADDRESS); "
                "try again in a minute",
                "address",
            )
        if len(room.students) >= self.settings.room_max_students:
            raise JoinLimitReached(
                f"{named(room.id)} is full: {self.settings.room_max_students} students is the most a room may have "
                "(GLASSNET_ROOM_MAX_STUDENTS)",
                "students",
            )
        key, owner_id = self.keys.mint()
        student = Student(id=owner_id, name=name, joined_at=now_iso())
        room.students[owner_id] = student
        self.student_room[owner_id] = room.id
        self._save(room)
        return room, student, key


TEACHER_DID = {  # action: (message, message_zh, explanation, explanation_zh)
    "pause": (
        "paused by your teacher",
        "被老师暂停",
        "Your teacher paused the class's runs.",
        "老师暂停了全班的训练。",
    ),
    "resume": (
        "resumed by your teacher",
        "被老师继续",
        "Your teacher resumed the class's runs.",
        "老师继续了全班的训练。",
    ),
    "stop": (
        "stopped by your teacher",
        "被老师停止",
        "Your teacher stopped the class's runs.",
        "老师停止了全班的训练。",
    ),
}


def teacher_did(action: str, step: int) -> Event:
    """The event a student's run gets when the teacher pauses, resumes or stops the class."""
    message, message_zh, explanation, explanation_zh = TEACHER_DID[action]
    return server_event("teacher", step, (message, message_zh), (explanation, explanation_zh))
