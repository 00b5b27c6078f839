"""Turning a ranking into the explained shortlist: why each supplier of a page scores as it does.

Only the suppliers of a page are explained, in Python (`assess`), from facts read from the
database for their ids (`gather`); `app.scouting.ranking` scores every candidate on the search
index with the same weighted mean, and tests/scouting/test_scoring.py holds the two together.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy import ColumnElement, and_, or_
from sqlmodel import Session, col, select

from app.auth.caller import Caller
from app.scouting import weights
from app.scouting.knockouts import Certificate, qualifying_certificate
from app.scouting.ranking import Criteria, Row
from app.scouting.schemas import Explanation, MarkPublic, Match, MatchResponse, SupplierSummary
from app.search.service import great_circle_km
from app.suppliers.models import (
    Supplier,
    SupplierCapability,
    SupplierCertification,
    SupplierSupplyChain,
)
from app.suppliers.service import public_records


def explain(
    *,
    session: Session,
    criteria: Criteria,
    rows: Sequence[Row],
    caller: Caller,
    marks: Mapping[int, MarkPublic],
    responses: Mapping[int, MatchResponse],
) -> list[Match]:
    """The matches of a page of the ranking, each explained, with the buyer's mark and the
    supplier's response; suppliers deleted since the ranking are left out."""
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
        assessment = assess(criteria, facts[supplier_id])
        record = records[supplier_id]
        items.append(
            Match(
                supplier=SupplierSummary(
                    id=supplier_id,
                    name=record.name,
                    province=record.address.province,
                    city=record.address.city,
                    size_class=record.size_class,
                    supply_chains=record.supply_chains,
                    capabilities=record.capabilities,
                    verified=record.verified,
                    distance_km=assessment.distance_km,
                    contact=record.contact,
                ),
                score=-negative,
                components=assessment.components,
                matched=[Explanation.model_validate(e) for e in assessment.matched],
                missing=[Explanation.model_validate(e) for e in assessment.missing],
                warnings=[Explanation.model_validate(e) for e in assessment.warnings],
                mark=marks.get(supplier_id),
                response=responses.get(supplier_id),
            )
        )
    return items


@dataclass
class Facts:
    """What the ranking knows of one supplier that passed the knock-outs."""

    id: int
    lat: float | None = None
    lon: float | None = None
    province: str | None = None
    size_class: str | None = None
    supply_chains: set[str] = field(default_factory=set)  # requested chains it serves
    capabilities: set[str] = field(default_factory=set)  # its codes in the requested subtrees
    certificates: list[Certificate] = field(default_factory=list)  # required or lapsing ones
    text_hits: set[int] = field(default_factory=set)  # indexes into Criteria.terms


# One line of an explanation: criterion, code, detail (and for certificates, verification).
Note = dict[str, str | None]


@dataclass
class Assessment:
    score: float
    components: dict[str, float]
    matched: list[Note]
    missing: list[Note]
    warnings: list[Note]
    distance_km: float | None


def _note(criterion: str, code: str | None, detail: str, **more: str) -> Note:
    return {"criterion": criterion, "code": code, "detail": detail, **more}


def _covered_by(code: str, criteria: Criteria, held: set[str]) -> str | None:
    """The supplier's capability that covers `code`: the code itself, else a descendant."""
    if code in held:
        return code
    within = sorted(held & criteria.subtrees.get(code, frozenset({code})))
    return within[0] if within else None


def assess(criteria: Criteria, facts: Facts) -> Assessment:
    """Score one supplier and say why: what it meets, what it misses, what will lapse.

    `app.scouting.ranking` computes the same score for every candidate on the search index;
    this is the explained version for the suppliers of one page.
    """
    matched: list[Note] = []
    missing: list[Note] = []
    warnings: list[Note] = []
    for chain in criteria.supply_chains:
        if chain in facts.supply_chains:
            matched.append(_note("supply_chain", chain, f"serves the {chain} supply chain"))

    best: dict[str, Certificate] = {}
    for cert in facts.certificates:
        if cert.standard in criteria.required_certifications and criteria.rule.qualifies(cert):
            current = best.get(cert.standard)
            if current is None or weights.TRUST.get(cert.verification, 0) > weights.TRUST.get(
                current.verification, 0
            ):
                best[cert.standard] = cert
    _explain_certificates(criteria, facts, best, matched, missing, warnings)

    covered: dict[str, list[str]] = {"required": [], "preferred": []}
    for kind, codes in (
        ("required", criteria.required_capabilities),
        ("preferred", criteria.preferred_capabilities),
    ):
        criterion = f"{kind}_capability"
        for code in codes:
            via = _covered_by(code, criteria, facts.capabilities)
            if via is None:
                detail = f"no {code} capability (nor a narrower one)"
                missing.append(_note(criterion, code, detail))
                continue
            covered[kind].append(code)
            detail = f"has {code}" if via == code else f"has {via}, within {code}"
            matched.append(_note(criterion, code, detail))

    words = [criteria.terms[i] for i in sorted(facts.text_hits) if i < len(criteria.terms)]
    absent = [t for i, t in enumerate(criteria.terms) if i not in facts.text_hits]
    if words:
        matched.append(_note("text", None, "profile mentions: " + ", ".join(words)))
    if absent:
        missing.append(_note("text", None, "profile does not mention: " + ", ".join(absent)))

    in_province = None
    if criteria.provinces:
        in_province = facts.province in criteria.provinces
        if in_province:
            matched.append(_note("province", facts.province, f"located in {facts.province}"))
        else:
            where = f"located in {facts.province}" if facts.province else "province unknown"
            wanted = ", ".join(criteria.provinces)
            missing.append(_note("province", facts.province, f"{where}, not in {wanted}"))
    distance = None
    radius = None
    if criteria.near is not None:
        lat, lon, radius = criteria.near
        if facts.lat is None or facts.lon is None:
            missing.append(_note("near", None, "no location on record"))
        else:
            distance = great_circle_km((lat, lon), (facts.lat, facts.lon))
            detail = f"{distance:.1f} km from the requested point (radius {radius:g} km)"
            (matched if distance <= radius else missing).append(_note("near", None, detail))
    if criteria.size_classes:
        if facts.size_class in criteria.size_classes:
            matched.append(_note("size_class", facts.size_class, f"{facts.size_class} company"))
        else:
            what = f"{facts.size_class} company" if facts.size_class else "size class unknown"
            wanted = ", ".join(criteria.size_classes)
            missing.append(_note("size_class", facts.size_class, f"{what}, not {wanted}"))

    components = {
        "required_capabilities": weights.coverage(
            criteria.required_capabilities, covered["required"]
        ),
        "preferred_capabilities": weights.coverage(
            criteria.preferred_capabilities, covered["preferred"]
        ),
        "text": weights.text_relevance(terms=criteria.terms, hits=facts.text_hits),
        "proximity": weights.proximity(
            distance_km=distance, radius_km=radius, in_province=in_province
        ),
        "size": weights.size_fit(wanted=criteria.size_classes, size_class=facts.size_class),
        "certificate_trust": weights.certificate_trust([c.verification for c in best.values()]),
    }
    return Assessment(
        score=weights.score(components),
        components={
            k: round(v, weights.SCORE_DIGITS) for k, v in components.items() if v is not None
        },
        matched=matched,
        missing=missing,
        warnings=warnings,
        distance_km=None if distance is None else round(distance, 3),
    )


def _explain_certificates(
    criteria: Criteria,
    facts: Facts,
    best: dict[str, Certificate],
    matched: list[Note],
    missing: list[Note],
    warnings: list[Note],
) -> None:
    for standard in criteria.required_certifications:
        cert = best.get(standard)
        day = criteria.rule.day.isoformat()
        if cert is None:  # cannot happen after the knock-outs; said for completeness
            detail = f"no certificate valid on {day} at {criteria.rule.min_verification} or above"
            missing.append(_note("required_certification", standard, detail))
            continue
        expiry = f", expires {cert.expires_on.isoformat()}" if cert.expires_on else ""
        matched.append(
            _note(
                "required_certification",
                standard,
                f"certificate {cert.number or '(no number)'}, {cert.verification}, valid on "
                f"{day}{expiry}",
                verification=cert.verification,
            )
        )
    if criteria.needed_by is None:
        return
    for cert in facts.certificates:
        if (
            cert.status == "active"
            and cert.expires_on is not None
            and criteria.today <= cert.expires_on < criteria.needed_by
            and cert.standard not in best  # a required standard still covered is no worry
        ):
            warnings.append(
                _note(
                    "certificate_lapses",
                    cert.standard,
                    f"certificate {cert.number or '(no number)'} expires on "
                    f"{cert.expires_on.isoformat()}, before needed_by "
                    f"{criteria.needed_by.isoformat()}",
                )
            )


def gather(*, session: Session, criteria: Criteria, ids: Sequence[int]) -> dict[int, Facts]:
    """What the explanations need about the suppliers of one page, from a handful of queries
    restricted to their ids (the description words come from the ranking)."""
    s = Supplier
    connection = session.connection()  # Core rows: no ORM result processing per row
    facts = {
        row.id: Facts(
            id=row.id, lat=row.lat, lon=row.lon, province=row.province, size_class=row.size_class
        )
        for row in connection.execute(
            sa.select(col(s.id), col(s.lat), col(s.lon), col(s.province), col(s.size_class)).where(
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
    criteria: Criteria,
    facts: dict[int, Facts],
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
        sa.select(  # sqlmodel's select types at most four columns
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
        facts[row.supplier_id].certificates.append(Certificate.of(row))
