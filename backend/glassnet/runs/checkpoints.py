"""A run's saved training states (Trainer.checkpoint): a file per step under data_dir/checkpoints/<run>/.

Workers send one now and then while training (ever further apart: `Cadence`) and one as the run ends. A run
keeps at most KEPT of them, spread over its steps, and always its newest: a fork starts from the newest one
at or before its step instead of replaying from step 0, and an ended run continues from its last one.
"""

import shutil
from pathlib import Path

KEPT = 12  # saved states per run (the newest always among them)


class Cadence:
    """When a worker saves a state: every `every` steps, the interval doubling after each `per_interval` saves,
    so a long run's saves stay few and a short run's are still there."""

    def __init__(self, every: int = 100, per_interval: int = 6) -> None:
        self.every, self.per_interval, self.saved = every, per_interval, 0

    def due(self, step: int) -> bool:
        if step == 0 or step % self.every:
            return False
        self.saved += 1
        if self.saved % self.per_interval == 0:
            self.every *= 2
        return True


class Checkpoints:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _dir(self, run_id: str) -> Path:
        return self.root / run_id

    def steps(self, run_id: str) -> list[int]:
        folder = self._dir(run_id)
        if not folder.is_dir():
            return []
        return sorted(int(p.stem) for p in folder.glob("*.pt") if p.stem.isdigit())

    def save(self, run_id: str, step: int, data: bytes) -> None:
        folder = self._dir(run_id)
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / f"{step:010d}.part"
        partial.write_bytes(data)
        partial.replace(folder / f"{step:010d}.pt")  # never a half-written state under a step's name
        steps = self.steps(run_id)
        while len(steps) > KEPT:  # drop the state closest to the one before it (never the first or newest)
            gaps = [(steps[i] - steps[i - 1], steps[i]) for i in range(1, len(steps) - 1)]
            drop = min(gaps)[1]
            (folder / f"{drop:010d}.pt").unlink(missing_ok=True)
            steps.remove(drop)

    def at_or_before(self, run_id: str, step: int) -> tuple[int, bytes] | None:
        """The newest saved state at or before `step`."""
        earlier = [s for s in self.steps(run_id) if s <= step]
        if not earlier:
            return None
        return earlier[-1], (self._dir(run_id) / f"{earlier[-1]:010d}.pt").read_bytes()

    def delete(self, run_id: str) -> None:
        shutil.rmtree(self._dir(run_id), ignore_errors=True)
