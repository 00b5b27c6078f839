"""The audit trail: one row per successful write, stored in the writing transaction."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel

from app.db import utcnow


class AuditEvent(SQLModel, table=True):
    """Who changed what, and when. Field names only: values (contacts) are not copied here."""

    __tablename__ = "audit_event"
    __table_args__ = (sa.Index("ix_audit_event_entity", "entity", "entity_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = Field(
        default_factory=utcnow, sa_type=sa.DateTime(timezone=True), index=True
    )
    # No foreign key: the trail outlives what it describes.
    key_id: int | None = Field(default=None, index=True)
    role: str | None = Field(default=None, max_length=16)
    action: str = Field(max_length=16)
    entity: str = Field(max_length=32)
    entity_id: int
    fields: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    request_id: str | None = Field(default=None, max_length=64)
