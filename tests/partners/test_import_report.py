"""Import reports per row (created, updated with each field old -> new, unchanged), and what
an empty CSV cell means: no value (the stored one stays), while `-` clears."""

import csv
import io

import pytest

from app.partners.service import CSV_COLUMNS
from tests.factories import make_vat, supplier_payload
from tests.partners.test_import import API, CSV, csv_file, feed, live, post

LISTS = ("supply_chains", "capabilities", "programs", "certifications")
# Every importable column but the key and the lists: what an empty or `-` cell does to them.
SCALARS = (
    "legal_name",
    "description",
    "website",
    "street",
    "city",
    "province",
    "postal_code",
    "employees",
    "annual_revenue_eur",
    "tier",
    "contact_name",
    "contact_email",
    "contact_phone",
)


@pytest.fixture
def stored(client, admin) -> dict:
    """One supplier with every field and every list filled."""
    body = supplier_payload(1, programs=["AW139", "M-346"], supply_chains=["rotary-wing", "space"])
    response = client.post(API, json=body, headers=admin)
    assert response.status_code == 201
    return response.json()


def exported_rows(client, admin) -> list[dict[str, str]]:
    response = client.get(f"{API}/export", params={"format": "csv"}, headers=admin)
    return list(csv.DictReader(io.StringIO(response.text, newline="")))


def row_with(vat: str, **cells: str) -> bytes:
    return csv_file([{"vat_number": vat, **cells}], ("vat_number", *cells))


def record(client, admin, supplier_id: int) -> dict:
    return client.get(f"{API}/{supplier_id}", headers=admin).json()


# ---------------------------------------------------------------- the report


def test_dry_run_reports_each_row_created_updated_with_fields_or_unchanged(client, admin, stored):
    other = client.post(API, json=supplier_payload(2), headers=admin).json()
    rows = exported_rows(client, admin)
    rows[0] |= {
        "employees": "120",
        "city": "Gallarate",
        "programs": "AW139;AW169",
        "website": "-",
        "contact_phone": "",  # no value: stays
    }
    new = {column: "" for column in CSV_COLUMNS} | {
        "vat_number": make_vat(9),
        "name": "Nuova Meccanica",
        "capabilities": "machining.titanium",
    }
    body = csv_file([rows[0], rows[1], new])
    before, events = live(client, admin), feed(client, admin)

    report = post(client, admin, body, dry_run="true").json()

    assert (report["dry_run"], report["rows"]) == (True, 3)
    assert (report["created"], report["updated"], report["unchanged"]) == (1, 1, 1)
    assert report["changes"] == [
        {
            "row": 2,
            "vat_number": stored["vat_number"],
            "action": "updated",
            "supplier_id": stored["id"],
            "fields": [
                {"field": "website", "old": stored["website"], "new": None},
                {"field": "address.city", "old": "Varese", "new": "Gallarate"},
                {"field": "employees", "old": 35, "new": 120},
                {"field": "programs", "old": ["AW139", "M-346"], "new": ["AW139", "AW169"]},
            ],
        },
        {
            "row": 3,
            "vat_number": other["vat_number"],
            "action": "unchanged",
            "supplier_id": other["id"],
            "fields": [],
        },
        {
            "row": 4,
            "vat_number": make_vat(9),
            "action": "created",
            "supplier_id": None,
            "fields": [],
        },
    ]
    assert live(client, admin) == before and feed(client, admin) == events

    # The real import reports the same, with the new supplier's id, and does it.
    done = post(client, admin, body).json()
    created = live(client, admin)[make_vat(9)]
    assert done["changes"] == [
        *report["changes"][:2],
        {**report["changes"][2], "supplier_id": created["id"]},
    ]
    after = record(client, admin, stored["id"])
    assert (after["website"], after["address"]["city"], after["employees"]) == (
        None,
        "Gallarate",
        120,
    )
    assert after["programs"] == ["AW139", "AW169"]
    assert after["contact"]["phone"] == stored["contact"]["phone"]


def test_jsonl_updates_report_address_and_contact_parts(client, admin, stored):
    line = (
        f'{{"vat_number": "{stored["vat_number"]}", "contact": {{"email": "ufficio@example.com"}}, '
        '"address": {"street": "Via Milano 3"}, "location": null}\n'
    )
    response = post(client, admin, line.encode(), {"Content-Type": "application/x-ndjson"})
    assert response.json()["changes"][0]["fields"] == [
        {"field": "address.street", "old": "Via Roma 1", "new": "Via Milano 3"},
        {"field": "location", "old": {"lat": 45.82, "lon": 8.83}, "new": None},
        {"field": "contact.email", "old": "mario.rossi@example.com", "new": "ufficio@example.com"},
    ]


# ---------------------------------------------------------------- empty cells and `-`


def test_empty_cells_never_wipe_anything(client, admin, stored):
    cells = dict.fromkeys((*LISTS, *SCALARS, "lat", "lon", "country", "verified"), "")
    report = post(client, admin, row_with(stored["vat_number"], name="", **cells)).json()
    assert report["changes"][0]["action"] == "unchanged"
    assert record(client, admin, stored["id"]) == stored


def test_an_exported_row_with_its_lists_emptied_keeps_the_lists(client, admin, stored):
    rows = exported_rows(client, admin)
    for column in (*LISTS, *SCALARS):
        rows[0][column] = ""
    report = post(client, admin, csv_file(rows)).json()
    assert (report["unchanged"], report["updated"]) == (1, 0)
    assert record(client, admin, stored["id"]) == stored


@pytest.mark.parametrize("column", LISTS)
def test_a_dash_empties_a_list(client, admin, stored, column):
    report = post(client, admin, row_with(stored["vat_number"], **{column: "-"})).json()
    old = stored[column]
    if column == "certifications":  # as a row gives them: without the registry's ids
        old = [{k: v for k, v in c.items() if k != "id"} for c in old]
    assert report["changes"][0]["fields"] == [{"field": column, "old": old, "new": []}]
    after = record(client, admin, stored["id"])
    assert after[column] == []
    assert without(after, column) == without(stored, column)


def without(record: dict, column: str) -> dict:
    """The record less `column` and what an update changes (version, time, certificate ids:
    an import that updates a supplier writes its certificates anew; the labels of the codes
    shown, which follow the codes)."""
    skip = (column, "updated_at", "version", "labels")
    rest = {k: v for k, v in record.items() if k not in skip}
    if "certifications" in rest:
        rest["certifications"] = [
            {k: v for k, v in c.items() if k != "id"} for c in rest["certifications"]
        ]
    return rest


@pytest.mark.parametrize(
    ("column", "field", "path", "cleared"),
    [
        ("legal_name", "legal_name", ("legal_name",), None),
        ("description", "description", ("description",), ""),  # text, never null
        ("website", "website", ("website",), None),
        ("city", "address.city", ("address", "city"), None),
        ("postal_code", "address.postal_code", ("address", "postal_code"), None),
        ("employees", "employees", ("employees",), None),
        ("annual_revenue_eur", "annual_revenue_eur", ("annual_revenue_eur",), None),
        ("tier", "tier", ("tier",), None),
        ("contact_phone", "contact.phone", ("contact", "phone"), None),
    ],
)
def test_a_dash_clears_a_field(client, admin, stored, column, field, path, cleared):
    report = post(client, admin, row_with(stored["vat_number"], **{column: "-"})).json()
    old = stored
    for part in path:
        old = old[part]
    assert report["changes"][0]["fields"] == [{"field": field, "old": old, "new": cleared}]
    value = record(client, admin, stored["id"])
    for part in path:
        value = value[part]
    assert value == cleared


def test_a_dash_in_fields_that_cannot_be_null_sets_their_default(client, admin):
    stored = client.post(
        API,
        json=supplier_payload(3, address={"city": "Lugano", "country": "CH"}, verified=True),
        headers=admin,
    ).json()
    body = row_with(stored["vat_number"], lat="-", lon="-", country="-", verified="-")
    assert post(client, admin, body).status_code == 200
    after = record(client, admin, stored["id"])
    assert (after["location"], after["address"]["country"]) == (None, "IT")
    assert stored["verified"] is True and after["verified"] is False
    assert after["address"]["city"] == "Lugano"


def test_a_dash_cannot_clear_a_required_field(client, admin, stored):
    response = post(client, admin, row_with(stored["vat_number"], name="-"))
    assert response.status_code == 422
    assert [(e["row"], e["field"]) for e in response.json()["errors"]] == [(2, "name")]


def test_empty_cells_of_a_new_supplier_are_no_value(client, admin):
    cells = {column: "" for column in CSV_COLUMNS} | {"vat_number": make_vat(7), "name": "Nuova"}
    report = post(client, admin, csv_file([cells])).json()
    created = record(client, admin, report["changes"][0]["supplier_id"])
    assert [created[k] for k in LISTS] == [[], [], [], []]
    assert (created["website"], created["employees"], created["location"]) == (None, None, None)
    assert created["address"]["country"] == "IT"


def test_a_text_value_dash_is_exported_quoted_and_imports_back_unchanged(client, admin, stored):
    client.patch(f"{API}/{stored['id']}", json={"legal_name": "-"}, headers=admin)
    rows = exported_rows(client, admin)
    assert rows[0]["legal_name"] == "'-"
    report = post(client, admin, csv_file(rows), CSV).json()
    assert report["changes"][0]["action"] == "unchanged"
    assert record(client, admin, stored["id"])["legal_name"] == "-"
