"""Figures for the wire: non-finite numbers as null (JSON has no NaN), and dense arrays 8-bit quantized and
base64-encoded instead of thousands of JSON floats."""

import base64
import math
from typing import Any

import numpy as np


def finite_or_none(value: Any) -> float | None:
    """A number for JSON: a non-finite one (or None) is null."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def to_json_value(array: np.ndarray) -> Any:
    """A small array as (nested) lists of floats, non-finite entries as None."""
    if array.ndim == 0:
        return finite_or_none(array)
    return [to_json_value(a) for a in array]


def dense(array: np.ndarray) -> dict:
    """A large array for the wire: {shape, lo, hi, q8}; value = lo + q / 255 * (hi - lo), q in 0..255.

    Non-finite entries are clamped into [lo, hi] (lo, hi come from the finite ones)."""
    finite = array[np.isfinite(array)]
    lo = float(finite.min()) if finite.size else 0.0
    hi = float(finite.max()) if finite.size else 0.0
    span = hi - lo
    scaled = np.zeros(array.shape) if span == 0 else (np.nan_to_num(array, nan=lo, posinf=hi, neginf=lo) - lo) / span
    q = np.clip(np.rint(scaled * 255), 0, 255).astype(np.uint8)
    return {"shape": list(array.shape), "lo": lo, "hi": hi, "q8": base64.b64encode(q.tobytes()).decode()}


def undense(message: dict) -> np.ndarray:
    """The inverse of `dense` (within 1/255 of the range), for tests and the Python client."""
    q = np.frombuffer(base64.b64decode(message["q8"]), dtype=np.uint8).astype(np.float64)
    return (message["lo"] + q / 255 * (message["hi"] - message["lo"])).reshape(message["shape"])
