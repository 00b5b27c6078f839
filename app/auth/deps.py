"""Request dependencies that identify the caller and enforce roles."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.auth import service
from app.db import SessionDep
from app.errors import Forbidden, Unauthorized

_bearer = HTTPBearer(auto_error=False, description="API key: `Authorization: Bearer <key>`.")


@dataclass(frozen=True)
class Caller:
    """Who is calling: anonymous (role None) or the holder of a key."""

    role: str | None = None
    key_id: int | None = None
    supplier_id: int | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def may_see_contact_of(self, supplier_id: int) -> bool:
        if self.role in ("admin", "buyer", "partner"):
            return True
        return self.role == "supplier" and self.supplier_id == supplier_id


def current_caller(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """Anonymous without a key; a presented key must be valid (401 otherwise)."""
    if credentials is None:
        return Caller()
    key = service.authenticate(session=session, plaintext=credentials.credentials)
    if key is None:
        raise Unauthorized(detail="The API key is unknown, revoked or expired.")
    return Caller(role=key.role, key_id=key.id, supplier_id=key.supplier_id)


CallerDep = Annotated[Caller, Depends(current_caller)]


def require_roles(*roles: str):
    def dependency(caller: CallerDep) -> Caller:
        if caller.role is None:
            raise Unauthorized(detail="This operation needs an API key.")
        if caller.role not in roles:
            raise Forbidden(detail=f"This operation needs one of the roles: {', '.join(roles)}.")
        return caller

    return dependency


AdminDep = Annotated[Caller, Depends(require_roles("admin"))]
