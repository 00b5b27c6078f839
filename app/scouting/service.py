"""E-scouting: requests, knock-outs, ranked and explained matches, marks, responses.

Services flush; the request commits. A certificate meets a required standard as
`ranking.CertificateRule` says (search's `valid_certificate` on the day and at the request's
lowest trust level). The matches of a request are ranked on this worker's search index on
every call (`app.scouting.scoring`, with the weights of `app.scouting.ranking`): knock-outs
as bitmaps, every candidate's score in numpy. Pages, marks and responses are cut from that
ranking; only the suppliers of a page are explained, in Python (`ranking.assess`), from the
database. One supplier's knock-outs (`supplier_matches`) are SQL probes.
"""

import hashlib
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, and_, or_
from sqlmodel import Session, col, select

from app.audit.service import record
from app.auth.caller import Caller
from app.catalogue.models import Capability, CertificationStandard, SupplyChain
from app.catalogue.service import capability_subtrees, unknown_codes
from app.cursors import cursor_mismatch, decode_cursor, encode_cursor
from app.db import utcnow
from app.errors import Conflict, Forbidden, NotFound, field_error, invalid
from app.scouting import ranking, scoring
from app.scouting.models import ScoutingMark, ScoutingRequest, ScoutingResponse
from app.scouting.schemas import (
    LIST_FIELDS,
    Explanation,
    MarkFilter,
    MarkIn,
    MarkPublic,
    Match,
    MatchPage,
    MatchResponse,
    Near,
    ResponseIn,
    ResponsePublic,
    ScoutingRequestCreate,
    ScoutingRequestPage,
    ScoutingRequestPublic,
    ScoutingRequestUpdate,
    SupplierSummary,
)
from app.scouting.scoring import Ranking
from app.search.service import valid_certificate
from app.suppliers.models import (
    Supplier,
    SupplierCapability,
    SupplierCertification,
    SupplierSupplyChain,
)
from app.suppliers.service import public_records

ENTITY = "scouting_request"
# Open requests a supplier's `matching=me` list checks per database round trip.
_SCAN_BATCH = 200


def today() -> date:
    return datetime.now(UTC).date()


# ---------------------------------------------------------------- validation


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


# ---------------------------------------------------------------- requests


def _owns(caller: Caller, request: ScoutingRequest) -> bool:
    return caller.is_admin or (
        caller.role == "buyer"
        and caller.key_id is not None
        and request.owner_key_id == caller.key_id
    )


def _not_found(request_id: int) -> NotFound:
    return NotFound(detail=f"No scouting request with id {request_id}.")


def _audit(
    *, session: Session, caller: Caller, action: str, request_id: int | None, fields: Any
) -> None:
    """One audit entry for a write to a scouting request (its marks and responses included)."""
    record(
        session=session,
        actor=caller,
        action=action,
        entity=ENTITY,
        entity_id=request_id,  # type: ignore[arg-type]
        fields=fields,
    )


def create_request(
    *, session: Session, data: ScoutingRequestCreate, caller: Caller
) -> ScoutingRequest:
    _check_codes(session=session, data=data)
    request = ScoutingRequest(
        owner_key_id=caller.key_id,  # type: ignore[arg-type]
        owner_role=caller.role or "",
        title=data.title,
        description=data.description,
        needed_by=data.needed_by,
        min_verification=data.min_verification,
        **{f: list(getattr(data, f)) for f in LIST_FIELDS},
    )
    _set_near(request, data.near)
    session.add(request)
    session.flush()
    _audit(
        session=session,
        caller=caller,
        action="create",
        request_id=request.id,
        fields=[f for f in data.model_fields_set if getattr(data, f) not in (None, [], "")],
    )
    return request


def _set_near(request: ScoutingRequest, near: Near | None) -> None:
    if near is None:
        request.near_lat = request.near_lon = request.radius_km = None
    else:
        request.near_lat, request.near_lon, request.radius_km = near.lat, near.lon, near.radius_km


def _near_of(request: ScoutingRequest) -> Near | None:
    if request.near_lat is None or request.near_lon is None or request.radius_km is None:
        return None
    return Near(lat=request.near_lat, lon=request.near_lon, radius_km=request.radius_km)


def get_request(*, session: Session, request_id: int) -> ScoutingRequest:
    request = session.get(ScoutingRequest, request_id)
    if request is None:
        raise _not_found(request_id)
    return request


def get_owned_request(*, session: Session, request_id: int, caller: Caller) -> ScoutingRequest:
    """The request if the caller owns it (or is an admin); 404 otherwise, so ids do not leak."""
    request = get_request(session=session, request_id=request_id)
    if not _owns(caller, request):
        raise _not_found(request_id)
    return request


def get_visible_request(*, session: Session, request_id: int, caller: Caller) -> ScoutingRequest:
    """Owner and admins: any of theirs; a supplier: an open request it matches; else 404."""
    request = get_request(session=session, request_id=request_id)
    if _owns(caller, request):
        return request
    if (
        caller.role == "supplier"
        and caller.supplier_id is not None
        and request.status == "open"
        and supplier_matches(session=session, request=request, supplier_id=caller.supplier_id)
    ):
        return request
    raise _not_found(request_id)


def _require_open(request: ScoutingRequest) -> None:
    if request.status != "open":
        raise Conflict(detail=f"Scouting request {request.id} is closed.")


def update_request(
    *, session: Session, request: ScoutingRequest, data: ScoutingRequestUpdate, caller: Caller
) -> ScoutingRequest:
    """Merge-patch an open request. Values equal to the stored ones change nothing: a PATCH
    that changes no value (or an empty one) leaves the version, `updated_at` and the audit
    trail as they are and answers the request as it is."""
    _require_open(request)
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
    if not changed:
        return request
    for field, value in changed.items():
        if field == "near":
            _set_near(request, value)
        else:
            setattr(request, field, value)
    request.updated_at = utcnow()
    session.flush()  # the version is checked and bumped
    _audit(
        session=session, caller=caller, action="update", request_id=request.id, fields=list(changed)
    )
    return request


def close_request(*, session: Session, request: ScoutingRequest, caller: Caller) -> ScoutingRequest:
    _require_open(request)
    now = utcnow()
    request.status = "closed"
    request.closed_at = request.updated_at = now
    session.flush()
    _audit(
        session=session, caller=caller, action="update", request_id=request.id, fields=["status"]
    )
    return request


def to_public(
    *, session: Session, request: ScoutingRequest, caller: Caller
) -> ScoutingRequestPublic:
    """The representation; a supplier that is not the owner sees its own response only."""
    return _publics(session=session, requests=[request], caller=caller)[0]


def _response_public(response: ScoutingResponse, supplier_name: str) -> ResponsePublic:
    return ResponsePublic(
        supplier_id=response.supplier_id,
        supplier_name=supplier_name,
        status=response.status,  # type: ignore[arg-type]
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
    responses: dict[int, list[ResponsePublic]] = {i: [] for i in by_id}  # type: ignore[misc]
    for response, name in session.exec(query):
        request = by_id[response.request_id]
        if not _owns(caller, request) and response.supplier_id != caller.supplier_id:
            continue
        responses[response.request_id].append(_response_public(response, name))
    return [
        ScoutingRequestPublic(
            id=r.id,  # type: ignore[arg-type]
            title=r.title,
            description=r.description,
            min_verification=r.min_verification,  # type: ignore[arg-type]
            near=_near_of(r),
            needed_by=r.needed_by,
            status=r.status,  # type: ignore[arg-type]
            created_at=r.created_at,
            updated_at=r.updated_at,
            closed_at=r.closed_at,
            version=r.version,
            responses=responses[r.id],  # type: ignore[index]
            **{f: list(getattr(r, f)) for f in LIST_FIELDS},
        )
        for r in requests
    ]


def _list_cursor(cursor: str | None, kind: str) -> int | None:
    if cursor is None:
        return None
    payload = decode_cursor(cursor)
    if payload.get("k") != kind or not isinstance(payload.get("i"), int):
        raise cursor_mismatch()
    return payload["i"]


def list_requests(
    *,
    session: Session,
    caller: Caller,
    status: str | None,
    limit: int,
    cursor: str | None,
) -> ScoutingRequestPage:
    """Owner's (admins: all) requests, newest first; a supplier: open ones it matches."""
    if caller.role == "supplier":
        return _matching_requests(session=session, caller=caller, limit=limit, cursor=cursor)
    kind = f"own|{status}"
    before = _list_cursor(cursor, kind)
    query = select(ScoutingRequest).order_by(col(ScoutingRequest.id).desc()).limit(limit + 1)
    if not caller.is_admin:
        query = query.where(ScoutingRequest.owner_key_id == caller.key_id)
    if status is not None:
        query = query.where(ScoutingRequest.status == status)
    if before is not None:
        query = query.where(col(ScoutingRequest.id) < before)
    rows = list(session.exec(query))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor({"k": kind, "i": rows[-1].id})
    return ScoutingRequestPage(
        items=_publics(session=session, requests=rows, caller=caller), next_cursor=next_cursor
    )


def _supplier_profile(
    *, session: Session, supplier_id: int
) -> tuple[set[str], list[ranking.Certificate]] | None:
    """(supply chains, certificates) of a live supplier; None if it is gone."""
    live = session.exec(
        select(Supplier.id).where(Supplier.id == supplier_id, col(Supplier.deleted_at).is_(None))
    ).first()
    if live is None:
        return None
    chains = set(
        session.exec(
            select(SupplierSupplyChain.supply_chain_code).where(
                SupplierSupplyChain.supplier_id == supplier_id
            )
        )
    )
    cert = SupplierCertification
    certificates = [
        ranking.Certificate.of(c)
        for c in session.exec(select(cert).where(cert.supplier_id == supplier_id))
    ]
    return chains, certificates


def _matching_requests(
    *, session: Session, caller: Caller, limit: int, cursor: str | None
) -> ScoutingRequestPage:
    """Open requests whose knock-outs the caller's supplier passes, newest first.

    Checked in Python with `ranking.passes_knockouts`, the twin of the index's knock-outs,
    over batches of open requests: one supplier against many requests.
    """
    kind = "matching"
    before = _list_cursor(cursor, kind)
    profile = _supplier_profile(session=session, supplier_id=caller.supplier_id or 0)
    found: list[ScoutingRequest] = []
    more = False
    if profile is not None:
        chains, certificates = profile
        day = today()
        while True:
            query = (
                select(ScoutingRequest)
                .where(ScoutingRequest.status == "open")
                .order_by(col(ScoutingRequest.id).desc())
                .limit(_SCAN_BATCH)
            )
            if before is not None:
                query = query.where(col(ScoutingRequest.id) < before)
            batch = list(session.exec(query))
            for request in batch:
                if ranking.passes_knockouts(
                    supply_chains=chains,
                    certificates=certificates,
                    wanted_chains=request.supply_chains,
                    required_certifications=request.required_certifications,
                    rule=certificate_rule(request, day=day),
                ):
                    if len(found) == limit:
                        more = True
                        break
                    found.append(request)
            if more or len(batch) < _SCAN_BATCH:
                break
            before = batch[-1].id
    next_cursor = encode_cursor({"k": kind, "i": found[-1].id}) if more else None
    return ScoutingRequestPage(
        items=_publics(session=session, requests=found, caller=caller), next_cursor=next_cursor
    )


# ---------------------------------------------------------------- knock-outs


def certificate_rule(
    request: ScoutingRequest, *, day: date | None = None
) -> ranking.CertificateRule:
    """Which certificates meet the request's required standards: valid on `needed_by` (on
    `day`, today by default, without it) at its `min_verification` or above."""
    return ranking.CertificateRule(
        day=request.needed_by or day or today(), min_verification=request.min_verification
    )


def qualifying_certificate(
    rule: ranking.CertificateRule, standard: str | None = None
) -> list[ColumnElement[bool]]:
    """Conditions on `supplier_certification` for a certificate that `rule` admits (of
    `standard`, if given): search's `valid_certificate` on the rule's day at its trust level,
    the SQL twin of `ranking.CertificateRule.qualifies` (and of the index's
    `valid_certificates`, which the matches use). At the lowest level every certificate
    counts, and no condition on `verification` is added."""
    level = None if rule.counts_every_level else rule.min_verification
    return valid_certificate(day=rule.day, verification=level, standard=standard)


def knockouts(
    request: ScoutingRequest, *, rule: ranking.CertificateRule
) -> list[ColumnElement[bool]]:
    """Conditions on `supplier`: live, serves one of the chains, holds for every required
    standard a certificate `rule` admits. `EXISTS` probes: meant for a supplier picked by id
    (the matches apply the same knock-outs on the search index, `scoring.candidates`)."""
    s = Supplier
    chain = SupplierSupplyChain
    cert = SupplierCertification
    conditions: list[ColumnElement[bool]] = [
        col(s.deleted_at).is_(None),
        select(col(chain.supplier_id))
        .where(
            col(chain.supplier_id) == col(s.id),
            col(chain.supply_chain_code).in_(request.supply_chains),
        )
        .exists(),
    ]
    for standard in request.required_certifications:
        probe = select(col(cert.supplier_id)).where(
            col(cert.supplier_id) == col(s.id), *qualifying_certificate(rule, standard)
        )
        conditions.append(probe.exists())
    return conditions


def supplier_matches(*, session: Session, request: ScoutingRequest, supplier_id: int) -> bool:
    """Whether the supplier passes the request's knock-outs (SQL probes for this supplier)."""
    rule = certificate_rule(request)
    query = select(Supplier.id).where(Supplier.id == supplier_id, *knockouts(request, rule=rule))
    return session.exec(query).first() is not None


# ---------------------------------------------------------------- ranking


def criteria_of(*, session: Session, request: ScoutingRequest) -> ranking.Request:
    wanted = [*request.required_capabilities, *request.preferred_capabilities]
    subtrees = {
        code: frozenset(subtree)
        for code, subtree in capability_subtrees(session=session, codes=wanted).items()
    }
    near = None
    if request.near_lat is not None and request.near_lon is not None and request.radius_km:
        near = (request.near_lat, request.near_lon, request.radius_km)
    day = today()
    return ranking.Request(
        supply_chains=tuple(request.supply_chains),
        required_capabilities=tuple(request.required_capabilities),
        preferred_capabilities=tuple(request.preferred_capabilities),
        required_certifications=tuple(request.required_certifications),
        provinces=tuple(request.provinces),
        size_classes=tuple(request.size_classes),
        near=near,
        needed_by=request.needed_by,
        terms=tuple(ranking.description_terms(request.description)),
        rule=certificate_rule(request, day=day),
        today=day,
        subtrees=subtrees,
    )


def gather(
    *, session: Session, criteria: ranking.Request, ids: Sequence[int]
) -> dict[int, ranking.Facts]:
    """What the explanations need about the suppliers of one page, from a handful of queries
    restricted to their ids (the description words come from the ranking)."""
    s = Supplier
    connection = session.connection()  # Core rows: no ORM result processing per row
    facts = {
        row.id: ranking.Facts(
            id=row.id, lat=row.lat, lon=row.lon, province=row.province, size_class=row.size_class
        )
        for row in connection.execute(
            select(col(s.id), col(s.lat), col(s.lon), col(s.province), col(s.size_class)).where(
                col(s.id).in_(ids)
            )
        )
    }
    if not facts:
        return facts
    chain = SupplierSupplyChain
    for supplier_id, code in connection.execute(
        select(col(chain.supplier_id), col(chain.supply_chain_code)).where(
            col(chain.supply_chain_code).in_(criteria.supply_chains),
            col(chain.supplier_id).in_(ids),
        )
    ):
        facts[supplier_id].supply_chains.add(code)
    relevant = sorted(set().union(*criteria.subtrees.values())) if criteria.subtrees else []
    if relevant:
        cap = SupplierCapability
        for supplier_id, code in connection.execute(
            select(col(cap.supplier_id), col(cap.capability_code)).where(
                col(cap.capability_code).in_(relevant), col(cap.supplier_id).in_(ids)
            )
        ):
            facts[supplier_id].capabilities.add(code)
    _gather_certificates(session=session, criteria=criteria, facts=facts, ids=ids)
    return facts


def _gather_certificates(
    *,
    session: Session,
    criteria: ranking.Request,
    facts: dict[int, ranking.Facts],
    ids: Sequence[int],
) -> None:
    """The suppliers' valid certificates of required standards, and those that may lapse
    before `needed_by`."""
    connection = session.connection()
    cert = SupplierCertification
    relevant: list[ColumnElement[bool]] = []
    if criteria.required_certifications:
        relevant.append(
            col(cert.standard_code).in_(criteria.required_certifications)
            & and_(*qualifying_certificate(criteria.rule))
        )
    if criteria.needed_by is not None and criteria.needed_by > criteria.today:
        relevant.append(
            (col(cert.status) == "active")
            & (col(cert.expires_on) >= criteria.today)
            & (col(cert.expires_on) < criteria.needed_by)
        )
    if not relevant:
        return
    query = (
        select(
            col(cert.supplier_id),
            col(cert.standard_code),
            col(cert.certificate_number),
            col(cert.status),
            col(cert.issued_on),
            col(cert.expires_on),
            col(cert.verification),
        )
        .where(or_(*relevant), col(cert.supplier_id).in_(ids))
        .order_by(col(cert.id))
    )
    for row in connection.execute(query):
        facts[row.supplier_id].certificates.append(ranking.Certificate.of(row))


def rank(*, session: Session, request: ScoutingRequest, criteria: ranking.Request) -> Ranking:
    """Every supplier that passes the knock-outs, scored, as the data `session` sees it:
    ranked on the search index on every call (fast enough on the first ask that no cache is
    kept)."""
    return scoring.rank_all(session=session, criteria=criteria)


def _fingerprint(request: ScoutingRequest, state: str | None) -> str:
    raw = f"{request.id}|{request.version}|{state}"
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def list_matches(
    *,
    session: Session,
    request: ScoutingRequest,
    caller: Caller,
    state: MarkFilter | None,
    limit: int,
    cursor: str | None,
) -> MatchPage:
    criteria = criteria_of(session=session, request=request)
    ranked = rank(session=session, request=request, criteria=criteria)
    marks = {
        m.supplier_id: m
        for m in session.exec(select(ScoutingMark).where(ScoutingMark.request_id == request.id))
    }
    responses = {
        r.supplier_id: r
        for r in session.exec(
            select(ScoutingResponse).where(ScoutingResponse.request_id == request.id)
        )
    }
    if state is not None:
        chosen = [sid for sid, m in marks.items() if state == "unmarked" or m.state == state]
        marked = np.isin(ranked.ids, np.array(chosen, dtype=np.int64))
        ranked = ranked.where(~marked if state == "unmarked" else marked)
    fingerprint = _fingerprint(request, state)
    after = None
    if cursor is not None:
        payload = decode_cursor(cursor)
        position = (payload.get("s"), payload.get("i"))
        if (
            payload.get("f") != fingerprint
            or not isinstance(position[0], int | float)
            or not isinstance(position[1], int)
        ):
            raise cursor_mismatch()
        after = (-float(position[0]), position[1])
    rows = ranked.page(after=after, limit=limit + 1)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor({"f": fingerprint, "s": -rows[-1][0], "i": rows[-1][1]})
    ids = [row[1] for row in rows]
    facts = gather(session=session, criteria=criteria, ids=ids) if ids else {}
    for _, supplier_id, words in rows:
        if supplier_id in facts:
            facts[supplier_id].text_hits = {i for i in range(words.bit_length()) if words >> i & 1}
    records = public_records(session=session, ids=ids, caller=caller)
    items = []
    for negative, supplier_id, _ in rows:
        if supplier_id not in facts or supplier_id not in records:
            continue  # deleted between the ranking and this page
        assessment = ranking.assess(criteria, facts[supplier_id])
        record_ = records[supplier_id]
        mark = marks.get(supplier_id)
        response = responses.get(supplier_id)
        items.append(
            Match(
                supplier=SupplierSummary(
                    id=supplier_id,
                    name=record_.name,
                    province=record_.address.province,
                    city=record_.address.city,
                    size_class=record_.size_class,
                    supply_chains=record_.supply_chains,
                    capabilities=record_.capabilities,
                    verified=record_.verified,
                    distance_km=assessment.distance_km,
                    contact=record_.contact,
                ),
                score=-negative,
                components=assessment.components,
                matched=[Explanation(**e) for e in assessment.matched],  # type: ignore[arg-type]
                missing=[Explanation(**e) for e in assessment.missing],  # type: ignore[arg-type]
                warnings=[Explanation(**e) for e in assessment.warnings],  # type: ignore[arg-type]
                mark=_mark_public(mark) if mark else None,
                response=(
                    MatchResponse(status=response.status, message=response.message)  # type: ignore[arg-type]
                    if response
                    else None
                ),
            )
        )
    return MatchPage(items=items, total=len(ranked), next_cursor=next_cursor)


# ---------------------------------------------------------------- marks


def _mark_public(mark: ScoutingMark) -> MarkPublic:
    return MarkPublic(
        supplier_id=mark.supplier_id,
        state=mark.state,  # type: ignore[arg-type]
        note=mark.note,
        updated_at=mark.updated_at,
    )


def _mark_of(
    *, session: Session, request: ScoutingRequest, supplier_id: int
) -> ScoutingMark | None:
    query = select(ScoutingMark).where(
        ScoutingMark.request_id == request.id, ScoutingMark.supplier_id == supplier_id
    )
    return session.exec(query).first()


def _require_match(*, session: Session, request: ScoutingRequest, supplier_id: int) -> None:
    if not supplier_matches(session=session, request=request, supplier_id=supplier_id):
        raise NotFound(
            detail=f"Supplier {supplier_id} is not among the matches of request {request.id}."
        )


def set_mark(
    *,
    session: Session,
    request: ScoutingRequest,
    supplier_id: int,
    data: MarkIn,
    caller: Caller,
) -> MarkPublic:
    """Shortlist or exclude a match (upsert); only suppliers among the matches."""
    _require_match(session=session, request=request, supplier_id=supplier_id)
    mark = _mark_of(session=session, request=request, supplier_id=supplier_id)
    if mark is None:
        mark = ScoutingMark(request_id=request.id, supplier_id=supplier_id, state=data.state)  # type: ignore[arg-type]
        session.add(mark)
    mark.state, mark.note, mark.updated_at = data.state, data.note, utcnow()
    session.flush()
    _audit(session=session, caller=caller, action="update", request_id=request.id, fields=["marks"])
    return _mark_public(mark)


def delete_mark(
    *, session: Session, request: ScoutingRequest, supplier_id: int, caller: Caller
) -> None:
    mark = _mark_of(session=session, request=request, supplier_id=supplier_id)
    if mark is None:
        raise NotFound(detail=f"Supplier {supplier_id} is not marked on request {request.id}.")
    session.delete(mark)
    session.flush()
    _audit(session=session, caller=caller, action="update", request_id=request.id, fields=["marks"])


# ---------------------------------------------------------------- responses


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
        raise _not_found(request_id)
    _require_open(request)
    response = session.exec(
        select(ScoutingResponse).where(
            ScoutingResponse.request_id == request_id, ScoutingResponse.supplier_id == supplier_id
        )
    ).first()
    created = response is None
    now = utcnow()
    if response is None:
        response = ScoutingResponse(
            request_id=request_id, supplier_id=supplier_id, status=data.status, created_at=now
        )
        session.add(response)
    response.status, response.message, response.updated_at = data.status, data.message, now
    session.flush()
    _audit(
        session=session, caller=caller, action="update", request_id=request_id, fields=["responses"]
    )
    name = session.exec(select(Supplier.name).where(Supplier.id == supplier_id)).one()
    return _response_public(response, name), created
