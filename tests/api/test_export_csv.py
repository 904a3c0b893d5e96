"""The CSV export against the real app: columns named as docs/protocol.md writes them, each figure only at the steps
it was measured."""

import csv
import io
import itertools
import re
from pathlib import Path

import numpy as np

from glassnet.runs.export import column_title, metrics_csv
from glassnet.runs.history import History
from tests.api.test_runs import wait_for_status

PROTOCOL = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def documented_patterns() -> list[re.Pattern[str]]:
    """The CSV's column names as the protocol's table gives them (`<metric>.<layer>` ...), as regular expressions."""
    text = PROTOCOL.read_text()
    table = text[text.index("### The CSV export") :].split("\n\n")[2]
    names: list[str] = []
    for row in table.splitlines()[2:]:
        names += re.findall(r"`([^`]+)`", row.split("|")[1])
    patterns, previous = [], ""
    for name in names:
        if name.startswith("."):  # `.high`: the previous column with this ending
            name = previous.rsplit(".", 1)[0] + name
        previous = name
        pattern = re.escape(name)
        for part, regex in (("<metric>", "[a-z_]+"), ("<layer>", "[a-z0-9_]+"), ("<q>", "[0-9]+"), ("<i>", "[0-9]+")):
            pattern = pattern.replace(re.escape(part), regex)
        patterns.append(re.compile(pattern))
    return patterns


def test_the_csv_names_columns_as_documented_and_writes_test_figures_only_where_measured(client, small_config):
    run_id = client.post("/api/runs", json=small_config).json()["id"]
    wait_for_status(client, run_id, "finished", timeout=60)
    text = client.get(f"/api/runs/{run_id}/export", params={"format": "csv"}).text
    rows = list(csv.DictReader(io.StringIO(text)))
    header = list(rows[0])

    # every column is one the protocol documents; layer columns carry the layer's name, not an index
    assert header[0] == "step"
    patterns = documented_patterns()
    undocumented = [c for c in header[1:] if not any(p.fullmatch(c) for p in patterns)]
    assert undocumented == []
    assert not any("/" in c for c in header)
    for name in ("grad_norm.hidden_1", "grad_norm.output", "percentiles.hidden_2.p50", "hist_range.output.high"):
        assert name in header

    # the test loss only at the steps it was measured (as /metrics has them), empty at every other row
    measured = client.get(f"/api/runs/{run_id}/metrics", params={"series": "test_loss"}).json()
    test_steps = measured["series"]["test_loss"]["step"]
    with_test = [int(r["step"]) for r in rows if r["test_loss"] != ""]
    assert with_test == test_steps
    assert 2 <= len(with_test) < len(rows)  # fewer evaluations than frames
    for column in ("test_loss", "test_acc", "train_acc", "act_mean.hidden_1"):
        assert [int(r["step"]) for r in rows if r[column] != ""] == test_steps, column
    values = [float(r["test_loss"]) for r in rows if r["test_loss"] != ""]
    assert all(a != b for a, b in itertools.pairwise(values))  # each a new evaluation, none repeated
    # the train loss on every frame
    assert sum(r["train_loss"] != "" for r in rows) > len(with_test)


def test_column_titles_for_time_steps_and_unknown_layers():
    history = History()
    history.add(1, {"grad_time": np.array([0.1, 0.2, 0.3]), "percentiles": np.zeros((1, 9))})
    header = metrics_csv(history, ["GRU 1"]).splitlines()[0].split(",")
    assert header[:4] == ["step", "grad_time.t1", "grad_time.t2", "grad_time.t3"]
    assert header[4] == "percentiles.gru_1.p0" and header[-1] == "percentiles.gru_1.p100"
    assert column_title("grad_norm/3", ["hidden 1"]) == "grad_norm.layer_4"  # no name known: counted from 1
