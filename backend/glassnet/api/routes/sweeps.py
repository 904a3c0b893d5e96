"""REST routes of sweeps (a base config and a grid: one run per combination, trained in cohorts), and their compact
stream: every member's status, step and training loss, a few times a second."""

import asyncio
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response, WebSocket, WebSocketDisconnect, status

from glassnet.api.deps import CallerDep, ManagerDep, websocket_caller
from glassnet.api.schemas import ErrorOut, LimitOut, SweepInfo
from glassnet.runs.manager import RunManager
from glassnet.runs.owners import Unauthorized
from glassnet.runs.rules import SweepNotFound
from glassnet.runs.sweeps import SweepRequest, summary_rows, to_csv

router = APIRouter(tags=["sweeps"])
stream_router = APIRouter()  # (included as the run stream is: a socket checks its caller itself)
STREAM_PERIOD = 0.25  # seconds between the sweep stream's messages

Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {404: {"model": ErrorOut, "description": "No sweep has this id"}}


@router.post(
    "/sweeps",
    status_code=status.HTTP_201_CREATED,
    response_model=SweepInfo,
    responses={429: {"model": LimitOut, "description": "The owner has as many active runs and sweeps as allowed"}},
    summary="Start a sweep: one run per combination of the grid's values (the caller's; it takes one run's slot)",
)
async def create_sweep(
    request: SweepRequest,
    manager: ManagerDep,
    caller: CallerDep,
    lease: Annotated[
        bool,
        Query(
            description="Its members pause while nobody looks at the sweep (GLASSNET_IDLE_PAUSE_S), as the page's "
            "runs do; a GET of the sweep or its stream counts as looking"
        ),
    ] = False,
) -> dict:
    sweep = await manager.create_sweep(request, caller, lease)
    return manager.sweep_info(sweep, caller)


@router.get("/sweeps", response_model=list[SweepInfo], summary="The caller's sweeps, newest first")
def list_sweeps(manager: ManagerDep, caller: CallerDep) -> list[dict]:
    return [manager.sweep_info(s, caller) for s in manager.list_sweeps(caller)]


@router.get("/sweeps/{sweep_id}", response_model=SweepInfo, responses=NOT_FOUND, summary="A sweep and its members")
async def get_sweep(sweep_id: str, manager: ManagerDep, caller: CallerDep) -> dict:  # (on the loop: it may resume)
    sweep = manager.get_sweep(sweep_id)
    manager.sweep_viewed(sweep)
    return manager.sweep_info(sweep, caller)


@router.post(
    "/sweeps/{sweep_id}/stop", response_model=SweepInfo, responses=NOT_FOUND, summary="Stop every member of a sweep"
)
async def stop_sweep(sweep_id: str, manager: ManagerDep, caller: CallerDep) -> dict:
    return manager.sweep_info(await manager.stop_sweep(sweep_id, caller), caller)


@router.get(
    "/sweeps/{sweep_id}/export",
    responses={
        **NOT_FOUND,
        200: {"content": {"text/csv": {}, "application/json": {}}, "description": "One row per member"},
    },
    summary="The summary table: one row per member (its axis values, status, step and final figures)",
)
def export_sweep(
    sweep_id: str,
    manager: ManagerDep,
    caller: CallerDep,
    format: Annotated[Literal["csv", "json"], Query(description="csv or json")] = "csv",
) -> Response:
    sweep = manager.get_sweep(sweep_id)
    members = manager.sweep_info(sweep, caller)["members"]
    name = f"glassnet-sweep-{sweep.id}.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format == "json":  # (an axis's value as it is: a list stays a list)
        rows = summary_rows(members, as_text=False)
        return Response(json.dumps(rows), media_type="application/json", headers=headers)
    return Response(to_csv(summary_rows(members)), media_type="text/csv", headers=headers)


def compact(manager: RunManager, sweep_id: str) -> dict[str, Any]:
    """The sweep stream's message: the sweep's status and, per member, its status, step and training loss (a
    stream open on the sweep watches its leased members)."""
    sweep = manager.get_sweep(sweep_id)
    manager.sweep_viewed(sweep)
    info = manager.sweep_info(sweep)
    members = [
        {
            "index": m["index"],
            "run_id": m["run_id"],
            "status": m["status"],
            "step": m["step"],
            "train_loss": (m["summary"].get("train_loss") or {}).get("value"),
        }
        for m in info["members"]
    ]
    return {
        "type": "sweep",
        "status": info["status"],
        "steps_done": info["steps_done"],
        "steps_total": info["steps_total"],
        "members": members,
    }


@stream_router.websocket("/sweeps/{sweep_id}/stream")
async def sweep_stream(websocket: WebSocket, sweep_id: str) -> None:
    """Every STREAM_PERIOD seconds, the members that changed (all of them first); closes after the sweep ends."""
    manager: RunManager = websocket.app.state.manager
    await websocket.accept()
    try:
        websocket_caller(websocket)
        message = compact(manager, sweep_id)
    except (Unauthorized, SweepNotFound) as exc:
        await websocket.send_text(json.dumps({"type": "error", "detail": str(exc)}))
        await websocket.close(code=4401 if isinstance(exc, Unauthorized) else 4404)
        return
    sent: dict[int, dict] = {}
    try:
        while True:
            changed = [m for m in message["members"] if sent.get(m["index"]) != m]
            await websocket.send_text(json.dumps({**message, "members": changed}))
            sent.update((m["index"], m) for m in changed)
            if message["status"] in ("done", "stopped"):
                await websocket.close()
                return
            await asyncio.sleep(STREAM_PERIOD)
            message = compact(manager, sweep_id)
    except (WebSocketDisconnect, RuntimeError, SweepNotFound):
        return
