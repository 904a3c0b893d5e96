"""The optimizer lab: test surfaces and the paths the registry's optimizers take on them (glassnet.lab)."""

from fastapi import APIRouter

from glassnet.api.schemas import ErrorOut, LabResult, LabRun, LabSurfaces
from glassnet.lab import LAB_LIMITS, SURFACES, grid, k_of, surface_json, trajectory

router = APIRouter(prefix="/lab", tags=["lab"])


@router.get(
    "/surfaces",
    response_model=LabSurfaces,
    summary="The test surfaces, with a contour grid each, the limits and the lab's default request",
)
def surfaces() -> dict:
    return {"surfaces": [surface_json(s) for s in SURFACES.values()], "limits": LAB_LIMITS, "defaults": LabRun()}


@router.post(
    "/run",
    response_model=LabResult,
    responses={422: {"model": ErrorOut, "description": "A field is out of range; the message names it and the limit"}},
    summary="Run each optimizer, with its own settings and learning rate, from the start point on the surface",
    description="Every optimizer of the request moves its own copy of the start point with its own settings, its "
    "own `lr` included (one request may race SGD at lr 0.01 against Adam at lr 0.1); each path is the one that "
    "optimizer takes alone. Left-out fields take LabRun's defaults (GET /api/lab/surfaces serves them).",
)
def run(request: LabRun) -> dict:
    surface = SURFACES[request.surface]
    k = k_of(surface, request.k)
    paths = [
        {"optimizer": config, **trajectory(surface, config, request.start, request.steps, k)}
        for config in request.optimizers
    ]
    shown_k = k if "k" in surface.params else None
    return {
        "surface": surface.name,
        "k": shown_k,
        "start": list(request.start),
        "grid": grid(surface, k),
        "paths": paths,
    }
