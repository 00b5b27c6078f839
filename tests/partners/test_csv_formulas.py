"""CSV formula injection: text cells a spreadsheet would evaluate are quote-prefixed on export,
and the import of our own export gives back the values exactly (issue 15, item 5)."""

import csv
import io
import json

import pytest
from sqlalchemy import text

from app.partners.service import (
    CSV_FORMATTED_COLUMNS,
    FORMULA_STARTS,
    escape_cell,
    unescape_cell,
)
from tests.factories import make_vat, supplier_payload
from tests.partners.test_import import JSONL, export, live, post, without_service_fields

API = "/api/v1/suppliers"
# Each dangerous start the API lets through (leading tabs and CRs are stripped from text
# fields), and a quote before a dangerous start, which must survive the round trip as well.
STARTS = ("=", "+", "-", "@", "'=", "'\t", "''+")
PHONES = {"+": "+39 0332 123456", "-": "-0332 123456"}
EMAIL_STARTS = ("=", "+", "-", "'=", "''+")  # the starts an e-mail address may have


def _hostile(n: int, start: str) -> dict:
    return supplier_payload(
        n,
        name=f'{start}HYPERLINK("http://evil.example","x") {n}',
        legal_name=f"{start}SUM(1+1) S.r.l.",
        description=f"{start}cmd|' /C calc'!A0",
        address={"street": f"{start}Via Roma 1", "city": f"{start}Varese", "country": "IT"},
        location={"lat": -45.1, "lon": -8.5},
        programs=[f"{start}AW139", "M-346"],
        contact={
            "name": f"{start}Mario Rossi",
            "email": f"{start if start in EMAIL_STARTS else ''}x{n}@example.com",
            "phone": PHONES.get(start, "+39 0332 123456"),
        },
    )


@pytest.fixture
def hostile(client, admin) -> dict[str, dict]:
    """One supplier per dangerous start; VAT number -> record."""
    for n, start in enumerate(STARTS, start=1):
        response = client.post(API, json=_hostile(n, start), headers=admin)
        assert response.status_code == 201, response.text
    records = live(client, admin)
    assert len(records) == len(STARTS)
    return records


def _rows(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode(), newline="")))


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+39 0332", "'+39 0332"),
        ("-x", "'-x"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'=x", "''=x"),
        ("''@x", "'''@x"),
        ("'x", "'x"),  # a quote before harmless text is left alone
        ("x=1", "x=1"),
        ("", ""),
    ],
)
def test_escape_and_unescape_are_one_pair(value, cell):
    assert escape_cell(value) == cell
    assert unescape_cell(cell) == value


def test_export_quote_prefixes_every_text_cell_a_spreadsheet_would_evaluate(client, admin, hostile):
    response = client.get(f"{API}/export", params={"format": "csv"}, headers=admin)
    rows = {row["vat_number"]: row for row in _rows(response.content)}
    for n, start in enumerate(STARTS, start=1):
        row, record = rows[make_vat(n)], hostile[make_vat(n)]
        assert row["name"] == "'" + record["name"]
        assert row["legal_name"] == "'" + record["legal_name"]
        assert row["description"] == "'" + record["description"]
        assert row["street"] == "'" + record["address"]["street"]
        assert row["city"] == "'" + record["address"]["city"]
        assert row["programs"] == "'" + ";".join(record["programs"])
        assert row["contact_name"] == "'" + record["contact"]["name"]
        email = record["contact"]["email"]
        assert row["contact_email"] == ("'" + email if start in EMAIL_STARTS else email)
        assert row["contact_phone"] == "'" + record["contact"]["phone"]
        assert record["name"].startswith(start)  # the API itself keeps the value as given
        # Numbers we format ourselves are written as numbers: a negative latitude stays one.
        assert (row["lat"], row["lon"]) == ("-45.1", "-8.5")
        assert json.loads(row["certifications"]) == record["certifications"]
    for row in rows.values():
        for column, cell in row.items():
            if column not in CSV_FORMATTED_COLUMNS:
                assert not cell.startswith(FORMULA_STARTS), (column, cell)

    # JSON lines are not a spreadsheet format: values exactly as stored.
    lines = export(client, admin, "jsonl").decode().splitlines()
    assert {r["vat_number"]: r for r in map(json.loads, lines)} == hostile


def test_text_stored_with_a_leading_tab_or_return_is_prefixed(client, admin, session):
    sid = client.post(API, json=supplier_payload(1), headers=admin).json()["id"]
    # Leading whitespace never passes the API; rows written by other means may hold it.
    session.execute(
        text("UPDATE supplier SET city = :city, contact_name = :name WHERE id = :id"),
        {"city": "\t=1+1", "name": "\r@cmd", "id": sid},
    )
    [row] = _rows(export(client, admin))
    assert (row["city"], row["contact_name"]) == ("'\t=1+1", "'\r@cmd")


def test_importing_our_export_gives_back_the_values_exactly(client, admin, hostile):
    exported = export(client, admin)

    for dry_run in (True, False):
        report = post(client, admin, exported, dry_run=dry_run).json()
        assert (report["created"], report["updated"], report["unchanged"]) == (0, 0, len(STARTS))
    assert live(client, admin) == hostile

    # A row that changes something else goes through full validation: text still unescaped.
    rows = _rows(exported)
    rows[0]["employees"] = "99"
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    report = post(client, admin, buffer.getvalue().encode()).json()
    assert (report["updated"], report["unchanged"]) == (1, len(STARTS) - 1)
    after = live(client, admin)
    changed = after[rows[0]["vat_number"]]
    assert changed["employees"] == 99 and changed["version"] == 2
    ignored = ("employees", "size_class")
    assert without_service_fields(
        {k: v for k, v in changed.items() if k not in ignored}
    ) == without_service_fields(
        {k: v for k, v in hostile[rows[0]["vat_number"]].items() if k not in ignored}
    )

    # Deleted, then created again from the file: every value as it was, quote and all.
    for record in after.values():
        assert client.delete(f"{API}/{record['id']}", headers=admin).status_code == 204
    dry = post(client, admin, exported, dry_run=True).json()
    assert (dry["created"], dry["updated"], dry["unchanged"]) == (len(STARTS), 0, 0)
    report = post(client, admin, exported).json()
    assert report["created"] == len(STARTS)
    assert {vat: without_service_fields(r) for vat, r in live(client, admin).items()} == {
        vat: without_service_fields(r) for vat, r in hostile.items()
    }


def test_json_lines_import_takes_values_as_they_are(client, admin):
    row = supplier_payload(1, name="'=literal", programs=["'+x"])
    assert post(client, admin, json.dumps(row).encode() + b"\n", JSONL).json()["created"] == 1
    [record] = live(client, admin).values()
    assert (record["name"], record["programs"]) == ("'=literal", ["'+x"])
