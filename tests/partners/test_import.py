"""`POST /suppliers/import`: upsert by VAT number from CSV or JSON lines, all or nothing."""

import csv
import io
import json

import pytest

from app.config import get_settings
from app.partners import importing
from app.partners.service import CSV_COLUMNS
from tests.factories import make_vat, supplier_payload

API = "/api/v1/suppliers"
IMPORT = f"{API}/import"
CSV = {"Content-Type": "text/csv"}
JSONL = {"Content-Type": "application/x-ndjson"}
SERVICE_FIELDS = ("id", "created_at", "updated_at", "version", "labels")


def jsonl(*records: dict) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


def csv_file(rows: list[dict], columns=CSV_COLUMNS) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode()


def export(client, headers, fmt="csv") -> bytes:
    response = client.get(f"{API}/export", params={"format": fmt}, headers=headers)
    assert response.status_code == 200
    return response.content


def feed(client, headers) -> list[dict]:
    return client.get("/api/v1/changes", params={"limit": 1000}, headers=headers).json()["items"]


def live(client, headers) -> dict[str, dict]:
    """VAT number -> record, for every live supplier (through the export)."""
    lines = export(client, headers, "jsonl").decode().splitlines()
    return {r["vat_number"]: r for r in map(json.loads, lines)}


def without_labels(record: dict) -> dict:
    """A supplier record as lists and feeds embed it: without the `labels` of GET."""
    return {k: v for k, v in record.items() if k != "labels"}


def without_service_fields(record: dict) -> dict:
    record = {k: v for k, v in record.items() if k not in SERVICE_FIELDS}
    record["certifications"] = [
        {k: v for k, v in c.items() if k != "id"} for c in record["certifications"]
    ]
    return record


def post(client, headers, body: bytes, content_type=CSV, **params):
    return client.post(IMPORT, content=body, headers={**headers, **content_type}, params=params)


@pytest.fixture
def registry(client, admin):
    """Three suppliers created through the API."""
    for n in (1, 2, 3):
        assert client.post(API, json=supplier_payload(n), headers=admin).status_code == 201
    return live(client, admin)


# ---------------------------------------------------------------- creating and updating


def test_jsonl_rows_create_suppliers_as_given(client, admin):
    rows = [supplier_payload(n) for n in (11, 12)]
    response = post(client, admin, jsonl(*rows), JSONL)
    assert response.status_code == 200, response.json()
    report = response.json()
    assert (report["rows"], report["created"], report["updated"], report["unchanged"]) == (
        2,
        2,
        0,
        0,
    )
    assert [c["row"] for c in report["changes"]] == [1, 2]
    for change, row in zip(report["changes"], rows, strict=True):
        record = client.get(f"{API}/{change['supplier_id']}", headers=admin).json()
        assert change == {
            "row": change["row"],
            "vat_number": row["vat_number"],
            "action": "created",
            "supplier_id": record["id"],
            "fields": [],
        }
        assert record["name"] == row["name"] and record["capabilities"] == sorted(
            row["capabilities"]
        )
        assert record["contact"]["email"] == row["contact"]["email"]
        assert record["size_class"] == "small" and record["version"] == 1
    events = feed(client, admin)
    assert [(e["type"], e["supplier_id"]) for e in events] == [
        ("supplier.created", c["supplier_id"]) for c in report["changes"]
    ]
    for event in events:
        assert event["supplier"] == without_labels(
            client.get(f"{API}/{event['supplier_id']}", headers=admin).json()
        )


def test_created_suppliers_are_searchable(client, admin):
    row = supplier_payload(21, name="Zirconio Lavorazioni", description="Rettifica di zirconio")
    assert post(client, admin, jsonl(row), JSONL).status_code == 200
    found = client.get(API, params={"q": "zirconio"}).json()
    assert [s["vat_number"] for s in found["items"]] == [row["vat_number"]]


def test_csv_round_trip_export_delete_import_gives_the_same_records(client, admin, registry):
    client.patch(
        f"{API}/{registry[make_vat(1)]['id']}",
        json={"description": 'Quote "this", comma, and\nnewline', "programs": ["AW139", "M-346"]},
        headers=admin,
    )
    before = live(client, admin)
    exported = export(client, admin)
    for record in before.values():
        assert client.delete(f"{API}/{record['id']}", headers=admin).status_code == 204
    assert live(client, admin) == {}

    report = post(client, admin, exported).json()
    assert (report["created"], report["updated"], report["unchanged"]) == (3, 0, 0)
    after = live(client, admin)
    assert {vat: without_service_fields(r) for vat, r in after.items()} == {
        vat: without_service_fields(r) for vat, r in before.items()
    }


def test_jsonl_export_imports_back_unchanged(client, admin, registry):
    report = post(client, admin, export(client, admin, "jsonl"), JSONL).json()
    assert (report["rows"], report["unchanged"]) == (3, 3)
    assert [(c["action"], c["fields"]) for c in report["changes"]] == [("unchanged", [])] * 3


def test_importing_the_same_file_twice_changes_nothing_the_second_time(client, admin):
    body = csv_file([_csv_row(supplier_payload(n)) for n in (31, 32, 33)])
    first = post(client, admin, body).json()
    assert first["created"] == 3
    events = feed(client, admin)
    audit = client.get("/api/v1/audit", params={"limit": 100}, headers=admin).json()["items"]
    records = live(client, admin)

    second = post(client, admin, body).json()
    assert (second["created"], second["updated"], second["unchanged"]) == (0, 0, 3)
    assert feed(client, admin) == events
    assert client.get("/api/v1/audit", params={"limit": 100}, headers=admin).json()["items"] == (
        audit
    )
    assert live(client, admin) == records


def test_a_changed_row_updates_the_supplier_once(client, admin, registry):
    rows = list(csv.DictReader(io.StringIO(export(client, admin).decode(), newline="")))
    rows[1]["employees"] = "120"
    rows[1]["capabilities"] = "machining.titanium"
    rows[1]["contact_email"] = "-"
    target = registry[rows[1]["vat_number"]]
    events_before = len(feed(client, admin))

    report = post(client, admin, csv_file(rows)).json()
    assert (report["created"], report["updated"], report["unchanged"]) == (0, 1, 2)
    assert report["changes"][1] == {
        "row": 3,
        "vat_number": target["vat_number"],
        "action": "updated",
        "supplier_id": target["id"],
        "fields": [
            {"field": "employees", "old": 35, "new": 120},
            {
                "field": "capabilities",
                "old": target["capabilities"],
                "new": ["machining.titanium"],
            },
            {"field": "contact.email", "old": target["contact"]["email"], "new": None},
        ],
    }
    assert [(c["row"], c["action"]) for c in report["changes"]] == [
        (2, "unchanged"),
        (3, "updated"),
        (4, "unchanged"),
    ]
    record = client.get(f"{API}/{target['id']}", headers=admin).json()
    assert record["employees"] == 120 and record["size_class"] == "medium"
    assert record["capabilities"] == ["machining.titanium"]
    assert record["contact"]["email"] is None and record["contact"]["name"] == "Mario Rossi"
    assert record["version"] == target["version"] + 1
    events = feed(client, admin)[events_before:]
    assert [(e["type"], e["supplier_id"], e["version"]) for e in events] == [
        ("supplier.updated", target["id"], record["version"])
    ]
    assert events[0]["supplier"] == without_labels(record)
    audit = client.get(
        "/api/v1/audit", params={"entity_id": target["id"], "action": "update"}, headers=admin
    ).json()["items"]
    assert audit[0]["fields"] == ["capabilities", "contact", "employees"]


def test_columns_left_out_are_left_as_they_are(client, admin, registry):
    target = registry[make_vat(2)]
    body = csv_file(
        [{"vat_number": target["vat_number"], "employees": "12"}], ("vat_number", "employees")
    )
    report = post(client, admin, body).json()
    assert report["updated"] == 1
    record = client.get(f"{API}/{target['id']}", headers=admin).json()
    assert (record["employees"], record["version"]) == (12, target["version"] + 1)
    assert without_service_fields(record) | {"employees": 35} == without_service_fields(target)


def test_read_only_fields_in_the_file_are_ignored(client, admin, registry):
    record = dict(registry[make_vat(3)])
    record |= {
        "id": 999_999,
        "version": 77,
        "size_class": "large",
        "created_at": "2001-01-01T00:00:00Z",
    }
    report = post(client, admin, jsonl(record), JSONL).json()
    assert report["unchanged"] == 1 and report["changes"][0]["action"] == "unchanged"


def test_a_deleted_supplier_s_vat_number_creates_a_new_supplier(client, admin, registry):
    old = registry[make_vat(1)]
    client.delete(f"{API}/{old['id']}", headers=admin)
    report = post(client, admin, jsonl(supplier_payload(1)), JSONL).json()
    assert report["created"] == 1 and report["changes"][0]["supplier_id"] != old["id"]


# ---------------------------------------------------------------- all or nothing


def test_one_bad_file_lists_every_bad_row_and_changes_nothing(client, admin, registry):
    before, events = live(client, admin), feed(client, admin)
    rows = [
        supplier_payload(41),  # line 1: fine
        supplier_payload(42, address={"city": "Varese", "province": "ZZ"}),  # 2
        supplier_payload(43, capabilities=["no-such-capability"]),  # 3
        {**registry[make_vat(1)], "employees": 500},  # 4: a fine update
        supplier_payload(41),  # 5: duplicate of line 1
        supplier_payload(44, employees=-3, vat_number="IT12345678901"),  # 6: two errors
    ]
    body = jsonl(*rows) + b"{not json\n" + b"[1, 2]\n"  # lines 7 and 8
    response = post(client, admin, body, JSONL)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("import-rejected")
    assert problem["bad_rows"] == 6 and problem["error_count"] == 7
    found = {(e["row"], e.get("field")) for e in problem["errors"]}
    assert found == {
        (2, "address.province"),
        (3, "capabilities.0"),
        (5, "vat_number"),
        (6, "vat_number"),
        (6, "employees"),
        (7, None),
        (8, None),
    }
    assert all(e["loc"][:2] == ["body", e["row"]] and e["msg"] for e in problem["errors"])
    assert "also on row 1" in next(e["msg"] for e in problem["errors"] if e["row"] == 5)
    assert live(client, admin) == before
    assert feed(client, admin) == events


def test_errors_after_the_first_batch_still_roll_back_written_batches(client, admin, monkeypatch):
    monkeypatch.setattr(importing, "BATCH", 2)
    rows = [supplier_payload(n) for n in range(50, 55)]
    rows[4]["tier"] = "tier9"
    response = post(client, admin, jsonl(*rows), JSONL)
    assert response.status_code == 422
    assert [(e["row"], e["field"]) for e in response.json()["errors"]] == [(5, "tier")]
    assert live(client, admin) == {}


def test_dry_run_reports_and_writes_nothing(client, admin, registry):
    changed = {**registry[make_vat(2)], "name": "Nuovo Nome"}
    body = jsonl(supplier_payload(61), changed, registry[make_vat(3)])
    before, events = live(client, admin), feed(client, admin)
    report = post(client, admin, body, JSONL, dry_run="true").json()
    assert report["dry_run"] is True
    assert (report["created"], report["updated"], report["unchanged"]) == (1, 1, 1)
    assert report["changes"] == [
        {
            "row": 1,
            "vat_number": make_vat(61),
            "action": "created",
            "supplier_id": None,
            "fields": [],
        },
        {
            "row": 2,
            "vat_number": make_vat(2),
            "action": "updated",
            "supplier_id": changed["id"],
            "fields": [
                {"field": "name", "old": registry[make_vat(2)]["name"], "new": "Nuovo Nome"}
            ],
        },
        {
            "row": 3,
            "vat_number": make_vat(3),
            "action": "unchanged",
            "supplier_id": registry[make_vat(3)]["id"],
            "fields": [],
        },
    ]
    assert live(client, admin) == before and feed(client, admin) == events


def test_dry_run_of_a_bad_file_is_the_same_422(client, admin):
    response = post(client, admin, jsonl(supplier_payload(1, tier="x")), JSONL, dry_run="true")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "tier"


# ---------------------------------------------------------------- CSV specifics


def _csv_row(payload: dict) -> dict:
    address, contact, location = payload["address"], payload["contact"], payload["location"]
    return {
        **{k: payload[k] for k in ("name", "legal_name", "vat_number", "description", "website")},
        **address,
        "lat": location["lat"],
        "lon": location["lon"],
        "employees": payload["employees"],
        "annual_revenue_eur": payload["annual_revenue_eur"],
        "tier": payload["tier"],
        **{k: ";".join(payload[k]) for k in ("supply_chains", "capabilities", "programs")},
        "certifications": json.dumps(payload["certifications"]),
        **{f"contact_{k}": v for k, v in contact.items()},
        "verified": "false",
    }


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("vat_number,name,colour", "unknown column 'colour'"),
        ("name,city", "the column 'vat_number' is required"),
        ("vat_number,name,name", "column 'name' appears twice"),
        ("vat_number,name,lat", "the columns 'lat' and 'lon' go together"),
    ],
)
def test_a_bad_header_is_reported_on_line_1(client, admin, header, message):
    response = post(client, admin, f"{header}\r\n".encode())
    assert response.status_code == 422
    assert response.json()["errors"][0]["row"] == 1
    assert message in response.json()["errors"][0]["msg"]


def test_csv_cell_problems_name_row_and_field(client, admin):
    good = _csv_row(supplier_payload(71))
    rows = [
        good,
        {**_csv_row(supplier_payload(72)), "lat": ""},
        {**_csv_row(supplier_payload(73)), "certifications": "[{"},
        {**_csv_row(supplier_payload(74)), "employees": "many"},
    ]
    response = post(client, admin, csv_file(rows))
    assert response.status_code == 422
    found = [(e["row"], e["field"]) for e in response.json()["errors"]]
    assert found == [(3, "location"), (4, "certifications"), (5, "employees")]


def test_a_row_with_the_wrong_number_of_cells(client, admin):
    body = b"vat_number,name\r\n" + f"{make_vat(1)},A,extra\r\n".encode()
    response = post(client, admin, body)
    assert response.status_code == 422
    assert "expected 2 cells" in response.json()["errors"][0]["msg"]


def test_a_header_only_file_imports_nothing(client, admin):
    report = post(client, admin, b"vat_number,name\r\n").json()
    assert (report["rows"], report["created"]) == (0, 0)


def test_new_suppliers_need_a_name(client, admin):
    body = csv_file([{"vat_number": make_vat(5), "employees": "3"}], ("vat_number", "employees"))
    response = post(client, admin, body)
    assert response.status_code == 422
    assert (response.json()["errors"][0]["row"], response.json()["errors"][0]["field"]) == (
        2,
        "name",
    )


def test_not_utf8_is_422(client, admin):
    body = b"vat_number,name\r\n" + f"{make_vat(1)},Caf".encode() + b"\xe9\r\n"
    response = post(client, admin, body)
    assert response.status_code == 422
    assert "UTF-8" in response.json()["errors"][0]["msg"]


# ---------------------------------------------------------------- the request


def test_hostile_json_is_a_row_error_not_a_crash(client, admin):
    deep = b"[" * 200_000 + b"\n"
    cell = _csv_row(supplier_payload(91)) | {"certifications": "[" * 200_000}
    for body, content_type in ((deep, JSONL), (csv_file([cell]), CSV)):
        response = post(client, admin, body, content_type)
        assert response.status_code == 422
        assert response.json()["errors"][0]["row"] in (1, 2)


def test_format_is_sniffed_without_a_content_type(client, admin):
    body = jsonl(supplier_payload(81))
    response = client.post(IMPORT, content=body, headers={**admin, "Content-Type": ""})
    assert response.status_code == 200 and response.json()["created"] == 1
    form = {"Content-Type": "application/x-www-form-urlencoded"}  # what curl -d sends
    csv_body = csv_file([_csv_row(supplier_payload(82))])
    assert post(client, admin, csv_body, form).json()["created"] == 1


def test_format_parameter_overrides_the_content_type(client, admin):
    body = jsonl(supplier_payload(83))
    response = post(client, admin, body, {"Content-Type": "text/plain"}, format="jsonl")
    assert response.status_code == 200 and response.json()["created"] == 1


def test_other_media_types_are_415(client, admin):
    response = post(client, admin, b"<suppliers/>", {"Content-Type": "application/xml"})
    assert response.status_code == 415
    assert response.headers["content-type"] == "application/problem+json"


def test_empty_body_is_422(client, admin):
    response = post(client, admin, b"\n \n")
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body"]


def test_a_file_over_the_import_limit_is_413(client, admin, monkeypatch):
    monkeypatch.setattr(get_settings(), "import_max_bytes", 1000)
    body = jsonl(*(supplier_payload(n) for n in range(1, 5)))
    assert len(body) > 1000
    response = post(client, admin, body, JSONL)
    assert response.status_code == 413
    assert live(client, admin) == {}
    # Larger than the ordinary body limit, within the import limit: accepted.
    monkeypatch.setattr(get_settings(), "import_max_bytes", 10_000_000)
    big = jsonl(*(supplier_payload(n, description="x" * 19_000) for n in range(1, 80)))
    assert len(big) > get_settings().max_body_bytes
    assert post(client, admin, big, JSONL).json()["created"] == 79


@pytest.mark.parametrize(("role", "status"), [(None, 401), ("partner", 403), ("buyer", 403)])
def test_only_admins_import(client, make_key, role, status):
    headers = {} if role is None else make_key(role)
    response = post(client, headers, jsonl(supplier_payload(1)), JSONL)
    assert response.status_code == status


def test_other_methods_are_405(client, admin):
    response = client.get(IMPORT, headers=admin)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
