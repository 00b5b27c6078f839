"""SQLite: a vocabulary view of the name trigram index, for picking a query's rarest trigrams.

The typo-tolerant name search asks the trigram index only for a name's rarest trigrams:
as selective as all of them, far cheaper. PostgreSQL needs nothing (pg_trgm's GIN index).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE supplier_name_trgm_vocab USING fts5vocab(supplier_name_trgm, row)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS supplier_name_trgm_vocab")
