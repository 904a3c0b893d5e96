"""FastAPI dependencies: the settings, the run manager and the caller (runs/owners.py), as stored on the app."""

import secrets
from typing import Annotated

from fastapi import Depends, Request, WebSocket
from starlette.datastructures import Headers, QueryParams

from glassnet.runs.manager import RunManager
from glassnet.runs.owners import KEY_HEADER, KEY_QUERY, Caller, Keys, Unauthorized
from glassnet.settings import Settings


def get_manager(request: Request) -> RunManager:
    return request.app.state.manager


ManagerDep = Annotated[RunManager, Depends(get_manager)]


UNAUTHORIZED = (
    "this server needs a token: send 'Authorization: Bearer <token>' (or ?token=<token> on a stream), "
    f"or an owner key it issued ({KEY_HEADER})"
)


def _token_ok(settings: Settings, headers: Headers, query: QueryParams) -> bool:
    if settings.token is None:
        return False
    header = headers.get("authorization")
    given = query.get("token") or (
        header.removeprefix("Bearer ").strip() if header and header.startswith("Bearer ") else None
    )
    return given is not None and secrets.compare_digest(given.encode(), settings.token.encode())


def caller_of(settings: Settings, keys: Keys, headers: Headers, query: QueryParams) -> Caller:
    """Who is calling: the admin (the server token), an owner (a key this server issued), or nobody in
    particular. With a token set, nobody in particular is refused."""
    admin = _token_ok(settings, headers, query)
    key = headers.get(KEY_HEADER)
    if key is None:
        key = query.get(KEY_QUERY)
    owner = keys.owner_of(key) if key is not None else None
    if settings.token is not None and not admin and owner is None:
        raise Unauthorized(UNAUTHORIZED)
    return Caller(owner=owner, admin=admin)


def get_caller(request: Request) -> Caller:
    caller = caller_of(request.app.state.settings, request.app.state.keys, request.headers, request.query_params)
    request.state.caller = caller
    return caller


CallerDep = Annotated[Caller, Depends(get_caller)]


def websocket_caller(websocket: WebSocket) -> Caller:
    return caller_of(websocket.app.state.settings, websocket.app.state.keys, websocket.headers, websocket.query_params)
