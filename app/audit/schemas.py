"""Response models of the audit trail."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.types import UtcDatetime

AuditEntity = Literal["supplier", "api_key", "webhook", "scouting_request", "synonym"]
AuditAction = Literal["create", "update", "delete", "revoke"]


class AuditEventPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int = Field(description="Increasing event number.")
    occurred_at: UtcDatetime = Field(description="When the write committed its transaction.")
    key_id: int | None = Field(description="API key that made the change; null from the CLI.")
    role: str | None = Field(description="Role of that key (`system` for the command line).")
    action: AuditAction = Field(description="What was done.")
    entity: AuditEntity = Field(description="Kind of record changed.")
    entity_id: int = Field(description="Id of the record changed.")
    fields: list[str] = Field(description="Top-level fields the write changed (names only).")
    request_id: str | None = Field(description="X-Request-ID of the HTTP request, for the logs.")


class AuditPage(BaseModel):
    items: list[AuditEventPublic] = Field(description="Events, newest first.")
    next_cursor: str | None = Field(description="Pass as `cursor` for older events; null at end.")
