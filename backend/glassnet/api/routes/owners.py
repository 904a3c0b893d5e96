"""POST /api/owners: a new owner key, for a browser, the CLI or a script (runs/owners.py)."""

from fastapi import APIRouter, HTTPException, Request, status

from glassnet.api.schemas import ErrorOut, OwnerKey

router = APIRouter(prefix="/owners", tags=["owners"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=OwnerKey,
    responses={429: {"model": ErrorOut, "description": "Too many keys asked for from this address"}},
    summary="Issue an owner key: the runs and uploads made with it are the caller's to change",
)
def issue_key(request: Request) -> dict:
    keys = request.app.state.keys
    address = request.client.host if request.client else "unknown"
    issued = keys.issue(address)
    if issued is None:
        raise HTTPException(
            429,
            f"owner keys: at most {keys.issuing.per_minute} a minute from one address "
            "(GLASSNET_OWNER_KEYS_PER_MINUTE); keep the key you have, or wait a minute",
        )
    key, owner = issued
    return {"key": key, "owner": owner}
