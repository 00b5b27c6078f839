"""Bad input gets a problem+json 4xx naming the field, and changes nothing."""

import pytest
from sqlmodel import select

from app.suppliers.models import Supplier
from tests.factories import make_vat, supplier_payload

API = "/api/v1/suppliers"
PROBLEM = "application/problem+json"


def _locs(response) -> list[list]:
    assert response.headers["content-type"] == PROBLEM, response.text
    body = response.json()
    assert {"type", "title", "status", "detail"} <= set(body)
    return [error["loc"] for error in body["errors"]]


@pytest.mark.parametrize(
    ("override", "loc"),
    [
        ({"vat_number": "IT00000010018"}, ["body", "vat_number"]),  # wrong check digit
        ({"vat_number": "IT123"}, ["body", "vat_number"]),
        ({"vat_number": "ZZ123456789"}, ["body", "vat_number"]),
        ({"address": {"province": "XX"}}, ["body", "address", "province"]),
        ({"employees": -1}, ["body", "employees"]),
        ({"tier": "tier9"}, ["body", "tier"]),
        ({"name": ""}, ["body", "name"]),
        ({"name": "bad\x00name"}, ["body", "name"]),
        ({"name": "x" * 201}, ["body", "name"]),
        ({"location": {"lat": 91, "lon": 8}}, ["body", "location", "lat"]),
        ({"contact": {"email": "not-an-email"}}, ["body", "contact", "email"]),
        ({"website": "ftp://example.com"}, ["body", "website"]),
        ({"capabilities": ["machining", "no-such-capability"]}, ["body", "capabilities", 1]),
        ({"supply_chains": ["submarines"]}, ["body", "supply_chains", 0]),
        (
            {
                "certifications": [
                    {"standard": "en-9100", "issued_on": "2024-05-01", "expires_on": "2024-05-01"}
                ]
            },
            ["body", "certifications", 0, "expires_on"],
        ),
        (
            {"certifications": [{"standard": "en-9100", "status": "lapsed"}]},
            ["body", "certifications", 0, "status"],
        ),
        ({"unexpected": 1}, ["body", "unexpected"]),
    ],
)
def test_invalid_create_names_the_field(client, admin, session, override, loc):
    response = client.post(API, json=supplier_payload(**override), headers=admin)
    assert response.status_code == 422
    assert loc in _locs(response)
    assert session.exec(select(Supplier)).all() == []


def test_every_error_is_listed_at_once(client, admin):
    payload = supplier_payload(vat_number="IT1", employees=-5, tier="x")
    assert {tuple(loc) for loc in _locs(client.post(API, json=payload, headers=admin))} >= {
        ("body", "vat_number"),
        ("body", "employees"),
        ("body", "tier"),
    }


@pytest.mark.parametrize("vat", ["DE123456789", "FR12345678901", "ATU12345678", "NL123456789B01"])
def test_foreign_eu_vat_numbers_are_accepted_by_format(client, admin, vat):
    response = client.post(API, json=supplier_payload(vat_number=vat), headers=admin)
    assert response.status_code == 201, response.text
    assert response.json()["vat_number"] == vat


def test_duplicate_vat_number_is_409(client, admin):
    assert client.post(API, json=supplier_payload(1), headers=admin).status_code == 201
    duplicate = client.post(API, json=supplier_payload(2, vat_number=make_vat(1)), headers=admin)
    assert duplicate.status_code == 409
    assert duplicate.headers["content-type"] == PROBLEM
    assert make_vat(1) in duplicate.json()["detail"]


def test_patch_to_another_suppliers_vat_is_409(client, admin):
    client.post(API, json=supplier_payload(1), headers=admin)
    second = client.post(API, json=supplier_payload(2), headers=admin).json()
    response = client.patch(
        f"{API}/{second['id']}", json={"vat_number": make_vat(1)}, headers=admin
    )
    assert response.status_code == 409
    assert client.get(f"{API}/{second['id']}").json()["vat_number"] == make_vat(2)


def test_patch_rejects_null_for_required_fields(client, admin):
    supplier = client.post(API, json=supplier_payload(), headers=admin).json()
    response = client.patch(f"{API}/{supplier['id']}", json={"name": None}, headers=admin)
    assert response.status_code == 422
    assert ["body", "name"] in _locs(response)


@pytest.mark.parametrize(
    "content", [b"{not json", b"", b"[]", b'"text"', '{"name": "\u00e8"'.encode()]
)
def test_malformed_bodies_are_422_problems(client, admin, content):
    response = client.post(
        API, content=content, headers={**admin, "Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM


@pytest.mark.parametrize("path", [f"{API}/0", f"{API}/99999999999999999999", f"{API}/abc"])
def test_bad_ids_are_422_not_500(client, path):
    response = client.get(path)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["path", "supplier_id"]


@pytest.mark.parametrize("limit", [0, 101, -1, "x"])
def test_out_of_range_limit_is_422(client, limit):
    response = client.get(API, params={"limit": limit})
    assert response.status_code == 422
    assert ["query", "limit"] in _locs(response)


def test_unknown_route_and_method_are_problems(client):
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == PROBLEM
    wrong = client.put(API)
    assert wrong.status_code == 405
    assert wrong.headers["content-type"] == PROBLEM
