from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, status
from pydantic import BaseModel, Field

from glassnet import registry
from glassnet.api.deps import CallerDep
from glassnet.api.schemas import ErrorOut
from glassnet.config import DatasetConfig, ExperimentConfig, Noise, Seed, UploadId
from glassnet.data import PREVIEW_POINTS, preview, tabular

PREVIEW_SEQ_LEN = 12  # time steps of a sequence preview

router = APIRouter(prefix="/datasets", tags=["datasets"])


class UploadedDataset(BaseModel):
    id: str
    name: str
    rows: int
    features: list[str]
    target: str
    task: str
    classes: list[float]
    input: str
    delimiter: str = Field(
        ",",
        description="The column delimiter the file was read with: ',' or, when it alone splits the header, "
        "';', a tab or '|'.",
    )


CSV_EXAMPLE = "x1,x2,label\n0.1,0.5,0\n-0.3,0.9,1\n..."


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=UploadedDataset,
    summary="Upload a CSV dataset (header row, numeric columns, a target column; separated by commas, or by "
    "semicolons, tabs or '|' when the header shows that one delimiter); use it as dataset.upload",
    openapi_extra={"requestBody": {"required": True, "content": {"text/csv": {"example": CSV_EXAMPLE}}}},
    responses={413: {"description": "Over the upload size limit"}},
)
async def upload_dataset(
    request: Request,
    caller: CallerDep,
    name: Annotated[str, Query(min_length=1, max_length=80, description="A name to show for it")] = "uploaded",
    target: Annotated[str | None, Query(max_length=80, description="The target column (default: the last)")] = None,
) -> dict:
    owner = caller.need_owner("uploading a dataset")
    body = await request.body()
    if not body:
        raise HTTPException(422, "body: send the CSV file as the request body (Content-Type: text/csv)")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise HTTPException(422, "body: the file is not UTF-8 text") from None
    try:
        return tabular.store(text, name, target, owner)
    except tabular.BadUpload as exc:
        raise HTTPException(422, str(exc)) from None


@router.get("", response_model=list[UploadedDataset], summary="The caller's uploaded datasets, oldest first")
def list_datasets(caller: CallerDep) -> list[dict]:
    return tabular.listing(caller.owner, everyone=caller.admin and caller.owner is None)


class PreviewQuery(BaseModel):
    """A preview's data: the same fields (and limits) as a run's config."""

    noise: Noise = DatasetConfig.model_fields["noise"].default
    seed: Seed = ExperimentConfig.model_fields["seed"].default
    upload: UploadId = None


class DatasetPreview(BaseModel):
    input: str = Field(description="The input kind: plane, curve, sequence, image, or table (an uploaded CSV).")
    task: str = Field(description="binary, multiclass or regression.")
    classes: int = Field(description="Number of classes (0 for regression).")
    extent: list[float] | None = Field(
        description="plane: [x1min, x1max, x2min, x2max]; curve: [xmin, xmax, ymin, ymax] (a run's plotting "
        "window); else null."
    )
    features: list[str] | None = Field(description="The model's input features (per time step for sequences).")
    x: list[list[float]] | list[list[list[float]]] = Field(
        description=f"plane, curve, table: up to {PREVIEW_POINTS} raw points ([x1, x2], [x] or a table row); "
        "image: the first image of each class (8 x 8 values in [0, 1]); sequence: one sequence (T x step features)."
    )
    y: list[float] = Field(description="The points' or images' labels or targets; sequence: [its target].")


@router.get(
    "/{name}/preview",
    response_model=DatasetPreview,
    summary="A thumbnail of a dataset: some raw points, an image per class or one sequence, as a run generates them",
    responses={
        404: {"model": ErrorOut, "description": "No dataset (or uploaded dataset) has this name (id)"},
        422: {"model": ErrorOut, "description": "A parameter is out of range, or 'upload' without an id"},
    },
)
def preview_dataset(name: str, query: Annotated[PreviewQuery, Query()]) -> dict:
    names = [d.name for d in registry.DATASETS]
    if name not in names:
        raise HTTPException(404, f"dataset '{name}' not found; the datasets are {', '.join(names)}")
    if name == "upload" and query.upload is None:
        raise HTTPException(422, "upload: previewing an uploaded dataset needs its id: ?upload=<id>")
    upload = query.upload if name == "upload" else None
    config = DatasetConfig(name=name, noise=query.noise, seq_len=PREVIEW_SEQ_LEN, upload=upload)
    try:
        return preview(config, query.seed)
    except tabular.BadUpload as exc:
        raise HTTPException(404, str(exc)) from None
