"""Reading supplier events back in order (`app.suppliers.writing` records them)."""

from typing import Any

from sqlmodel import Session, col, select

from app.auth.caller import Caller
from app.suppliers.models import ChangeEvent
from app.suppliers.schemas import SupplierPublic
from app.suppliers.service import current_contacts, public_records

KINDS = ("created", "updated", "deleted")


def list_changes(
    *, session: Session, after: int, limit: int, caller: Caller
) -> list[tuple[ChangeEvent, SupplierPublic | dict[str, Any] | None]]:
    """Events after `after` in order, each with the supplier record it carries and the
    supplier's current contact (null once it is deleted, or for callers who may not see it)."""
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
    shown = sorted({e.supplier_id for e in events if e.kind != "deleted"})
    contacts = current_contacts(session=session, ids=shown, caller=caller)

    def record(event: ChangeEvent) -> SupplierPublic | dict[str, Any] | None:
        if event.kind == "deleted":
            return None
        contact = contacts.get(event.supplier_id)
        if event.payload is None:
            return current[event.supplier_id].model_copy(update={"contact": contact})
        return {**event.payload, "contact": contact}

    return [(event, record(event)) for event in events]
