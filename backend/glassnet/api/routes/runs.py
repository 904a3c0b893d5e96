"""REST routes of runs: thin; the run manager holds the rules (runs/rules.py), and api/app.py maps its
errors to HTTP answers once."""

import json
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Response, status

from glassnet.api.deps import CallerDep, ManagerDep
from glassnet.api.schemas import (
    ContinueRequest,
    ErrorOut,
    ForkRequest,
    LimitOut,
    Metrics,
    RunChanges,
    RunInfo,
    RunPage,
    StoppedOut,
)
from glassnet.config import ExperimentConfig
from glassnet.runs.export import metrics_csv
from glassnet.runs.manager import RunStart
from glassnet.runs.status import RunStatus

router = APIRouter(prefix="/runs", tags=["runs"])

Responses = dict[int | str, dict[str, object]]
NOT_FOUND: Responses = {404: {"model": ErrorOut, "description": "No run has this id"}}
CONFLICT: Responses = {409: {"model": ErrorOut, "description": "The run's status does not allow this"}}
TOO_MANY: Responses = {429: {"model": LimitOut, "description": "Too many active runs (the owner's or the server's)"}}
NOT_YOURS: Responses = {
    401: {"model": ErrorOut, "description": "An owner key is needed and is missing, malformed or forged"},
    403: {"model": ErrorOut, "description": "The run belongs to another owner"},
}


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=RunInfo,
    responses={**TOO_MANY, **NOT_YOURS},
    summary="Start a training run (the caller's)",
)
async def create_run(
    config: ExperimentConfig,
    manager: ManagerDep,
    caller: CallerDep,
    lease: Annotated[
        bool, Query(description="Pause it while nobody watches it (GLASSNET_IDLE_PAUSE_S), as the page does")
    ] = False,
    start: Annotated[
        RunStart,
        Query(
            description="'run': train at once; 'pause': wait paused at step 0; 'step': train one step (read in full), "
            "then wait paused (the page's Step before Play)"
        ),
    ] = "run",
) -> dict:
    return (await manager.create(config, caller, lease=lease, start=start)).info(caller)


@router.get("", response_model=RunPage, summary="The caller's runs, newest first, optionally by status, by page")
def list_runs(
    manager: ManagerDep,
    caller: CallerDep,
    status_filter: Annotated[RunStatus | None, Query(alias="status", description="Only runs in this status")] = None,
    owner: Annotated[
        Literal["me", "all"], Query(description="'me' (the caller's runs) or 'all' (everyone's: the token only)")
    ] = "me",
    limit: Annotated[int, Query(ge=1, le=500, description="Runs per page")] = 50,
    offset: Annotated[int, Query(ge=0, description="Runs to skip")] = 0,
) -> dict:
    if owner == "all" and not caller.admin:
        raise HTTPException(403, "owner: 'all' lists everyone's runs and needs the server token")
    runs = manager.list_runs(caller, status_filter, everyone=owner == "all")
    return {
        "items": [r.info(caller) for r in runs[offset : offset + limit]],
        "total": len(runs),
        "limit": limit,
        "offset": offset,
    }


@router.get("/{run_id}", response_model=RunInfo, responses=NOT_FOUND, summary="A run's status, config and summary")
def get_run(run_id: str, manager: ManagerDep, caller: CallerDep) -> dict:
    return manager.get(run_id).info(caller)


@router.post(
    "/stop-all",
    response_model=StoppedOut,
    responses=NOT_YOURS,
    summary="Stop every active run of the caller's",
)
async def stop_all(manager: ManagerDep, caller: CallerDep) -> dict:
    return {"stopped": [run.id for run in await manager.stop_all(caller)]}


@router.post(
    "/{run_id}/fork",
    status_code=status.HTTP_201_CREATED,
    response_model=RunInfo,
    responses={**NOT_FOUND, **CONFLICT, **TOO_MANY, **NOT_YOURS},
    summary="A new run (the caller's) that continues this one from a step, with changed settings",
)
async def fork_run(run_id: str, request: ForkRequest, manager: ManagerDep, caller: CallerDep) -> dict:
    return (await manager.fork(run_id, request.step, request.changes, caller)).info(caller)


@router.post(
    "/{run_id}/continue",
    response_model=RunInfo,
    responses={**NOT_FOUND, **CONFLICT, **TOO_MANY, **NOT_YOURS},
    summary="Train an ended (finished or stopped) run on from its saved state, as the same run",
)
async def continue_run(run_id: str, request: ContinueRequest, manager: ManagerDep, caller: CallerDep) -> dict:
    return (await manager.continue_run(run_id, request.steps, caller)).info(caller)


@router.post(
    "/{run_id}/{command}",
    response_model=RunInfo,
    responses={**NOT_FOUND, **CONFLICT, **NOT_YOURS, **TOO_MANY},
    summary="Pause, resume, single-step (while paused) or stop a run",
)
async def command_run(
    run_id: str, command: Literal["pause", "resume", "step", "stop"], manager: ManagerDep, caller: CallerDep
) -> dict:
    return (await manager.command(run_id, command, caller)).info(caller)


@router.patch(
    "/{run_id}",
    response_model=RunInfo,
    responses={**NOT_FOUND, **CONFLICT, **NOT_YOURS},
    summary="Rename a run, or change an active run's learning rate live",
)
async def patch_run(run_id: str, changes: RunChanges, manager: ManagerDep, caller: CallerDep) -> dict:
    run = manager.get(run_id)
    if changes.name is not None:
        run = manager.rename(run_id, changes.name, caller)
    if changes.lr is not None:
        run = await manager.set_lr(run_id, changes.lr, caller)
    return run.info(caller)


@router.get(
    "/{run_id}/metrics",
    response_model=Metrics,
    responses=NOT_FOUND,
    summary="A run's metric history: chosen series, step range, at most max_points points",
)
def get_metrics(
    run_id: str,
    manager: ManagerDep,
    series: Annotated[str | None, Query(description="Comma-separated names, e.g. train_loss,grad_norm/0")] = None,
    first: Annotated[int | None, Query(ge=0, description="First step")] = None,
    last: Annotated[int | None, Query(ge=0, description="Last step")] = None,
    max_points: Annotated[int, Query(ge=1, le=10_000, description="At most this many points")] = 1000,
) -> dict:
    history = manager.history(manager.get(run_id))
    names = None if series is None else [n.strip() for n in series.split(",") if n.strip()]
    known = history.columns()
    unknown = [n for n in names or [] if n not in known]
    if unknown:
        have = f"this run has {', '.join(known)}" if known else "this run has no figures yet"
        raise HTTPException(422, f"series: unknown {', '.join(unknown)}; {have}")
    return history.series(names, first, last, max_points)


@router.get(
    "/{run_id}/export",
    responses={**NOT_FOUND, 200: {"content": {"text/csv": {}, "application/json": {}}}},
    summary="The run's metrics as CSV (one row per point, last values) or JSON (everything)",
)
def export_run(run_id: str, manager: ManagerDep, caller: CallerDep, format: Literal["csv", "json"] = "csv") -> Response:
    run = manager.get(run_id)
    history = manager.history(run)
    headers = {"Content-Disposition": f'attachment; filename="glassnet-{run.id}.{format}"'}
    if format == "csv":
        layers = [str(layer["name"]) for layer in run.layers]
        return Response(metrics_csv(history, layers), media_type="text/csv", headers=headers)
    body = {
        "run": run.info(caller),
        "layers": run.layers,
        "events": run.events,
        "lr_changes": run.lr_changes,
        "metrics": history.series(),
        "history": history.to_wire(),
    }
    return Response(json.dumps(body), media_type="application/json", headers=headers)


@router.get(
    "/{run_id}/checkpoint",
    responses={**NOT_FOUND, 200: {"content": {"application/octet-stream": {}}}},
    summary="The model's weights as safetensors (current for an active run, final for an ended one)",
)
async def get_checkpoint(run_id: str, manager: ManagerDep) -> Response:
    data = await manager.weights(run_id)
    if data is None:
        raise HTTPException(404, f"run '{run_id}' has no weights: it ended before its model was built")
    headers = {"Content-Disposition": f'attachment; filename="glassnet-{run_id}.safetensors"'}
    return Response(data, media_type="application/octet-stream", headers=headers)


@router.delete(
    "/{run_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**NOT_FOUND, **NOT_YOURS},
    summary="Stop a run and delete it with its history, weights and saved states",
)
async def delete_run(run_id: str, manager: ManagerDep, caller: CallerDep) -> Response:
    await manager.delete(run_id, caller)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
