"""What persisting a run's history costs the server's event loop, per flush, side by side:

  - incremental (what the server does): hand the segments added since the last flush to the store's writer
    thread (closed buckets appended, each track's open bucket replaced);
  - whole (what it did before): serialise the run's entire history as JSON on every flush.

Both on the same history: a run at capacity (every track full, 1024 buckets) with 10 layers, the registry's
series of an MLP, and one flush interval's worth of new frames (10 s at 20 frames/s, a detail frame in two).
Also: the hello's history (sent once per joining client) and its size. Run: `.venv/bin/python -m bench.history`.
"""

import argparse
import json
import statistics
import time

import numpy as np

from glassnet.runs.history import History
from glassnet.runs.store import segment_row

LAYERS = 10
FRAME = ["train_loss", "lr", "epoch", "time"]
FRAME_LAYER = ["grad_norm", "act_grad_norm", "weight_norm", "update_norm", "update_ratio"]
DETAIL = ["test_loss", "train_acc", "test_acc"]
DETAIL_LAYER = ["act_mean", "act_std", "dead_fraction", "saturation", "unit_diversity"]


def values(rng: np.random.Generator, detail: bool) -> dict[str, np.ndarray]:
    out = {name: np.array(rng.random()) for name in FRAME}
    out |= {name: rng.random(LAYERS) for name in FRAME_LAYER}
    if detail:
        out |= {name: np.array(rng.random()) for name in DETAIL}
        out |= {name: rng.random(LAYERS) for name in DETAIL_LAYER}
        out["percentiles"] = rng.random((LAYERS, 9))
        out["hist_range"] = rng.random((LAYERS, 2))
    return out


def full_history(rng: np.random.Generator, capacity: int) -> tuple[History, int]:
    history, step = History(capacity), 0
    while min((t.n for t in history.tracks.values()), default=0) < history.capacity:
        step += 1
        history.add(step, values(rng, detail=step % 2 == 0))
    history.take_segments()
    return history, step


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--capacity", type=int, default=1024, help="buckets per track (the server's: 1024)")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    history, step = full_history(rng, args.capacity)
    incremental, whole = [], []
    for _ in range(args.rounds):
        for _ in range(200):  # one flush interval of frames
            step += 1
            history.add(step, values(rng, detail=step % 2 == 0))
        start = time.perf_counter()
        closed, open_parts = history.take_segments()
        rows = [segment_row(s) for s in closed], [segment_row(s) for s in open_parts]
        incremental.append(time.perf_counter() - start)
        start = time.perf_counter()
        text = json.dumps(history.to_wire(), separators=(",", ":"))
        whole.append(time.perf_counter() - start)
    hello = json.dumps(history.to_wire(extremes=False), separators=(",", ":"))
    inc, tot = statistics.median(incremental), statistics.median(whole)
    print(
        f"per flush, on the event loop: incremental {inc * 1e3:.2f} ms ({len(rows[0])} closed + {len(rows[1])} open "
        f"segments), whole history as JSON {tot * 1e3:.1f} ms ({len(text) / 1e6:.1f} MB): ratio {tot / inc:.0f}x"
    )
    print(
        f"a hello's history: {len(hello) / 1e6:.1f} MB (last values; with each bucket's min and max as well: "
        f"{len(text) / 1e6:.1f} MB)"
    )


if __name__ == "__main__":
    main()
