"""API key management (admin only)."""

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from app.auth.deps import AdminDep
from app.db import SessionDep
from app.errors import problem_responses
from app.keys import service
from app.keys.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyPublic

router = APIRouter(prefix="/api-keys", tags=["api-keys"], responses=problem_responses(401, 403))


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ApiKeyCreated)
def create_api_key(body: ApiKeyCreate, session: SessionDep, admin: AdminDep) -> ApiKeyCreated:
    """Issue a new API key; the key is shown only in this response."""
    key, plaintext = service.create_api_key(
        session=session,
        actor=admin,
        role=body.role,
        supplier_id=body.supplier_id,
        name=body.name,
        expires_at=body.expires_at,
    )
    return ApiKeyCreated(**ApiKeyPublic.model_validate(key).model_dump(), key=plaintext)


@router.get("", response_model=list[ApiKeyPublic])
def list_api_keys(session: SessionDep, _admin: AdminDep) -> list[ApiKeyPublic]:
    """List issued keys (never the keys themselves)."""
    return [ApiKeyPublic.model_validate(k) for k in service.list_api_keys(session=session)]


@router.delete(
    "/{key_id}", status_code=status.HTTP_204_NO_CONTENT, responses=problem_responses(404)
)
def revoke_api_key(
    key_id: Annotated[int, Path(ge=1, le=2**31 - 1)], session: SessionDep, admin: AdminDep
) -> Response:
    """Revoke a key; it stops working at once."""
    service.revoke_api_key(session=session, key_id=key_id, actor=admin)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
