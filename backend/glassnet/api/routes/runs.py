from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from glassnet.api.deps import ManagerDep
from glassnet.api.schemas import ErrorOut, ForkRequest, Metrics, RunInfo, RunPage, RunStatus
from glassnet.config import FORKABLE, LIMITS, ExperimentConfig
from glassnet.data import tabular
from glassnet.nn.models import count_parameters
from glassnet.nn.shapes import input_shape, n_outputs
from glassnet.runs.history import metrics_csv
from glassnet.runs.manager import InvalidTransition, RunLimitReached, RunNotFound

router = APIRouter(prefix="/runs", tags=["runs"])

NOT_FOUND = {404: {"model": ErrorOut, "description": "No run has this id"}}
CONFLICT = {409: {"model": ErrorOut, "description": "The run's status does not allow this"}}
TOO_MANY = {429: {"model": ErrorOut, "description": "Too many active runs"}}


def _not_found(run_id: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"run '{run_id}' not found")


def _check_upload(config: ExperimentConfig) -> None:
    """An uploaded dataset's task is in its file: check the model and the loss against it."""
    try:
        info = tabular.meta(config.dataset.upload or "")
    except tabular.BadUpload as exc:
        raise HTTPException(422, str(exc)) from None
    if config.model.kind != "mlp":
        raise HTTPException(422, f"model.kind: an uploaded table trains an 'mlp', not '{config.model.kind}'")
    task = info["task"]
    if (config.loss == "bce" and task != "binary") or (config.loss == "ce" and task == "regression"):
        raise HTTPException(422, f"loss: '{config.loss}' does not fit the uploaded dataset's task ({task})")
    if info["input"] != "plane" and config.dataset.features != ["x1", "x2"]:
        raise HTTPException(422, "dataset.features: the 2-D features apply to uploads with exactly two feature columns")


def _check_size(config: ExperimentConfig) -> None:
    if config.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise HTTPException(
                422, "device: 'cuda' was asked for but this server has no CUDA GPU; use 'auto' or 'cpu'"
            )
    parameters = count_parameters(input_shape(config.dataset), n_outputs(config.dataset), config.model)
    if parameters > LIMITS["max_parameters"]:
        raise HTTPException(
            422,
            f"model: {parameters:,} parameters is over the limit of {LIMITS['max_parameters']:,}; "
            "use fewer or narrower layers",
        )


@router.post(
    "", status_code=status.HTTP_201_CREATED, response_model=RunInfo, responses=TOO_MANY, summary="Start a training run"
)
def create_run(config: ExperimentConfig, manager: ManagerDep) -> dict:
    if config.dataset.name == "upload":
        _check_upload(config)
    _check_size(config)
    try:
        return manager.create(config).info()
    except RunLimitReached as exc:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, str(exc)) from None


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
    try:
        return manager.get(run_id).info()
    except RunNotFound:
        raise _not_found(run_id) from None


@router.post(
    "/{run_id}/fork",
    status_code=status.HTTP_201_CREATED,
    response_model=RunInfo,
    responses={**NOT_FOUND, **CONFLICT, **TOO_MANY},
    summary="A new run that continues this one from a step, with changed settings",
)
def fork_run(run_id: str, request: ForkRequest, manager: ManagerDep) -> dict:
    for key in request.changes:
        if key not in FORKABLE:
            raise HTTPException(
                422,
                f"changes.{key}: a fork continues from the parent's data, model and seed, so it cannot change "
                f"'{key}'; it can change {', '.join(FORKABLE)}",
            )
    try:
        return manager.fork(run_id, request.step, request.changes).info()
    except RunNotFound:
        raise _not_found(run_id) from None
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", "changes", *e["loc"])} for e in exc.errors(include_url=False)]
        ) from None
    except InvalidTransition as exc:
        raise HTTPException(422, str(exc)) from None
    except RunLimitReached as exc:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, str(exc)) from None


@router.post(
    "/{run_id}/{command}",
    response_model=RunInfo,
    responses={**NOT_FOUND, **CONFLICT},
    summary="Pause, resume, single-step (while paused) or stop a run",
)
async def command_run(run_id: str, command: Literal["pause", "resume", "step", "stop"], manager: ManagerDep) -> dict:
    try:
        return (await manager.command(run_id, command)).info()
    except RunNotFound:
        raise _not_found(run_id) from None
    except InvalidTransition as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None


class RunChanges(BaseModel):
    """Settings that can change while a run trains."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"lr": 0.001}]})
    lr: float = Field(ge=LIMITS["min_lr"], le=LIMITS["max_lr"], description="The new (base) learning rate.")


@router.patch(
    "/{run_id}",
    response_model=RunInfo,
    responses={**NOT_FOUND, **CONFLICT},
    summary="Change an active run's settings live (the learning rate)",
)
async def patch_run(run_id: str, changes: RunChanges, manager: ManagerDep) -> dict:
    try:
        return (await manager.set_lr(run_id, changes.lr)).info()
    except RunNotFound:
        raise _not_found(run_id) from None
    except InvalidTransition as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None


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
    try:
        run = manager.get(run_id)
    except RunNotFound:
        raise _not_found(run_id) from None
    history = manager.history(run)
    names = None if series is None else [n.strip() for n in series.split(",") if n.strip()]
    known = {n for b in history.buckets for n in b.values}
    unknown = [n for n in names or [] if n not in known]
    if unknown and history.buckets:
        raise HTTPException(422, f"series: unknown {', '.join(unknown)}; this run has {', '.join(sorted(known))}")
    return history.series(names, first, last, max_points)


@router.get(
    "/{run_id}/export",
    responses={**NOT_FOUND, 200: {"content": {"text/csv": {}, "application/json": {}}}},
    summary="The run's metrics as CSV (one row per point, last values) or JSON (everything)",
)
def export_run(run_id: str, manager: ManagerDep, format: Literal["csv", "json"] = "csv") -> Response:
    try:
        run = manager.get(run_id)
    except RunNotFound:
        raise _not_found(run_id) from None
    metrics = manager.history(run).series()
    filename = f"glassnet-{run.id}.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if format == "json":
        import json

        body = {
            "run": run.info(),
            "layers": run.layers,
            "events": run.events,
            "lr_changes": run.lr_changes,
            "metrics": metrics,
        }
        return Response(json.dumps(body), media_type="application/json", headers=headers)
    return Response(metrics_csv(metrics), media_type="text/csv", headers=headers)


@router.get(
    "/{run_id}/checkpoint",
    responses={**NOT_FOUND, 200: {"content": {"application/octet-stream": {}}}},
    summary="The model's weights as safetensors (current for an active run, final for an ended one)",
)
async def get_checkpoint(run_id: str, manager: ManagerDep) -> Response:
    try:
        data = await manager.weights(run_id)
    except RunNotFound:
        raise _not_found(run_id) from None
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
    try:
        await manager.delete(run_id)
    except RunNotFound:
        raise _not_found(run_id) from None
    return Response(status_code=status.HTTP_204_NO_CONTENT)
