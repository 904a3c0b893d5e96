"""A cap on request bodies: over it, a 413 whose message names the limit, before the body is read whole."""

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int, upload_bytes: int, upload_prefix: str = "/api/datasets") -> None:
        self.app, self.max_bytes, self.upload_bytes, self.upload_prefix = app, max_bytes, upload_bytes, upload_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.upload_bytes if scope["path"].startswith(self.upload_prefix) else self.max_bytes
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return await _too_large(send, int(declared), limit)
        seen = 0
        replaced = False  # the body ran over: whatever the app answers becomes the 413

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    # stop the body here; the app fails to parse it, and its answer is replaced below
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        async def replacing_send(message: Message) -> None:
            nonlocal replaced
            if seen > limit:
                if message["type"] == "http.response.start" and not replaced:
                    replaced = True
                    await _too_large(send, seen, limit)
                return
            await send(message)

        await self.app(scope, counting_receive, replacing_send)


async def _too_large(send: Send, size: int, limit: int) -> None:
    body = json.dumps({"detail": f"body: {size:,} bytes or more is over the limit of {limit:,} bytes"}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
