import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

from glassnet.runs.hub import HISTORY_LIMIT, Hub


def run_async(coroutine):
    """asyncio.run in a thread of its own: the browser tests' Playwright keeps a loop in the main thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def frame(seq: int) -> dict:
    return {"type": "frame", "seq": seq, "step": seq * 10}


def test_a_slow_subscriber_gets_the_newest_frame_not_a_backlog():
    async def scenario():
        hub = Hub()
        hub.open("r")
        _, subscriber = hub.subscribe("r")
        for seq in range(100):
            hub.publish("r", frame(seq))
        hub.publish("r", {"type": "status", "status": "paused", "step": 990, "error": None})
        hub.publish("r", frame(100))
        return await subscriber.take()

    items = run_async(scenario())
    # one frame waits at most; status messages are never dropped and keep their order
    assert [kind for kind, _ in items] == ["status", "frame"]
    assert json.loads(items[1][1])["seq"] == 100


def test_history_stays_bounded_and_keeps_the_newest_frames():
    hub = Hub()
    channel = hub.open("r")
    for seq in range(10 * HISTORY_LIMIT):
        hub.publish("r", frame(seq))
    assert len(channel.history) <= HISTORY_LIMIT
    seqs = [f["seq"] for f in channel.history]
    assert seqs == sorted(seqs)
    assert seqs[-1] == 10 * HISTORY_LIMIT - 1 and seqs[0] == 0
    assert seqs[-100:] == list(range(10 * HISTORY_LIMIT - 100, 10 * HISTORY_LIMIT))


def test_publishing_to_a_closed_run_is_ignored():
    hub = Hub()
    hub.publish("gone", frame(0))
    assert hub.channels == {}
