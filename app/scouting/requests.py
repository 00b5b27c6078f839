"""A buyer's scouting request: who may see and change it, its writes, its representation, lists.

Services flush; the request commits. A request belongs to the key that posted it: its owner and
admins see and change it, a supplier reads an open request whose knock-outs it passes
(`app.scouting.knockouts`); anyone else gets the 404 of an id that does not exist.
"""

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from app.audit.service import record
from app.auth.caller import Caller
from app.catalogue.labels import LabelCodes, Language
from app.catalogue.models import Capability, CertificationStandard, SupplyChain
from app.catalogue.service import unknown_codes
from app.cursors import cursor_mismatch, decode_cursor, encode_cursor, page_of
from app.db import utcnow
from app.errors import Conflict, NotFound, check_if_match, field_error, invalid
from app.scouting.knockouts import matched_open_requests, supplier_matches
from app.scouting.models import ScoutingRequest, ScoutingResponse
from app.scouting.schemas import (
    LIST_FIELDS,
    Near,
    RequestStatus,
    ResponsePublic,
    ScoutingRequestCreate,
    ScoutingRequestDetail,
    ScoutingRequestPage,
    ScoutingRequestPublic,
    ScoutingRequestUpdate,
)
from app.suppliers.models import Supplier

ENTITY = "scouting_request"


# ---------------------------------------------------------------- who may see what


def _owns(caller: Caller, request: ScoutingRequest) -> bool:
    return caller.is_admin or (
        caller.role == "buyer"
        and caller.key_id is not None
        and request.owner_key_id == caller.key_id
    )


def not_found(request_id: int) -> NotFound:
    return NotFound(detail=f"No scouting request with id {request_id}.")


def get_owned_request(*, session: Session, request_id: int, caller: Caller) -> ScoutingRequest:
    """The request if the caller owns it (or is an admin); 404 otherwise, so ids do not leak."""
    request = session.get(ScoutingRequest, request_id)
    if request is None or not _owns(caller, request):
        raise not_found(request_id)
    return request


def _visible_request(*, session: Session, request_id: int, caller: Caller) -> ScoutingRequest:
    """Owner and admins: any of theirs; a supplier: an open request it matches; else 404."""
    request = session.get(ScoutingRequest, request_id)
    if request is None:
        raise not_found(request_id)
    if _owns(caller, request):
        return request
    if (
        caller.role == "supplier"
        and caller.supplier_id is not None
        and request.status == "open"
        and supplier_matches(session=session, request=request, supplier_id=caller.supplier_id)
    ):
        return request
    raise not_found(request_id)


def _writable(
    *, session: Session, request_id: int, caller: Caller, if_match: str | None
) -> ScoutingRequest:
    """The caller's own request (admins: any), its `If-Match` checked."""
    request = get_owned_request(session=session, request_id=request_id, caller=caller)
    check_if_match(if_match, version=request.version, subject=f"Scouting request {request.id}")
    return request


def require_open(request: ScoutingRequest) -> None:
    if request.status != "open":
        raise Conflict(detail=f"Scouting request {request.id} is closed.")


# ---------------------------------------------------------------- writes


def audit(
    *, session: Session, caller: Caller, action: str, request_id: int | None, fields: Any
) -> None:
    """One audit entry for a write to a scouting request (its marks and responses included)."""
    record(
        session=session,
        actor=caller,
        action=action,
        entity=ENTITY,
        entity_id=request_id,  # type: ignore[arg-type]  # SQLModel types the key optional; a stored row has one
        fields=fields,
    )


def _check_codes(*, session: Session, data: ScoutingRequestCreate | ScoutingRequestUpdate) -> None:
    """422 naming every unknown catalogue code with its field and index."""
    errors: list[dict[str, Any]] = []
    checks: list[tuple[str, Any, str]] = [
        ("supply_chains", SupplyChain, "supply chain"),
        ("required_capabilities", Capability, "capability"),
        ("preferred_capabilities", Capability, "capability"),
        ("required_certifications", CertificationStandard, "certification standard"),
    ]
    for field, model, what in checks:
        codes: list[str] = getattr(data, field) or []
        unknown = unknown_codes(session=session, model=model, codes=codes)
        errors += [
            field_error(["body", field, i], f"unknown {what} code {code!r}")
            for i, code in enumerate(codes)
            if code in unknown
        ]
    if errors:
        raise invalid(errors)


def create_request(
    *, session: Session, data: ScoutingRequestCreate, caller: Caller, lang: Language
) -> ScoutingRequestDetail:
    _check_codes(session=session, data=data)
    request = ScoutingRequest(
        owner_key_id=caller.key_id,  # type: ignore[arg-type]  # require_roles lets only keyed callers create
        owner_role=caller.role or "",
        title=data.title,
        description=data.description,
        needed_by=data.needed_by,
        min_verification=data.min_verification,
        supply_chains=list(data.supply_chains),
        required_capabilities=list(data.required_capabilities),
        preferred_capabilities=list(data.preferred_capabilities),
        required_certifications=list(data.required_certifications),
        provinces=list(data.provinces),
        size_classes=list(data.size_classes),
    )
    _set_near(request, data.near)
    session.add(request)
    session.flush()
    audit(
        session=session,
        caller=caller,
        action="create",
        request_id=request.id,
        fields=[f for f in data.model_fields_set if getattr(data, f) not in (None, [], "")],
    )
    return _detail(session=session, request=request, caller=caller, lang=lang)


def _set_near(request: ScoutingRequest, near: Near | None) -> None:
    if near is None:
        request.near_lat = request.near_lon = request.radius_km = None
    else:
        request.near_lat, request.near_lon, request.radius_km = near.lat, near.lon, near.radius_km


def _near_of(request: ScoutingRequest) -> Near | None:
    if request.near_lat is None or request.near_lon is None or request.radius_km is None:
        return None
    return Near(lat=request.near_lat, lon=request.near_lon, radius_km=request.radius_km)


def update_request(
    *,
    session: Session,
    request_id: int,
    data: ScoutingRequestUpdate,
    caller: Caller,
    if_match: str | None,
    lang: Language,
) -> ScoutingRequestDetail:
    """Merge-patch an open request. Values equal to the stored ones change nothing: a PATCH
    that changes no value (or an empty one) leaves the version, `updated_at` and the audit
    trail as they are and answers the request as it is."""
    request = _writable(session=session, request_id=request_id, caller=caller, if_match=if_match)
    require_open(request)
    _check_codes(session=session, data=data)
    sent = data.model_fields_set
    changed: dict[str, Any] = {}
    for field in ("title", "description", "min_verification", "needed_by", *LIST_FIELDS):
        if field in sent:
            value = getattr(data, field)
            value = list(value) if isinstance(value, list) else value
            if getattr(request, field) != value:
                changed[field] = value
    if "near" in sent and _near_of(request) != data.near:
        changed["near"] = data.near
    if changed:
        for field, value in changed.items():
            if field == "near":
                _set_near(request, value)
            else:
                setattr(request, field, value)
        request.updated_at = utcnow()
        session.flush()  # the version is checked and bumped
        audit(
            session=session,
            caller=caller,
            action="update",
            request_id=request.id,
            fields=list(changed),
        )
    return _detail(session=session, request=request, caller=caller, lang=lang)


def close_request(
    *, session: Session, request_id: int, caller: Caller, if_match: str | None, lang: Language
) -> ScoutingRequestDetail:
    """Close an open request: no more responses or changes."""
    request = _writable(session=session, request_id=request_id, caller=caller, if_match=if_match)
    require_open(request)
    request.status = "closed"
    request.closed_at = request.updated_at = utcnow()
    session.flush()
    audit(session=session, caller=caller, action="update", request_id=request.id, fields=["status"])
    return _detail(session=session, request=request, caller=caller, lang=lang)


# ---------------------------------------------------------------- representation


def read_request(
    *, session: Session, request_id: int, caller: Caller, lang: Language
) -> ScoutingRequestDetail:
    """The request as the caller may see it; 404 if it may not."""
    request = _visible_request(session=session, request_id=request_id, caller=caller)
    return _detail(session=session, request=request, caller=caller, lang=lang)


def _detail(
    *, session: Session, request: ScoutingRequest, caller: Caller, lang: Language
) -> ScoutingRequestDetail:
    """The representation with the labels of its codes; a supplier that is not the owner sees
    its own response only."""
    [public] = _publics(session=session, requests=[request], caller=caller)
    labels = _request_codes(LabelCodes(), public).labels(session=session, lang=lang)
    return ScoutingRequestDetail(**dict(public), labels=labels)


def _request_codes(codes: LabelCodes, request: ScoutingRequestPublic) -> LabelCodes:
    """Add the codes a scouting request shows."""
    codes.add("supply_chain", request.supply_chains)
    codes.add("capability", [*request.required_capabilities, *request.preferred_capabilities])
    codes.add("certification", request.required_certifications)
    codes.add("size_class", request.size_classes)
    return codes.add("verification", [request.min_verification])


def response_public(response: ScoutingResponse, supplier_name: str) -> ResponsePublic:
    return ResponsePublic(
        supplier_id=response.supplier_id,
        supplier_name=supplier_name,
        status=response.status,  # type: ignore[arg-type]  # stored as text; only values the schema's Literal allows are written
        message=response.message,
        created_at=response.created_at,
        updated_at=response.updated_at,
    )


def _publics(
    *, session: Session, requests: Sequence[ScoutingRequest], caller: Caller
) -> list[ScoutingRequestPublic]:
    by_id = {r.id: r for r in requests}
    query = (
        select(ScoutingResponse, Supplier.name)
        .join(Supplier, col(Supplier.id) == ScoutingResponse.supplier_id)
        .where(col(ScoutingResponse.request_id).in_(by_id))
        .order_by(col(ScoutingResponse.id))
    )
    responses: dict[int, list[ResponsePublic]] = {i: [] for i in by_id}  # type: ignore[misc]  # SQLModel types the key optional; a stored row has one
    for response, name in session.exec(query):
        request = by_id[response.request_id]
        if not _owns(caller, request) and response.supplier_id != caller.supplier_id:
            continue
        responses[response.request_id].append(response_public(response, name))
    return [
        ScoutingRequestPublic(
            id=r.id,  # type: ignore[arg-type]  # SQLModel types the key optional; a stored row has one
            title=r.title,
            description=r.description,
            min_verification=r.min_verification,  # type: ignore[arg-type]  # stored as text; only values the schema's Literal allows are written
            near=_near_of(r),
            needed_by=r.needed_by,
            status=r.status,  # type: ignore[arg-type]  # stored as text; only values the schema's Literal allows are written
            created_at=r.created_at,
            updated_at=r.updated_at,
            closed_at=r.closed_at,
            version=r.version,
            responses=responses[r.id],  # type: ignore[index]  # SQLModel types the key optional; a stored row has one
            **{f: list(getattr(r, f)) for f in LIST_FIELDS},
        )
        for r in requests
    ]


# ---------------------------------------------------------------- lists


def _list_cursor(cursor: str | None, kind: str) -> int | None:
    if cursor is None:
        return None
    payload = decode_cursor(cursor)
    index = payload.get("i")
    if payload.get("k") != kind or not isinstance(index, int):
        raise cursor_mismatch()
    return index


def list_requests(
    *,
    session: Session,
    caller: Caller,
    matching: str | None,
    status: RequestStatus | None,
    limit: int,
    cursor: str | None,
    lang: Language,
) -> ScoutingRequestPage:
    """Owner's (admins: all) requests, newest first; a supplier: open ones it matches; the
    codes shown labelled."""
    if matching == "me" and caller.role != "supplier":
        raise invalid([field_error(["query", "matching"], "`me` is for supplier keys")])
    if caller.role == "supplier" and status == "closed":
        raise invalid([field_error(["query", "status"], "suppliers see open requests only")])
    kind = "matching" if caller.role == "supplier" else f"own|{status}"
    before = _list_cursor(cursor, kind)
    if caller.role == "supplier":
        rows, more = matched_open_requests(
            session=session, supplier_id=caller.supplier_id or 0, before=before, limit=limit
        )
    else:
        query = select(ScoutingRequest).order_by(col(ScoutingRequest.id).desc()).limit(limit + 1)
        if not caller.is_admin:
            query = query.where(ScoutingRequest.owner_key_id == caller.key_id)
        if status is not None:
            query = query.where(ScoutingRequest.status == status)
        if before is not None:
            query = query.where(col(ScoutingRequest.id) < before)
        rows, more = page_of(session.exec(query).all(), limit)
    items = _publics(session=session, requests=rows, caller=caller)
    codes = LabelCodes()
    for item in items:
        _request_codes(codes, item)
    return ScoutingRequestPage(
        items=items,
        next_cursor=encode_cursor({"k": kind, "i": rows[-1].id}) if more else None,
        labels=codes.labels(session=session, lang=lang),
    )
