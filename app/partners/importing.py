"""Bulk import: upsert suppliers keyed by VAT number from CSV or JSON lines, all or nothing.

Rows are read, validated and compared with the stored suppliers in batches. While the file
is clean, each batch is written at once (Core statements, not ORM objects: about twenty times
faster); from the first bad row on, nothing more is written and every remaining row is still
checked, so the 422 lists every problem. The caller's transaction holds it all: a rejected
file is rolled back whole.
"""

import csv
import io
import json
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import IO, Any, Literal

import sqlalchemy as sa
from asgi_correlation_id import correlation_id
from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from sqlalchemy import bindparam, delete, func, select, update
from sqlmodel import Session

from app.audit.models import AuditEvent
from app.audit.service import changed_fields, given_fields
from app.auth.caller import SYSTEM, Caller
from app.catalogue.models import Capability, CertificationStandard, SupplyChain
from app.changes.models import ChangeEvent
from app.changes.service import without_contact
from app.db import can_copy, copy_rows, insert_rows, utcnow
from app.errors import ValidationProblem, field_error
from app.partners.service import (
    CSV_COLUMNS,
    CSV_FORMATTED_COLUMNS,
    LIST_SEPARATOR,
    csv_row,
    unescape_cell,
)
from app.search.bulk import deferred_fts_indexing
from app.search.documents import build_search_extra, capability_labels
from app.suppliers.models import (
    Supplier,
    SupplierCapability,
    SupplierCertification,
    SupplierSupplyChain,
)
from app.suppliers.schemas import (
    Address,
    AddressPublic,
    CertificationPublic,
    Contact,
    ContactPublic,
    SupplierCreate,
    SupplierPublic,
    VatNumber,
)
from app.suppliers.service import public_records
from app.suppliers.sizing import size_class

Format = Literal["csv", "jsonl"]
Action = Literal["created", "updated"]

BATCH = 1000
# A file with errors on every row would make a response of hundreds of megabytes.
MAX_REPORTED_ERRORS = 10_000
# Fields of the exported record that the service owns; an import ignores them.
READ_ONLY_FIELDS = frozenset({"id", "size_class", "created_at", "updated_at", "version"})
_ADDRESS_COLUMNS = ("street", "city", "province", "postal_code", "country")
_CONTACT_COLUMNS = {"contact_name": "name", "contact_email": "email", "contact_phone": "phone"}
_LIST_COLUMNS = ("supply_chains", "capabilities", "programs")

_SUPPLIER = Supplier.__table__  # type: ignore[attr-defined]
_LINKS = (
    SupplierSupplyChain.__table__,  # type: ignore[attr-defined]
    SupplierCapability.__table__,  # type: ignore[attr-defined]
    SupplierCertification.__table__,  # type: ignore[attr-defined]
)

# Certificates are one JSON cell; the csv module's default cap (128 KiB per cell) is too small.
csv.field_size_limit(max(csv.field_size_limit(), 16 * 1024 * 1024))


# The key of a row, checked first: duplicates and look-ups need it normalised.
_VAT = TypeAdapter(VatNumber)


class ImportChange(BaseModel):
    row: int = Field(description="Line of the file the row starts on (CSV: the header is line 1).")
    vat_number: str = Field(description="The row's VAT number, normalised.")
    action: Action = Field(description="`created` or `updated`.")
    supplier_id: int | None = Field(
        description="The supplier written; null for suppliers a dry run would create."
    )


class ImportReport(BaseModel):
    dry_run: bool = Field(description="True: nothing was written; the counts say what would be.")
    rows: int = Field(description="Rows read (blank lines not counted).")
    created: int = Field(description="Suppliers created (or that would be).")
    updated: int = Field(description="Existing suppliers changed (or that would be).")
    unchanged: int = Field(description="Rows equal to the stored supplier: nothing written.")
    changes: list[ImportChange] = Field(
        description="One entry per created or updated supplier, in file order."
    )


class ImportRejected(ValidationProblem):
    type_ = "import-rejected"
    title = "The file was rejected; nothing was imported."


@dataclass
class _Row:
    row: int
    fields: dict[str, Any] | None  # None: unreadable, see errors
    errors: list[dict[str, Any]] = field(default_factory=list)
    cells: dict[str, str] | None = None  # CSV: the row as read, to compare with the stored one
    # Checked as it is read (see _precheck):
    vat: str | None = None  # the key, normalised; None with vat_errors
    vat_errors: list[dict[str, Any]] = field(default_factory=list)

    def alone(self) -> tuple[SupplierCreate | None, list[dict[str, Any]]]:
        """The row validated on its own: what a new supplier gets, or an existing one if the
        row gives every field (so nothing of the stored record shows through)."""
        return _validated(self.row, self.fields, text=self.text)  # type: ignore[arg-type]

    @property
    def text(self) -> bool:
        """CSV cells are text, read as the types their columns have; JSON lines carry typed
        values, taken as strictly as an API body's."""
        return self.cells is not None


@dataclass
class _Plan:
    row: int
    action: Action
    data: SupplierCreate
    supplier_id: int | None = None
    before: SupplierPublic | None = None
    certificate_ids: list[int] = field(default_factory=list)


@dataclass
class _Catalogue:
    supply_chains: set[str]
    capabilities: set[str]
    standards: set[str]
    labels: dict[str, Any]
    # Position of each code in the database's own order (its collation), so lists built here
    # come out as `GET /suppliers/{id}` reads them (ORDER BY code).
    rank: dict[str, int]

    @classmethod
    def load(cls, session: Session) -> "_Catalogue":
        def codes(model: Any) -> list[str]:
            return list(session.scalars(select(model.code).order_by(model.code)))

        chains, capabilities = codes(SupplyChain), codes(Capability)
        return cls(
            supply_chains=set(chains),
            capabilities=set(capabilities),
            standards=set(codes(CertificationStandard)),
            labels=capability_labels(session=session),
            rank={code: i for ordered in (chains, capabilities) for i, code in enumerate(ordered)},
        )

    def ordered(self, codes: list[str]) -> list[str]:
        return sorted(codes, key=self.rank.__getitem__)


def detect_format(*, content_type: str | None, head: bytes) -> Format | None:
    """The format a body declares, or sniffed from its first byte when it declares none."""
    media = (content_type or "").split(";")[0].strip().lower()
    if media in ("text/csv", "application/csv"):
        return "csv"
    if media in ("application/x-ndjson", "application/jsonl", "application/x-jsonlines"):
        return "jsonl"
    if media in ("", "application/octet-stream", "application/x-www-form-urlencoded"):
        # curl --data-binary sends form-urlencoded unless told otherwise.
        return "jsonl" if head.lstrip()[:1] == b"{" else "csv"
    return None


# ---------------------------------------------------------------- reading


def _rows(stream: IO[bytes], fmt: Format) -> Iterator[_Row]:
    return _csv_rows(stream) if fmt == "csv" else _jsonl_rows(stream)


def _jsonl_rows(stream: IO[bytes]) -> Iterator[_Row]:
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except UnicodeDecodeError:
            yield _Row(number, None, [_error(number, [], "the line is not valid UTF-8")])
            continue
        except (ValueError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
            detail = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
            reason = f"invalid JSON: {detail}"
            yield _Row(number, None, [_error(number, [], reason)])
            continue
        if not isinstance(value, dict):
            yield _Row(number, None, [_error(number, [], "each line must be a JSON object")])
            continue
        yield _Row(number, _without_read_only(value))


def _without_read_only(record: dict[str, Any]) -> dict[str, Any]:
    fields = {k: v for k, v in record.items() if k not in READ_ONLY_FIELDS}
    certificates = fields.get("certifications")
    if isinstance(certificates, list):
        fields["certifications"] = [
            {k: v for k, v in c.items() if k != "id"} if isinstance(c, dict) else c
            for c in certificates
        ]
    return fields


def _csv_rows(stream: IO[bytes]) -> Iterator[_Row]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    line = 1
    try:
        header = next(reader, None)
        if header is None:
            return
        problems = _header_problems(header)
        if problems:
            yield _Row(1, None, [_error(1, [], p) for p in problems])
            return
        line = reader.line_num + 1
        for values in reader:
            start, line = line, reader.line_num + 1
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                reason = f"expected {len(header)} cells as in the header, found {len(values)}"
                yield _Row(start, None, [_error(start, [], reason)])
                continue
            yield _csv_record(start, dict(zip(header, values, strict=True)))
    except UnicodeDecodeError:
        yield _Row(line, None, [_error(line, [], "the file is not valid UTF-8 from here on")])
    except csv.Error as exc:
        yield _Row(line, None, [_error(line, [], f"unreadable CSV: {exc}")])


def _header_problems(header: list[str]) -> list[str]:
    problems = [f"unknown column {c!r}" for c in header if c not in CSV_COLUMNS]
    problems += [
        f"column {c!r} appears twice" for c in dict.fromkeys(header) if header.count(c) > 1
    ]
    if "vat_number" not in header:
        problems.append("the column 'vat_number' is required: it is the key of the import")
    if ("lat" in header) != ("lon" in header):
        problems.append("the columns 'lat' and 'lon' go together")
    return problems


def _csv_record(row: int, cells: dict[str, str]) -> _Row:
    """A flat CSV row as a nested record; an empty cell clears the field (null or empty list)."""
    fields: dict[str, Any] = {}
    errors: list[dict[str, Any]] = []
    for column, raw in cells.items():
        if column in READ_ONLY_FIELDS:
            continue
        if column not in CSV_FORMATTED_COLUMNS:
            raw = unescape_cell(raw)  # our export quote-prefixes formula-like text
        value: Any = raw if raw.strip() else None
        if column in _ADDRESS_COLUMNS:
            fields.setdefault("address", {})[column] = value
        elif column in _CONTACT_COLUMNS:
            fields.setdefault("contact", {})[_CONTACT_COLUMNS[column]] = value
        elif column in _LIST_COLUMNS:
            items = (value or "").split(LIST_SEPARATOR)
            fields[column] = [item.strip() for item in items if item.strip()]
        elif column == "certifications":
            try:
                fields[column] = _without_read_only({column: json.loads(value or "[]")})[column]
            except (ValueError, RecursionError):
                errors.append(_error(row, [column], "not a JSON array of certificates"))
        elif column == "description":
            fields[column] = raw
        elif column not in ("lat", "lon"):
            fields[column] = value
    if "lat" in cells:
        lat, lon = (cells[k].strip() or None for k in ("lat", "lon"))
        if (lat is None) != (lon is None):
            errors.append(_error(row, ["location"], "give both lat and lon, or neither"))
        fields["location"] = {"lat": lat, "lon": lon} if lat is not None else None
    if fields.get("address", {}).get("country", "") is None:
        del fields["address"]["country"]  # an empty country keeps the default, IT
    return _Row(row, None if errors else fields, errors, cells=cells)


def _error(row: int, loc: Iterable[str | int], msg: str, type_: str = "value_error") -> dict:
    loc = list(loc)
    error = field_error(["body", row, *loc], msg, type_)
    error["row"] = row
    if loc:
        error["field"] = ".".join(str(part) for part in loc)
    return error


# ---------------------------------------------------------------- checking


def _validation_errors(row: int, exc: ValidationError) -> list[dict[str, Any]]:
    # The offending input is never echoed back: location and reason only.
    return [_error(row, e["loc"], e["msg"], e["type"]) for e in exc.errors()]


def _code_errors(row: int, data: SupplierCreate, catalogue: _Catalogue) -> list[dict[str, Any]]:
    errors = [
        _error(row, [name, i], f"unknown {name[:-1].replace('_', ' ')} code {code!r}")
        for name, known in (
            ("supply_chains", catalogue.supply_chains),
            ("capabilities", catalogue.capabilities),
        )
        for i, code in enumerate(getattr(data, name))
        if code not in known
    ]
    errors += [
        _error(row, ["certifications", i, "standard"], f"unknown standard code {c.standard!r}")
        for i, c in enumerate(data.certifications)
        if c.standard not in catalogue.standards
    ]
    return errors


def _as_input(public: SupplierPublic) -> dict[str, Any]:
    """A stored supplier in the shape of a create request (what a full import row holds)."""
    record = public.model_dump(mode="json", exclude=set(READ_ONLY_FIELDS))
    return _without_read_only(record)


def _merged(stored: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    """The stored supplier with the row's fields over it (`address`, `contact` field by field)."""
    merged = dict(stored)
    for name, value in fields.items():
        if name in ("address", "contact") and isinstance(value, dict) and stored.get(name):
            merged[name] = {**stored[name], **value}
        elif name == "address" and value is None:
            merged[name] = {"country": (stored.get(name) or {}).get("country", "IT")}
        else:
            merged[name] = value
    return merged


def _comparable(data: SupplierCreate | dict[str, Any]) -> dict[str, Any]:
    values = data.model_dump(mode="json") if isinstance(data, SupplierCreate) else dict(data)
    for name in ("supply_chains", "capabilities"):
        values[name] = sorted(values[name])  # stored sorted
    contact = values.get("contact")
    if contact is not None and not any(contact.values()):
        values["contact"] = None
    return values


def _plan_batch(
    *,
    session: Session,
    rows: list[_Row],
    seen: dict[str, int],
    catalogue: _Catalogue,
) -> tuple[list[_Plan], int, list[dict[str, Any]]]:
    """What each row of a batch would do: (created and updated plans, unchanged, errors)."""
    errors: list[dict[str, Any]] = []
    keyed: list[tuple[_Row, str]] = []
    for row in rows:
        errors += row.errors
        if row.fields is None:
            continue
        if row.vat is None:
            errors += row.vat_errors
            errors += [e for e in row.alone()[1] if e.get("field") != "vat_number"]
            continue
        first = seen.setdefault(row.vat, row.row)
        if first != row.row:
            reason = f"VAT number also on row {first}: each supplier once per file"
            errors.append(_error(row.row, ["vat_number"], reason))
            continue
        keyed.append((row, row.vat))

    vats = [vat for _, vat in keyed]
    existing: dict[str, int] = {}
    if vats:
        # FOR UPDATE (PostgreSQL): nobody changes these suppliers until the import commits.
        query = (
            select(_SUPPLIER.c.vat_number, _SUPPLIER.c.id)
            .where(_SUPPLIER.c.vat_number.in_(vats), _SUPPLIER.c.deleted_at.is_(None))
            .with_for_update()
        )
        existing = {vat: id_ for vat, id_ in session.execute(query)}
    stored = public_records(session=session, ids=list(existing.values()), caller=SYSTEM)

    plans: list[_Plan] = []
    unchanged = 0
    for row, vat in keyed:
        supplier_id = existing.get(vat)
        before = stored[supplier_id] if supplier_id is not None else None
        if before is not None and _same_as_stored(row, before):
            unchanged += 1  # the common case of a re-import, decided without validating
            continue
        current = _as_input(before) if before is not None else None
        if current is None or _complete(row.fields):  # type: ignore[arg-type]
            data, problems = row.alone()
        else:
            merged = _merged(current, row.fields)  # type: ignore[arg-type]
            data, problems = _validated(row.row, merged, text=row.text)
        if data is None:
            errors += problems
            continue
        code_errors = _code_errors(row.row, data, catalogue)
        if code_errors:
            errors += code_errors
            continue
        # Stored records were validated when written, so they compare in normalised form.
        if current is not None and _comparable(data) == _comparable(current):
            unchanged += 1
            continue
        action: Action = "created" if before is None else "updated"
        plans.append(_Plan(row.row, action, data, supplier_id=supplier_id, before=before))
    return plans, unchanged, errors


def _validated(
    row: int, fields: dict[str, Any], *, text: bool
) -> tuple[SupplierCreate | None, list[dict]]:
    try:
        return SupplierCreate.model_validate(fields, strict=False if text else None), []
    except ValidationError as exc:
        return None, _validation_errors(row, exc)


_FIELDS = frozenset(SupplierCreate.model_fields)
_PARTS = {"address": frozenset(_ADDRESS_COLUMNS), "contact": frozenset(_CONTACT_COLUMNS.values())}


def _complete(fields: dict[str, Any]) -> bool:
    """Whether a row gives every field (as an export does): then it replaces the record."""
    return fields.keys() >= _FIELDS and all(
        fields[name] is None or (isinstance(fields[name], dict) and fields[name].keys() >= parts)
        for name, parts in _PARTS.items()
    )


def _precheck(row: _Row) -> _Row:
    """What can be checked of a row without the database: its key, and the row on its own."""
    if row.fields is None:
        return row
    if not row.fields.get("vat_number"):
        reason = "required: it is the key of the import"
        row.vat_errors = [_error(row.row, ["vat_number"], reason)]
    else:
        try:
            row.vat = _VAT.validate_python(row.fields["vat_number"])
        except ValidationError as exc:
            row.vat_errors = [
                _error(row.row, ["vat_number"], e["msg"], e["type"]) for e in exc.errors()
            ]
    return row


def _same_as_stored(row: _Row, stored: SupplierPublic) -> bool:
    """Whether every field the row gives reads exactly as the stored supplier's (as the export
    writes it). Stored records were validated when written, so such a row changes nothing."""
    if row.cells is not None:
        flat = csv_row(stored)
        return all(
            value == ("" if flat[column] is None else str(flat[column]))
            for column, value in row.cells.items()
            if column not in READ_ONLY_FIELDS
        )
    record = _as_input(stored)
    return all(_same(value, record.get(name)) for name, value in row.fields.items())  # type: ignore[union-attr]


def _same(given: Any, stored: Any) -> bool:
    if isinstance(given, dict) and isinstance(stored, dict):  # address, contact: field by field
        return all(value == stored.get(key, _MISSING) for key, value in given.items())
    return given == stored


_MISSING = object()


# ---------------------------------------------------------------- writing


def _supplier_values(data: SupplierCreate, catalogue: _Catalogue) -> dict[str, Any]:
    address = data.address.model_dump() if data.address else {"country": "IT"}
    contact = data.contact.model_dump() if data.contact else {}
    return {
        "name": data.name,
        "legal_name": data.legal_name,
        "vat_number": data.vat_number,
        "description": data.description,
        "website": str(data.website) if data.website else None,
        **{k: address.get(k) for k in _ADDRESS_COLUMNS},
        "lat": data.location.lat if data.location else None,
        "lon": data.location.lon if data.location else None,
        "employees": data.employees,
        "annual_revenue_eur": data.annual_revenue_eur,
        "tier": data.tier,
        "programs": data.programs,
        **{f"contact_{k}": contact.get(k) for k in ("name", "email", "phone")},
        "verified": data.verified,
        "search_extra": build_search_extra(
            capabilities=data.capabilities, programs=data.programs, labels=catalogue.labels
        ),
    }


def _write_batch(
    *, session: Session, plans: list[_Plan], catalogue: _Catalogue, actor: Caller
) -> None:
    now = utcnow()
    created = [p for p in plans if p.action == "created"]
    updated = [p for p in plans if p.action == "updated"]
    if created:
        rows = [
            {**_supplier_values(p.data, catalogue), "created_at": now, "updated_at": now}
            for p in created
        ]
        ids = _new_ids(session=session, table=_SUPPLIER, count=len(created))
        for plan, row, supplier_id in zip(created, rows, ids, strict=True):
            plan.supplier_id = row["id"] = supplier_id
        _insert(session=session, table=_SUPPLIER, rows=[{**row, "version": 1} for row in rows])
    if updated:
        ids = [p.supplier_id for p in updated]
        rows = [
            {"id": p.supplier_id, **_supplier_values(p.data, catalogue), "updated_at": now}
            for p in updated
        ]
        _update_suppliers(session=session, rows=rows)
        for table in _LINKS:
            session.execute(delete(table).where(table.c.supplier_id.in_(ids)))
    _write_links(session=session, plans=plans)
    _record_events(session=session, plans=plans, catalogue=catalogue, actor=actor, now=now)


def _update_suppliers(*, session: Session, rows: list[dict[str, Any]]) -> None:
    """Overwrite suppliers with `rows` (keyed by id), bumping each version by one."""
    columns = [c for c in rows[0] if c != "id"]
    connection = session.connection()
    if not can_copy(connection):
        statement = (
            update(_SUPPLIER)
            .where(_SUPPLIER.c.id == bindparam("target_id"))
            .values(version=_SUPPLIER.c.version + 1)
        )
        session.execute(statement, [{**row, "target_id": row.pop("id")} for row in rows])
        return
    # PostgreSQL: one UPDATE ... FROM a COPY-filled temporary table. Row by row, every
    # statement would also run the statement-level triggers (data generation) again.
    staging = sa.Table(
        "import_supplier_staging",
        sa.MetaData(),
        *(sa.Column(c.name, c.type) for c in _SUPPLIER.c if c.name in rows[0]),
        prefixes=["TEMPORARY"],
    )
    staging.create(connection)
    try:
        copy_rows(connection, table=staging, rows=rows)
        session.execute(
            update(_SUPPLIER)
            .where(_SUPPLIER.c.id == staging.c.id)
            .values(
                version=_SUPPLIER.c.version + 1,
                **{c: staging.c[c] for c in columns},
            )
        )
    finally:
        staging.drop(connection)


def _new_ids(*, session: Session, table: Any, count: int) -> list[int]:
    """Ids for new rows of `table`, drawn up front: rows go in plain batches, and the change
    feed's records are built from what was written instead of read back.

    (INSERT ... RETURNING with its rows in order runs row by row on SQLite.) PostgreSQL: from
    the id sequence. SQLite: after the highest id, safe as the import holds the write lock
    (a concurrent writer would make its insert fail, never collide).
    """
    if not count:
        return []
    if session.get_bind().dialect.name == "postgresql":
        sequence = func.pg_get_serial_sequence(table.name, "id")
        draw = select(func.nextval(sequence)).select_from(func.generate_series(1, count))
        return list(session.scalars(draw))
    highest = session.scalar(select(func.max(table.c.id))) or 0
    return list(range(highest + 1, highest + 1 + count))


def _write_links(*, session: Session, plans: list[_Plan]) -> None:
    chains, capabilities, certificates = _LINKS
    ids = iter(
        _new_ids(
            session=session,
            table=certificates,
            count=sum(len(p.data.certifications) for p in plans),
        )
    )
    for plan in plans:
        plan.certificate_ids = [next(ids) for _ in plan.data.certifications]
    for table, rows in (
        (
            chains,
            [
                {"supplier_id": p.supplier_id, "supply_chain_code": code}
                for p in plans
                for code in p.data.supply_chains
            ],
        ),
        (
            capabilities,
            [
                {"supplier_id": p.supplier_id, "capability_code": code}
                for p in plans
                for code in p.data.capabilities
            ],
        ),
        (
            certificates,
            [
                {
                    "id": certificate_id,
                    "supplier_id": p.supplier_id,
                    "standard_code": c.standard,
                    **c.model_dump(exclude={"standard"}),
                }
                for p in plans
                for c, certificate_id in zip(p.data.certifications, p.certificate_ids, strict=True)
            ],
        ),
    ):
        if rows:
            _insert(session=session, table=table, rows=rows)


def _record_events(
    *, session: Session, plans: list[_Plan], catalogue: _Catalogue, actor: Caller, now: datetime
) -> None:
    """Change-feed and audit events for the batch, in file order, after its statements."""
    changes, audits = [], []
    for plan in plans:
        payload = _written(plan, catalogue=catalogue, now=now).model_dump(mode="json")
        changes.append(
            {
                "supplier_id": plan.supplier_id,
                "kind": plan.action,
                "occurred_at": now,
                "version": payload["version"],
                "payload": without_contact(payload),
            }
        )
        if plan.before is None:
            fields = given_fields(payload)
        else:
            fields = changed_fields(plan.before.model_dump(mode="json"), payload)
        audits.append(
            {
                "occurred_at": now,
                "key_id": actor.key_id,
                "role": actor.role,
                "action": "create" if plan.action == "created" else "update",
                "entity": "supplier",
                "entity_id": plan.supplier_id,
                "fields": fields,
                "request_id": correlation_id.get(),
            }
        )
    _insert(session=session, table=ChangeEvent.__table__, rows=changes)  # type: ignore[attr-defined]
    _insert(session=session, table=AuditEvent.__table__, rows=audits)  # type: ignore[attr-defined]


def _written(plan: _Plan, *, catalogue: _Catalogue, now: datetime) -> SupplierPublic:
    """The record as `GET /suppliers/{id}` (with contact) reads it after the write."""
    data, before = plan.data, plan.before
    address = data.address or Address()
    contact = data.contact or Contact()
    return SupplierPublic(
        id=plan.supplier_id,  # type: ignore[arg-type]
        name=data.name,
        legal_name=data.legal_name,
        vat_number=data.vat_number,
        description=data.description,
        website=str(data.website) if data.website else None,
        address=AddressPublic(**address.model_dump()),
        location=data.location,
        employees=data.employees,
        annual_revenue_eur=data.annual_revenue_eur,
        size_class=size_class(data.employees, data.annual_revenue_eur),  # type: ignore[arg-type]
        tier=data.tier,
        supply_chains=catalogue.ordered(data.supply_chains),
        capabilities=catalogue.ordered(data.capabilities),
        certifications=[
            CertificationPublic(id=certificate_id, **c.model_dump())
            for c, certificate_id in zip(data.certifications, plan.certificate_ids, strict=True)
        ],
        programs=list(data.programs),
        contact=ContactPublic(**contact.model_dump()),
        verified=data.verified,
        created_at=before.created_at if before else now,
        updated_at=now,
        version=before.version + 1 if before else 1,
    )


def _insert(*, session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    # PostgreSQL: COPY; an executemany would fire the statement-level triggers once per row.
    insert_rows(session.connection(), table=table, rows=rows)


# ---------------------------------------------------------------- the import


def _indexing_deferred(*, session: Session, dry_run: bool) -> AbstractContextManager[None]:
    connection = session.connection()
    if dry_run or connection.dialect.name != "sqlite":
        return nullcontext()
    # New ids start after the highest (see _new_ids); the write lock keeps it so.
    first_id = (session.scalar(select(func.max(_SUPPLIER.c.id))) or 0) + 1
    return deferred_fts_indexing(connection, first_id=first_id)


def import_suppliers(
    *, session: Session, stream: IO[bytes], fmt: Format, actor: Caller, dry_run: bool
) -> ImportReport:
    """Upsert every row of the file, or raise ImportRejected listing every bad row."""
    catalogue = _Catalogue.load(session)
    rows = map(_precheck, _rows(stream, fmt))
    seen: dict[str, int] = {}
    errors: list[dict[str, Any]] = []
    error_count = 0
    bad_rows: set[int] = set()
    report = ImportReport(dry_run=dry_run, rows=0, created=0, updated=0, unchanged=0, changes=[])
    with _indexing_deferred(session=session, dry_run=dry_run):
        while batch := list(islice(rows, BATCH)):
            report.rows += len(batch)
            plans, unchanged, batch_errors = _plan_batch(
                session=session, rows=batch, seen=seen, catalogue=catalogue
            )
            error_count += len(batch_errors)
            bad_rows.update(e["row"] for e in batch_errors)
            errors += batch_errors[: max(0, MAX_REPORTED_ERRORS - len(errors))]
            if error_count:
                continue  # keep checking, stop writing: the transaction will be rolled back
            if plans and not dry_run:
                _write_batch(session=session, plans=plans, catalogue=catalogue, actor=actor)
            report.unchanged += unchanged
            for plan in plans:
                setattr(report, plan.action, getattr(report, plan.action) + 1)
                report.changes.append(
                    ImportChange(
                        row=plan.row,
                        vat_number=plan.data.vat_number,
                        action=plan.action,
                        supplier_id=plan.supplier_id,
                    )
                )
        if error_count:  # inside: a rejected file is not indexed either
            listed = "" if error_count == len(errors) else f" (the first {len(errors)} listed)"
            raise ImportRejected(
                detail=f"{error_count} errors in {len(bad_rows)} rows{listed}; "
                "nothing was imported.",
                errors=errors,
                error_count=error_count,
                bad_rows=len(bad_rows),
            )
    return report
