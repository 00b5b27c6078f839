"""API keys: only a SHA-256 hash of each key is stored; the key itself is shown once."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.db import utcnow


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(default="", max_length=200)
    prefix: str = Field(max_length=16, description="First characters of the key, for display.")
    key_hash: str = Field(max_length=64, unique=True)
    role: str = Field(max_length=16)
    supplier_id: int | None = Field(
        default=None, foreign_key="supplier.id", index=True, ondelete="CASCADE"
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    expires_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    revoked_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
