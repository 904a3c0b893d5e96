"""REST routes of runs: thin; the run manager holds the rules (runs/rules.py), and api/app.py maps its
errors to HTTP answers once."""

import json
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Response, status

from glassnet.api.deps import ManagerDep
from glassnet.api.schemas import ErrorOut, ForkRequest, Metrics, RunChanges, RunInfo, RunPage
from glassnet.config import ExperimentConfig
from glassnet.runs.history import metrics_csv
from glassnet.runs.status import RunStatus

router = APIRouter(prefix="/runs", tags=["runs"])

Responses = dict[int | str, dict[str, object]]
NOT_FOUND: Responses = {404: {"model": ErrorOut, "description": "No run has this id"}}
CONFLICT: Responses = {409: {"model": ErrorOut, "description": "The run's status does not allow this"}}
TOO_MANY: Responses = {429: {"model": ErrorOut, "description": "Too many active runs"}}


@router.post(
    "", status_code=status.HTTP_201_CREATED, response_model=RunInfo, responses=TOO_MANY, summary="Start a training run"
)
def create_run(config: ExperimentConfig, manager: ManagerDep) -> dict:
    return manager.create(config).info()


@router.get("", response_model=RunPage, summary="Runs, newest first, optionally by status, a page at a time")
def list_runs(
    manager: ManagerDep,
    status_filter: Annotated[RunStatus | None, Query(alias="status", description="Only runs in this status")] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="Runs per page")] = 50,
    offset: Annotated[int, Query(ge=0, description="Runs to skip")] = 0,
) -> dict:
    runs = manager.list(status_filter)
    return {
        "items": [r.info() for r in runs[offset : offset + limit]],
        "total": len(runs),
        "limit": limit,
        "offset": offset,
    }


@router.get("/{run_id}", response_model=RunInfo, responses=NOT_FOUND, summary="A run's status, config and summary")
def get_run(run_id: str, manager: ManagerDep) -> dict:
    return manager.get(run_id).info()


@router.post(
    "/{run_id}/fork",
    status_code=status.HTTP_201_CREATED,
    response_model=RunInfo,
    responses={**NOT_FOUND, **CONFLICT, **TOO_MANY},
    summary="A new run that continues this one from a step, with changed settings",
)
def fork_run(run_id: str, request: ForkRequest, manager: ManagerDep) -> dict:
    return manager.fork(run_id, request.step, request.changes).info()


@router.post(
    "/{run_id}/{command}",
    response_model=RunInfo,
    responses={**NOT_FOUND, **CONFLICT},
    summary="Pause, resume, single-step (while paused) or stop a run",
)
async def command_run(run_id: str, command: Literal["pause", "resume", "step", "stop"], manager: ManagerDep) -> dict:
    return (await manager.command(run_id, command)).info()


@router.patch(
    "/{run_id}",
    response_model=RunInfo,
    responses={**NOT_FOUND, **CONFLICT},
    summary="Change an active run's settings live (the learning rate)",
)
async def patch_run(run_id: str, changes: RunChanges, manager: ManagerDep) -> dict:
    return (await manager.set_lr(run_id, changes.lr)).info()


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
def export_run(run_id: str, manager: ManagerDep, format: Literal["csv", "json"] = "csv") -> Response:
    run = manager.get(run_id)
    history = manager.history(run)
    headers = {"Content-Disposition": f'attachment; filename="glassnet-{run.id}.{format}"'}
    if format == "csv":
        return Response(metrics_csv(history), media_type="text/csv", headers=headers)
    body = {
        "run": run.info(),
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
    responses=NOT_FOUND,
    summary="Stop a run and delete it with its history and weights",
)
async def delete_run(run_id: str, manager: ManagerDep) -> Response:
    await manager.delete(run_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
