"""POST /api/preview: the untrained network of a config at step 0 (runs/preview.py), for the page to show from
the moment it opens and at every change of settings, without a run.

A config is checked exactly as POST /api/runs checks it (the same model, the same runs/rules.py limits); as the
server's own process computes it, a network whose step 0 costs more than a second or so of a core is left to a
run (runs/preview.py), and previews are rate-limited per owner key, else per client address
(GLASSNET_PREVIEWS_PER_MINUTE). The work runs in a thread, one preview at a time, so the event loop and the runs'
streams go on meanwhile.
"""

import asyncio

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, Field

from glassnet.api.deps import CallerDep
from glassnet.api.schemas import ErrorOut
from glassnet.config import ExperimentConfig
from glassnet.protocol import DataInfo, Frame, Layer
from glassnet.ratelimit import PerMinute
from glassnet.runs.preview import check_preview, step_zero
from glassnet.runs.rules import check_config

router = APIRouter(prefix="/preview", tags=["runs"])


class PreviewOut(BaseModel):
    """What a run of this config would show at step 0, before its first step: its hello's layers, data and
    metrics, and a detail frame of step 0 whose figures are the untrained net's (the loss and gradients are
    those of the first batch, which step 1 then trains on)."""

    config: ExperimentConfig = Field(description="The config as the server validated it (defaults filled in).")
    device: str = Field(description="Where it was computed: where a run of it trains.")
    layers: list[Layer]
    data: DataInfo
    metrics: list[str] = Field(description="The registry metrics a run of it measures.")
    frame: Frame = Field(description="Step 0 in full, with the dense views; its figures equal a run's own.")


@router.post(
    "",
    response_model=PreviewOut,
    responses={
        422: {
            "model": ErrorOut,
            "description": "The config is not one a run accepts, or too large to preview (the message names the field)",
        },
        429: {"model": ErrorOut, "description": "Too many previews from this address this minute"},
    },
    summary="The untrained network of a config at step 0, in the shape of a run's hello and frame (no run)",
)
async def preview(config: ExperimentConfig, request: Request, caller: CallerDep) -> Response:
    check_config(config)
    check_preview(config)
    limit: PerMinute = request.app.state.previews
    # per owner key (a class behind one router shares an address), else per address
    who = caller.owner or (request.client.host if request.client else "unknown")
    if not limit.allow(who):
        raise HTTPException(
            429,
            f"previews: at most {limit.per_minute} a minute for one owner key or address "
            "(GLASSNET_PREVIEWS_PER_MINUTE); wait a little, or press Play",
        )
    return Response(await asyncio.to_thread(step_zero, config), media_type="application/json")
