"""WS /api/runs/{id}/stream: a `hello` (the run, its layers, its history so far, its newest detail frame),
then `frame`, `event` and `status` messages (glassnet/protocol.py).

Sending and receiving run side by side: the receive side notices a closed socket at once, and the send
side only ever sends what the subscriber's outbox holds (the newest frame, never a backlog). After the
run's final status the server closes the socket. A live run's hello and an ended run's have one shape.
"""

import asyncio
import json

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from glassnet.api.deps import websocket_caller
from glassnet.protocol import PROTOCOL_VERSION, ErrorMessage
from glassnet.runs.manager import RunManager
from glassnet.runs.owners import Caller, Unauthorized
from glassnet.runs.run import Run
from glassnet.runs.status import TERMINAL

HELLO_TIMEOUT = 60.0

router = APIRouter()


def hello(manager: RunManager, run: Run, caller: Caller) -> str:
    """The hello (protocol.Hello) as JSON text."""
    message = {
        "type": "hello",
        "protocol": PROTOCOL_VERSION,
        "run": run.info(caller),
        "layers": run.layers,
        "data": run.data,
        "metrics": run.metrics,
        "history": manager.history(run).to_wire(extremes=False),
        "latest": None if run.latest is None else json.loads(run.latest),
        "events": run.events,
    }
    return json.dumps(message)


@router.websocket("/runs/{run_id}/stream")
async def stream(websocket: WebSocket, run_id: str) -> None:
    manager: RunManager = websocket.app.state.manager
    await websocket.accept()
    try:
        caller = websocket_caller(websocket)
    except Unauthorized as exc:
        await websocket.send_text(ErrorMessage(detail=str(exc)).model_dump_json())
        await websocket.close(code=4401)
        return
    run = manager.runs.get(run_id)
    if run is None:
        await websocket.send_text(ErrorMessage(detail=f"run '{run_id}' not found").model_dump_json())
        await websocket.close(code=4404)
        return

    if run.status in TERMINAL or run_id not in manager.hub.channels:
        await websocket.send_text(hello(manager, run, caller))  # an ended run: its stored history, then a close
        await websocket.close()
        return

    channel, subscriber = manager.hub.subscribe(run_id)
    manager.leases.viewer_joined(run)  # an open stream renews the run's lease
    try:
        # a run's layers are known once its worker has built the model (a second or two at most)
        await asyncio.wait_for(channel.started.wait(), timeout=HELLO_TIMEOUT)
        await websocket.send_text(hello(manager, run, caller))
        if run.status in TERMINAL:
            await websocket.close()
            return
        receiver = asyncio.create_task(_until_closed(websocket))
        while True:
            taker = asyncio.create_task(subscriber.take())
            done, _ = await asyncio.wait({taker, receiver}, return_when=asyncio.FIRST_COMPLETED)
            if receiver in done:
                taker.cancel()
                return
            ended = False
            for kind, text in taker.result():
                await websocket.send_text(text)
                ended = ended or (kind == "status" and json.loads(text)["status"] in TERMINAL)
            if ended:
                receiver.cancel()
                await websocket.close()
                return
    except (WebSocketDisconnect, RuntimeError, TimeoutError):
        pass
    finally:
        manager.hub.unsubscribe(run_id, subscriber)
        manager.leases.viewer_left(run)


async def _until_closed(websocket: WebSocket) -> None:
    """Reads (and ignores) client messages until the socket closes."""
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
    except (WebSocketDisconnect, RuntimeError):
        return
