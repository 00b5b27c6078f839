"""Verdicts on the matches of a request: the buyer's marks and the suppliers' responses.

A mark (shortlisted or excluded, with a note) and a response (interested or declined, with a
message) are each one row per request and supplier, written again in place; both are audited
as updates of the request.
"""

from typing import TypeVar

from sqlmodel import Session, select

from app.auth.caller import Caller
from app.db import utcnow
from app.errors import Forbidden, NotFound
from app.scouting.knockouts import supplier_matches
from app.scouting.models import MatchRecord, ScoutingMark, ScoutingRequest, ScoutingResponse
from app.scouting.requests import (
    audit,
    get_owned_request,
    not_found,
    require_open,
    response_public,
)
from app.scouting.schemas import MarkIn, MarkPublic, MatchResponse, ResponseIn, ResponsePublic
from app.suppliers.models import Supplier

Record = TypeVar("Record", bound=MatchRecord)


def _record_of(
    *, session: Session, model: type[Record], request_id: int | None, supplier_id: int
) -> Record | None:
    """The mark or response of one supplier on one request, if any."""
    query = select(model).where(model.request_id == request_id, model.supplier_id == supplier_id)
    return session.exec(query).first()


def _records_of(
    *, session: Session, model: type[Record], request: ScoutingRequest
) -> dict[int, Record]:
    """The marks or responses of a request by supplier id."""
    return {
        r.supplier_id: r for r in session.exec(select(model).where(model.request_id == request.id))
    }


# ---------------------------------------------------------------- marks


def _mark_public(mark: ScoutingMark) -> MarkPublic:
    return MarkPublic(
        supplier_id=mark.supplier_id,
        state=mark.state,  # type: ignore[arg-type]  # stored as text; only values the schema's Literal allows are written
        note=mark.note,
        updated_at=mark.updated_at,
    )


def marks_of(*, session: Session, request: ScoutingRequest) -> dict[int, MarkPublic]:
    """The buyer's marks on the matches of a request, by supplier id."""
    marks = _records_of(session=session, model=ScoutingMark, request=request)
    return {supplier_id: _mark_public(mark) for supplier_id, mark in marks.items()}


def set_mark(
    *,
    session: Session,
    request_id: int,
    supplier_id: int,
    data: MarkIn,
    caller: Caller,
) -> MarkPublic:
    """Shortlist or exclude a match of the caller's request (upsert); only suppliers among the
    matches."""
    request = get_owned_request(session=session, request_id=request_id, caller=caller)
    if not supplier_matches(session=session, request=request, supplier_id=supplier_id):
        raise NotFound(
            detail=f"Supplier {supplier_id} is not among the matches of request {request.id}."
        )
    mark = _record_of(
        session=session, model=ScoutingMark, request_id=request.id, supplier_id=supplier_id
    )
    if mark is None:
        mark = ScoutingMark(request_id=request.id, supplier_id=supplier_id, state=data.state)  # type: ignore[arg-type]  # SQLModel types the key optional; a stored row has one
        session.add(mark)
    mark.state, mark.note, mark.updated_at = data.state, data.note, utcnow()
    session.flush()
    audit(session=session, caller=caller, action="update", request_id=request.id, fields=["marks"])
    return _mark_public(mark)


def delete_mark(*, session: Session, request_id: int, supplier_id: int, caller: Caller) -> None:
    """Remove the mark of a match of the caller's request."""
    request = get_owned_request(session=session, request_id=request_id, caller=caller)
    mark = _record_of(
        session=session, model=ScoutingMark, request_id=request.id, supplier_id=supplier_id
    )
    if mark is None:
        raise NotFound(detail=f"Supplier {supplier_id} is not marked on request {request.id}.")
    session.delete(mark)
    session.flush()
    audit(session=session, caller=caller, action="update", request_id=request.id, fields=["marks"])


# ---------------------------------------------------------------- responses


def responses_of(*, session: Session, request: ScoutingRequest) -> dict[int, MatchResponse]:
    """The suppliers' answers to a request, by supplier id, as its matches show them."""
    responses = _records_of(session=session, model=ScoutingResponse, request=request)
    return {
        supplier_id: MatchResponse(status=r.status, message=r.message)  # type: ignore[arg-type]  # stored as text; only values the schema's Literal allows are written
        for supplier_id, r in responses.items()
    }


def respond(
    *, session: Session, request_id: int, data: ResponseIn, caller: Caller
) -> tuple[ResponsePublic, bool]:
    """A supplier's answer (upsert); (answer, created).

    A supplier learns of a request only by matching it: a request whose knock-outs it does not
    pass is 404 exactly as one that does not exist, so answers do not reveal which ids exist.
    A request it matches but that is closed is 409.
    """
    supplier_id = caller.supplier_id
    if supplier_id is None:  # decided before the id is looked at
        raise Forbidden(detail="Only a supplier key (bound to a supplier) may respond.")
    request = session.get(ScoutingRequest, request_id)
    if request is None or not supplier_matches(
        session=session, request=request, supplier_id=supplier_id
    ):
        raise not_found(request_id)
    require_open(request)
    response = _record_of(
        session=session, model=ScoutingResponse, request_id=request_id, supplier_id=supplier_id
    )
    created = response is None
    now = utcnow()
    if response is None:
        response = ScoutingResponse(
            request_id=request_id, supplier_id=supplier_id, status=data.status, created_at=now
        )
        session.add(response)
    response.status, response.message, response.updated_at = data.status, data.message, now
    session.flush()
    audit(
        session=session, caller=caller, action="update", request_id=request_id, fields=["responses"]
    )
    name = session.exec(select(Supplier.name).where(Supplier.id == supplier_id)).one()
    return response_public(response, name), created
