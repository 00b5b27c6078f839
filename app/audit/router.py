"""`GET /audit`: the audit trail of every write (admin)."""

from typing import Annotated

from fastapi import APIRouter, Query

from app.audit import service
from app.audit.schemas import AuditAction, AuditEntity, AuditPage
from app.auth.deps import AdminDep
from app.auth.schemas import Role
from app.db import SessionDep
from app.errors import problem_responses
from app.params import Limit, LogCursor
from app.types import IsoDatetime

router = APIRouter(prefix="/audit", tags=["audit"], responses=problem_responses(401, 403))

Id = Annotated[int | None, Query(ge=1, le=2**31 - 1)]


@router.get("", response_model=AuditPage)
def list_audit_events(
    session: SessionDep,
    _admin: AdminDep,
    entity: Annotated[AuditEntity | None, Query(description="Kind of record.")] = None,
    entity_id: Annotated[Id, Query(description="Id of the record (with `entity`).")] = None,
    key_id: Annotated[Id, Query(description="API key that made the changes.")] = None,
    role: Annotated[Role | None, Query(description="Role of the key.")] = None,
    action: Annotated[AuditAction | None, Query(description="Kind of write.")] = None,
    since: Annotated[IsoDatetime | None, Query(description="At or after (ISO 8601).")] = None,
    until: Annotated[IsoDatetime | None, Query(description="Before (ISO 8601).")] = None,
    limit: Limit = 20,
    cursor: LogCursor = None,
) -> AuditPage:
    """Who changed what and when, newest first (admin)."""
    return service.list_events(
        session=session,
        limit=limit,
        cursor=cursor,
        entity=entity,
        entity_id=entity_id,
        key_id=key_id,
        role=role,
        action=action,
        since=since,
        until=until,
    )
