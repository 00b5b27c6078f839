"""E-scouting: buyers' requests, their marks on matches, suppliers' responses.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "scouting_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_key_id", sa.Integer(), nullable=False),
        sa.Column("owner_role", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("supply_chains", sa.JSON(), nullable=False),
        sa.Column("required_capabilities", sa.JSON(), nullable=False),
        sa.Column("preferred_capabilities", sa.JSON(), nullable=False),
        sa.Column("required_certifications", sa.JSON(), nullable=False),
        sa.Column("provinces", sa.JSON(), nullable=False),
        sa.Column("size_classes", sa.JSON(), nullable=False),
        sa.Column("near_lat", sa.Float(), nullable=True),
        sa.Column("near_lon", sa.Float(), nullable=True),
        sa.Column("radius_km", sa.Float(), nullable=True),
        sa.Column("needed_by", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.Column("closed_at", UTC_TIME, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_key_id"],
            ["api_key.id"],
            name=op.f("fk_scouting_request_owner_key_id_api_key"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scouting_request")),
    )
    op.create_index(op.f("ix_scouting_request_owner_key_id"), "scouting_request", ["owner_key_id"])
    op.create_index("ix_scouting_request_status", "scouting_request", ["status", "id"])
    for table, verdict in (("scouting_mark", "state"), ("scouting_response", "status")):
        times = [sa.Column("updated_at", UTC_TIME, nullable=False)]
        if table == "scouting_response":
            times.insert(0, sa.Column("created_at", UTC_TIME, nullable=False))
        op.create_table(
            table,
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("request_id", sa.Integer(), nullable=False),
            sa.Column("supplier_id", sa.Integer(), nullable=False),
            sa.Column(verdict, sa.String(length=16), nullable=False),
            sa.Column("note" if table == "scouting_mark" else "message", sa.Text(), nullable=False),
            *times,
            sa.ForeignKeyConstraint(
                ["request_id"],
                ["scouting_request.id"],
                name=op.f(f"fk_{table}_request_id_scouting_request"),
                ondelete="CASCADE",
            ),
            sa.ForeignKeyConstraint(
                ["supplier_id"],
                ["supplier.id"],
                name=op.f(f"fk_{table}_supplier_id_supplier"),
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
            sa.UniqueConstraint("request_id", "supplier_id", name=f"uq_{table}_request_supplier"),
        )
        op.create_index(op.f(f"ix_{table}_supplier_id"), table, ["supplier_id"])


def downgrade() -> None:
    for table in ("scouting_response", "scouting_mark"):
        op.drop_index(op.f(f"ix_{table}_supplier_id"), table_name=table)
        op.drop_table(table)
    op.drop_index("ix_scouting_request_status", table_name="scouting_request")
    op.drop_index(op.f("ix_scouting_request_owner_key_id"), table_name="scouting_request")
    op.drop_table("scouting_request")
