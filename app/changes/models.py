"""The change feed: one row per create, update and soft delete of a supplier, in commit order."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel

from app.db import big_integer, utcnow


class ChangeEvent(SQLModel, table=True):
    """A supplier event and the supplier's public record right after it.

    Ordering: every transaction that writes suppliers locks the `data_generation` row with its
    first supplier statement (revision 0003) and holds it until it commits; events are inserted
    after that statement, so sequence numbers are handed out in commit order and a reader can
    never see seq N+1 committed while N is still to come.
    """

    __tablename__ = "change_event"
    __table_args__ = {"sqlite_autoincrement": True}  # numbers are never reused

    seq: int | None = Field(
        default=None,
        sa_type=big_integer(),  # SQLite: rowid alias
        primary_key=True,
    )
    supplier_id: int = Field(index=True)
    kind: str = Field(max_length=16, description="created, updated or deleted")
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    version: int = Field(description="The supplier's version after the change.")
    # The public record after the change, without `contact` (readers get the supplier's
    # current one: personal data lives only in the supplier row); null for deletions and for
    # events written in bulk (demo seeding, the migration that introduced the feed), whose
    # readers get the record as it is now.
    payload: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
