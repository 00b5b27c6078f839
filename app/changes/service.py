"""Reading supplier events back in order (`app.suppliers.writing` records them)."""

from typing import Any

from sqlmodel import Session, col, select

from app.auth.caller import Caller
from app.catalogue.labels import LabelCodes, Language, labelled_etag
from app.changes.schemas import ChangeEventPublic, ChangePage
from app.cursors import page_of
from app.suppliers.generation import data_generation
from app.suppliers.models import ChangeEvent
from app.suppliers.schemas import SupplierPublic
from app.suppliers.service import current_contacts, public_records


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


def read_feed(
    *,
    session: Session,
    caller: Caller,
    after: int,
    limit: int,
    lang: Language,
    held: set[str],
) -> tuple[str, ChangePage | None]:
    """The ETag of the page of events after `after`, and the page, its codes labelled; no page
    when the caller already holds that ETag (one of `held`)."""
    events, has_more = page_of(
        list_changes(session=session, after=after, limit=limit + 1, caller=caller), limit
    )
    last = events[-1][0].seq if events else after
    # Lazily filled records show the current state, so the data generation is part of the tag.
    etag = labelled_etag(f"{last}-{len(events)}-{data_generation(session)}", lang)
    if etag in held:
        return etag, None
    codes = LabelCodes()
    for _, supplier in events:
        if supplier is not None:
            codes.add_supplier(supplier)
    page = ChangePage(
        items=[
            ChangeEventPublic(
                id=str(event.seq),
                type=f"supplier.{event.kind}",  # type: ignore[arg-type]  # event kinds are created, updated and deleted: the three types
                occurred_at=event.occurred_at,
                supplier_id=event.supplier_id,
                version=event.version,
                supplier=supplier,  # type: ignore[arg-type]  # a stored record (dict) is validated as SupplierPublic
            )
            for event, supplier in events
        ],
        next_cursor=str(last),
        has_more=has_more,
        labels=codes.labels(session=session, lang=lang),
    )
    return etag, page
