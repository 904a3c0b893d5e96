from fastapi import APIRouter, Request

from glassnet import __version__
from glassnet.api.schemas import ClusterState, Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, summary="Version, torch, the device and where runs train (local or Ray)")
def health(request: Request) -> Health:
    import torch

    manager = getattr(request.app.state, "manager", None)
    cluster = ClusterState.model_validate(manager.pool.cluster()) if manager is not None else None
    cuda = torch.cuda.is_available()
    return Health(
        status="ok",
        version=__version__,
        torch=torch.__version__,
        device="cuda" if cuda else "cpu",
        cuda_available=cuda,
        device_name=torch.cuda.get_device_name(0) if cuda else "cpu",
        cluster=cluster,
    )
