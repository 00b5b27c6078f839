"""Data generation token: changes in the same transaction as every supplier write.

The search caches exact totals and facet counts keyed by this token (see
`app.search.cache`). PostgreSQL: one BEFORE ... FOR EACH STATEMENT trigger per table, so the
token row is locked before any supplier row (no lock-order deadlocks) and once per statement
(bulk imports stay cheap). SQLite: row triggers (its only kind; the database has one writer).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("supplier", "supplier_supply_chain", "supplier_capability", "supplier_certification")
EVENTS = ("insert", "update", "delete")
PG_TOKEN = "floor(random() * 9.0e18)::bigint"
SQLITE_TOKEN = "random()"


def upgrade() -> None:
    op.create_table(
        "data_generation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_generation")),
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    token = PG_TOKEN if postgres else SQLITE_TOKEN
    op.execute(f"INSERT INTO data_generation (id, token) VALUES (1, {token})")
    if postgres:
        op.execute(
            f"""CREATE FUNCTION escouting_new_generation() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                UPDATE data_generation SET token = {PG_TOKEN} WHERE id = 1;
                RETURN NULL;
            END $$"""
        )
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_generation BEFORE INSERT OR UPDATE OR DELETE OR "
                f"TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION "
                "escouting_new_generation()"
            )
        return
    for table in TABLES:
        for event in EVENTS:
            op.execute(
                f"CREATE TRIGGER {table}_generation_{event} AFTER {event.upper()} ON {table} "
                f"BEGIN UPDATE data_generation SET token = {SQLITE_TOKEN} WHERE id = 1; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_generation ON {table}")
        op.execute("DROP FUNCTION IF EXISTS escouting_new_generation()")
    else:
        for table in TABLES:
            for event in EVENTS:
                op.execute(f"DROP TRIGGER IF EXISTS {table}_generation_{event}")
    op.drop_table("data_generation")
