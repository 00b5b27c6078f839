"""Writing supplier records: the one bulk path of the API, the partner import and demo seeding.

`write_suppliers` writes a batch of suppliers (new ones, changes, soft deletes) with their
link rows, their change-feed events and, when an actor is given, their audit entries, in the
caller's transaction, with Core statements only: COPY on PostgreSQL, the driver's executemany
on SQLite; updates in one statement per batch. No DDL: it runs while the service serves.

Ordering: the first statement of a batch writes `supplier` (PostgreSQL: it locks the
`data_generation` row until commit, revision 0003), its events are inserted after it, so event
numbers follow commit order.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, cast

from asgi_correlation_id import correlation_id
from sqlalchemy import Connection, Table, delete, select
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import col

from app.audit.models import AuditEvent
from app.audit.service import changed_fields, given_fields
from app.auth.caller import Caller
from app.catalogue.models import Capability, SupplyChain
from app.db import analyze, insert_rows, new_ids, update_versioned, utcnow
from app.suppliers.models import (
    ChangeEvent,
    Supplier,
    SupplierCapability,
    SupplierCertification,
    SupplierSupplyChain,
)
from app.suppliers.schemas import CertificationIn, SupplierCreate, SupplierPublic
from app.suppliers.sizing import size_class

Kind = Literal["created", "updated", "deleted"]

SUPPLIER: Table = Supplier.__table__  # type: ignore[attr-defined]  # __table__ is set by SQLAlchemy, undeclared in SQLModel
SUPPLY_CHAIN_LINK: Table = SupplierSupplyChain.__table__  # type: ignore[attr-defined]  # __table__ is set by SQLAlchemy, undeclared in SQLModel
CAPABILITY_LINK: Table = SupplierCapability.__table__  # type: ignore[attr-defined]  # __table__ is set by SQLAlchemy, undeclared in SQLModel
CERTIFICATION: Table = SupplierCertification.__table__  # type: ignore[attr-defined]  # __table__ is set by SQLAlchemy, undeclared in SQLModel
CHANGE_EVENT: Table = ChangeEvent.__table__  # type: ignore[attr-defined]  # __table__ is set by SQLAlchemy, undeclared in SQLModel
AUDIT_EVENT: Table = AuditEvent.__table__  # type: ignore[attr-defined]  # __table__ is set by SQLAlchemy, undeclared in SQLModel
# Tables a supplier write touches, whose planner statistics a bulk write makes stale.
TOUCHED_TABLES = (
    "supplier",
    "supplier_supply_chain",
    "supplier_capability",
    "supplier_certification",
    "change_event",
)
# Bulk writes of at least this many suppliers refresh the planner statistics afterwards.
ANALYZE_AFTER = 1_000

ADDRESS_FIELDS = ("street", "city", "province", "postal_code", "country")
CONTACT_FIELDS = ("name", "email", "phone")
# Every column a new supplier row gets, and its value when not given (one shape for all).
NEW_SUPPLIER_DEFAULTS: dict[str, Any] = {
    "name": None,
    "legal_name": None,
    "vat_number": None,
    "description": "",
    "website": None,
    **dict.fromkeys(ADDRESS_FIELDS[:-1]),
    "country": "IT",
    "lat": None,
    "lon": None,
    "employees": None,
    "annual_revenue_eur": None,
    "tier": None,
    "programs": [],
    **{f"contact_{f}": None for f in CONTACT_FIELDS},
    "verified": False,
    "deleted_at": None,
}
CERTIFICATE_FIELDS = (
    "standard_code",
    "certificate_number",
    "issuer",
    "issued_on",
    "expires_on",
    "status",
    "scope",
    "verification",
)


@dataclass(eq=False)
class SupplierWrite:
    """One supplier to write. Link lists replace the stored ones whole; None leaves them."""

    kind: Kind
    # Supplier columns to set (created: what is not given takes NEW_SUPPLIER_DEFAULTS;
    # `created_at`/`updated_at` default to the batch's time).
    values: dict[str, Any] = field(default_factory=dict)
    supply_chains: list[str] | None = None
    capabilities: list[str] | None = None
    certifications: list[dict[str, Any]] | None = None  # CERTIFICATE_FIELDS of each
    supplier_id: int | None = None  # created: None draws one
    # updated/deleted: the version the caller read (written only if still current, else
    # StaleDataError); set to the version after the write.
    version: int | None = None
    # updated: the record before (SupplierPublic in JSON form), for the event and audit.
    before: dict[str, Any] | None = None
    # Filled by the writer (with records): ids of the certificates written, and the public
    # record after the write in JSON form, with contact (None for deletions).
    certificate_ids: list[int] = field(default_factory=list)
    record: dict[str, Any] | None = None


def create_values(data: SupplierCreate) -> dict[str, Any]:
    """The supplier columns of a create request (or of a full import row)."""
    address = data.address.model_dump() if data.address else {}
    contact = data.contact.model_dump() if data.contact else {}
    return {
        "name": data.name,
        "legal_name": data.legal_name,
        "vat_number": data.vat_number,
        "description": data.description,
        "website": str(data.website) if data.website else None,
        **{k: address.get(k) for k in ADDRESS_FIELDS[:-1]},
        "country": address.get("country") or "IT",
        "lat": data.location.lat if data.location else None,
        "lon": data.location.lon if data.location else None,
        "employees": data.employees,
        "annual_revenue_eur": data.annual_revenue_eur,
        "tier": data.tier,
        "programs": list(data.programs),
        **{f"contact_{k}": contact.get(k) for k in CONTACT_FIELDS},
        "verified": data.verified,
    }


def certificate_rows(certifications: Iterable[CertificationIn]) -> list[dict[str, Any]]:
    """Certificates of a request as `SupplierWrite.certifications`."""
    return [
        {"standard_code": c.standard, **c.model_dump(exclude={"standard"})} for c in certifications
    ]


def write(
    connection: Connection,
    writes: Sequence[SupplierWrite],
    *,
    actor: Caller | None = None,
    records: bool = True,
    now: datetime | None = None,
) -> None:
    """Write `writes` in order, with their links, change events and (given an actor) audit.

    records=True: each event carries the record after the write (built from what was written,
    not read back; it needs `before` for updates). records=False (bulk loads): events carry
    none and readers get the supplier as it is; certificates are numbered by the database.
    """
    if not writes:
        return
    if actor is not None and not records:
        raise ValueError("audit entries name the fields written: they need records")
    now = now or utcnow()
    created = [w for w in writes if w.kind == "created"]
    changed = [w for w in writes if w.kind != "created"]
    _insert_suppliers(connection, created, now=now)
    _update_suppliers(connection, changed, now=now)
    _replace_links(connection, writes, numbered=records)
    if records:
        rank = _code_rank(connection)
        for w in writes:
            w.record = None if w.kind == "deleted" else _record(w, rank=rank)
    insert_rows(connection, table=CHANGE_EVENT, rows=[_event(w) for w in writes])
    if actor is not None:
        insert_rows(connection, table=AUDIT_EVENT, rows=[_audit(w, actor, now) for w in writes])


def refresh_statistics(connection: Connection) -> None:
    """Bring the planner statistics of the supplier tables up to date (after bulk writes:
    autovacuum may be off, or late). Not DDL: reads and writes go on meanwhile."""
    analyze(connection, tables=TOUCHED_TABLES)


# ---------------------------------------------------------------- statements


def _insert_suppliers(
    connection: Connection, writes: list[SupplierWrite], *, now: datetime
) -> None:
    if not writes:
        return
    missing = [w for w in writes if w.supplier_id is None]
    for w, supplier_id in zip(
        missing, new_ids(connection, table=SUPPLIER, count=len(missing)), strict=True
    ):
        w.supplier_id = supplier_id
    columns = dict(NEW_SUPPLIER_DEFAULTS)
    for w in writes:  # one column list for all rows (COPY and executemany need one)
        columns.update(dict.fromkeys(w.values.keys() - columns.keys()))
    rows = []
    for w in writes:
        row = {**columns, **w.values, "id": w.supplier_id, "version": 1}
        row.setdefault("created_at", now)
        row.setdefault("updated_at", row["created_at"] if "created_at" in w.values else now)
        w.version = 1
        rows.append(row)
    insert_rows(connection, table=SUPPLIER, rows=rows)
    for w, row in zip(writes, rows, strict=True):
        w.values = row


def _update_suppliers(
    connection: Connection, writes: list[SupplierWrite], *, now: datetime
) -> None:
    """One UPDATE per set of columns, each row only at the version its writer read."""
    groups: dict[tuple[str, ...], list[SupplierWrite]] = {}
    for w in writes:
        if w.kind == "deleted":
            w.values = {
                **w.values,
                "deleted_at": now,
                **{f"contact_{f}": None for f in CONTACT_FIELDS},
            }
        w.values.setdefault("updated_at", now)
        groups.setdefault(tuple(w.values), []).append(w)
    for names, group in groups.items():
        # Ids and versions are set: these suppliers were read (or just inserted).
        rows = [(w.supplier_id, w.version, [w.values[n] for n in names]) for w in group]
        count = update_versioned(connection, table=SUPPLIER, names=names, rows=rows)  # type: ignore[arg-type]  # ids and versions are set: these suppliers were read or just inserted
        if count != len(group):
            raise StaleDataError(
                f"{len(group) - count} of {len(group)} suppliers changed since they were read"
            )
        for w in group:  # each matched `version = ?` above: a version was read
            w.version = cast(int, w.version) + 1


def _replace_links(
    connection: Connection, writes: Sequence[SupplierWrite], *, numbered: bool
) -> None:
    """Delete the replaced link rows of existing suppliers, insert the given ones."""
    for table, attribute in (
        (SUPPLY_CHAIN_LINK, "supply_chains"),
        (CAPABILITY_LINK, "capabilities"),
        (CERTIFICATION, "certifications"),
    ):
        replaced = [
            w.supplier_id
            for w in writes
            if w.kind == "updated" and getattr(w, attribute) is not None
        ]
        if replaced:
            connection.execute(delete(table).where(table.c.supplier_id.in_(replaced)))
    for table, attribute, column in (
        (SUPPLY_CHAIN_LINK, "supply_chains", "supply_chain_code"),
        (CAPABILITY_LINK, "capabilities", "capability_code"),
    ):
        insert_rows(
            connection,
            table=table,
            rows=[
                {"supplier_id": w.supplier_id, column: code}
                for w in writes
                for code in getattr(w, attribute) or ()
            ],
        )
    certified = [(w, w.certifications) for w in writes if w.certifications]
    if numbered:
        count = sum(len(certs) for _, certs in certified)
        ids = iter(new_ids(connection, table=CERTIFICATION, count=count))
        for w, certs in certified:
            w.certificate_ids = [next(ids) for _ in certs]
        rows = [
            {"id": cid, "supplier_id": w.supplier_id, **c}
            for w, certs in certified
            for cid, c in zip(w.certificate_ids, certs, strict=True)
        ]
    else:
        rows = [{"supplier_id": w.supplier_id, **c} for w, certs in certified for c in certs]
    insert_rows(connection, table=CERTIFICATION, rows=rows)


# ---------------------------------------------------------------- events


def _code_rank(connection: Connection) -> dict[str, int]:
    """Position of each catalogue code in the database's own order, so records built here list
    codes as `GET /suppliers/{id}` reads them (ORDER BY code, in the database's collation)."""
    rank: dict[str, int] = {}
    for column in (col(SupplyChain.code), col(Capability.code)):
        for i, code in enumerate(connection.scalars(select(column).order_by(column))):
            rank[code] = i
    return rank


def _record(w: SupplierWrite, *, rank: dict[str, int]) -> dict[str, Any]:
    """The public record after the write (as `GET /suppliers/{id}` reads it, with contact)."""
    before = w.before or {"supply_chains": [], "capabilities": [], "certifications": []}
    record = dict(before)
    columns = w.values
    for name in ("name", "legal_name", "vat_number", "description", "website", "employees"):
        if name in columns:
            record[name] = columns[name]
    for name in ("annual_revenue_eur", "tier", "programs", "verified"):
        if name in columns:
            record[name] = columns[name]
    record["address"] = {
        **before.get("address", {}),
        **{f: columns[f] for f in ADDRESS_FIELDS if f in columns},
    }
    record["contact"] = {
        **(before.get("contact") or dict.fromkeys(CONTACT_FIELDS)),
        **{f: columns[f"contact_{f}"] for f in CONTACT_FIELDS if f"contact_{f}" in columns},
    }
    if "lat" in columns or "lon" in columns:
        lat, lon = columns.get("lat"), columns.get("lon")
        record["location"] = None if lat is None or lon is None else {"lat": lat, "lon": lon}
    record["size_class"] = size_class(record.get("employees"), record.get("annual_revenue_eur"))
    for name in ("supply_chains", "capabilities"):
        codes = getattr(w, name)
        if codes is not None:
            record[name] = sorted(codes, key=lambda code: rank.get(code, len(rank)))
    if w.certifications is not None:
        record["certifications"] = [
            {"id": cid, "standard": c["standard_code"], **{k: c[k] for k in CERTIFICATE_FIELDS[1:]}}
            for cid, c in zip(w.certificate_ids, w.certifications, strict=True)
        ]
    record["id"] = w.supplier_id
    record["created_at"] = columns.get("created_at", before.get("created_at"))
    record["updated_at"] = columns["updated_at"]
    record["version"] = w.version
    return SupplierPublic.model_validate(record).model_dump(mode="json")


def without_contact(record: dict[str, Any]) -> dict[str, Any]:
    """A supplier record as events store it: without `contact`, which lives only in the
    supplier row (readers get the current one; a replaced or erased contact is gone)."""
    return {name: value for name, value in record.items() if name != "contact"}


def _event(w: SupplierWrite) -> dict[str, Any]:
    values = w.values
    occurred_at = values["deleted_at"] if w.kind == "deleted" else values["updated_at"]
    if w.kind == "created":
        occurred_at = values["created_at"]
    return {
        "supplier_id": w.supplier_id,
        "kind": w.kind,
        "occurred_at": occurred_at,
        "version": w.version,
        "payload": without_contact(w.record) if w.record is not None else None,
    }


_ACTIONS = {"created": "create", "updated": "update", "deleted": "delete"}


def _audit(w: SupplierWrite, actor: Caller, now: datetime) -> dict[str, Any]:
    if w.record is None:
        fields: list[str] = []
    elif w.before is None:
        fields = given_fields(w.record)
    else:
        fields = changed_fields(w.before, w.record)
    return {
        "occurred_at": now,
        "key_id": actor.key_id,
        "role": actor.role,
        "action": _ACTIONS[w.kind],
        "entity": "supplier",
        "entity_id": w.supplier_id,
        "fields": fields,
        "request_id": correlation_id.get(),
    }
