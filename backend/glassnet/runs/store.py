"""SQLite persistence (WAL): every run's row (config, status, timestamps, layers, events, summary, its newest
detail frame) and its history, written by one writer thread so the event loop never waits on the disk.

A history is stored incrementally (runs/history.py): the segments of closed buckets are appended, never
rewritten, and each track's open bucket is one row replaced on every flush; replaying them rebuilds the
history. The server flushes a training run every HISTORY_FLUSH seconds and when its status changes, so a
finished run survives any restart. Reads first wait for the writes queued before them.
"""

import json
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from glassnet.runs.history import Segment

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id          TEXT PRIMARY KEY,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    status      TEXT NOT NULL,
    step        INTEGER NOT NULL,
    config      TEXT NOT NULL,
    device      TEXT,
    error       TEXT,
    parent      TEXT,
    layers      TEXT NOT NULL DEFAULT '[]',
    data        TEXT NOT NULL DEFAULT 'null',
    events      TEXT NOT NULL DEFAULT '[]',
    lr_changes  TEXT NOT NULL DEFAULT '[]',
    lineage     TEXT NOT NULL DEFAULT '[]',
    summary     TEXT NOT NULL DEFAULT '{}',
    metrics     TEXT NOT NULL DEFAULT '[]',
    latest      TEXT,
    owner       TEXT,
    name        TEXT,
    lease       INTEGER NOT NULL DEFAULT 0,
    idle        TEXT NOT NULL DEFAULT 'null'
);
CREATE INDEX IF NOT EXISTS runs_by_status ON runs (status, created_at);
CREATE TABLE IF NOT EXISTS sweeps (
    id          TEXT PRIMARY KEY,
    created_at  TEXT NOT NULL,
    owner       TEXT,
    name        TEXT,
    request     TEXT NOT NULL,
    members     TEXT NOT NULL,
    stopped     INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS rooms (
    id            TEXT PRIMARY KEY,
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    title         TEXT NOT NULL,
    teacher_hash  TEXT NOT NULL,
    config        TEXT NOT NULL DEFAULT 'null',
    lesson        TEXT,
    setup_version INTEGER NOT NULL DEFAULT 0,
    kept          INTEGER NOT NULL DEFAULT 0,
    expired       INTEGER NOT NULL DEFAULT 0,
    students      TEXT NOT NULL DEFAULT '[]',
    setups        TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS segments (
    run_id  TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq     INTEGER NOT NULL,
    track   TEXT NOT NULL,
    shape   TEXT NOT NULL,
    first   INTEGER NOT NULL,
    last    INTEGER NOT NULL,
    count   INTEGER NOT NULL,
    low     BLOB NOT NULL,
    high    BLOB NOT NULL,
    final   BLOB NOT NULL,
    PRIMARY KEY (run_id, seq)
);
CREATE TABLE IF NOT EXISTS open_segments (
    run_id  TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    track   TEXT NOT NULL,
    shape   TEXT NOT NULL,
    first   INTEGER NOT NULL,
    last    INTEGER NOT NULL,
    count   INTEGER NOT NULL,
    low     BLOB NOT NULL,
    high    BLOB NOT NULL,
    final   BLOB NOT NULL,
    PRIMARY KEY (run_id, track)
);
"""
JSON_COLUMNS = ("config", "layers", "data", "events", "lr_changes", "lineage", "summary", "metrics", "idle")
SWEEP_JSON = ("request", "members")
ROOM_JSON = ("config", "students", "setups")
# columns added since the first schema: a store written before them gets them on open
ADDED_COLUMNS = {
    "data": "TEXT NOT NULL DEFAULT 'null'",
    "metrics": "TEXT NOT NULL DEFAULT '[]'",
    "latest": "TEXT",
    "owner": "TEXT",  # runs stored before owners existed have none
    "name": "TEXT",
    "lease": "INTEGER NOT NULL DEFAULT 0",
    "idle": "TEXT NOT NULL DEFAULT 'null'",
    "sweep": "TEXT",  # the sweep it is a member of
    "alone": "TEXT",  # why it trains alone, not in a cohort
}
SEGMENT_COLUMNS = "track, shape, first, last, count, low, high, final"

Row = tuple[str, str, int, int, int, bytes, bytes, bytes]
log = logging.getLogger("glassnet")


def segment_row(segment: Segment) -> Row:
    """A segment as a row (a copy: the history goes on changing its open segment)."""
    return (
        segment.track,
        json.dumps(list(segment.low.shape)),
        segment.first,
        segment.last,
        segment.count,
        segment.low.astype(np.float64).tobytes(),
        segment.high.astype(np.float64).tobytes(),
        segment.final.astype(np.float64).tobytes(),
    )


def _segment(row: sqlite3.Row) -> Segment:
    shape = tuple(json.loads(row["shape"]))

    def array(blob: bytes) -> np.ndarray:
        return np.frombuffer(blob, dtype=np.float64).reshape(shape).copy()

    return Segment(
        row["track"],
        row["first"],
        row["last"],
        row["count"],
        array(row["low"]),
        array(row["high"]),
        array(row["final"]),
    )


def legacy_segments(data: dict[str, Any]) -> list[Segment]:
    """A history stored before tracks (one bucket list for every series, named `metric` or `metric/i`) as
    segments, so runs stored by an earlier version keep their curves. Each old bucket becomes one segment."""
    segments = []
    for first, last, values in data["buckets"]:
        grouped: dict[str, dict[int, list[float]]] = {}
        for column, cell in values.items():
            name, _, index = column.partition("/")
            grouped.setdefault(name, {})[int(index) if index else -1] = cell
        for name, cells in grouped.items():
            if -1 in cells:
                low, high, final = (np.asarray(v, dtype=np.float64) for v in cells[-1])
            else:
                width = max(cells) + 1
                arrays = np.full((3, width), np.nan)
                for i, cell in cells.items():
                    arrays[:, i] = cell
                low, high, final = arrays
            segments.append(Segment(name, first, last, 1, low, high, final))
    return segments


class Store:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.lock = threading.Lock()
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(SCHEMA)
        present = {row["name"] for row in self.db.execute("PRAGMA table_info(runs)")}
        for name, definition in ADDED_COLUMNS.items():
            if name not in present:
                self.db.execute(f"ALTER TABLE runs ADD COLUMN {name} {definition}")
        self.jobs: queue.Queue[Callable[[sqlite3.Connection], object] | None] = queue.Queue()
        self.writer = threading.Thread(target=self._write, name="glassnet-store", daemon=True)
        self.writer.start()

    # ---- the writer thread
    def _write(self) -> None:
        while True:
            job = self.jobs.get()
            try:
                if job is None:
                    return
                with self.lock:
                    self.db.execute("BEGIN")
                    try:
                        job(self.db)
                        self.db.execute("COMMIT")
                    except Exception:  # one failed write must not stop the writer: the next ones still land
                        self.db.execute("ROLLBACK")
                        log.exception("a write to the store failed and was rolled back")
            finally:
                self.jobs.task_done()

    def flush(self) -> None:
        """Wait until every write queued so far is on disk."""
        self.jobs.join()

    def close(self) -> None:
        self.jobs.put(None)
        self.writer.join(timeout=30)
        with self.lock:
            self.db.close()

    # ---- writes (queued)
    def save_run(self, row: dict[str, Any]) -> None:
        self._upsert("runs", row, JSON_COLUMNS)

    def append_history(self, run_id: str, closed: list[Row], open_parts: list[Row]) -> None:
        """Append the segments of closed buckets and replace the open ones (rows from `segment_row`)."""

        def write(db: sqlite3.Connection) -> None:
            (start,) = db.execute(
                "SELECT COALESCE(MAX(seq) + 1, 0) FROM segments WHERE run_id = ?", (run_id,)
            ).fetchone()
            db.executemany(
                f"INSERT INTO segments (run_id, seq, {SEGMENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(run_id, start + i, *row) for i, row in enumerate(closed)],
            )
            db.execute("DELETE FROM open_segments WHERE run_id = ?", (run_id,))
            db.executemany(
                f"INSERT INTO open_segments (run_id, {SEGMENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(run_id, *row) for row in open_parts],
            )

        self.jobs.put(write)

    def _upsert(self, table: str, row: dict[str, Any], json_columns: tuple[str, ...]) -> None:
        """Insert the row, or update the one with its id."""
        values = {k: json.dumps(v) if k in json_columns else v for k, v in row.items()}
        columns, marks = ", ".join(values), ", ".join(f":{k}" for k in values)
        updates = ", ".join(f"{k} = excluded.{k}" for k in values if k != "id")
        sql = f"INSERT INTO {table} ({columns}) VALUES ({marks}) ON CONFLICT (id) DO UPDATE SET {updates}"
        self.jobs.put(lambda db: db.execute(sql, values))

    def _load(self, table: str, json_columns: tuple[str, ...]) -> list[dict[str, Any]]:
        self.flush()
        with self.lock:
            rows = self.db.execute(f"SELECT * FROM {table} ORDER BY created_at").fetchall()
        return [{k: json.loads(v) if k in json_columns else v for k, v in dict(row).items()} for row in rows]

    def save_sweep(self, row: dict[str, Any]) -> None:
        self._upsert("sweeps", row, SWEEP_JSON)

    def save_room(self, row: dict[str, Any]) -> None:
        self._upsert("rooms", row, ROOM_JSON)

    def delete_room(self, room_id: str) -> None:
        self.jobs.put(lambda db: db.execute("DELETE FROM rooms WHERE id = ?", (room_id,)))

    def load_rooms(self) -> list[dict[str, Any]]:
        return self._load("rooms", ROOM_JSON)

    def load_sweeps(self) -> list[dict[str, Any]]:
        return self._load("sweeps", SWEEP_JSON)

    def delete(self, run_id: str) -> None:
        self.jobs.put(lambda db: db.execute("DELETE FROM runs WHERE id = ?", (run_id,)))

    # ---- reads (after the writes queued before them)
    def load_runs(self) -> list[dict[str, Any]]:
        return self._load("runs", JSON_COLUMNS)

    def load_history(self, run_id: str) -> list[Segment]:
        """The run's stored segments, in the order that rebuilds its history."""
        self.flush()
        with self.lock:
            closed = self.db.execute(
                f"SELECT {SEGMENT_COLUMNS} FROM segments WHERE run_id = ? ORDER BY seq", (run_id,)
            ).fetchall()
            open_parts = self.db.execute(
                f"SELECT {SEGMENT_COLUMNS} FROM open_segments WHERE run_id = ?", (run_id,)
            ).fetchall()
            legacy = None
            if not closed and not open_parts and self._has_table("histories"):
                legacy = self.db.execute("SELECT data FROM histories WHERE run_id = ?", (run_id,)).fetchone()
        if legacy is not None:
            return legacy_segments(json.loads(legacy["data"]))
        return [_segment(row) for row in [*closed, *open_parts]]

    def _has_table(self, name: str) -> bool:
        query = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
        return self.db.execute(query, (name,)).fetchone() is not None

    def mark_interrupted(self, active: frozenset[str]) -> int:
        """Runs that were active when the server stopped: their worker died with it."""
        marks = ", ".join("?" for _ in active)
        with self.lock:
            cursor = self.db.execute(
                f"UPDATE runs SET status = 'interrupted', error = 'the server stopped while the run was active' "
                f"WHERE status IN ({marks})",
                tuple(active),
            )
        return cursor.rowcount

    def integrity(self) -> str:
        self.flush()
        with self.lock:
            return self.db.execute("PRAGMA integrity_check").fetchone()[0]
