"""Supplier tables: the registry itself, its links to the catalogues, its change log and the
data generation token every supplier write changes."""

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, Relationship, SQLModel

from app.db import big_integer, partial_index, utcnow
from app.suppliers.sizing import SIZE_CLASS_SQL

# The ORM adds `WHERE version = <loaded>` to every UPDATE of a supplier and bumps it, so of two
# writers holding the same version exactly one wins (the other gets StaleDataError -> 412).
_version_column = Column("version", sa.Integer, nullable=False)


class Supplier(SQLModel, table=True):
    __tablename__ = "supplier"
    __mapper_args__ = {"version_id_col": _version_column}
    __table_args__ = (
        # VAT numbers are unique among live suppliers; a deleted company can be re-created.
        partial_index(
            "uq_supplier_vat_number_live", "vat_number", unique=True, where="deleted_at IS NULL"
        ),
        sa.CheckConstraint("employees IS NULL OR employees >= 0", name="employees_non_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    legal_name: str | None = Field(default=None, max_length=200)
    vat_number: str = Field(max_length=20)
    description: str = Field(default="", sa_column=Column(sa.Text, nullable=False))
    website: str | None = Field(default=None, max_length=500)
    street: str | None = Field(default=None, max_length=200)
    city: str | None = Field(default=None, max_length=100)
    province: str | None = Field(default=None, max_length=2, index=True)
    postal_code: str | None = Field(default=None, max_length=10)
    country: str = Field(default="IT", max_length=2)
    lat: float | None = None
    lon: float | None = None
    employees: int | None = None
    annual_revenue_eur: int | None = Field(default=None, sa_type=sa.BigInteger)
    # Computed by the database from employees and turnover, so it can never be stale.
    size_class: str | None = Field(
        default=None,
        sa_column=Column(sa.String(10), sa.Computed(SIZE_CLASS_SQL, persisted=True)),
    )
    tier: str | None = Field(default=None, max_length=10)
    programs: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    contact_name: str | None = Field(default=None, max_length=200)
    contact_email: str | None = Field(default=None, max_length=320)
    contact_phone: str | None = Field(default=None, max_length=40)
    verified: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    deleted_at: datetime | None = Field(
        default=None, sa_type=sa.DateTime(timezone=True), index=True
    )
    version: int = Field(default=1, sa_column=_version_column)

    supply_chain_links: list["SupplierSupplyChain"] = Relationship(
        sa_relationship_kwargs={
            "cascade": "all, delete-orphan",
            "order_by": "SupplierSupplyChain.supply_chain_code",
        }
    )
    capability_links: list["SupplierCapability"] = Relationship(
        sa_relationship_kwargs={
            "cascade": "all, delete-orphan",
            "order_by": "SupplierCapability.capability_code",
        }
    )
    certifications: list["SupplierCertification"] = Relationship(
        sa_relationship_kwargs={
            "cascade": "all, delete-orphan",
            "order_by": "SupplierCertification.id",
        }
    )


class SupplierSupplyChain(SQLModel, table=True):
    __tablename__ = "supplier_supply_chain"

    supplier_id: int = Field(foreign_key="supplier.id", primary_key=True, ondelete="CASCADE")
    supply_chain_code: str = Field(foreign_key="supply_chain.code", primary_key=True, max_length=32)


class SupplierCapability(SQLModel, table=True):
    __tablename__ = "supplier_capability"

    supplier_id: int = Field(foreign_key="supplier.id", primary_key=True, ondelete="CASCADE")
    capability_code: str = Field(foreign_key="capability.code", primary_key=True, max_length=100)


class SupplierCertification(SQLModel, table=True):
    __tablename__ = "supplier_certification"
    __table_args__ = (
        sa.CheckConstraint(
            "expires_on IS NULL OR issued_on IS NULL OR expires_on > issued_on",
            name="expires_after_issued",
        ),
        # Covering index for "suppliers holding a valid certificate of standard X".
        sa.Index(
            "ix_supplier_certification_validity",
            "standard_code",
            "status",
            "expires_on",
            "issued_on",
            "verification",
            "supplier_id",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    supplier_id: int = Field(foreign_key="supplier.id", index=True, ondelete="CASCADE")
    standard_code: str = Field(foreign_key="certification_standard.code", max_length=64)
    certificate_number: str | None = Field(default=None, max_length=100)
    issuer: str | None = Field(default=None, max_length=200)
    issued_on: date | None = None
    expires_on: date | None = None
    status: str = Field(default="active", max_length=16)
    scope: str | None = Field(default=None, max_length=1000)
    verification: str = Field(default="self-declared", max_length=24)


class ChangeEvent(SQLModel, table=True):
    """A supplier event and the supplier's public record right after it: the change feed
    (`app.changes`) and webhook deliveries read them, in commit order.

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


class DataGeneration(SQLModel, table=True):
    """One row whose token changes, in the writing transaction, on every supplier write.

    Database triggers (revision 0003) set a fresh random token whenever a statement writes
    `supplier` or one of its link tables, so a cached result keyed by the token is never
    served after the data it was computed from has changed. Random rather than a counter: a
    rolled-back write takes its token with it and no later write can ever reuse it.
    """

    __tablename__ = "data_generation"

    id: int = Field(primary_key=True)
    token: int = Field(sa_type=sa.BigInteger)
