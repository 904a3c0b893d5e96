"""Collect a frame's tensors on the device, copy them to the host in one go, and encode dense arrays
compactly for the wire (8-bit quantized, base64) instead of as thousands of JSON floats."""

import base64
import math

import numpy as np
import torch


class Pack:
    def __init__(self) -> None:
        self.names: list[str] = []
        self.shapes: list[tuple[int, ...]] = []
        self.parts: list[torch.Tensor] = []

    def add(self, name: str, value: torch.Tensor) -> None:
        self.names.append(name)
        self.shapes.append(tuple(value.shape))
        self.parts.append(value.detach().reshape(-1).float())

    def fetch(self) -> dict[str, np.ndarray]:
        """The one device-to-host copy of a frame."""
        if not self.parts:
            return {}
        flat = torch.cat(self.parts).cpu().numpy()
        out, offset = {}, 0
        for name, shape in zip(self.names, self.shapes, strict=True):
            size = math.prod(shape)
            out[name] = flat[offset : offset + size].reshape(shape)
            offset += size
        return out


def finite_or_none(value: float) -> float | None:
    """JSON has no NaN or infinity; a non-finite figure travels as null."""
    value = float(value)
    return value if math.isfinite(value) else None


def floats(array: np.ndarray) -> list:
    """A small array as (nested) lists of floats, non-finite entries as null."""
    if array.ndim == 0:
        return finite_or_none(array)  # type: ignore[return-value]
    return [floats(a) if a.ndim else finite_or_none(a) for a in array]


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
