"""The FastAPI application: REST routes and the stream under /api, the built UI at /."""

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from glassnet import __version__
from glassnet.api import stream
from glassnet.api.deps import get_caller
from glassnet.api.limits import BodyLimit
from glassnet.api.logs import redact_access_log
from glassnet.api.room_schemas import RoomMessage
from glassnet.api.routes import datasets, health, lab, lessons, options, owners, preview, rooms, runs, sizes, sweeps
from glassnet.api.schemas import ErrorOut
from glassnet.protocol import STREAM_MESSAGES
from glassnet.ratelimit import PerMinute
from glassnet.runs.hub import Hub
from glassnet.runs.manager import InvalidChanges, RunManager
from glassnet.runs.owners import Forbidden, Keys, Unauthorized
from glassnet.runs.rooms import JoinLimitReached, RoomNotFound, Rooms
from glassnet.runs.rules import InvalidRequest, InvalidTransition, RunLimitReached, RunNotFound, SweepNotFound
from glassnet.runs.sweeps import InvalidSweep
from glassnet.settings import Settings

UI_MISSING = """<!doctype html><title>Glassnet</title>
<p>The Glassnet UI has not been built. Run <code>make run</code> (or <code>make ui</code>) and reload.
The API is at <a href="/docs">/docs</a>.</p>"""


def _field(loc: tuple) -> str:
    parts = [str(p) for p in loc if p != "body"]
    return ".".join(parts) or "body"


def _validation_answer(problems: Sequence[Any]) -> JSONResponse:
    errors = []
    for err in problems:
        if err.get("type") == "json_invalid":
            message = f"invalid JSON: {err.get('ctx', {}).get('error', err['msg'])}"
            errors.append({"field": "body", "message": message, "type": err["type"]})
        else:
            message = err["msg"].removeprefix("Value error, ")  # a validator's own words, without pydantic's prefix
            errors.append({"field": _field(err["loc"]), "message": message, "type": err["type"]})
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return JSONResponse(status_code=422, content={"detail": detail, "errors": errors})


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError | InvalidChanges | InvalidSweep)
    return _validation_answer(exc.errors() if isinstance(exc, RequestValidationError) else exc.errors)


# the run service's errors, each mapped to its HTTP status once
DOMAIN_ERRORS: dict[type[Exception], int] = {
    RunNotFound: 404,
    SweepNotFound: 404,
    RoomNotFound: 404,
    JoinLimitReached: 429,
    InvalidTransition: 409,
    InvalidRequest: 422,
    RunLimitReached: 429,
    Unauthorized: 401,
    Forbidden: 403,
}


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    content: dict[str, Any] = {"detail": str(exc)}
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else None
    if isinstance(exc, RunLimitReached):
        content |= {"limit": exc.limit, "active": exc.active, "sweeps": exc.sweeps}
    if isinstance(exc, JoinLimitReached):
        content |= {"limit": exc.limit}
    return JSONResponse(status_code=DOMAIN_ERRORS[type(exc)], content=content, headers=headers)


def _openapi_with_stream(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, with the stream's messages (protocol.py) among its schemas: the UI's types are
    generated from it like the REST ones."""
    if app.openapi_schema is None:
        schema = FastAPI.openapi(app)
        stream = STREAM_MESSAGES.json_schema(ref_template="#/components/schemas/{model}")
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for name, definition in stream.pop("$defs", {}).items():
            components.setdefault(name, definition)  # the REST routes' own schemas (RunInfo, ...) stay as they are
        components["StreamMessage"] = stream
        components["RoomMessage"] = RoomMessage.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in components["RoomMessage"].pop("$defs", {}).items():
            components.setdefault(name, definition)
        app.openapi_schema = schema
    return app.openapi_schema


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.hub = Hub()
        app.state.manager = RunManager(settings, app.state.hub, asyncio.get_running_loop())
        app.state.manager.start()
        await asyncio.to_thread(app.state.manager.pool.wait_started)  # (the worker forkserver: runs/pool.py)
        app.state.rooms = Rooms(app.state.manager, app.state.keys, settings)
        app.state.rooms.start()
        watchers = [
            asyncio.create_task(app.state.manager.leases.watch()),
            asyncio.create_task(app.state.rooms.watch()),
        ]
        try:
            yield
        finally:
            for watcher in watchers:
                watcher.cancel()
            app.state.manager.shutdown()

    app = FastAPI(
        title="Glassnet",
        version=__version__,
        description="Train small networks and watch every layer learn. The stream protocol is in docs/protocol.md.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.keys = Keys(settings.data_dir, settings.token, settings.owner_keys_per_minute)
    app.state.previews = PerMinute(settings.previews_per_minute)
    redact_access_log()
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, upload_bytes=settings.max_upload_bytes)
    # large JSON (lab paths, metric series, exports) shrinks several times; clients that send no
    # Accept-Encoding: gzip get it as it is
    app.add_middleware(GZipMiddleware, minimum_size=4096)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(InvalidChanges, _validation_error)
    app.add_exception_handler(InvalidSweep, _validation_error)
    for error in DOMAIN_ERRORS:
        app.add_exception_handler(error, _domain_error)
    app.openapi = lambda: _openapi_with_stream(app)  # type: ignore[method-assign]
    protected = [Depends(get_caller)]  # with a token set: the token or a key issued under it
    for module in (health, options, owners, runs, sweeps, preview, datasets, lessons, lab, sizes):
        app.include_router(
            module.router,
            prefix="/api",
            dependencies=protected,
            responses={401: {"model": ErrorOut, "description": "A token is set and neither it nor a key was sent"}},
        )
    # (a room's id is its students' credential: its routes are not behind the token, except its creation)
    app.include_router(rooms.router, prefix="/api")
    app.include_router(stream.router, prefix="/api")
    app.include_router(sweeps.stream_router, prefix="/api")
    app.include_router(rooms.stream_router, prefix="/api")

    if (settings.static_dir / "index.html").is_file():
        app.mount("/", StaticFiles(directory=settings.static_dir, html=True), name="ui")
    else:

        @app.get("/", include_in_schema=False)
        def ui_missing() -> HTMLResponse:
            return HTMLResponse(UI_MISSING)

    return app
