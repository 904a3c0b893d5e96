"""The size of the model a config describes, so that a page can flag a network over the parameter limit while it
is being built, with the count the server itself will check when the run starts (runs/rules.py)."""

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from glassnet.api.schemas import ErrorOut
from glassnet.config import LIMITS, ExperimentConfig
from glassnet.data import tabular
from glassnet.nn.models import count_parameters
from glassnet.nn.shapes import input_shape, n_outputs

router = APIRouter(prefix="/configs", tags=["configs"])


class ModelSize(BaseModel):
    parameters: int = Field(description="The parameters (weights, biases, norm scales) of the config's model.")
    max_parameters: int = Field(description="The server's limit; a run over it is refused (422).")
    over_limit: bool = Field(description="parameters > max_parameters: a run of this config would be refused.")


@router.post(
    "/size",
    response_model=ModelSize,
    summary="The parameter count of a config's model and the server's limit on it (nothing is built or stored)",
    responses={422: {"model": ErrorOut, "description": "The config is not valid (the message names the field)"}},
)
def model_size(config: ExperimentConfig) -> dict:
    try:
        parameters = count_parameters(input_shape(config.dataset), n_outputs(config.dataset), config.model)
    except tabular.BadUpload as exc:
        raise HTTPException(422, str(exc)) from None
    limit = LIMITS["max_parameters"]
    return {"parameters": parameters, "max_parameters": limit, "over_limit": parameters > limit}
