"""`GET /changes`: the ordered feed of supplier events, for partners that keep a copy."""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response, status

from app.auth.caller import Caller
from app.auth.deps import require_roles
from app.catalogue.labels import LabelCodes, LanguageDep, add_vary
from app.changes import service
from app.changes.schemas import ChangeEventPublic, ChangePage
from app.db import SessionDep
from app.errors import problem_responses
from app.suppliers.generation import data_generation

router = APIRouter(prefix="/changes", tags=["changes"])

FeedReaderDep = Annotated[Caller, Depends(require_roles("admin", "partner", "buyer"))]


@router.get(
    "",
    response_model=ChangePage,
    responses={
        304: {"description": "Not modified (If-None-Match matched the ETag)."},
        **problem_responses(401, 403),
    },
)
def list_changes(
    session: SessionDep,
    caller: FeedReaderDep,
    response: Response,
    lang: LanguageDep,
    after: Annotated[
        str | None,
        Query(
            pattern=r"^[0-9]{1,18}$",
            description="`next_cursor` of the previous page; absent: from the first event.",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="Events per page.")] = 100,
    if_none_match: Annotated[str | None, Header(max_length=1024)] = None,
) -> ChangePage | Response:
    """Supplier created/updated/deleted events in commit order (admin, partner, buyer)."""
    position = int(after or 0)
    events = service.list_changes(session=session, after=position, limit=limit + 1, caller=caller)
    has_more = len(events) > limit
    events = events[:limit]
    last = events[-1][0].seq if events else position
    # Lazily filled records show the current state, so the data generation is part of the tag.
    # Italian labels are another representation, hence another tag.
    etag = f'"{last}-{len(events)}-{data_generation(session)}{"-it" if lang == "it" else ""}"'
    if if_none_match is not None and etag in {t.strip() for t in if_none_match.split(",")}:
        not_modified = Response(status_code=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag})
        not_modified.headers["Content-Language"] = lang
        add_vary(not_modified, "Accept-Language")
        return not_modified
    response.headers["ETag"] = etag
    codes = LabelCodes()
    for _, supplier in events:
        if supplier is not None:
            codes.add_supplier(supplier)
    return ChangePage(
        items=[
            ChangeEventPublic.model_validate(  # the type and a stored record, checked
                {
                    "id": str(event.seq),
                    "type": f"supplier.{event.kind}",
                    "occurred_at": event.occurred_at,
                    "supplier_id": event.supplier_id,
                    "version": event.version,
                    "supplier": supplier,
                }
            )
            for event, supplier in events
        ],
        next_cursor=str(last),
        has_more=has_more,
        labels=codes.labels(session=session, lang=lang),
    )
