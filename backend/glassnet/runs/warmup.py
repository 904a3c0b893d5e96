"""A pool worker pays every first-time cost while it waits, so that a run's first frame comes at once.

The first torch.optim optimizer built in a process imports torch._dynamo (about 2 s on a small CPU); the first
forward and backward pass, the probe and a frame's serialisation cost more the first time too. A worker that
waits in the pool trains a few steps of the default config and throws them away (each Trainer seeds its own
generators, so nothing carries over to the run).

That work must not slow the runs already training: a pool refills the moment a run takes a worker. So the
warm-up runs at the lowest CPU priority where the worker can take its normal priority back afterwards (root,
or an RLIMIT_NICE that allows it), and a job that arrives meanwhile gives it back at once. Where it cannot
(an unprivileged container), the warm-up runs at normal priority: a slower neighbour for a few seconds beats a
worker stuck at the lowest priority for its whole run.
"""

import contextlib
import os
import resource
import threading
from collections.abc import Iterator
from multiprocessing.connection import Connection

LOWEST = 19  # the nicest nice value


@contextlib.contextmanager
def waiting_quietly(conn: Connection) -> Iterator[None]:
    """At the lowest CPU priority inside, unless a job already waits on `conn`; a job that comes meanwhile (it
    is left in the pipe for the worker to read) gives the normal priority back at once, as does the end."""
    normal = os.getpriority(os.PRIO_PROCESS, 0)
    lowered = False
    if not conn.poll() and _can_renice(normal):
        watcher = threading.Thread(target=_restore_when_job_comes, args=(conn, normal), daemon=True)
        watcher.start()  # it keeps the normal priority, to wake at once
        lowered = _renice_all(LOWEST, but=watcher.native_id)
    try:
        yield
    finally:
        if lowered:
            _renice_all(normal)


def warm_up(conn: Connection) -> None:
    """Train a few throw-away steps, unless a job already waits on `conn`."""
    if not conn.poll():
        _train_a_little()


def _train_a_little() -> None:
    from glassnet.cohort.alone import make_trainer
    from glassnet.config import default_config
    from glassnet.protocol import frame_of
    from glassnet.train.driver import BySteps, Callbacks, drive

    trainer = make_trainer(default_config())  # (the cohort engine, as a run of the default config trains)
    drive(trainer, 3, BySteps(1), Callbacks(on_reading=lambda reading: frame_of(reading).model_dump_json()))


def _restore_when_job_comes(conn: Connection, normal: int) -> None:
    """Give the worker its normal priority as soon as a job waits (the warm-up may still be importing)."""
    with contextlib.suppress(OSError, EOFError):
        conn.poll(None)  # blocks; the job stays in the pipe for the worker's recv
    _renice_all(normal)


def _can_renice(normal: int) -> bool:
    """Whether this process may go back from the lowest priority to `normal`."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NICE)
    return os.geteuid() == 0 or soft == resource.RLIM_INFINITY or soft >= 20 - normal


def _renice_all(value: int, but: int | None = None) -> bool:
    """Set every thread of this process but one to nice `value` (Linux applies a nice value per thread)."""
    try:
        threads = [int(tid) for tid in os.listdir("/proc/self/task") if int(tid) != but]
    except OSError:  # not Linux: the process as one
        threads = [0]
    try:
        for tid in threads:
            with contextlib.suppress(ProcessLookupError):  # a thread that has just ended
                os.setpriority(os.PRIO_PROCESS, tid, value)
    except (OSError, AttributeError):
        return False
    return True
