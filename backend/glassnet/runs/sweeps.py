"""Sweeps: many runs from one base config and a grid of values (issue 11). Pure logic, no server state.

A grid maps a dotted path into the config's JSON ("seed", "optimizer.lr", "model.hidden", or a whole section
such as "optimizer" with dict values) to the values it takes. The members are every combination, in row-major
order of the axes as given (the last axis varies fastest). `expand` checks the grid the way pydantic checks a
request, so the route answers a bad one with a 422 that names the axis and the value at fault.
"""

import csv
import difflib
import io
import itertools
import json
import math
import re
import types
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from glassnet.config import ExperimentConfig, merge_config
from glassnet.train.metrics import FINAL

# what a reader is told can vary, after any path that cannot
CAN_VARY = "a sweep can vary any other field of the config, e.g. seed, optimizer.lr, optimizer.name, model.hidden"
# paths that exist in the config but that a sweep may not vary, and why
FIXED: dict[str, str] = {
    "device": f"cannot vary: a sweep trains on the server's device; {CAN_VARY}",
    "dataset.upload": f"cannot vary: uploads cannot vary; name the uploaded dataset in the base config; {CAN_VARY}",
}
# the words a sweep's default name gives an axis (else the path's last part, underscores as spaces)
AXIS_WORDS = {"optimizer.lr": "learning rate", "model.hidden": "hidden layers", "optimizer.name": "optimizer"}
MAX_RANGE = 100_000  # values an `a..b` range of parse_grid_arg may expand to: more than any sweep may have


class SweepRequest(BaseModel):
    """What POST /api/sweeps takes: a base config and the grid of values that vary around it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "config": {
                        "dataset": {"name": "circle"},
                        "model": {"hidden": [8, 8], "activation": "tanh"},
                        "optimizer": {"name": "adam", "lr": 0.01},
                        "steps": 500,
                    },
                    "grid": {"seed": [0, 1, 2, 3, 4], "optimizer.lr": [0.1, 0.01, 0.001]},
                }
            ]
        },
    )

    config: ExperimentConfig = Field(description="The base config: every member is this with the grid's values.")
    grid: dict[str, Annotated[list[Any], Field(min_length=1)]] = Field(
        min_length=1,
        description=(
            "Axis path -> the values it takes. A path is dotted into the config's JSON ('seed', 'optimizer.lr', "
            "'model.hidden'; a whole section such as 'optimizer' takes dicts merged into the base's). One member "
            "per combination, in row-major order of the axes as given (the last axis varies fastest)."
        ),
    )
    name: str | None = Field(None, max_length=120, description="A name to tell the sweep by (default: none).")


@dataclass(frozen=True)
class Member:
    """One run of a sweep: its place in the grid, the value of each axis, and its validated config."""

    index: int
    values: dict[str, Any]
    config: ExperimentConfig


def locate(error: dict[str, Any]) -> str:
    """An error's location as a reader writes it: ("grid", "optimizer.lr", 3) -> grid.optimizer.lr[3]."""
    text = ""
    for part in error["loc"]:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


class InvalidSweep(ValueError):
    """A grid that does not make valid members: pydantic-shaped errors located under `grid`."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(f"{locate(e)}: {e['msg']}" for e in errors))
        self.errors = errors


def _error(loc: tuple[Any, ...], msg: str, kind: str) -> dict[str, Any]:
    return {"loc": loc, "msg": msg, "type": kind}


# ---- the config's paths


def _section(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds (also through `X | None`), or None for a leaf (a number, a choice, a list)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (Union, types.UnionType):
        return next((s for arg in get_args(annotation) if (s := _section(arg)) is not None), None)
    return None


def _walk(model: type[BaseModel], prefix: str = "") -> dict[str, bool]:
    out: dict[str, bool] = {}
    for name, field in model.model_fields.items():
        path = prefix + name
        section = _section(field.annotation)
        out[path] = section is not None
        if section is not None:
            out |= _walk(section, path + ".")
    return out


# every dotted path of the config -> whether it is a section (has fields of its own)
CONFIG_PATHS: dict[str, bool] = _walk(ExperimentConfig)


def _suggest(path: str) -> str:
    candidates = [p for p in CONFIG_PATHS if p not in FIXED]
    close = difflib.get_close_matches(path, candidates, n=1, cutoff=0.6)
    if not close:  # "lr" for "optimizer.lr": the name is right, the section is missing
        last = path.rsplit(".", 1)[-1]
        ends = {p.rsplit(".", 1)[-1]: p for p in candidates}
        close = [p for p in candidates if p.rsplit(".", 1)[-1] == last][:3]
        close = close or [ends[n] for n in difflib.get_close_matches(last, list(ends), n=1, cutoff=0.75)]
    return f" (did you mean {' or '.join(close)}?)" if close else ""


def check_path(path: str) -> str | None:
    """Why `path` cannot be a grid axis, or None if it can."""
    if path in FIXED:
        return FIXED[path]
    if path in CONFIG_PATHS:
        return None
    parts = path.split(".")
    for end in range(1, len(parts)):
        head = ".".join(parts[:end])
        if head in CONFIG_PATHS and not CONFIG_PATHS[head]:
            return f"not a field of the config: {head} has no fields; vary {head} itself with whole values"
    return "not a field of the config" + _suggest(path)


def _path_errors(grid: dict[str, list[Any]]) -> list[dict[str, Any]]:
    errors = []
    earlier: list[str] = []
    for path in grid:
        why = check_path(path)
        overlap = next((p for p in earlier if path.startswith(p + ".") or p.startswith(path + ".")), None)
        if why is not None:
            errors.append(_error(("grid", path), why, "sweep_path"))
        elif overlap is not None:
            errors.append(_error(("grid", path), f"overlaps the axis {overlap}; vary one or the other", "sweep_path"))
        else:
            earlier.append(path)
    return errors


def _fields_of(section: str) -> list[str]:
    """The paths of a section's own fields: optimizer -> optimizer.name, optimizer.lr, ..."""
    depth = section.count(".") + 1
    return [p for p in CONFIG_PATHS if p.startswith(section + ".") and p.count(".") == depth]


def _section_error(path: str, values: list[Any]) -> dict[str, Any] | None:
    """A section (optimizer, model) given values that are not whole sections (`--grid optimizer=sgd,adam`): one error
    that says to vary one of its fields, naming them (its `name` first where the values are words)."""
    if not CONFIG_PATHS.get(path) or all(isinstance(v, dict) for v in values):
        return None
    fields = [p for p in _fields_of(path) if p not in FIXED]
    named = f"{path}.name"
    hint = ""
    if named in fields and all(isinstance(v, str) for v in values):
        hint = f" (did you mean {named}={','.join(values)}?)"
    shown = ", ".join(fields[:6]) + (", ..." if len(fields) > 6 else "")
    msg = (
        f"{path} is a group of settings, not one value{hint}: vary one of its fields ({shown}), "
        "or give each value as a JSON object of its fields"
    )
    return _error(("grid", path), msg, "sweep_path")


def _value_errors(path: str, values: list[Any]) -> list[dict[str, Any]]:
    """Values that repeat an earlier one, and section values that set a path that cannot vary."""
    errors = []
    seen: dict[str, int] = {}
    for i, value in enumerate(values):
        key = json.dumps(value, sort_keys=True, default=str)
        if key in seen:
            msg = f"the same value as [{seen[key]}] ({key}): two members would train the same run"
            errors.append(_error(("grid", path, i), msg, "sweep_repeat"))
        seen.setdefault(key, i)
        if isinstance(value, dict):
            for fixed, why in FIXED.items():
                inner = fixed.removeprefix(path + ".")
                if inner != fixed and inner in value:
                    errors.append(_error(("grid", path, i), f"{fixed}: {why}", "sweep_path"))
    return errors


# ---- members


def _combine(values: dict[str, Any]) -> dict[str, Any]:
    """The changes the axes' values make together. Axes never overlap, so plain setting suffices (merge_config
    would drop a choice's parameters set by an earlier axis when a later one sets the choice)."""
    changes: dict[str, Any] = {}
    for path, value in values.items():
        *sections, last = path.split(".")
        node = changes
        for part in sections:
            node = node.setdefault(part, {})
        node[last] = value
    return changes


def _where(error: dict[str, Any]) -> tuple[tuple[str, ...], str]:
    """Where in the config a pydantic error is, and its message. A section's or the config's own check names the
    field it is about first ("kernel_size: must be odd"): the error is then that field's."""
    loc = tuple(map(str, error["loc"]))
    msg = str(error["msg"]).removeprefix("Value error, ")
    named = re.match(r"([\w.]+): ", msg)
    if named and ".".join((*loc, named[1])) in CONFIG_PATHS:
        return (*loc, *named[1].split(".")), msg[named.end() :]
    return loc, msg


def _problem(loc: tuple[str, ...], msg: str, axis: tuple[str, ...]) -> str:
    """The message, with the config's location where it is not the axis itself (an item of a list value)."""
    return msg if loc in (axis, ()) else f"{'.'.join(loc)}: {msg}"


def _size_error(grid: dict[str, list[Any]], max_members: int) -> dict[str, Any] | None:
    sizes = [len(values) for values in grid.values()]
    total = math.prod(sizes)
    if total <= max_members:
        return None
    product = " × ".join(map(str, sizes)) + " = " if len(sizes) > 1 else ""
    msg = f"{product}{total} members, over the limit of {max_members} (GLASSNET_MAX_SWEEP)"
    return _error(("grid",), msg, "sweep_too_large")


def _blame(error: dict[str, Any], values: dict[str, Any], choice: dict[str, int]) -> dict[str, Any]:
    """A member's config error, located at the axis value that caused it: the axis the error is inside of, or
    the one axis below a failed section check; else a clash of the values below it, located at `grid`."""
    loc, msg = _where(error)
    split = {path: tuple(path.split(".")) for path in values}
    inside = [p for p, parts in split.items() if loc[: len(parts)] == parts]
    below = inside or [p for p, parts in split.items() if parts[: len(loc)] == loc]
    if len(below) == 1:
        path = below[0]
        return _error(("grid", path, choice[path]), _problem(loc, msg, split[path]), error["type"])
    shown = ", ".join(f"{p}={json.dumps(values[p])}" for p in below)
    return _error(("grid",), f"{shown} do not go together: {_problem(loc, msg, ())}", error["type"])


def expand(request: SweepRequest, max_members: int) -> list[Member]:
    """The sweep's members, in row-major order of the grid's axes; InvalidSweep if a path cannot vary, the grid
    has more than `max_members` members (checked before any is built), or a member's config is not valid."""
    grid = request.grid
    size = _size_error(grid, max_members)
    errors = ([] if size is None else [size]) + _path_errors(grid)
    if size is None:  # the values are read only once there are few enough of them
        sections = [s for path, values in grid.items() if (s := _section_error(path, values)) is not None]
        shown = {e["loc"][1] for e in errors + sections}  # (an axis already refused is not refused again per value)
        errors += sections
        errors += [e for path, values in grid.items() if path not in shown for e in _value_errors(path, values)]
    if errors:
        raise InvalidSweep(errors)

    base = request.config.model_dump(mode="json")
    members = []
    problems: dict[tuple[Any, ...], dict[str, Any]] = {}  # each once, however many members share it
    for index, indices in enumerate(itertools.product(*(range(len(v)) for v in grid.values()))):
        choice = dict(zip(grid, indices, strict=True))
        values = {path: grid[path][i] for path, i in choice.items()}
        try:
            config = ExperimentConfig.model_validate(merge_config(base, _combine(values)))
        except ValidationError as exc:
            for e in exc.errors(include_url=False):
                problem = _blame(dict(e), values, choice)
                problems.setdefault((*problem["loc"], problem["msg"]), problem)
            continue
        members.append(Member(index, values, config))
    if problems:
        raise InvalidSweep(list(problems.values()))
    return members


# ---- names


def _axis_words(path: str) -> str:
    return AXIS_WORDS.get(path) or path.rsplit(".", 1)[-1].replace("_", " ")


def default_name(request: SweepRequest) -> str:
    """What a sweep varies, in words, and on what data: "learning rate × hidden layers × 5 seeds · circle"."""
    grid = request.grid
    parts = [_axis_words(path) for path in grid if path != "seed"]
    if "seed" in grid:
        parts.append(f"{len(grid['seed'])} seed{'s' if len(grid['seed']) != 1 else ''}")
    return f"{' × '.join(parts)} · {request.config.dataset.name}"


def distinct_name(name: str, taken: set[str | None]) -> str:
    """`name`, or `name #2`, `#3`, ... : the first that no other sweep of the owner's has."""
    if name not in taken:
        return name
    n = 2
    while f"{name} #{n}" in taken:
        n += 1
    return f"{name} #{n}"


# ---- results


def _cell(value: Any) -> Any:
    """An axis value as a table cell: numbers and text as they are, anything else as JSON ("[8, 8]", "true")."""
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        return value
    return json.dumps(value)


def summary_rows(members: list[dict[str, Any]], as_text: bool = True) -> list[dict[str, Any]]:
    """A flat row per member (as the server describes them): index, run_id, one column per axis (a list as JSON
    text with `as_text`, for CSV), status, step, and the value of each final figure (None where not measured)."""
    axes: dict[str, None] = {}
    for member in members:
        axes |= dict.fromkeys(member["values"])
    rows = []
    for member in members:
        row: dict[str, Any] = {"index": member["index"], "run_id": member.get("run_id")}
        cell = _cell if as_text else (lambda value: value)
        row |= {axis: cell(member["values"][axis]) if axis in member["values"] else None for axis in axes}
        row |= {"status": member["status"], "step": member.get("step")}
        summary = member.get("summary") or {}
        row |= {name: (summary.get(name) or {}).get("value") for name in FINAL}
        rows.append(row)
    return rows


def to_csv(rows: list[dict[str, Any]]) -> str:
    """The rows as CSV with a header row; a missing value is an empty cell."""
    if not rows:
        return ""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


# ---- the command line's --grid


def _split_top_level(text: str) -> list[str]:
    """`text` split at the commas outside brackets, braces and quotes: "[8,8],[16]" -> ["[8,8]", "[16]"]."""
    parts, depth, quoted, start = [], 0, False, 0
    for i, c in enumerate(text):
        if quoted:
            quoted = c != '"' or text[i - 1] == "\\"
        elif c == '"':
            quoted = True
        elif c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    return [*parts, text[start:]]


def _reject_constant(name: str) -> Any:
    raise ValueError(name)  # NaN and Infinity are not JSON: read them as text, which the config then refuses


def _parse_value(piece: str, argument: str) -> Any:
    try:
        return json.loads(piece, parse_constant=_reject_constant)
    except ValueError as exc:
        if piece[:1] in '[{"':
            raise ValueError(f"--grid {argument}: {piece} is not valid JSON ({exc})") from None
        return piece


def parse_grid_arg(text: str) -> tuple[str, list[Any]]:
    """One --grid argument as (path, values): `optimizer.lr=0.1,0.03`, `seed=0..4` (integers, both ends
    included), `model.hidden=[8,8];[8,8,8,8]` (`;` separates values that hold commas; commas inside brackets
    also work). A value is JSON where it parses as JSON, else text (`model.activation=relu,tanh`)."""
    path, sep, spec = text.partition("=")
    path, spec = path.strip(), spec.strip()
    if not sep or not path:
        raise ValueError(f"--grid {text}: expected PATH=VALUES, e.g. optimizer.lr=0.1,0.01 or seed=0..4")
    if not spec:
        raise ValueError(f"--grid {text}: no values after '='")
    if span := re.fullmatch(r"(-?\d+)\.\.(-?\d+)", spec):
        first, last = int(span[1]), int(span[2])
        if last < first:
            raise ValueError(f"--grid {text}: the range {spec} is empty ({last} < {first})")
        if last - first + 1 > MAX_RANGE:
            raise ValueError(f"--grid {text}: the range {spec} has more than {MAX_RANGE} values")
        return path, list(range(first, last + 1))
    pieces = spec.split(";") if ";" in spec else _split_top_level(spec)
    values = []
    for n, piece in enumerate(pieces, start=1):
        if not piece.strip():
            raise ValueError(f"--grid {text}: value {n} is empty")
        values.append(_parse_value(piece.strip(), text))
    return path, values


# ---- a sweep as the server keeps it


@dataclass
class Sweep:
    """A sweep: its request, its members' runs (by grid index) and the value of each axis for each."""

    id: str
    created_at: str
    owner: str | None
    name: str | None
    request: dict[str, Any]  # the SweepRequest as JSON
    members: list[dict[str, Any]]  # [{"run_id", "values"}], in grid order
    stopped: bool = False

    def row(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created_at": self.created_at,
            "owner": self.owner,
            "name": self.name,
            "request": self.request,
            "members": self.members,
            "stopped": int(self.stopped),
        }

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "Sweep":
        return cls(**{**row, "stopped": bool(row["stopped"])})
