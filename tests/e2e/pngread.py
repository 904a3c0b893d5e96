"""Read a PNG into an RGBA array with zlib and numpy (no image library): enough for what a browser's canvas writes
(8-bit RGBA or RGB, not interlaced)."""

import struct
import zlib
from pathlib import Path

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def _unfilter(kind: int, line: np.ndarray, prior: np.ndarray, bpp: int) -> np.ndarray:
    out = line.astype(np.int32)
    up = prior.astype(np.int32)
    if kind == 0:
        return out
    if kind == 2:
        return (out + up) % 256
    if kind == 1:  # each byte adds the one bpp to its left: a running sum per channel
        return np.cumsum(out.reshape(-1, bpp), axis=0).reshape(-1) % 256
    if kind in (3, 4):
        for i in range(len(out)):  # left-to-right dependence: a plain loop (the PNGs are small)
            left = out[i - bpp] if i >= bpp else 0
            if kind == 3:
                out[i] = (out[i] + (left + up[i]) // 2) % 256
            else:
                upper_left = up[i - bpp] if i >= bpp else 0
                out[i] = (out[i] + _paeth(left, up[i], upper_left)) % 256
        return out
    raise ValueError(f"unknown PNG filter {kind}")


def read_png(path: Path) -> np.ndarray:
    """The image as an (height, width, 4) uint8 array."""
    data = path.read_bytes()
    if not data.startswith(SIGNATURE):
        raise ValueError(f"{path} is not a PNG")
    pos, chunks, header = len(SIGNATURE), [], b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", header)
    if depth != 8 or color not in (2, 6) or interlace:
        raise ValueError(f"unsupported PNG: depth {depth}, colour type {color}, interlace {interlace}")
    bpp = 4 if color == 6 else 3
    raw = np.frombuffer(zlib.decompress(b"".join(chunks)), dtype=np.uint8)
    stride = width * bpp
    rows = np.zeros((height, stride), dtype=np.uint8)
    prior = np.zeros(stride, dtype=np.uint8)
    for y in range(height):
        start = y * (stride + 1)
        line = raw[start + 1 : start + 1 + stride]
        prior = rows[y] = _unfilter(int(raw[start]), line, prior, bpp).astype(np.uint8)
    pixels = rows.reshape(height, width, bpp)
    if bpp == 3:
        pixels = np.concatenate([pixels, np.full((height, width, 1), 255, np.uint8)], axis=2)
    return pixels
