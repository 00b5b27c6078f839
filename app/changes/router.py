"""`GET /changes`: the ordered feed of supplier events, for partners that keep a copy."""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response

from app.auth.caller import Caller
from app.auth.deps import require_roles
from app.catalogue.labels import LanguageDep, not_modified
from app.changes import service
from app.changes.schemas import ChangePage
from app.db import SessionDep
from app.errors import problem_responses

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
    held = {t.strip() for t in if_none_match.split(",")} if if_none_match is not None else set()
    etag, page = service.read_feed(
        session=session, caller=caller, after=int(after or 0), limit=limit, lang=lang, held=held
    )
    if page is None:
        return not_modified(lang, headers={"ETag": etag})
    response.headers["ETag"] = etag
    return page
