"""Who may match a scouting request: the certificate rule and the knock-outs.

A supplier matches a request when it is live, serves one of the requested supply chains and
holds, for every required standard, a certificate `CertificateRule` admits (search's
`valid_certificate` on the day and at the request's lowest trust level). Three twins of one
rule: `passes_knockouts` in Python (one supplier against many requests: `matching=me`),
`knockouts` as SQL probes (one request against one supplier: `supplier_matches`), and the
search index's bitmaps (one request against every supplier: `app.scouting.ranking`).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from app.scouting.models import ScoutingRequest
from app.search.service import valid_certificate
from app.suppliers.models import Supplier, SupplierCertification, SupplierSupplyChain
from app.suppliers.schemas import VERIFICATION_LEVELS

# Open requests a supplier's `matching=me` list checks per database round trip.
_SCAN_BATCH = 200


def today() -> date:
    return datetime.now(UTC).date()


@dataclass(frozen=True)
class Certificate:
    standard: str
    number: str | None
    status: str
    issued_on: date | None
    expires_on: date | None
    verification: str

    @classmethod
    def of(cls, row: Any) -> "Certificate":
        """From a `supplier_certification` row or object."""
        return cls(
            standard=row.standard_code,
            number=row.certificate_number,
            status=row.status,
            issued_on=row.issued_on,
            expires_on=row.expires_on,
            verification=row.verification,
        )


_LEVEL: dict[str, int] = {name: rank for rank, name in enumerate(VERIFICATION_LEVELS)}


@dataclass(frozen=True)
class CertificateRule:
    """Which certificates meet a required standard: active, issued on or before `day` (or
    issue unknown), not expired on `day`, checked at least at `min_verification` (the order of
    `VERIFICATION_LEVELS`).

    The one definition of the knock-out. `qualifies` applies it to one certificate; the
    matches use the search index's `valid_certificates` and one supplier's probe the SQL
    `qualifying_certificate` (search's `valid_certificate`), both with the same day and trust
    level; tests hold them together.
    """

    day: date
    min_verification: str = VERIFICATION_LEVELS[0]

    @property
    def counts_every_level(self) -> bool:
        return self.min_verification == VERIFICATION_LEVELS[0]

    def qualifies(self, certificate: Certificate) -> bool:
        return (
            certificate.status == "active"
            and (certificate.issued_on is None or certificate.issued_on <= self.day)
            and (certificate.expires_on is None or certificate.expires_on >= self.day)
            and (
                self.counts_every_level
                or _LEVEL.get(certificate.verification, -1) >= _LEVEL[self.min_verification]
            )
        )


def passes_knockouts(
    *,
    supply_chains: Iterable[str],
    certificates: Sequence[Certificate],
    wanted_chains: Sequence[str],
    required_certifications: Sequence[str],
    rule: CertificateRule,
) -> bool:
    """Serves at least one wanted chain and holds, for every required standard, a certificate
    the rule admits."""
    if not set(supply_chains) & set(wanted_chains):
        return False
    held = {c.standard for c in certificates if rule.qualifies(c)}
    return all(standard in held for standard in required_certifications)


def certificate_rule(request: ScoutingRequest, *, day: date | None = None) -> CertificateRule:
    """Which certificates meet the request's required standards: valid on `needed_by` (on
    `day`, today by default, without it) at its `min_verification` or above."""
    return CertificateRule(
        day=request.needed_by or day or today(), min_verification=request.min_verification
    )


def qualifying_certificate(
    rule: CertificateRule, standard: str | None = None
) -> list[ColumnElement[bool]]:
    """Conditions on `supplier_certification` for a certificate that `rule` admits (of
    `standard`, if given): search's `valid_certificate` on the rule's day at its trust level,
    the SQL twin of `CertificateRule.qualifies` (and of the index's `valid_certificates`,
    which the matches use). At the lowest level every certificate counts, and no condition on
    `verification` is added."""
    level = None if rule.counts_every_level else rule.min_verification
    return valid_certificate(day=rule.day, verification=level, standard=standard)


def knockouts(request: ScoutingRequest, *, rule: CertificateRule) -> list[ColumnElement[bool]]:
    """Conditions on `supplier`: live, serves one of the chains, holds for every required
    standard a certificate `rule` admits. `EXISTS` probes: meant for a supplier picked by id
    (the matches apply the same knock-outs on the search index, `ranking.candidates`)."""
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


def _supplier_profile(
    *, session: Session, supplier_id: int
) -> tuple[set[str], list[Certificate]] | None:
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
        Certificate.of(c) for c in session.exec(select(cert).where(cert.supplier_id == supplier_id))
    ]
    return chains, certificates


def matched_open_requests(
    *, session: Session, supplier_id: int, before: int | None, limit: int
) -> tuple[list[ScoutingRequest], bool]:
    """Up to `limit` open requests with ids below `before` whose knock-outs the supplier
    passes, newest first, and whether there are more.

    Checked in Python with `passes_knockouts`, the twin of the index's knock-outs, over
    batches of open requests: one supplier against many requests.
    """
    profile = _supplier_profile(session=session, supplier_id=supplier_id)
    found: list[ScoutingRequest] = []
    if profile is None:
        return found, False
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
            if passes_knockouts(
                supply_chains=chains,
                certificates=certificates,
                wanted_chains=request.supply_chains,
                required_certifications=request.required_certifications,
                rule=certificate_rule(request, day=day),
            ):
                if len(found) == limit:
                    return found, True
                found.append(request)
        if len(batch) < _SCAN_BATCH:
            return found, False
        before = batch[-1].id
