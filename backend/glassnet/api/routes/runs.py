from typing import Literal

from fastapi import APIRouter, HTTPException, Response, status
from pydantic import BaseModel, ConfigDict, Field

from glassnet.api.deps import ManagerDep
from glassnet.api.schemas import ErrorOut, RunInfo
from glassnet.config import LIMITS, ExperimentConfig
from glassnet.nn.models import count_parameters
from glassnet.nn.shapes import input_shape, n_outputs
from glassnet.runs.manager import InvalidTransition, RunLimitReached, RunNotFound

router = APIRouter(prefix="/runs", tags=["runs"])

NOT_FOUND = {404: {"model": ErrorOut, "description": "No run has this id"}}


def _not_found(run_id: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"run '{run_id}' not found")


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=RunInfo,
    summary="Start a training run",
    responses={429: {"model": ErrorOut, "description": "Too many active runs"}},
)
def create_run(config: ExperimentConfig, manager: ManagerDep) -> dict:
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
    try:
        return manager.create(config).info()
    except RunLimitReached as exc:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, str(exc)) from None


@router.get("", response_model=list[RunInfo], summary="All runs, newest first")
def list_runs(manager: ManagerDep) -> list[dict]:
    return [run.info() for run in manager.list()]


@router.get("/{run_id}", response_model=RunInfo, responses=NOT_FOUND, summary="A run's status and config")
def get_run(run_id: str, manager: ManagerDep) -> dict:
    try:
        return manager.get(run_id).info()
    except RunNotFound:
        raise _not_found(run_id) from None


@router.post(
    "/{run_id}/{command}",
    response_model=RunInfo,
    responses={**NOT_FOUND, 409: {"model": ErrorOut, "description": "The run's status does not allow this"}},
    summary="Pause, resume, single-step (while paused) or stop a run",
)
async def command_run(run_id: str, command: Literal["pause", "resume", "step", "stop"], manager: ManagerDep) -> dict:
    try:
        return (await manager.command(run_id, command)).info()
    except RunNotFound:
        raise _not_found(run_id) from None
    except InvalidTransition as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None


@router.delete(
    "/{run_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND, summary="Stop and forget a run"
)
async def delete_run(run_id: str, manager: ManagerDep) -> Response:
    try:
        await manager.delete(run_id)
    except RunNotFound:
        raise _not_found(run_id) from None
    return Response(status_code=status.HTTP_204_NO_CONTENT)


class RunChanges(BaseModel):
    """Settings that can change while a run trains."""

    model_config = ConfigDict(extra="forbid")
    lr: float = Field(ge=LIMITS["min_lr"], le=LIMITS["max_lr"], description="The new (base) learning rate.")


@router.patch(
    "/{run_id}",
    response_model=RunInfo,
    responses={**NOT_FOUND, 409: {"model": ErrorOut, "description": "The run has ended"}},
    summary="Change an active run's settings live (the learning rate)",
)
def patch_run(run_id: str, changes: RunChanges, manager: ManagerDep) -> dict:
    try:
        return manager.set_lr(run_id, changes.lr).info()
    except RunNotFound:
        raise _not_found(run_id) from None
    except InvalidTransition as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
