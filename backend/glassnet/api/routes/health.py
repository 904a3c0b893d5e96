from fastapi import APIRouter

from glassnet import __version__
from glassnet.api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health, summary="Version, torch version and the device runs train on")
def health() -> Health:
    import torch

    cuda = torch.cuda.is_available()
    return Health(
        status="ok",
        version=__version__,
        torch=torch.__version__,
        device="cuda" if cuda else "cpu",
        cuda_available=cuda,
        device_name=torch.cuda.get_device_name(0) if cuda else "cpu",
    )
