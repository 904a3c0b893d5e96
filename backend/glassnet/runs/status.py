"""A run's statuses, defined once: the API's enum, the stream's, the store's and the UI's come from here."""

from typing import Literal, get_args

RunStatus = Literal["pending", "running", "paused", "finished", "stopped", "failed", "diverged", "interrupted"]
ACTIVE: frozenset[str] = frozenset({"pending", "running", "paused"})  # a run that can still make frames
TERMINAL: frozenset[str] = frozenset(get_args(RunStatus)) - ACTIVE
