"""Uploaded datasets: a CSV with a header row, numeric feature columns and one target column.

The target is the column named by the upload (default: the last). Integer targets with at most
MAX_CLASSES distinct values make a classification task (binary for two classes), anything else a
regression. Two feature columns make a "plane" dataset (the UI draws its decision boundary, the 2-D
features apply); more make a "table". Files are checked whole before anything is stored.

Columns are separated by commas, or by semicolons, tabs or vertical bars when the header is split by that one
delimiter alone (as spreadsheets export in locales with a decimal comma); a file whose delimiter is ambiguous or
missing is refused with the delimiters found, and every refusal of a file read with another delimiter names it.
"""

import csv
import io
import json
import math
import uuid
from pathlib import Path
from typing import Any

import numpy as np

MIN_ROWS, MAX_ROWS = 20, 20_000
MAX_FEATURES = 64
MAX_CLASSES = 20
_uploads_dir: Path | None = None


class BadUpload(ValueError):
    """A CSV that cannot be a dataset; the message says where and why."""


def set_uploads_dir(path: Path) -> None:
    """Where uploads are kept (the server's data dir); set by the server, its workers and the CLI."""
    global _uploads_dir
    _uploads_dir = path


def uploads_dir() -> Path:
    if _uploads_dir is None:
        raise BadUpload("no uploads directory is set")
    return _uploads_dir


DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "vertical bar"}


def _named(delimiter: str) -> str:
    return f"{DELIMITERS[delimiter]} ({delimiter!r})"


def _rows(text: str, delimiter: str) -> list[list[str]]:
    rows = csv.reader(io.StringIO(text), delimiter=delimiter)
    return [r for r in rows if any(cell.strip() for cell in r)]


def find_delimiter(text: str) -> str:
    """The delimiter that splits the header into columns: the only one that does, or the only one of those that
    splits every row into as many columns as the header. A header no delimiter splits reads as one column (the
    error then says no delimiter was found); two that fit equally well are refused, naming both."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    splits = [d for d in DELIMITERS if len(next(csv.reader([first], delimiter=d), [])) >= 2]
    if len(splits) <= 1:
        return splits[0] if splits else ","
    consistent = [d for d in splits if len({len(r) for r in _rows(text, d)}) == 1]
    if len(consistent) == 1:
        return consistent[0]
    found = " and ".join(_named(d) for d in (consistent or splits))
    raise BadUpload(f"header: the columns could be separated by {found}; use one delimiter (commas) for the file")


def parse(text: str, target: str | None = None) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    delimiter = find_delimiter(text)
    try:
        x, y, info = _parse(_rows(text, delimiter), target, delimiter)
    except BadUpload as exc:
        if delimiter == ",":
            raise
        raise BadUpload(f"{exc} (columns read as separated by {_named(delimiter)})") from None
    return x, y, {**info, "delimiter": delimiter}


def _parse(rows: list[list[str]], target: str | None, delimiter: str) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    if len(rows) < 2:
        raise BadUpload("file: needs a header row and data rows")
    header = [h.strip() for h in rows[0]]
    if len(set(header)) != len(header) or any(not h for h in header):
        raise BadUpload("header: every column needs a name, and names must differ")
    if len(header) < 2:
        raise BadUpload(
            "header: needs at least one feature column and a target column; no column delimiter was found in "
            f"'{rows[0][0][:40]}' (separate the columns with commas; {', '.join(_named(d) for d in DELIMITERS)} "
            "are read)"
        )
    if len(header) - 1 > MAX_FEATURES:
        raise BadUpload(f"header: {len(header) - 1} feature columns is over the limit of {MAX_FEATURES}")
    data = rows[1:]
    if not MIN_ROWS <= len(data) <= MAX_ROWS:
        raise BadUpload(f"rows: {len(data)} data rows; a dataset needs {MIN_ROWS} to {MAX_ROWS}")
    target = target or header[-1]
    if target not in header:
        raise BadUpload(f"target: no column named '{target}'; the columns are {', '.join(header)}")
    values = np.empty((len(data), len(header)))
    for i, row in enumerate(data, start=2):
        if len(row) != len(header):
            raise BadUpload(f"line {i}: {len(row)} values where the header has {len(header)}")
        for j, cell in enumerate(row):
            try:
                values[i - 2, j] = float(cell)
            except ValueError:
                decimal_comma = delimiter != "," and "," in cell
                hint = "; write decimals with a point (0.5, not 0,5)" if decimal_comma else ""
                raise BadUpload(
                    f"line {i}, column '{header[j]}': '{cell.strip()[:20]}' is not a number{hint}"
                ) from None
            if not math.isfinite(values[i - 2, j]):
                raise BadUpload(f"line {i}, column '{header[j]}': {cell.strip()} is not a finite number")
    t = header.index(target)
    features = [h for j, h in enumerate(header) if j != t]
    x = np.delete(values, t, axis=1).astype(np.float32)
    y_raw = values[:, t]
    classes = np.unique(y_raw)
    if np.all(y_raw == np.round(y_raw)) and len(classes) <= MAX_CLASSES:
        if len(classes) < 2:
            raise BadUpload(f"target: '{target}' has a single value; a dataset needs at least two classes")
        task = "binary" if len(classes) == 2 else "multiclass"
        y = np.searchsorted(classes, y_raw).astype(np.int64)  # class ids 0..k-1 in sorted order
        labels = [float(c) for c in classes]
    else:
        task, y, labels = "regression", y_raw.astype(np.float32), []
    meta = {
        "features": features,
        "target": target,
        "task": task,
        "classes": labels,
        "input": "plane" if len(features) == 2 else "table",
        "rows": len(data),
    }
    return x, y, meta


def store(text: str, name: str, target: str | None, owner: str | None = None) -> dict[str, Any]:
    x, y, meta = parse(text, target)
    dataset_id = uuid.uuid4().hex[:12]
    folder = uploads_dir()
    folder.mkdir(parents=True, exist_ok=True)
    meta = {"id": dataset_id, "name": name, "owner": owner, **meta}
    np.savez(folder / f"{dataset_id}.npz", x=x, y=y)
    (folder / f"{dataset_id}.json").write_text(json.dumps(meta))
    return meta


def meta(dataset_id: str) -> dict[str, Any]:
    path = uploads_dir() / f"{dataset_id}.json"
    if not path.is_file():
        raise BadUpload(f"dataset.upload: no uploaded dataset has the id '{dataset_id}'")
    return json.loads(path.read_text())


def load(dataset_id: str) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    info = meta(dataset_id)
    with np.load(uploads_dir() / f"{dataset_id}.npz") as arrays:
        return arrays["x"], arrays["y"], info


def listing(owner: str | None, everyone: bool = False) -> list[dict[str, Any]]:
    """The uploads of `owner` (all of them for `everyone`), oldest first. Anyone may train on an upload whose
    id they have; the list shows each owner their own."""
    folder = uploads_dir()
    if not folder.is_dir():
        return []
    files = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime)
    return [m for m in (json.loads(p.read_text()) for p in files) if everyone or m.get("owner") == owner]
