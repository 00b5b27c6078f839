"""`GET /suppliers/export`: every live supplier, streamed as JSON lines or flat CSV."""

import csv
import io
import json
from datetime import UTC, datetime

import pytest

from app.partners import service
from app.partners.service import CSV_COLUMNS
from tests.factories import supplier_payload

API = "/api/v1/suppliers"
EXPORT = f"{API}/export"


@pytest.fixture
def registry(client, admin, monkeypatch):
    monkeypatch.setattr(service, "EXPORT_BATCH", 2)  # several batches for five suppliers
    ids = [
        client.post(API, json=supplier_payload(n), headers=admin).json()["id"] for n in range(1, 7)
    ]
    client.delete(f"{API}/{ids[2]}", headers=admin)
    client.patch(
        f"{API}/{ids[0]}",
        json={"programs": ["AW139", "M-346"], "description": 'Quote "this", comma, and\nnewline'},
        headers=admin,
    )
    return [i for i in ids if i != ids[2]]


def test_jsonl_is_every_live_record_as_the_api_returns_it(client, admin, registry):
    response = client.get(EXPORT, params={"format": "jsonl"}, headers=admin)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-ndjson"
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    records = [json.loads(line) for line in response.text.splitlines()]
    assert [r["id"] for r in records] == registry
    for record in records:
        shown = client.get(f"{API}/{record['id']}", headers=admin).json()
        del shown["labels"]  # GET labels the record's codes; export lines are records alone
        assert record == shown


def test_csv_has_the_documented_flat_layout(client, admin, registry):
    response = client.get(EXPORT, params={"format": "csv"}, headers=admin)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    reader = csv.DictReader(io.StringIO(response.text, newline=""))
    assert tuple(reader.fieldnames or ()) == CSV_COLUMNS
    rows = list(reader)
    assert [int(row["id"]) for row in rows] == registry
    for row in rows:
        record = client.get(f"{API}/{row['id']}", headers=admin).json()
        assert row["name"] == record["name"] and row["description"] == record["description"]
        assert row["vat_number"] == record["vat_number"]
        assert row["province"] == record["address"]["province"]
        assert float(row["lat"]) == record["location"]["lat"]
        assert row["capabilities"].split(";") == record["capabilities"]
        assert row["programs"] == ";".join(record["programs"])
        assert json.loads(row["certifications"]) == record["certifications"]
        assert row["contact_email"] == record["contact"]["email"]
        assert row["verified"] == "false" and int(row["version"]) == record["version"]


@pytest.mark.parametrize(("role", "status"), [(None, 401), ("supplier", 403), ("buyer", 200)])
def test_who_may_export(client, make_key, registry, role, status):
    headers = {} if role is None else make_key(role, registry[0] if role == "supplier" else None)
    assert client.get(EXPORT, headers=headers).status_code == status


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_the_file_name_is_dated(client, admin, fmt):
    before = datetime.now(UTC)
    response = client.get(EXPORT, params={"format": fmt}, headers=admin)
    after = datetime.now(UTC)
    assert response.status_code == 200
    days = {moment.strftime("%Y%m%d") for moment in (before, after)}  # midnight may pass
    assert response.headers["content-disposition"] in {
        f'attachment; filename="suppliers-{day}.{fmt}"' for day in days
    }


def test_unknown_format_is_422(client, admin):
    response = client.get(EXPORT, params={"format": "xml"}, headers=admin)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "format"]
