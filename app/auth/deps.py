"""Request dependencies that identify the caller and enforce roles."""

import hmac
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.auth import service
from app.auth.caller import Caller
from app.db import SessionDep
from app.errors import Forbidden, Unauthorized

_bearer = HTTPBearer(auto_error=False, description="API key: `Authorization: Bearer <key>`.")


def current_caller(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """Anonymous without a key; a presented key must be valid (401 otherwise)."""
    if credentials is None:
        if "authorization" in request.headers:  # another scheme, or an empty key
            raise Unauthorized(detail="Send the key as `Authorization: Bearer <key>`.")
        return Caller()
    key = service.authenticate(session=session, plaintext=credentials.credentials)
    if key is None:
        raise Unauthorized(detail="The API key is unknown, revoked or expired.")
    return Caller(role=key.role, key_id=key.id, supplier_id=key.supplier_id)


CallerDep = Annotated[Caller, Depends(current_caller)]


def require_roles(*roles: str) -> Callable[[Caller], Caller]:
    def dependency(caller: CallerDep) -> Caller:
        if caller.role is None:
            raise Unauthorized(detail="This operation needs an API key.")
        if caller.role not in roles:
            raise Forbidden(detail=f"This operation needs one of the roles: {', '.join(roles)}.")
        return caller

    return dependency


def metrics_reader(token: str | None) -> Callable[..., None]:
    """Admits admin keys and, when `token` is set, a bearer equal to it (constant time)."""
    admin_only = require_roles("admin")

    def dependency(
        request: Request,
        session: SessionDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> None:
        if (
            token is not None
            and credentials is not None
            and hmac.compare_digest(credentials.credentials.encode(), token.encode())
        ):
            return
        admin_only(current_caller(request, session, credentials))

    return dependency


AdminDep = Annotated[Caller, Depends(require_roles("admin"))]
SupplierEditorDep = Annotated[Caller, Depends(require_roles("admin", "supplier"))]

# For routes anonymous callers may use too: FastAPI declares the bearer scheme; this adds the
# empty requirement, so the key is documented as optional (it reveals contact details).
OPTIONAL_KEY: dict[str, Any] = {"security": [{}]}
