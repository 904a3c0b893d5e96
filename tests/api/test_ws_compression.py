"""GLASSNET_WS_COMPRESSION: a real server (`glassnet serve`) compresses its streams' frames for clients that offer
permessage-deflate only when it is set (by default it does not: tests/api/test_rooms.py's real-server test)."""

import json
from pathlib import Path

import websockets.sync.client

from tests.live_server import running_server


def test_a_server_with_compression_on_takes_the_clients_permessage_deflate(tmp_path: Path) -> None:
    with running_server(tmp_path, "ws-compression", GLASSNET_WS_COMPRESSION="true", GLASSNET_WORKERS="1") as url:
        stream = f"{url.replace('http', 'ws')}/api/runs/{'0' * 12}/stream"
        with websockets.sync.client.connect(stream, compression="deflate") as ws:
            assert "permessage-deflate" in (ws.response.headers.get("Sec-WebSocket-Extensions") or "")
            assert json.loads(ws.recv()) == {"type": "error", "detail": f"run '{'0' * 12}' not found"}
        with websockets.sync.client.connect(stream, compression=None) as ws:  # a client that offers none
            assert ws.response.headers.get("Sec-WebSocket-Extensions") is None
            assert "not found" in json.loads(ws.recv())["detail"]
