from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, status
from pydantic import BaseModel

from glassnet.data import tabular

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


CSV_EXAMPLE = "x1,x2,label\n0.1,0.5,0\n-0.3,0.9,1\n..."


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=UploadedDataset,
    summary="Upload a CSV dataset (header row, numeric columns, a target column); use it as dataset.upload",
    openapi_extra={"requestBody": {"required": True, "content": {"text/csv": {"example": CSV_EXAMPLE}}}},
    responses={413: {"description": "Over the upload size limit"}},
)
async def upload_dataset(
    request: Request,
    name: Annotated[str, Query(min_length=1, max_length=80, description="A name to show for it")] = "uploaded",
    target: Annotated[str | None, Query(max_length=80, description="The target column (default: the last)")] = None,
) -> dict:
    body = await request.body()
    if not body:
        raise HTTPException(422, "body: send the CSV file as the request body (Content-Type: text/csv)")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise HTTPException(422, "body: the file is not UTF-8 text") from None
    try:
        return tabular.store(text, name, target)
    except tabular.BadUpload as exc:
        raise HTTPException(422, str(exc)) from None


@router.get("", response_model=list[UploadedDataset], summary="Uploaded datasets, oldest first")
def list_datasets() -> list[dict]:
    return tabular.listing()
