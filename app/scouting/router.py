"""E-scouting endpoints: buyers' requests, their ranked matches, shortlists, supplier answers."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response, status

from app.auth.caller import Caller
from app.auth.deps import require_roles
from app.catalogue.labels import Language, LanguageDep, add_vary, labelled_etag
from app.db import SessionDep, with_deadline
from app.errors import problem_responses
from app.params import Cursor, Limit
from app.scouting import requests, service, verdicts
from app.scouting.schemas import (
    MarkFilter,
    MarkIn,
    MarkPublic,
    MatchPage,
    RequestStatus,
    ResponseIn,
    ResponsePublic,
    ScoutingRequestCreate,
    ScoutingRequestDetail,
    ScoutingRequestPage,
    ScoutingRequestUpdate,
)

router = APIRouter(
    prefix="/scouting-requests",
    tags=["scouting"],
    responses=problem_responses(401, 403),
    dependencies=[Depends(with_deadline)],
)

BuyerDep = Annotated[Caller, Depends(require_roles("admin", "buyer"))]
ReaderDep = Annotated[Caller, Depends(require_roles("admin", "buyer", "supplier"))]
SupplierDep = Annotated[Caller, Depends(require_roles("supplier"))]
RequestId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Scouting request id.")]
SupplierId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Supplier id.")]
IfMatch = Annotated[str | None, Header(max_length=1024)]


def _with_etag(
    response: Response, detail: ScoutingRequestDetail, lang: Language
) -> ScoutingRequestDetail:
    """The request's ETag and `Vary` headers."""
    response.headers["ETag"] = labelled_etag(str(detail.version), lang)
    add_vary(response, "Authorization")
    return detail


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ScoutingRequestDetail,
    responses=problem_responses(422),
)
def create_scouting_request(
    body: ScoutingRequestCreate,
    session: SessionDep,
    caller: BuyerDep,
    request: Request,
    response: Response,
    lang: LanguageDep,
) -> ScoutingRequestDetail:
    """Post a scouting request (buyer, admin); it belongs to the key that posts it."""
    created = requests.create_request(session=session, data=body, caller=caller, lang=lang)
    response.headers["Location"] = str(
        request.url_for("get_scouting_request", request_id=created.id)
    )
    return _with_etag(response, created, lang)


@router.get("", response_model=ScoutingRequestPage, responses=problem_responses(422))
def list_scouting_requests(
    session: SessionDep,
    caller: ReaderDep,
    lang: LanguageDep,
    matching: Annotated[
        Literal["me"] | None,
        Query(
            description="`me` (supplier keys, implied for them): open requests the caller's "
            "supplier passes the knock-outs of."
        ),
    ] = None,
    status_: Annotated[
        RequestStatus | None,
        Query(alias="status", description="Only open or only closed (buyers and admins)."),
    ] = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> ScoutingRequestPage:
    """List your own requests (admins: all), or as a supplier the open requests you match."""
    return requests.list_requests(
        session=session,
        caller=caller,
        matching=matching,
        status=status_,
        limit=limit,
        cursor=cursor,
        lang=lang,
    )


@router.get("/{request_id}", response_model=ScoutingRequestDetail, responses=problem_responses(404))
def get_scouting_request(
    request_id: RequestId,
    session: SessionDep,
    caller: ReaderDep,
    response: Response,
    lang: LanguageDep,
) -> ScoutingRequestDetail:
    """Read a request: its owner and admins with every response; a matching supplier its own."""
    found = requests.read_request(session=session, request_id=request_id, caller=caller, lang=lang)
    return _with_etag(response, found, lang)


@router.patch(
    "/{request_id}",
    response_model=ScoutingRequestDetail,
    responses=problem_responses(404, 409, 412, 422),
)
def update_scouting_request(
    request_id: RequestId,
    body: ScoutingRequestUpdate,
    session: SessionDep,
    caller: BuyerDep,
    response: Response,
    lang: LanguageDep,
    if_match: IfMatch = None,
) -> ScoutingRequestDetail:
    """Change an open request (owner, admin); honours `If-Match`; 409 once closed."""
    updated = requests.update_request(
        session=session,
        request_id=request_id,
        data=body,
        caller=caller,
        if_match=if_match,
        lang=lang,
    )
    return _with_etag(response, updated, lang)


@router.post(
    "/{request_id}/close",
    response_model=ScoutingRequestDetail,
    responses=problem_responses(404, 409, 412),
)
def close_scouting_request(
    request_id: RequestId,
    session: SessionDep,
    caller: BuyerDep,
    response: Response,
    lang: LanguageDep,
    if_match: IfMatch = None,
) -> ScoutingRequestDetail:
    """Close an open request (owner, admin): no more responses or changes; 409 if closed."""
    closed = requests.close_request(
        session=session, request_id=request_id, caller=caller, if_match=if_match, lang=lang
    )
    return _with_etag(response, closed, lang)


@router.get(
    "/{request_id}/matches", response_model=MatchPage, responses=problem_responses(404, 422)
)
def list_scouting_matches(
    request_id: RequestId,
    session: SessionDep,
    caller: BuyerDep,
    lang: LanguageDep,
    state: Annotated[
        MarkFilter | None,
        Query(description="Only shortlisted, excluded or unmarked matches."),
    ] = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> MatchPage:
    """Suppliers passing the knock-outs, best first, each with its score explained (owner);
    the codes shown are labelled in `labels`."""
    return service.list_matches(
        session=session,
        request_id=request_id,
        caller=caller,
        state=state,
        limit=limit,
        cursor=cursor,
        lang=lang,
    )


@router.put(
    "/{request_id}/marks/{supplier_id}",
    response_model=MarkPublic,
    responses=problem_responses(404, 422),
)
def mark_scouting_match(
    request_id: RequestId,
    supplier_id: SupplierId,
    body: MarkIn,
    session: SessionDep,
    caller: BuyerDep,
) -> MarkPublic:
    """Shortlist or exclude a match, with a note (owner, admin); 404 if not a match."""
    return verdicts.set_mark(
        session=session, request_id=request_id, supplier_id=supplier_id, data=body, caller=caller
    )


@router.delete(
    "/{request_id}/marks/{supplier_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(404),
)
def unmark_scouting_match(
    request_id: RequestId, supplier_id: SupplierId, session: SessionDep, caller: BuyerDep
) -> Response:
    """Remove the mark of a match (owner, admin)."""
    verdicts.delete_mark(
        session=session, request_id=request_id, supplier_id=supplier_id, caller=caller
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{request_id}/responses",
    status_code=status.HTTP_201_CREATED,
    response_model=ResponsePublic,
    responses={
        200: {"description": "The supplier's earlier answer, replaced."},
        **problem_responses(404, 409, 422),
    },
)
def respond_to_scouting_request(
    request_id: RequestId,
    body: ResponseIn,
    session: SessionDep,
    caller: SupplierDep,
    response: Response,
) -> ResponsePublic:
    """Answer an open request you match (supplier key): interested or declined, a message."""
    answer, created = verdicts.respond(
        session=session, request_id=request_id, data=body, caller=caller
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return answer
