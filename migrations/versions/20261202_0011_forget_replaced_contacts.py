"""Forget replaced and deleted contacts: personal data lives only in the supplier row.

Change-feed events and webhook deliveries used to store each supplier record with its
`contact`, so a contact that was later replaced, or whose supplier was deleted, stayed readable
in the feed and the delivery log. They are now stored without it (readers get the current
contact); this revision removes `contact` from the records already stored, and erases the
contact of suppliers deleted before soft deletes started doing so.

The payload columns are `JSON` (PostgreSQL `json`, SQLite text): PostgreSQL edits them as
`jsonb` (`-`, `#-`), SQLite with `json_remove`. Only rows that hold a contact are rewritten.

Downgrading changes nothing: the erased data cannot come back.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# change_event.payload is a supplier record; webhook_delivery.payload an envelope whose
# `data.supplier` is one (supplier events only).
_POSTGRESQL = (
    "UPDATE change_event SET payload = (payload::jsonb - 'contact')::json"
    " WHERE payload::jsonb ? 'contact'",
    "UPDATE webhook_delivery"
    " SET payload = (payload::jsonb #- '{data,supplier,contact}')::json"
    " WHERE payload::jsonb #> '{data,supplier}' ? 'contact'",
)
_SQLITE = (
    "UPDATE change_event SET payload = json_remove(payload, '$.contact')"
    " WHERE json_type(payload, '$.contact') IS NOT NULL",
    "UPDATE webhook_delivery SET payload = json_remove(payload, '$.data.supplier.contact')"
    " WHERE json_type(payload, '$.data.supplier.contact') IS NOT NULL",
)
_DELETED_SUPPLIERS = (
    "UPDATE supplier SET contact_name = NULL, contact_email = NULL, contact_phone = NULL"
    " WHERE deleted_at IS NOT NULL AND (contact_name IS NOT NULL"
    " OR contact_email IS NOT NULL OR contact_phone IS NOT NULL)"
)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for statement in _POSTGRESQL if postgres else _SQLITE:
        op.execute(statement)
    op.execute(_DELETED_SUPPLIERS)


def downgrade() -> None:
    """Nothing to undo: the contacts removed are gone for good."""
