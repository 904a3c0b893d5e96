"""The optimizer lab: test surfaces and the paths the registry's optimizers take on them (glassnet.lab)."""

from fastapi import APIRouter

from glassnet.api.lab_schemas import LabResult, LabRun, LabSurfaces
from glassnet.api.schemas import ErrorOut
from glassnet.lab import LAB_LIMITS, SURFACES, grid, k_of, surface_json, trajectory

router = APIRouter(prefix="/lab", tags=["lab"])


@router.get("/surfaces", response_model=LabSurfaces, summary="The test surfaces, with a contour grid each, and limits")
def surfaces() -> dict:
    return {"surfaces": [surface_json(s) for s in SURFACES.values()], "limits": LAB_LIMITS}


@router.post(
    "/run",
    response_model=LabResult,
    responses={422: {"model": ErrorOut, "description": "A field is out of range; the message names it and the limit"}},
    summary="Run each optimizer from the start point on the surface and return every path",
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
