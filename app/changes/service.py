"""Recording supplier events and reading them back in order."""

from typing import Any

from sqlalchemy import insert, literal
from sqlmodel import Session, col, select

from app.auth.caller import Caller
from app.changes.models import ChangeEvent
from app.suppliers.models import Supplier
from app.suppliers.schemas import SupplierPublic

KINDS = ("created", "updated", "deleted")


def record_change(
    *,
    session: Session,
    supplier_id: int,
    version: int,
    kind: str,
    payload: dict[str, Any] | None,
) -> None:
    """Add an event to the writing transaction; call it after the supplier's own statement."""
    session.add(ChangeEvent(supplier_id=supplier_id, kind=kind, version=version, payload=payload))


def bulk_created_statement(*, first_id: int, last_id: int) -> Any:
    """`created` events (no stored payload) for suppliers bulk-inserted with ids in a range."""
    table = Supplier.__table__  # type: ignore[attr-defined]
    rows = (
        select(table.c.id, literal("created"), table.c.created_at, table.c.version)
        .where(table.c.id.between(first_id, last_id))
        .order_by(table.c.id)
    )
    return insert(ChangeEvent.__table__).from_select(  # type: ignore[attr-defined]
        ["supplier_id", "kind", "occurred_at", "version"], rows
    )


def list_changes(
    *, session: Session, after: int, limit: int, caller: Caller
) -> list[tuple[ChangeEvent, SupplierPublic | dict[str, Any] | None]]:
    """Events after `after` in order, each with the supplier record it carries."""
    # Imported here: the supplier service records events through this module.
    from app.suppliers.service import public_records

    events = list(
        session.exec(
            select(ChangeEvent)
            .where(col(ChangeEvent.seq) > after)
            .order_by(col(ChangeEvent.seq))
            .limit(limit)
        )
    )
    # Events written in bulk carry no record: they get the supplier as it is now.
    missing = {e.supplier_id for e in events if e.payload is None and e.kind != "deleted"}
    current = public_records(session=session, ids=sorted(missing), caller=caller)

    def record(event: ChangeEvent) -> SupplierPublic | dict[str, Any] | None:
        if event.kind == "deleted":
            return None
        return event.payload if event.payload is not None else current[event.supplier_id]

    return [(event, record(event)) for event in events]
