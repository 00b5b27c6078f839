"""Supplier registry: queries and business rules. Services flush; the request commits."""

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from app.auth.caller import Caller
from app.catalogue.labels import LabelCodes, Language
from app.catalogue.models import Capability, CertificationStandard, SupplyChain
from app.catalogue.service import unknown_codes
from app.errors import Conflict, Forbidden, Gone, NotFound, check_if_match, field_error, invalid
from app.suppliers.models import (
    Supplier,
    SupplierCapability,
    SupplierCertification,
    SupplierSupplyChain,
)
from app.suppliers.schemas import (
    SELF_SERVICE_MAX_VERIFICATION,
    VERIFICATION_LEVELS,
    AddressPublic,
    CertificationIn,
    CertificationPublic,
    ContactPublic,
    Location,
    SupplierCreate,
    SupplierDetail,
    SupplierPublic,
    SupplierUpdate,
)
from app.suppliers.writing import SupplierWrite, certificate_rows, create_values, write

_RELATIONS = (
    selectinload(Supplier.supply_chain_links),  # type: ignore[arg-type]  # SQLModel types a relationship as its value, not an attribute
    selectinload(Supplier.capability_links),  # type: ignore[arg-type]  # SQLModel types a relationship as its value, not an attribute
    selectinload(Supplier.certifications),  # type: ignore[arg-type]  # SQLModel types a relationship as its value, not an attribute
)
_ADDRESS_FIELDS = ("street", "city", "province", "postal_code", "country")
_CONTACT_FIELDS = ("name", "email", "phone")
_SCALAR_FIELDS = (
    "name",
    "legal_name",
    "vat_number",
    "description",
    "employees",
    "annual_revenue_eur",
    "tier",
    "programs",
    "verified",
)


# ---------------------------------------------------------------- reading


def get_supplier(*, session: Session, supplier_id: int) -> Supplier:
    """A live supplier with its links loaded; 404 if unknown, 410 if deleted."""
    supplier = session.exec(
        select(Supplier).where(Supplier.id == supplier_id).options(*_RELATIONS)
    ).first()
    if supplier is None:
        raise NotFound(detail=f"No supplier with id {supplier_id}.")
    if supplier.deleted_at is not None:
        raise Gone(detail=f"Supplier {supplier_id} was deleted.")
    return supplier


def to_public(supplier: Supplier, *, show_contact: bool) -> SupplierPublic:
    """The API representation of a loaded supplier (links loaded or lazily loadable)."""
    return _public(
        supplier,
        supply_chains=[link.supply_chain_code for link in supplier.supply_chain_links],
        capabilities=[link.capability_code for link in supplier.capability_links],
        certifications=supplier.certifications,
        show_contact=show_contact,
    )


def public_records(
    *, session: Session, ids: Sequence[int], caller: Caller
) -> dict[int, SupplierPublic]:
    """API representations of many suppliers in four Core queries, without ORM objects.

    Lists and searches use this: hydrating ORM objects costs more than the queries.
    """
    if not ids:
        return {}
    table: Table = Supplier.__table__  # type: ignore[attr-defined]  # __table__ is set by SQLAlchemy, undeclared in SQLModel
    columns = list(table.c)
    rows = session.execute(select(*columns).where(table.c.id.in_(ids))).all()
    chains = _codes_by_supplier(
        session=session,
        owner=SupplierSupplyChain.supplier_id,
        code=SupplierSupplyChain.supply_chain_code,
        ids=ids,
    )
    capabilities = _codes_by_supplier(
        session=session,
        owner=SupplierCapability.supplier_id,
        code=SupplierCapability.capability_code,
        ids=ids,
    )
    certifications: dict[int, list[Any]] = defaultdict(list)
    cert_table: Table = SupplierCertification.__table__  # type: ignore[attr-defined]  # __table__ is set by SQLAlchemy, undeclared in SQLModel
    for cert in session.execute(
        select(*cert_table.c).where(cert_table.c.supplier_id.in_(ids)).order_by(cert_table.c.id)
    ):
        certifications[cert.supplier_id].append(cert)
    return {
        row.id: _public(
            row,
            supply_chains=chains[row.id],
            capabilities=capabilities[row.id],
            certifications=certifications[row.id],
            show_contact=caller.may_see_contact_of(row.id),
        )
        for row in rows
    }


def current_contacts(
    *, session: Session, ids: Sequence[int], caller: Caller
) -> dict[int, ContactPublic]:
    """The contact of each live supplier among `ids` that the caller may see, in one query.

    Personal data lives only in the supplier row: the change feed and webhook deliveries
    store records without it and show the current contact (none once a supplier is deleted).
    """
    if not ids:
        return {}
    table: Table = Supplier.__table__  # type: ignore[attr-defined]  # __table__ is set by SQLAlchemy, undeclared in SQLModel
    rows = session.execute(
        select(table.c.id, *(table.c[f"contact_{f}"] for f in _CONTACT_FIELDS)).where(
            table.c.id.in_(ids), table.c.deleted_at.is_(None)
        )
    )
    return {row.id: _contact(row) for row in rows if caller.may_see_contact_of(row.id)}


def _contact(supplier: Any) -> ContactPublic:
    return ContactPublic(
        name=supplier.contact_name, email=supplier.contact_email, phone=supplier.contact_phone
    )


def _codes_by_supplier(
    *, session: Session, owner: Any, code: Any, ids: Sequence[int]
) -> dict[int, list[str]]:
    """supplier id -> sorted codes, from a link table (supplier_id, code)."""
    codes: dict[int, list[str]] = defaultdict(list)
    for supplier_id, value in session.execute(
        select(owner, code).where(col(owner).in_(ids)).order_by(col(code))
    ):
        codes[supplier_id].append(value)
    return codes


def _public(
    supplier: Any,
    *,
    supply_chains: list[str],
    capabilities: list[str],
    certifications: Sequence[Any],
    show_contact: bool,
) -> SupplierPublic:
    """Build the representation from anything with supplier attributes (ORM object or row)."""
    contact = _contact(supplier) if show_contact else None
    location = None
    if supplier.lat is not None and supplier.lon is not None:
        location = Location(lat=supplier.lat, lon=supplier.lon)
    return SupplierPublic(
        id=supplier.id,
        name=supplier.name,
        legal_name=supplier.legal_name,
        vat_number=supplier.vat_number,
        description=supplier.description,
        website=supplier.website,
        address=AddressPublic(**{f: getattr(supplier, f) for f in _ADDRESS_FIELDS}),
        location=location,
        employees=supplier.employees,
        annual_revenue_eur=supplier.annual_revenue_eur,
        size_class=supplier.size_class,
        tier=supplier.tier,
        supply_chains=supply_chains,
        capabilities=capabilities,
        certifications=[
            CertificationPublic(
                id=c.id,
                standard=c.standard_code,
                certificate_number=c.certificate_number,
                issuer=c.issuer,
                issued_on=c.issued_on,
                expires_on=c.expires_on,
                status=c.status,
                scope=c.scope,
                verification=c.verification,
            )
            for c in certifications
        ],
        programs=list(supplier.programs),
        contact=contact,
        verified=supplier.verified,
        created_at=supplier.created_at,
        updated_at=supplier.updated_at,
        version=supplier.version,
    )


# ---------------------------------------------------------------- writing


def _check_codes(
    *,
    session: Session,
    supply_chains: list[str] | None,
    capabilities: list[str] | None,
    certifications: list[CertificationIn] | None,
) -> None:
    """422 naming every unknown catalogue code, with its position in the body."""
    errors: list[dict[str, Any]] = []
    for field, model, codes in (
        ("supply_chains", SupplyChain, supply_chains),
        ("capabilities", Capability, capabilities),
    ):
        unknown = unknown_codes(session=session, model=model, codes=codes or [])
        errors += [
            field_error(["body", field, i], f"unknown {field[:-1].replace('_', ' ')} code {c!r}")
            for i, c in enumerate(codes or [])
            if c in unknown
        ]
    standards = [c.standard for c in certifications or []]
    unknown = unknown_codes(session=session, model=CertificationStandard, codes=standards)
    errors += [
        field_error(["body", "certifications", i, "standard"], f"unknown standard code {c!r}")
        for i, c in enumerate(standards)
        if c in unknown
    ]
    if errors:
        raise invalid(errors)


def _check_vat_free(*, session: Session, vat_number: str, own_id: int | None = None) -> None:
    query = select(Supplier.id).where(
        Supplier.vat_number == vat_number, col(Supplier.deleted_at).is_(None)
    )
    if own_id is not None:
        query = query.where(Supplier.id != own_id)
    existing = session.exec(query).first()
    if existing is not None:
        raise Conflict(
            detail=f"VAT number {vat_number} is already registered to supplier {existing}.",
            existing_id=existing,
        )


# Set by admins only; a supplier key may send them unchanged (a whole-record PATCH), never
# change them: they are the company's identity, which imports match on (VAT number), and the
# cluster's judgement of it.
ADMIN_ONLY_FIELDS = ("vat_number", "legal_name", "tier", "verified")
# A certificate's facts: a supplier's change of any of them makes it self-declared again.
_CERT_FACTS = ("standard", "certificate_number", "issuer", "issued_on", "expires_on", "scope")
_LAPSED = frozenset({"suspended", "withdrawn"})


def _check_admin_only_fields(*, supplier: Supplier, data: SupplierUpdate) -> None:
    """403 naming each admin-only field a supplier key tries to change."""
    changed = [
        field
        for field in ADMIN_ONLY_FIELDS
        if field in data.model_fields_set and getattr(data, field) != getattr(supplier, field)
    ]
    if changed:
        raise Forbidden(
            detail=f"Only admins may change {', '.join(f'`{f}`' for f in changed)}.",
            errors=[field_error(["body", field], "admin only") for field in changed],
        )


def _pair_certificates(
    incoming: list[CertificationIn], existing: list[CertificationPublic]
) -> list[CertificationPublic | None]:
    """For each submitted certificate, the stored one it stands for (None: a new one).

    The same standard and number first; then, among those left, the same number (its standard
    was edited), then the same standard (its number was edited), so an edit of either is seen
    as an edit and not as a new certificate.
    """
    paired: list[CertificationPublic | None] = [None] * len(incoming)
    left = list(existing)
    for same in (
        lambda new, old: (
            (new.standard, new.certificate_number) == (old.standard, old.certificate_number)
        ),
        lambda new, old: (
            new.certificate_number is not None and new.certificate_number == old.certificate_number
        ),
        lambda new, old: new.standard == old.standard,
    ):
        for i, cert in enumerate(incoming):
            if paired[i] is None:
                old = next((o for o in left if same(cert, o)), None)
                if old is not None:
                    paired[i] = old
                    left.remove(old)
    return paired


def _self_service_certificates(
    *, certifications: list[CertificationIn], existing: list[CertificationPublic]
) -> list[CertificationIn]:
    """A supplier key's certificate list as it may be stored, or 403 naming what it may not do.

    A supplier may not move a certificate from `suspended` or `withdrawn` back to `active`,
    nor set a trust level above `document` other than keeping the one an admin gave; any change
    of a certificate's facts (standard, number, issuer, dates, scope) makes it `self-declared`.
    """
    ceiling = VERIFICATION_LEVELS.index(SELF_SERVICE_MAX_VERIFICATION)
    errors: list[dict[str, Any]] = []
    stored: list[CertificationIn] = []
    pairs = _pair_certificates(certifications, existing)
    for i, (cert, old) in enumerate(zip(certifications, pairs, strict=True)):
        if old is not None and old.status in _LAPSED and cert.status == "active":
            errors.append(
                field_error(
                    ["body", "certifications", i, "status"],
                    f"only admins may make a {old.status} certificate active again",
                )
            )
        edited = old is not None and any(getattr(cert, f) != getattr(old, f) for f in _CERT_FACTS)
        if edited:
            stored.append(cert.model_copy(update={"verification": "self-declared"}))
            continue
        level = VERIFICATION_LEVELS.index(cert.verification)
        kept = VERIFICATION_LEVELS.index(old.verification) if old is not None else -1
        if level > ceiling and level > kept:
            errors.append(
                field_error(
                    ["body", "certifications", i, "verification"],
                    f"only admins may set a trust level above {SELF_SERVICE_MAX_VERIFICATION!r}",
                )
            )
        stored.append(cert)
    if errors:
        raise Forbidden(detail=errors[0]["msg"], errors=errors)
    return stored


def create_supplier(*, session: Session, data: SupplierCreate, actor: Caller) -> Supplier:
    _check_codes(
        session=session,
        supply_chains=data.supply_chains,
        capabilities=data.capabilities,
        certifications=data.certifications,
    )
    _check_vat_free(session=session, vat_number=data.vat_number)
    values = create_values(data)
    written = SupplierWrite(
        kind="created",
        values=values,
        supply_chains=data.supply_chains,
        capabilities=data.capabilities,
        certifications=certificate_rows(data.certifications),
    )
    write(session.connection(), [written], actor=actor)
    return _reloaded(session=session, supplier_id=cast(int, written.supplier_id))  # write drew it


def _reloaded(*, session: Session, supplier_id: int) -> Supplier:
    """The supplier as written (the session's copy, if any, refreshed), links loaded."""
    return session.exec(
        select(Supplier)
        .where(Supplier.id == supplier_id)
        .options(*_RELATIONS)
        .execution_options(populate_existing=True)
    ).one()


def _address_columns(values: dict[str, Any]) -> dict[str, Any]:
    return {field: values[field] for field in _ADDRESS_FIELDS if field in values}


def _contact_columns(values: dict[str, Any]) -> dict[str, Any]:
    return {f"contact_{field}": values[field] for field in _CONTACT_FIELDS if field in values}


def _patched(
    before: dict[str, Any], data: SupplierUpdate, certifications: list[CertificationIn] | None
) -> dict[str, Any]:
    """The representation `before` (of `to_public`) with the PATCH applied, in the same
    comparable form as `_comparable`: what the supplier would look like afterwards."""
    after = dict(before)
    sent = data.model_fields_set
    for field in _SCALAR_FIELDS:
        if field in sent:
            after[field] = getattr(data, field)
    if "website" in sent:
        after["website"] = str(data.website) if data.website else None
    if "address" in sent:
        changes = (
            data.address.model_dump(exclude_unset=True)
            if data.address
            else dict.fromkeys(_ADDRESS_FIELDS[:-1])
        )
        after["address"] = {**before["address"], **changes}
    if "contact" in sent:
        changes = (
            data.contact.model_dump(exclude_unset=True)
            if data.contact
            else dict.fromkeys(_CONTACT_FIELDS)
        )
        after["contact"] = {**before["contact"], **changes}
    if "location" in sent:
        after["location"] = data.location.model_dump() if data.location else None
    for field in ("supply_chains", "capabilities"):
        if getattr(data, field) is not None:
            after[field] = getattr(data, field)
    if certifications is not None:
        after["certifications"] = [c.model_dump() for c in certifications]
    return _comparable(after)


def _comparable(record: dict[str, Any]) -> dict[str, Any]:
    """A supplier representation reduced to what a PATCH can change: code lists as sets,
    certificates as a multiset of their fields (ids are the rows', not the facts')."""
    reduced = {
        k: v
        for k, v in record.items()
        if k not in ("id", "size_class", "created_at", "updated_at", "version")
    }
    for field in ("supply_chains", "capabilities"):
        reduced[field] = sorted(set(reduced[field]))
    reduced["certifications"] = sorted(
        repr(sorted((k, v) for k, v in cert.items() if k != "id"))
        for cert in reduced["certifications"]
    )
    return reduced


def update_supplier(
    *, session: Session, supplier: Supplier, data: SupplierUpdate, caller: Caller
) -> Supplier:
    """Apply a merge-patch; a patch that changes nothing writes nothing (no version, change
    event, webhook or audit entry) and returns the supplier as it is."""
    sent = data.model_fields_set
    before = to_public(supplier, show_contact=True).model_dump()
    certifications = data.certifications
    if not caller.is_admin:
        _check_admin_only_fields(supplier=supplier, data=data)
        if certifications is not None:
            certifications = _self_service_certificates(
                certifications=certifications,
                existing=[CertificationPublic(**c) for c in before["certifications"]],
            )
    _check_codes(
        session=session,
        supply_chains=data.supply_chains,
        capabilities=data.capabilities,
        certifications=certifications,
    )
    if _patched(before, data, certifications) == _comparable(before):
        return supplier
    if data.vat_number is not None and data.vat_number != supplier.vat_number:
        _check_vat_free(session=session, vat_number=data.vat_number, own_id=supplier.id)
    values: dict[str, Any] = {f: getattr(data, f) for f in _SCALAR_FIELDS if f in sent}
    if "website" in sent:
        values["website"] = str(data.website) if data.website else None
    if "address" in sent:
        values |= _address_columns(
            data.address.model_dump(exclude_unset=True)
            if data.address
            else dict.fromkeys(_ADDRESS_FIELDS[:-1])
        )
    if "contact" in sent:
        values |= _contact_columns(
            data.contact.model_dump(exclude_unset=True)
            if data.contact
            else dict.fromkeys(_CONTACT_FIELDS)
        )
    if "location" in sent:
        loc = data.location
        values["lat"], values["lon"] = (loc.lat, loc.lon) if loc else (None, None)
    written = SupplierWrite(
        kind="updated",
        values=values,
        supply_chains=data.supply_chains,
        capabilities=data.capabilities,
        certifications=None if certifications is None else certificate_rows(certifications),
        supplier_id=supplier.id,
        version=supplier.version,
        before=to_public(supplier, show_contact=True).model_dump(mode="json"),
    )
    write(session.connection(), [written], actor=caller)
    return _reloaded(session=session, supplier_id=supplier.id)  # type: ignore[arg-type]  # SQLModel types the key optional; a stored row has one


def delete_supplier(
    *, session: Session, supplier_id: int, actor: Caller, if_match: str | None
) -> None:
    """Soft delete: the row stays (for the change feed) but disappears from every read; its
    contact is erased (personal data is kept no longer than the supplier is listed)."""
    supplier = _if_match(session=session, supplier_id=supplier_id, if_match=if_match)
    written = SupplierWrite(kind="deleted", supplier_id=supplier.id, version=supplier.version)
    write(session.connection(), [written], actor=actor)
    session.expire(supplier)


# ---------------------------------------------------------------- the routes' representations


def _detail(
    *, session: Session, supplier: Supplier, show_contact: bool, lang: Language
) -> SupplierDetail:
    """The supplier's record as the caller may see it, with the labels of its codes."""
    public = to_public(supplier, show_contact=show_contact)
    labels = LabelCodes().add_supplier(public).labels(session=session, lang=lang)
    return SupplierDetail(**dict(public), labels=labels)


def _if_match(*, session: Session, supplier_id: int, if_match: str | None) -> Supplier:
    """A live supplier, its `If-Match` checked."""
    supplier = get_supplier(session=session, supplier_id=supplier_id)
    check_if_match(if_match, version=supplier.version, subject=f"Supplier {supplier.id}")
    return supplier


def get_detail(
    *, session: Session, supplier_id: int, caller: Caller, lang: Language
) -> SupplierDetail:
    """One live supplier as the caller may see it, its codes labelled."""
    supplier = get_supplier(session=session, supplier_id=supplier_id)
    show_contact = caller.may_see_contact_of(supplier_id)
    return _detail(session=session, supplier=supplier, show_contact=show_contact, lang=lang)


def create_detail(
    *, session: Session, data: SupplierCreate, actor: Caller, lang: Language
) -> SupplierDetail:
    """Register a supplier; its record, codes labelled."""
    supplier = create_supplier(session=session, data=data, actor=actor)
    return _detail(session=session, supplier=supplier, show_contact=True, lang=lang)


def update_detail(
    *,
    session: Session,
    supplier_id: int,
    data: SupplierUpdate,
    caller: Caller,
    if_match: str | None,
    lang: Language,
) -> SupplierDetail:
    """Change a supplier (admins, or the supplier's own key), its `If-Match` checked; its
    record, codes labelled."""
    if not (caller.is_admin or caller.is_supplier(supplier_id)):
        raise Forbidden(detail="Only admins and the supplier itself may change this supplier.")
    supplier = _if_match(session=session, supplier_id=supplier_id, if_match=if_match)
    supplier = update_supplier(session=session, supplier=supplier, data=data, caller=caller)
    return _detail(session=session, supplier=supplier, show_contact=True, lang=lang)
