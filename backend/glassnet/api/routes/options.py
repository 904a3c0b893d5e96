from fastapi import APIRouter

from glassnet.api.schemas import Options
from glassnet.config import LIMITS, default_config
from glassnet.registry import ACTIVATIONS, DATASETS, DEVICES, OPTIMIZERS

router = APIRouter(tags=["options"])


@router.get("/options", response_model=Options, summary="Every choice, limit and default the UI offers")
def options() -> Options:
    def out(choices):
        return [c.to_json() for c in choices]

    return Options(
        activations=out(ACTIVATIONS),
        optimizers=out(OPTIMIZERS),
        datasets=out(DATASETS),
        devices=out(DEVICES),
        limits=LIMITS,
        defaults=default_config(),
    )
