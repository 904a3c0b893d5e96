import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

from glassnet.protocol import Status
from glassnet.runs.hub import Hub


def run_async(coroutine):
    """asyncio.run in a thread of its own: the browser tests' Playwright keeps a loop in the main thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def frame(seq: int, dense: int = 0) -> str:
    return json.dumps({"type": "frame", "seq": seq, "step": seq * 10, "dense": "x" * dense})


def test_a_slow_subscriber_gets_the_newest_frame_not_a_backlog():
    async def scenario():
        hub = Hub()
        hub.open("r")
        _, subscriber = hub.subscribe("r")
        for seq in range(100):
            hub.publish_frame("r", frame(seq), detail=False)
        hub.publish("r", Status(status="paused", step=990, error=None))
        hub.publish_frame("r", frame(100), detail=False)
        return await subscriber.take()

    items = run_async(scenario())
    # one frame waits at most; status messages are never dropped and keep their order
    assert [kind for kind, _ in items] == ["status", "frame"]
    assert json.loads(items[1][1])["seq"] == 100


def test_what_a_channel_holds_stays_bounded_in_bytes():
    """Frames are not kept (the run's history is); only the newest detail frame, however long the run."""
    hub = Hub()
    channel = hub.open("r")
    for seq in range(10_000):
        hub.publish_frame("r", frame(seq, dense=2000), detail=seq % 7 == 0)
    newest_detail = 9996
    assert json.loads(channel.latest_detail)["seq"] == newest_detail
    assert channel.held_bytes() == len(frame(newest_detail, dense=2000))


def test_publishing_to_a_closed_run_is_ignored():
    hub = Hub()
    hub.publish_frame("gone", frame(0), detail=True)
    hub.publish("gone", Status(status="finished", step=1, error=None))
    assert hub.channels == {}
