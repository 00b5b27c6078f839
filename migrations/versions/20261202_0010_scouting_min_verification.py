"""Scouting requests: the lowest certificate trust level that meets a required standard.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing requests keep their meaning: every valid certificate counts.
    with op.batch_alter_table("scouting_request") as batch:
        batch.add_column(
            sa.Column(
                "min_verification",
                sa.String(length=24),
                nullable=False,
                server_default=sa.text("'self-declared'"),
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("scouting_request") as batch:
        batch.drop_column("min_verification")
