"""Bulk exchange with partner systems: every live supplier as JSON lines or flat CSV."""

import csv
import io
import json
from collections.abc import Iterator
from typing import Any, cast

from sqlmodel import Session, col, select

from app.auth.caller import Caller
from app.suppliers.models import Supplier
from app.suppliers.schemas import SupplierPublic
from app.suppliers.service import public_records

EXPORT_BATCH = 1000
LIST_SEPARATOR = ";"
# The flat CSV layout, in column order (import reads the same layout).
CSV_COLUMNS = (
    "id",
    "name",
    "legal_name",
    "vat_number",
    "description",
    "website",
    "street",
    "city",
    "province",
    "postal_code",
    "country",
    "lat",
    "lon",
    "employees",
    "annual_revenue_eur",
    "size_class",
    "tier",
    "supply_chains",
    "capabilities",
    "programs",
    "certifications",
    "contact_name",
    "contact_email",
    "contact_phone",
    "verified",
    "created_at",
    "updated_at",
    "version",
)
# Columns whose cells we format ourselves (numbers, booleans, timestamps): written as they are.
# Every other column is text a partner or supplier typed, and is escaped (see `escape_cell`).
CSV_FORMATTED_COLUMNS = frozenset(
    {
        "id",
        "lat",
        "lon",
        "employees",
        "annual_revenue_eur",
        "verified",
        "created_at",
        "updated_at",
        "version",
    }
)
CSV_TEXT_COLUMNS = tuple(c for c in CSV_COLUMNS if c not in CSV_FORMATTED_COLUMNS)
# A cell starting with one of these is a formula to a spreadsheet (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def _needs_quote(value: str) -> bool:
    """Whether a text cell must be prefixed: it starts like a formula, or it is a quote
    followed by something that needs the prefix itself (so unescaping is unambiguous)."""
    return value.lstrip(QUOTE).startswith(FORMULA_STARTS)


def escape_cell(value: str) -> str:
    """A text cell as written to CSV: quote-prefixed if a spreadsheet would evaluate it."""
    return QUOTE + value if _needs_quote(value) else value


def unescape_cell(cell: str) -> str:
    """The value of a text cell read from CSV: `escape_cell` undone (one leading quote off)."""
    return cell[1:] if cell.startswith(QUOTE) and _needs_quote(cell[1:]) else cell


def live_suppliers(*, session: Session, caller: Caller) -> Iterator[SupplierPublic]:
    """Every live supplier in id order, read in keyset batches (memory stays flat)."""
    last = 0
    while True:
        found = session.exec(
            select(Supplier.id)
            .where(col(Supplier.id) > last, col(Supplier.deleted_at).is_(None))
            .order_by(col(Supplier.id))
            .limit(EXPORT_BATCH)
        )
        ids = cast(list[int], list(found))  # primary keys: SQLModel types them optional
        if not ids:
            return
        records = public_records(session=session, ids=ids, caller=caller)
        for supplier_id in ids:
            yield records[supplier_id]
        last = ids[-1]


def _chunked(lines: Iterator[str], size: int = 64_000) -> Iterator[str]:
    """Join small lines into chunks of about `size` characters (fewer, larger writes)."""
    chunk: list[str] = []
    length = 0
    for line in lines:
        chunk.append(line)
        length += len(line)
        if length >= size:
            yield "".join(chunk)
            chunk, length = [], 0
    if chunk:
        yield "".join(chunk)


def jsonl_lines(suppliers: Iterator[SupplierPublic]) -> Iterator[str]:
    """One JSON object per line: the record exactly as `GET /suppliers/{id}` returns it."""
    return _chunked(supplier.model_dump_json() + "\n" for supplier in suppliers)


def csv_row(supplier: SupplierPublic) -> dict[str, Any]:
    """One supplier as a flat row, cells as written: lists joined with `;`, certificates as
    a JSON array, text cells escaped against formula injection."""
    record = supplier.model_dump(mode="json")
    address, location, contact = record["address"], record["location"], record["contact"]
    row = {
        **{k: record[k] for k in CSV_COLUMNS if k in record},
        **{k: address[k] for k in ("street", "city", "province", "postal_code", "country")},
        "lat": location["lat"] if location else None,
        "lon": location["lon"] if location else None,
        **{
            k: LIST_SEPARATOR.join(record[k]) for k in ("supply_chains", "capabilities", "programs")
        },
        "certifications": json.dumps(record["certifications"], ensure_ascii=False),
        "contact_name": contact["name"] if contact else None,
        "contact_email": contact["email"] if contact else None,
        "contact_phone": contact["phone"] if contact else None,
        "verified": "true" if record["verified"] else "false",
    }
    for column in CSV_TEXT_COLUMNS:
        if isinstance(row[column], str):
            row[column] = escape_cell(row[column])
    return row


def csv_lines(suppliers: Iterator[SupplierPublic]) -> Iterator[str]:
    """RFC 4180 CSV with a header row, in the CSV_COLUMNS layout."""

    def rows() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
        writer.writeheader()
        yield buffer.getvalue()
        for supplier in suppliers:
            buffer.seek(0)
            buffer.truncate()
            writer.writerow(csv_row(supplier))
            yield buffer.getvalue()

    return _chunked(rows())


def export_lines(*, session: Session, caller: Caller, fmt: str) -> Iterator[str]:
    """Every live supplier the caller may read, as JSON lines (`jsonl`) or CSV (`csv`)."""
    suppliers = live_suppliers(session=session, caller=caller)
    return jsonl_lines(suppliers) if fmt == "jsonl" else csv_lines(suppliers)
