"""Input strictness (issue 15, item 10): what the review found accepted and should not be.

VAT numbers with non-ASCII digits, one certificate (standard + number) held twice, API keys
created already expired, and JSON bodies whose strings were coerced into booleans and numbers.
"""

import json
from datetime import UTC, datetime, timedelta

import pytest

from app.suppliers.validation import normalize_vat
from tests.factories import make_vat, supplier_payload

API = "/api/v1/suppliers"
KEYS = "/api/v1/api-keys"


def _fields(response) -> list[list]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [e["loc"] for e in response.json()["errors"]]


def _other_digits(vat: str, zero: str) -> str:
    """The VAT number with its ASCII digits written in another script's digits."""
    return "".join(chr(ord(zero) + int(ch)) if ch.isdigit() else ch for ch in vat)


@pytest.mark.parametrize(
    "zero",
    ["\u0660", "\u06f0", "\u0966", "\uff10", "\U0001d7ce"],  # Arabic-Indic, Persian, Devanagari,
)  # fullwidth, mathematical bold
@pytest.mark.parametrize("vat", [make_vat(5), "DE123456789", "FR12345678901"])
def test_vat_numbers_with_non_ascii_digits_are_refused(client, admin, vat, zero):
    normalize_vat(vat)  # valid as written in ASCII
    foreign = _other_digits(vat, zero)
    with pytest.raises(ValueError, match="ASCII"):
        normalize_vat(foreign)
    response = client.post(API, json=supplier_payload(5, vat_number=foreign), headers=admin)
    assert ["body", "vat_number"] in _fields(response)


def test_the_same_certificate_twice_is_422(client, admin):
    cert = {"standard": "en-9100", "certificate_number": "A-1"}
    body = supplier_payload(6, certifications=[cert, {"standard": "iso-9001"}, cert])
    response = client.post(API, json=body, headers=admin)
    assert ["body", "certifications"] in _fields(response)
    assert "listed twice" in response.json()["errors"][0]["msg"]
    created = client.post(API, json=supplier_payload(6), headers=admin).json()
    patch = client.patch(
        f"{API}/{created['id']}", json={"certifications": [cert, cert]}, headers=admin
    )
    assert ["body", "certifications"] in _fields(patch)
    # The same standard with another number, or without numbers, is two certificates.
    ok = [
        cert,
        {**cert, "certificate_number": "A-2"},
        {"standard": "en-9100"},
        {"standard": "en-9100"},
    ]
    assert (
        client.patch(
            f"{API}/{created['id']}", json={"certifications": ok}, headers=admin
        ).status_code
        == 200
    )


def test_the_same_certificate_twice_in_an_import_row_is_422(client, admin):
    cert = {"standard": "en-9100", "certificate_number": "A-1"}
    line = supplier_payload(7, certifications=[cert, cert])
    response = client.post(
        f"{API}/import",
        content=json.dumps(line) + "\n",
        headers={**admin, "Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "certifications"


@pytest.mark.parametrize(
    "expires_at",
    [
        lambda: (datetime.now(UTC) - timedelta(days=1)).isoformat(),
        lambda: (datetime.now(UTC) - timedelta(seconds=1)).isoformat(),
        lambda: "2000-01-01T00:00:00Z",
        lambda: "2000-01-01T00:00:00",  # naive: read as UTC
    ],
    ids=["a-day-ago", "a-second-ago", "long-ago", "long-ago-naive"],
)
def test_a_key_cannot_be_created_already_expired(client, admin, expires_at):
    expires_at = expires_at()
    response = client.post(KEYS, json={"role": "buyer", "expires_at": expires_at}, headers=admin)
    assert ["body", "expires_at"] in _fields(response)


def test_a_key_expiring_in_the_future_is_created(client, admin):
    later = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    response = client.post(KEYS, json={"role": "buyer", "expires_at": later}, headers=admin)
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    "field,value",
    [
        ("verified", "true"),
        ("verified", 1),
        ("verified", "1"),
        ("employees", "35"),
        ("employees", 35.0),
        ("employees", True),
        ("annual_revenue_eur", "6000000"),
        ("location", {"lat": "45.8", "lon": 8.8}),
        ("location", {"lat": 45.8, "lon": False}),
        ("name", 123),
        ("programs", [139]),
        ("supply_chains", "space"),
    ],
)
def test_json_bodies_are_not_coerced(client, admin, field, value):
    response = client.post(API, json=supplier_payload(8, **{field: value}), headers=admin)
    assert ["body", field] == _fields(response)[0][:2]


def test_json_body_types_as_sent_are_accepted(client, admin):
    body = supplier_payload(9, verified=True, employees=35, location={"lat": 45, "lon": 8.8})
    response = client.post(API, json=body, headers=admin)
    assert response.status_code == 201, response.text
    assert response.json()["location"] == {"lat": 45.0, "lon": 8.8}  # integers are numbers


def test_query_strings_still_read_true_and_false(client):
    assert client.get(API, params={"verified": "true"}).status_code == 200
    assert client.get(API, params={"verified": "false"}).status_code == 200
    assert client.get(API, params={"min_employees": "10"}).status_code == 200
    assert ["query", "verified"] in _fields(client.get(API, params={"verified": "maybe"}))


def test_dates_in_bodies_are_iso_strings(client, admin):
    cert = {"standard": "en-9100", "issued_on": "2024-01-15", "expires_on": "2027-01-14"}
    assert (
        client.post(
            API, json=supplier_payload(10, certifications=[cert]), headers=admin
        ).status_code
        == 201
    )
    numeric = {"standard": "en-9100", "issued_on": 1_700_000_000}
    response = client.post(API, json=supplier_payload(11, certifications=[numeric]), headers=admin)
    assert ["body", "certifications", 0, "issued_on"] in _fields(response)


@pytest.mark.parametrize(
    "path,role,body,field",
    [
        (
            "/api/v1/scouting-requests",
            "buyer",
            {
                "title": "T",
                "supply_chains": ["space"],
                "near": {"lat": 45, "lon": 8, "radius_km": "60"},
            },
            "near",
        ),
        ("/api/v1/scouting-requests", "buyer", {"title": 5, "supply_chains": ["space"]}, "title"),
        (
            "/api/v1/webhooks",
            "partner",
            {"url": "https://example.com/hook", "events": ["supplier.updated"], "secret": 10**20},
            "secret",
        ),
        ("/api/v1/suppliers/match", "partner", {"name": 42}, "name"),
        ("/api/v1/api-keys", "admin", {"role": "supplier", "supplier_id": "1"}, "supplier_id"),
    ],
)
def test_every_json_body_is_strict(client, make_key, path, role, body, field):
    response = client.post(path, json=body, headers=make_key(role))
    assert ["body", field] == _fields(response)[0][:2]
