"""E-scouting tables: a buyer's request, the buyer's marks on matches, suppliers' responses."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel

from app.db import utcnow

# Bumped on every change of a request (ETag, If-Match; part of the match cursors).
_version_column = Column("version", sa.Integer, nullable=False)


class ScoutingRequest(SQLModel, table=True):
    """A buyer's need; owned by the API key that created it."""

    __tablename__ = "scouting_request"
    __mapper_args__ = {"version_id_col": _version_column}
    __table_args__ = (
        # Open requests, newest first: what suppliers' `matching=me` lists walk.
        sa.Index("ix_scouting_request_status", "status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    owner_key_id: int = Field(foreign_key="api_key.id", index=True, ondelete="CASCADE")
    owner_role: str = Field(max_length=16)
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_column=Column(sa.Text, nullable=False))
    supply_chains: list[str] = Field(sa_column=Column(JSON, nullable=False))
    required_capabilities: list[str] = Field(sa_column=Column(JSON, nullable=False))
    preferred_capabilities: list[str] = Field(sa_column=Column(JSON, nullable=False))
    required_certifications: list[str] = Field(sa_column=Column(JSON, nullable=False))
    provinces: list[str] = Field(sa_column=Column(JSON, nullable=False))
    size_classes: list[str] = Field(sa_column=Column(JSON, nullable=False))
    near_lat: float | None = None
    near_lon: float | None = None
    radius_km: float | None = None
    needed_by: date | None = None
    # The lowest certificate trust level that meets a required standard (VERIFICATION_LEVELS).
    min_verification: str = Field(
        default="self-declared",
        sa_column=Column(sa.String(24), nullable=False, server_default=sa.text("'self-declared'")),
    )
    status: str = Field(default="open", max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    closed_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    version: int = Field(default=1, sa_column=_version_column)


class MatchRecord(SQLModel):
    """A row about one match of a request: one per request and supplier."""

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="scouting_request.id", ondelete="CASCADE")
    supplier_id: int = Field(foreign_key="supplier.id", index=True, ondelete="CASCADE")


class ScoutingMark(MatchRecord, table=True):
    """The buyer's verdict on one match: shortlisted or excluded, with a note."""

    __tablename__ = "scouting_mark"
    __table_args__ = (
        sa.UniqueConstraint("request_id", "supplier_id", name="uq_scouting_mark_request_supplier"),
    )

    state: str = Field(max_length=16)
    note: str = Field(default="", sa_column=Column(sa.Text, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))


class ScoutingResponse(MatchRecord, table=True):
    """A supplier's answer to a request it matches; a second answer replaces the first."""

    __tablename__ = "scouting_response"
    __table_args__ = (
        sa.UniqueConstraint(
            "request_id", "supplier_id", name="uq_scouting_response_request_supplier"
        ),
    )

    status: str = Field(max_length=16)
    message: str = Field(default="", sa_column=Column(sa.Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
