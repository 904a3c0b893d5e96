"""SQLite persistence (WAL): every run's row (config, status, timestamps, layers, events, summary) and its
decimated metric history. The server writes a run when its status changes and its history every
HISTORY_FLUSH seconds while it trains and once when it ends, so a finished run survives any restart.
"""

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

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
    summary     TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS runs_by_status ON runs (status, created_at);
CREATE TABLE IF NOT EXISTS histories (
    run_id  TEXT PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
    data    TEXT NOT NULL
);
"""
JSON_COLUMNS = ("config", "layers", "data", "events", "lr_changes", "lineage", "summary")
# columns added since the first schema: a store written before them gets them on open
ADDED_COLUMNS = {"data": "TEXT NOT NULL DEFAULT 'null'"}


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

    def close(self) -> None:
        with self.lock:
            self.db.close()

    def save_run(self, row: dict[str, Any]) -> None:
        values = {k: json.dumps(v) if k in JSON_COLUMNS else v for k, v in row.items()}
        columns = ", ".join(values)
        marks = ", ".join(f":{k}" for k in values)
        updates = ", ".join(f"{k} = excluded.{k}" for k in values if k != "id")
        with self.lock:
            self.db.execute(
                f"INSERT INTO runs ({columns}) VALUES ({marks}) ON CONFLICT (id) DO UPDATE SET {updates}", values
            )

    def save_history(self, run_id: str, history: dict[str, Any]) -> None:
        with self.lock:
            self.db.execute(
                "INSERT INTO histories (run_id, data) VALUES (?, ?) "
                "ON CONFLICT (run_id) DO UPDATE SET data = excluded.data",
                (run_id, json.dumps(history, separators=(",", ":"))),
            )

    def load_runs(self) -> list[dict[str, Any]]:
        with self.lock:
            rows = self.db.execute("SELECT * FROM runs ORDER BY created_at").fetchall()
        return [{k: json.loads(v) if k in JSON_COLUMNS else v for k, v in dict(row).items()} for row in rows]

    def load_history(self, run_id: str) -> dict[str, Any] | None:
        with self.lock:
            row = self.db.execute("SELECT data FROM histories WHERE run_id = ?", (run_id,)).fetchone()
        return None if row is None else json.loads(row["data"])

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

    def delete(self, run_id: str) -> None:
        with self.lock:
            self.db.execute("DELETE FROM runs WHERE id = ?", (run_id,))

    def integrity(self) -> str:
        with self.lock:
            return self.db.execute("PRAGMA integrity_check").fetchone()[0]
