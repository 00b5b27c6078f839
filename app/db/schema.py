"""Table metadata and the column types and indexes that are spelled per database."""

from typing import Any

import sqlalchemy as sa
from sqlalchemy import MetaData
from sqlmodel import SQLModel

from app.db.postgresql import PostgreSQL
from app.db.sqlite import SQLite

# Deterministic constraint names, so Alembic can find and alter them on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata: MetaData = SQLModel.metadata


def big_integer() -> sa.types.TypeEngine[int]:
    """A 64-bit integer: BIGINT on PostgreSQL, INTEGER on SQLite (64-bit already, and an
    INTEGER PRIMARY KEY is the rowid alias, which autoincrement needs)."""
    return sa.BigInteger().with_variant(sa.Integer(), SQLite.name)


def partial_index(name: str, *columns: str, where: str, unique: bool = False) -> sa.Index:
    """An index of the rows matching `where` only, on every database."""
    condition: dict[str, Any] = {
        f"{backend.name}_where": sa.text(where) for backend in (SQLite, PostgreSQL)
    }
    return sa.Index(name, *columns, unique=unique, **condition)
