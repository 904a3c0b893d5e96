"""A worker process hosting a cohort: the runs of one cohort key trained as one batched model (cohort/), each
member reporting over the shared pipe as a run alone would, its messages addressed by member.

A reader thread sorts the server's commands into one queue per member. A member that is paused or stepped
leaves the cohort with its checkpoint and goes on alone in a thread of this process (runs/worker.py's
train_alone, from exactly where it was); a member that ends sends its final weights, state and status.
"""

import queue
import threading
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING

from glassnet.config import ExperimentConfig
from glassnet.runs import messages as m
from glassnet.runs.checkpoints import Cadence
from glassnet.runs.worker import Channel, framed, noticed, started, train_alone, weights_of

if TYPE_CHECKING:
    from glassnet.cohort.driver import Seat
    from glassnet.cohort.engine import Cohort
    from glassnet.train.driver import Callbacks, Command


class MemberChannel(Channel):
    """One member's side of the shared pipe."""

    def __init__(self, conn: Connection, member: int, lock: threading.Lock) -> None:
        super().__init__(conn)
        self.member, self.lock = member, lock
        self.commands: queue.Queue[m.Message | None] = queue.Queue()

    def send(self, message: m.Message) -> None:
        with self.lock:
            self.conn.send(m.FromMember(member=self.member, report=message))

    def next_command(self, block: bool) -> m.Message | None:
        try:
            command = self.commands.get(block=block)
        except queue.Empty:
            return None
        if command is None:  # the server is gone: stop
            return m.Stop()
        return command


def _sort_commands(
    conn: Connection, channels: list[MemberChannel], joins: "queue.Queue[m.Message | None]", waiting: threading.Event
) -> None:
    """Runs in a thread: each command to its member's queue (and `waiting` set), new members and the end to
    `joins`, until the pipe closes."""
    try:
        while True:
            message = conn.recv()
            if isinstance(message, m.ToMember) and 0 <= message.member < len(channels):
                channels[message.member].commands.put(message.command)
                waiting.set()
            elif isinstance(message, m.Join | m.Close):
                joins.put(message)
    except (EOFError, OSError):
        waiting.set()
        joins.put(None)
        for channel in channels:
            channel.commands.put(None)


def train_cohort(conn: Connection, configs: list[ExperimentConfig]) -> None:
    """Train `configs` as one cohort, admitting the members that join, until the server closes it."""
    from glassnet.cohort.alone import hand_over
    from glassnet.cohort.driver import Seat, drive_cohort
    from glassnet.cohort.engine import Cohort
    from glassnet.train.driver import Ending

    lock = threading.Lock()
    channels: list[MemberChannel] = []
    joins: queue.Queue[m.Message | None] = queue.Queue()
    waiting = threading.Event()  # a command came for some member since the driver last looked

    def pending() -> bool:
        if not waiting.is_set():
            return False
        waiting.clear()  # (before the members' queues are read: a command after this sets it again)
        return True

    threading.Thread(target=_sort_commands, args=(conn, channels, joins, waiting), name="commands", daemon=True).start()
    cohort = Cohort(configs)
    seats: list[Seat] = []
    alone: list[threading.Thread] = []

    def seat(config: ExperimentConfig, k: int) -> None:
        """Member k of the cohort (the next of the job) takes its seat and tells the server what it is."""
        i = len(channels)
        channel = MemberChannel(conn, i, lock)
        channels.append(channel)
        channel.send(m.StatusChanged(status="running", step=cohort.members[k].step_count))
        channel.send(started(cohort.template.layer_info(), "cpu", cohort.describe_data(k), cohort.metric_names(k)))
        mine: list[Seat] = []  # (its seat, for its callbacks to find where it sits now)
        mine.append(Seat(_callbacks(channel, cohort, seats, mine), config.total_steps, config.frame_hz, member=i))
        seats.append(mine[0].bind(cohort, k))

    def admit() -> None:
        while not joins.empty():
            message = joins.get_nowait()
            if not isinstance(message, m.Join):
                joins.put(message)  # (the end: for the loop below, once the cohort is empty)
                return
            config = ExperimentConfig.model_validate(message.config)
            cohort.add([config])
            seat(config, cohort.k - 1)

    def leave(k: int, seat: Seat, ending: Ending | None) -> None:
        channel = channels[seat.member]
        step = cohort.members[k].step_count
        if ending is None:  # paused or stepped: on alone from here (its command is read again there)
            trainer = hand_over(cohort, k, seat.last_full, seat.reporter.insights)
            channel.commands.queue.appendleft(m.Pause())  # (a step, if it was one, follows it)
            thread = threading.Thread(target=train_alone, args=(channel, trainer, False), daemon=True)
            thread.start()
            alone.append(thread)
            return
        channel.send(m.Weights(request=None, data=weights_of(cohort.model.member_state(k))))
        if ending.status != "diverged":  # a diverged state is not one to continue from
            channel.send(m.Checkpointed(step=step, data=cohort.checkpoint(k), final=True))
        channel.send(m.StatusChanged(status=ending.status, step=step, error=ending.reason))

    for k, config in enumerate(configs):
        seat(config, k)
    while True:
        drive_cohort(cohort, seats, leave, admit, pending)
        with lock:
            conn.send(m.Idle(seen=len(channels)))
        message = joins.get()
        if not isinstance(message, m.Join):  # Close, or the server is gone
            break
        joins.put(message)  # admitted by the driver, at its first step
        admit()
    for thread in alone:
        thread.join()


def _callbacks(channel: MemberChannel, cohort: "Cohort", seats: "list[Seat]", mine: "list[Seat]") -> "Callbacks":
    """A member's callbacks; its index in the cohort is where its seat (`mine`) is now: members before it may have
    left since it joined."""
    from glassnet.train.driver import Callbacks

    def k() -> int:
        return seats.index(mine[0])

    cadence = Cadence()

    def control(paused: bool) -> "Command | None":
        while (command := channel.next_command(block=False)) is not None:
            if isinstance(command, m.SetLr):
                member = cohort.members[k()]
                old = member.schedule.base_lr
                cohort.set_lr(k(), command.lr)
                channel.send(m.LrApplied(step=member.step_count, lr=command.lr, old=old))
            elif isinstance(command, m.GetWeights):
                channel.send(m.Weights(request=command.request, data=weights_of(cohort.model.member_state(k()))))
            else:
                return command.kind  # type: ignore[attr-defined]
        return None

    def on_step(step: int) -> None:
        if cadence.due(step):
            channel.send(m.Checkpointed(step=step, data=cohort.checkpoint(k())))

    return Callbacks(
        on_reading=lambda reading: channel.send(framed(reading)),
        on_event=lambda event: channel.send(noticed(event)),
        control=control,
        on_step=on_step,
    )
