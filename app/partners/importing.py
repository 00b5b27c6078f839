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
from dataclasses import dataclass, field
from itertools import islice
from typing import IO, Any, Literal, cast, get_args

from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from sqlalchemy import Table, select
from sqlmodel import Session

from app.auth.caller import SYSTEM, Caller
from app.catalogue.models import Capability, CertificationStandard, SupplyChain
from app.errors import UnsupportedMediaType, ValidationProblem, field_error, invalid
from app.partners.service import (
    CSV_COLUMNS,
    CSV_FORMATTED_COLUMNS,
    LIST_SEPARATOR,
    csv_row,
    unescape_cell,
)
from app.suppliers.models import (
    Supplier,
)
from app.suppliers.schemas import (
    SupplierCreate,
    SupplierPublic,
    VatNumber,
)
from app.suppliers.service import public_records
from app.suppliers.writing import (
    ANALYZE_AFTER,
    Kind,
    SupplierWrite,
    certificate_rows,
    create_values,
    refresh_statistics,
    write,
)

Format = Literal["csv", "jsonl"]
FORMATS: tuple[Format, ...] = get_args(Format)
Action = Literal["created", "updated", "unchanged"]

BATCH = 1000
# A file with errors on every row would make a response of hundreds of megabytes.
MAX_REPORTED_ERRORS = 10_000
# Fields of the exported record that the service owns; an import ignores them.
READ_ONLY_FIELDS = frozenset({"id", "size_class", "created_at", "updated_at", "version"})
_ADDRESS_COLUMNS = ("street", "city", "province", "postal_code", "country")
_CONTACT_COLUMNS = {"contact_name": "name", "contact_email": "email", "contact_phone": "phone"}
_LIST_COLUMNS = ("supply_chains", "capabilities", "programs")
# A CSV cell holding just this clears the field (null) or empties the list. An empty cell
# gives no value: the stored one stays. The export writes a text value "-" as "'-".
CLEAR = "-"
_CLEARED_TO = {"country": "IT", "description": "", "verified": "false"}
# Fields whose parts are reported (and merged) one by one.
_PARTS_OF = {"address": _ADDRESS_COLUMNS, "contact": tuple(_CONTACT_COLUMNS.values())}

_SUPPLIER: Table = Supplier.__table__  # type: ignore[attr-defined]  # __table__ is set by SQLAlchemy, undeclared in SQLModel

# Certificates are one JSON cell; the csv module's default cap (128 KiB per cell) is too small.
csv.field_size_limit(max(csv.field_size_limit(), 16 * 1024 * 1024))


# The key of a row, checked first: duplicates and look-ups need it normalised.
_VAT = TypeAdapter(VatNumber)


class FieldChange(BaseModel):
    field: str = Field(
        description="The field, as in the record; address and contact parts one by one "
        "(`address.city`, `contact.email`).",
        examples=["employees"],
    )
    old: Any = Field(description="The stored value (null: none).", examples=[35])
    new: Any = Field(description="The value after the import (null: none).", examples=[120])


class ImportChange(BaseModel):
    row: int = Field(description="Line of the file the row starts on (CSV: the header is line 1).")
    vat_number: str = Field(description="The row's VAT number, normalised.")
    action: Action = Field(
        description="`created` (no live supplier has the VAT number), `updated` (some field "
        "changes) or `unchanged` (the row equals the stored supplier: nothing written)."
    )
    supplier_id: int | None = Field(
        description="The supplier created, updated or left as it was; null for suppliers a "
        "dry run would create."
    )
    fields: list[FieldChange] = Field(
        default_factory=list,
        description="For `updated`: each changed field, stored value -> new value, in record "
        "order. Empty for `created` and `unchanged`.",
    )


class ImportReport(BaseModel):
    dry_run: bool = Field(description="True: nothing was written; the counts say what would be.")
    rows: int = Field(description="Rows read (blank lines not counted).")
    created: int = Field(description="Suppliers created (or that would be).")
    updated: int = Field(description="Existing suppliers changed (or that would be).")
    unchanged: int = Field(description="Rows equal to the stored supplier: nothing written.")
    changes: list[ImportChange] = Field(
        description="One entry per row, in file order: what it did (or, in a dry run, would "
        "do), with the changed fields of each update."
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
        fields = cast(dict[str, Any], self.fields)  # asked of readable rows only
        return _validated(self.row, fields, text=self.text)

    @property
    def text(self) -> bool:
        """CSV cells are text, read as the types their columns have; JSON lines carry typed
        values, taken as strictly as an API body's."""
        return self.cells is not None


@dataclass
class _Plan:
    row: int
    action: Action
    vat_number: str
    data: SupplierCreate | None = None  # None: unchanged
    supplier_id: int | None = None
    before: SupplierPublic | None = None
    fields: list[FieldChange] = field(default_factory=list)

    def change(self) -> ImportChange:
        return ImportChange(
            row=self.row,
            vat_number=self.vat_number,
            action=self.action,
            supplier_id=self.supplier_id,
            fields=self.fields,
        )


@dataclass
class _Catalogue:
    supply_chains: set[str]
    capabilities: set[str]
    standards: set[str]

    @classmethod
    def load(cls, session: Session) -> "_Catalogue":
        def codes(model: Any) -> list[str]:
            return list(session.scalars(select(model.code).order_by(model.code)))

        chains, capabilities = codes(SupplyChain), codes(Capability)
        return cls(
            supply_chains=set(chains),
            capabilities=set(capabilities),
            standards=set(codes(CertificationStandard)),
        )


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
    """A flat CSV row as a nested record.

    An empty cell gives no value: the field is left out, so an update keeps the stored value
    and a new supplier has none. A cell holding just `-` (CLEAR) clears the field: null, or
    an empty list. Any other cell is the value; a quote-prefixed text cell is unescaped.
    """
    fields: dict[str, Any] = {}
    errors: list[dict[str, Any]] = []
    for column, raw in cells.items():
        if column in READ_ONLY_FIELDS or column in ("lat", "lon") or not raw.strip():
            continue
        clear = raw.strip() == CLEAR  # before unescaping: the export writes a value "-" as "'-"
        if column not in CSV_FORMATTED_COLUMNS:
            raw = unescape_cell(raw)  # our export quote-prefixes formula-like text
        value: Any = None if clear else raw
        if clear and column in _CLEARED_TO:
            value = _CLEARED_TO[column]  # fields that cannot be null: back to the default
        if column in _ADDRESS_COLUMNS:
            fields.setdefault("address", {})[column] = value
        elif column in _CONTACT_COLUMNS:
            fields.setdefault("contact", {})[_CONTACT_COLUMNS[column]] = value
        elif column in _LIST_COLUMNS:
            items = [] if clear else raw.split(LIST_SEPARATOR)
            fields[column] = [item.strip() for item in items if item.strip()]
        elif column == "certifications":
            try:
                certificates = [] if clear else json.loads(raw)
                fields[column] = _without_read_only({column: certificates})[column]
            except (ValueError, RecursionError):
                errors.append(_error(row, [column], "not a JSON array of certificates"))
        else:
            fields[column] = value
    if "lat" in cells:
        lat, lon = (cells[k].strip() for k in ("lat", "lon"))
        if (lat == CLEAR) != (lon == CLEAR) or bool(lat) != bool(lon):
            errors.append(_error(row, ["location"], "give both lat and lon, or neither"))
        elif lat == CLEAR:
            fields["location"] = None
        elif lat:
            fields["location"] = {"lat": lat, "lon": lon}
    return _Row(row, None if errors else fields, errors, cells=cells)


def _error(
    row: int, loc: Iterable[str | int], msg: str, type_: str = "value_error"
) -> dict[str, Any]:
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
) -> tuple[list[_Plan], list[dict[str, Any]]]:
    """What each row of a batch would do, in row order, and the batch's errors."""
    errors: list[dict[str, Any]] = []
    keyed: list[tuple[_Row, dict[str, Any], str]] = []
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
        keyed.append((row, row.fields, row.vat))

    vats = [vat for _, _, vat in keyed]
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
    for row, fields, vat in keyed:
        supplier_id = existing.get(vat)
        before = stored[supplier_id] if supplier_id is not None else None
        if before is not None and _same_as_stored(row, fields, before):
            # The common case of a re-import, decided without validating.
            plans.append(_Plan(row.row, "unchanged", vat, supplier_id=supplier_id))
            continue
        current = _as_input(before) if before is not None else None
        if current is None or _complete(fields):
            data, problems = row.alone()
        else:
            merged = _merged(current, fields)
            data, problems = _validated(row.row, merged, text=row.text)
        if data is None:
            errors += problems
            continue
        code_errors = _code_errors(row.row, data, catalogue)
        if code_errors:
            errors += code_errors
            continue
        if current is None:
            plans.append(_Plan(row.row, "created", data.vat_number, data))
            continue
        # Stored records were validated when written, so they compare in normalised form.
        changed = _diff(_comparable(current), _comparable(data))
        action: Action = "updated" if changed else "unchanged"
        plans.append(
            _Plan(
                row.row,
                action,
                data.vat_number,
                data if changed else None,
                supplier_id=supplier_id,
                before=before,
                fields=changed,
            )
        )
    return plans, errors


_RECORD_ORDER = [
    name for name in SupplierPublic.model_fields if name in SupplierCreate.model_fields
]


def _diff(old: dict[str, Any], new: dict[str, Any]) -> list[FieldChange]:
    """The fields that differ, in record order; address and contact part by part."""
    changes: list[FieldChange] = []
    for name in _RECORD_ORDER:
        before, after = old.get(name), new.get(name)
        if before == after:
            continue
        if name in _PARTS_OF:
            before, after = before or {}, after or {}
            changes += [
                FieldChange(field=f"{name}.{part}", old=before.get(part), new=after.get(part))
                for part in _PARTS_OF[name]
                if before.get(part) != after.get(part)
            ]
        else:
            changes.append(FieldChange(field=name, old=before, new=after))
    return changes


def _validated(
    row: int, fields: dict[str, Any], *, text: bool
) -> tuple[SupplierCreate | None, list[dict[str, Any]]]:
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


def _same_as_stored(row: _Row, fields: dict[str, Any], stored: SupplierPublic) -> bool:
    """Whether every field the row gives reads exactly as the stored supplier's (as the export
    writes it). Stored records were validated when written, so such a row changes nothing."""
    if row.cells is not None:
        flat = csv_row(stored)
        return all(
            value == ("" if flat[column] is None else str(flat[column]))
            for column, value in row.cells.items()
            if column not in READ_ONLY_FIELDS and value.strip()  # empty: no value given
        )
    record = _as_input(stored)
    return all(_same(value, record.get(name)) for name, value in fields.items())


def _same(given: object, stored: object) -> bool:
    if isinstance(given, dict) and isinstance(stored, dict):  # address, contact: field by field
        return all(value == stored.get(key, _MISSING) for key, value in given.items())
    return given == stored


_MISSING = object()


# ---------------------------------------------------------------- writing


def _write_batch(
    *, session: Session, plans: list[_Plan], catalogue: _Catalogue, actor: Caller
) -> None:
    """Write a batch through the shared supplier writer; plans get their supplier ids."""
    planned = [(plan, plan.data) for plan in plans if plan.data is not None]
    writes = [
        SupplierWrite(
            kind=cast(Kind, plan.action),  # a plan with data creates or updates
            values=create_values(data),
            supply_chains=data.supply_chains,
            capabilities=data.capabilities,
            certifications=certificate_rows(data.certifications),
            supplier_id=plan.supplier_id,
            version=plan.before.version if plan.before else None,
            before=plan.before.model_dump(mode="json") if plan.before else None,
        )
        for plan, data in planned
    ]
    write(session.connection(), writes, actor=actor)
    for (plan, _), written in zip(planned, writes, strict=True):
        plan.supplier_id = written.supplier_id


# ---------------------------------------------------------------- the import


def import_upload(
    *,
    session: Session,
    file: IO[bytes],
    content_type: str | None,
    fmt: Format | None,
    actor: Caller,
    dry_run: bool,
) -> ImportReport:
    """An uploaded file imported: 422 when it is empty, 415 when its format is neither given
    (`fmt`) nor declared or sniffed (`detect_format`)."""
    head = file.read(4096)
    file.seek(0)
    if not head.strip():
        raise invalid([field_error(["body"], "the file is empty")])
    fmt = fmt or detect_format(content_type=content_type, head=head)
    if fmt is None:
        raise UnsupportedMediaType(
            detail=f"Send text/csv or application/x-ndjson, not {content_type}."
        )
    return import_suppliers(session=session, stream=file, fmt=fmt, actor=actor, dry_run=dry_run)


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
    while batch := list(islice(rows, BATCH)):
        report.rows += len(batch)
        plans, batch_errors = _plan_batch(
            session=session, rows=batch, seen=seen, catalogue=catalogue
        )
        error_count += len(batch_errors)
        bad_rows.update(e["row"] for e in batch_errors)
        errors += batch_errors[: max(0, MAX_REPORTED_ERRORS - len(errors))]
        if error_count:
            continue  # keep checking, stop writing: the transaction will be rolled back
        if not dry_run and any(plan.data is not None for plan in plans):
            _write_batch(session=session, plans=plans, catalogue=catalogue, actor=actor)
        for plan in plans:
            setattr(report, plan.action, getattr(report, plan.action) + 1)
            report.changes.append(plan.change())
    if error_count:
        listed = "" if error_count == len(errors) else f" (the first {len(errors)} listed)"
        raise ImportRejected(
            detail=f"{error_count} errors in {len(bad_rows)} rows{listed}; nothing was imported.",
            errors=errors,
            error_count=error_count,
            bad_rows=len(bad_rows),
        )
    if not dry_run and report.created + report.updated >= ANALYZE_AFTER:
        refresh_statistics(session.connection())
    return report
