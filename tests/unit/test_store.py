"""The store: a database written before a column existed gets it when opened."""

import sqlite3

from glassnet.runs.store import Store

OLD_SCHEMA = """CREATE TABLE runs (id TEXT PRIMARY KEY, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
status TEXT NOT NULL, step INTEGER NOT NULL, config TEXT NOT NULL, device TEXT, error TEXT, parent TEXT,
layers TEXT NOT NULL DEFAULT '[]', events TEXT NOT NULL DEFAULT '[]', lr_changes TEXT NOT NULL DEFAULT '[]',
lineage TEXT NOT NULL DEFAULT '[]', summary TEXT NOT NULL DEFAULT '{}')"""


def test_an_older_store_gets_the_data_column(tmp_path):
    path = tmp_path / "glassnet.db"
    with sqlite3.connect(path) as db:
        db.execute(OLD_SCHEMA)
        columns = "id, created_at, updated_at, status, step, config"
        db.execute(f"INSERT INTO runs ({columns}) VALUES ('a', 't', 't', 'finished', 3, '{{}}')")
    store = Store(path)
    assert store.load_runs()[0]["data"] is None  # a run stored before: no data description
    row = {**store.load_runs()[0], "id": "b", "data": {"input": "plane"}}
    store.save_run(row)
    assert {r["id"]: r["data"] for r in store.load_runs()} == {"a": None, "b": {"input": "plane"}}
    store.close()
