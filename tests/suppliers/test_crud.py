"""Supplier create, read, update and delete through HTTP."""

import pytest
from sqlmodel import select

from app.suppliers.models import Supplier, SupplierCertification
from tests.factories import make_vat, supplier_payload

API = "/api/v1/suppliers"


@pytest.fixture
def created(client, admin):
    response = client.post(API, json=supplier_payload(), headers=admin)
    assert response.status_code == 201, response.text
    return response


def test_create_returns_location_etag_and_full_record(client, admin, created):
    body = created.json()
    assert created.headers["Location"].endswith(f"{API}/{body['id']}")
    assert created.headers["ETag"] == '"1"'
    assert body["version"] == 1
    assert body["vat_number"] == make_vat(1)
    assert body["size_class"] == "small"
    assert body["supply_chains"] == ["rotary-wing"]
    assert body["capabilities"] == ["machining.milling-5-axis", "machining.titanium"]
    assert body["certifications"][0]["standard"] == "en-9100"
    assert body["certifications"][0]["verification"] == "self-declared"
    assert body["contact"]["email"] == "mario.rossi@example.com"
    assert body["address"]["province"] == "VA"
    assert body["created_at"].endswith("Z")
    fetched = client.get(created.headers["Location"], headers=admin).json()
    assert fetched == body


def test_vat_number_is_normalised(client, admin):
    digits = make_vat(7)[2:]
    response = client.post(
        API, json=supplier_payload(7, vat_number=f" {digits[:5]} {digits[5:]}"), headers=admin
    )
    assert response.status_code == 201, response.text
    assert response.json()["vat_number"] == make_vat(7)


def test_get_with_matching_if_none_match_is_304(client, created):
    url = created.headers["Location"]
    first = client.get(url)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(url, headers={"If-None-Match": '"999"'}).status_code == 200


def test_contact_hidden_from_anonymous_and_other_suppliers(client, created, make_key, admin):
    url, supplier_id = created.headers["Location"], created.json()["id"]
    other = client.post(API, json=supplier_payload(2), headers=admin).json()["id"]
    assert client.get(url).json()["contact"] is None
    assert client.get(url, headers=make_key("supplier", other)).json()["contact"] is None
    for headers in (make_key("buyer"), make_key("partner"), make_key("supplier", supplier_id)):
        assert client.get(url, headers=headers).json()["contact"]["name"] == "Mario Rossi"
    listed = client.get(API).json()["items"]
    assert all(item["contact"] is None for item in listed)
    assert client.get(url).headers["ETag"] != client.get(url, headers=admin).headers["ETag"]


def test_patch_merges_objects_replaces_lists_and_bumps_version(client, admin, created):
    url = created.headers["Location"]
    response = client.patch(
        url,
        json={
            "address": {"city": "Gallarate"},
            "capabilities": ["composites.autoclave-curing"],
            "employees": 300,
            "certifications": [],
        },
        headers={**admin, "If-Match": created.headers["ETag"]},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["address"] == {
        "street": "Via Roma 1",
        "city": "Gallarate",
        "province": "VA",
        "postal_code": "21100",
        "country": "IT",
    }
    assert body["capabilities"] == ["composites.autoclave-curing"]
    assert body["certifications"] == []
    assert body["name"] == "Meccanica Test 1"
    assert body["size_class"] == "large"
    assert body["version"] == 2
    assert response.headers["ETag"] == '"2"'


def test_patch_with_stale_if_match_is_412_and_changes_nothing(client, admin, created):
    url = created.headers["Location"]
    assert client.patch(url, json={"employees": 40}, headers=admin).status_code == 200
    stale = client.patch(url, json={"employees": 99}, headers={**admin, "If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"
    current = client.get(url, headers=admin).json()
    assert current["employees"] == 40
    assert current["version"] == 2


def test_patch_can_clear_nullable_fields(client, admin, created):
    url = created.headers["Location"]
    body = client.patch(url, json={"location": None, "tier": None}, headers=admin).json()
    assert body["location"] is None
    assert body["tier"] is None


def test_soft_delete_hides_supplier_and_frees_vat(client, admin, created, session):
    url, supplier_id = created.headers["Location"], created.json()["id"]
    assert client.delete(url, headers=admin).status_code == 204
    assert client.get(url).status_code == 410
    assert client.patch(url, json={"employees": 1}, headers=admin).status_code == 410
    assert client.get(API).json()["total"] == 0
    row = session.get(Supplier, supplier_id)
    assert row is not None and row.deleted_at is not None
    again = client.post(API, json=supplier_payload(), headers=admin)
    assert again.status_code == 201
    assert again.json()["id"] != supplier_id


def test_unknown_supplier_is_404_problem(client):
    response = client.get(f"{API}/424242")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 404


def test_list_envelope_and_cursor_paging_visit_each_supplier_once(client, admin):
    ids = {
        client.post(API, json=supplier_payload(n), headers=admin).json()["id"] for n in range(1, 8)
    }
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = client.get(API, params=params).json()
        assert set(page) == {"items", "total", "next_cursor", "facets", "labels"}
        assert page["total"] == 7
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert sorted(seen) == sorted(ids) and len(seen) == len(ids)


@pytest.mark.parametrize("cursor", ["garbage", "e30", "eyJpZCI6ICJ4In0", "%%%"])
def test_garbage_cursor_is_422(client, cursor):
    response = client.get(API, params={"cursor": cursor})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "cursor"]


def test_failed_create_leaves_no_partial_data(client, admin, session):
    payload = supplier_payload(
        certifications=[{"standard": "en-9100"}, {"standard": "no-such-standard"}]
    )
    response = client.post(API, json=payload, headers=admin)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "certifications", 1, "standard"]
    assert session.exec(select(Supplier)).all() == []
    assert session.exec(select(SupplierCertification)).all() == []
