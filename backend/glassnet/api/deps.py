"""FastAPI dependencies: the settings and the run manager, as stored on the app at startup."""

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request, WebSocket

from glassnet.runs.manager import RunManager
from glassnet.settings import Settings


def get_manager(request: Request) -> RunManager:
    return request.app.state.manager


ManagerDep = Annotated[RunManager, Depends(get_manager)]


UNAUTHORIZED = "this server needs a token: send 'Authorization: Bearer <token>' (or ?token=<token> on a stream)"


def token_ok(settings: Settings, header: str | None, query: str | None) -> bool:
    if settings.token is None:
        return True
    given = query or (header.removeprefix("Bearer ").strip() if header and header.startswith("Bearer ") else None)
    return given is not None and secrets.compare_digest(given.encode(), settings.token.encode())


def require_token(request: Request) -> None:
    settings: Settings = request.app.state.settings
    if not token_ok(settings, request.headers.get("authorization"), request.query_params.get("token")):
        raise HTTPException(401, UNAUTHORIZED, headers={"WWW-Authenticate": "Bearer"})


def websocket_token_ok(websocket: WebSocket) -> bool:
    settings: Settings = websocket.app.state.settings
    return token_ok(settings, websocket.headers.get("authorization"), websocket.query_params.get("token"))
