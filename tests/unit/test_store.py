"""The store: a database written before a column existed gets it when opened."""

import json
import sqlite3

from glassnet.runs.history import History
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


def test_a_history_stored_before_tracks_is_read_back_as_tracks(tmp_path):
    """Runs stored by the earlier version (one bucket list, columns `metric` and `metric/i`) keep their curves."""
    path = tmp_path / "glassnet.db"
    store = Store(path)
    store.save_run({"id": "old", "created_at": "t", "updated_at": "t", "status": "finished", "step": 20, "config": {}})
    store.flush()
    old = {
        "capacity": 1024,
        "points_per_bucket": 1,
        "open_count": 1,
        "buckets": [
            [1, 1, {"train_loss": [0.9, 0.9, 0.9], "grad_norm/0": [0.5, 0.5, 0.5], "grad_norm/1": [0.2, 0.2, 0.2]}],
            [2, 20, {"train_loss": [0.4, 0.8, 0.5], "test_loss": [0.6, 0.6, 0.6], "grad_norm/1": [0.1, 0.3, 0.3]}],
        ],
    }
    with store.lock:
        store.db.execute("CREATE TABLE histories (run_id TEXT PRIMARY KEY, data TEXT NOT NULL)")
        store.db.execute("INSERT INTO histories VALUES ('old', ?)", (json.dumps(old),))
    history = History.replay(store.load_history("old"))
    series = history.series()["series"]
    assert series["train_loss"] == {"step": [1, 20], "min": [0.9, 0.4], "max": [0.9, 0.8], "last": [0.9, 0.5]}
    assert series["test_loss"]["step"] == [20]
    assert series["grad_norm/0"]["last"] == [0.5, None] and series["grad_norm/1"]["last"] == [0.2, 0.3]
    store.close()


def test_a_failed_write_is_rolled_back_and_the_writer_goes_on(tmp_path):
    store = Store(tmp_path / "glassnet.db")
    store.jobs.put(lambda db: db.execute("INSERT INTO nowhere VALUES (1)"))  # fails: no such table
    row = {"id": "a", "created_at": "t", "updated_at": "t", "status": "finished", "step": 3, "config": {}}
    store.save_run(row)
    assert [r["id"] for r in store.load_runs()] == ["a"]  # the write after it landed; flush did not hang
    store.close()


def test_a_run_stored_with_bare_summary_values_reads_back_with_their_step():
    """An earlier version stored {"test_loss": 0.3, ...}; now a figure names its step: the run's last, for those."""
    from glassnet.api.schemas import RunInfo
    from glassnet.config import DEFAULT_CONFIG
    from glassnet.runs.run import STORED, Run

    row = {key: None for key in STORED} | {"id": "old", "created_at": "t", "updated_at": "t", "status": "finished"}
    row |= {"step": 800, "layers": [], "events": [], "lr_changes": [], "lineage": [], "metrics": []}
    row |= {"config": DEFAULT_CONFIG, "summary": {"test_loss": 0.3, "test_acc": None, "time": 2.5}}
    info = RunInfo.model_validate(Run.from_row(row).info())
    assert info.summary["test_loss"].value == 0.3 and info.summary["test_loss"].step == 800
    assert info.summary["test_acc"].value is None
