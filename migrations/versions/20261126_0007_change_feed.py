"""Change feed: one event per supplier create, update and soft delete, in commit order.

Existing live suppliers get one `created` event each (in id order, without a stored record:
readers get the record as it is), so a partner replaying the feed from the start ends with
exactly the live set.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "change_event",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_change_event")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_change_event_supplier_id"), "change_event", ["supplier_id"])
    op.execute(
        "INSERT INTO change_event (supplier_id, kind, occurred_at, version) "
        "SELECT id, 'created', created_at, version FROM supplier WHERE deleted_at IS NULL "
        "ORDER BY id"
    )


def downgrade() -> None:
    op.drop_table("change_event")
