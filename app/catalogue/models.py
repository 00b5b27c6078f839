"""Catalogue tables: the stable vocabularies suppliers are described with."""

from sqlmodel import Field, SQLModel

import app.db  # noqa: F401  (sets the constraint naming convention before tables are defined)


class SupplyChain(SQLModel, table=True):
    __tablename__ = "supply_chain"

    code: str = Field(primary_key=True, max_length=32)
    name_en: str = Field(max_length=100)
    name_it: str = Field(max_length=100)
    description: str = Field(default="", max_length=500)


class Capability(SQLModel, table=True):
    """A node of the capability tree; `code` is dot-separated from its root."""

    __tablename__ = "capability"

    code: str = Field(primary_key=True, max_length=100)
    parent: str | None = Field(
        default=None, foreign_key="capability.code", max_length=100, index=True
    )
    name_en: str = Field(max_length=150)
    name_it: str = Field(max_length=150)


class CertificationStandard(SQLModel, table=True):
    __tablename__ = "certification_standard"

    code: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)  # English
    name_it: str = Field(max_length=200)
    kind: str = Field(max_length=64)
