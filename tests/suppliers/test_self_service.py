"""What a supplier key may change of its own profile (issue 15, item 3), and PATCHes that
change nothing (item 13).

The review's attack: a supplier key changed its own `vat_number`, `legal_name`, `name` and
`tier`, kept `verified: true` and its registry-verified certificates, and a later import by
VAT number then updated the taken-over record.
"""

import pytest
from sqlmodel import func, select

from app.audit.models import AuditEvent
from app.suppliers.models import ChangeEvent
from tests.factories import make_vat, supplier_payload

API = "/api/v1/suppliers"
CERT = supplier_payload()["certifications"][0]  # EN 9100, number EN9100-001, active


@pytest.fixture
def supplier(client, admin) -> dict:
    """A verified supplier whose certificate an admin checked against the registry."""
    body = supplier_payload(
        1,
        tier="tier1",
        verified=True,
        certifications=[{**CERT, "verification": "registry-verified"}],
    )
    response = client.post(API, json=body, headers=admin)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def own(make_key, supplier) -> dict[str, str]:
    return make_key("supplier", supplier["id"])


def _cert(record: dict) -> dict:
    return {k: v for k, v in record["certifications"][0].items() if k != "id"}


@pytest.mark.parametrize(
    "field,value",
    [
        ("vat_number", make_vat(4242)),
        ("legal_name", "Aerostrutture Rivali S.p.A."),
        ("tier", "oem"),
        ("verified", False),
    ],
)
def test_identity_fields_are_admin_only(client, admin, supplier, own, field, value):
    url = f"{API}/{supplier['id']}"
    response = client.patch(url, json={field: value, "employees": 99}, headers=own)
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"] == [
        {"loc": ["body", field], "msg": "admin only", "type": "value_error"}
    ]
    after = client.get(url, headers=admin).json()
    assert after[field] == supplier[field]
    assert after["employees"] == supplier["employees"]  # nothing of the request was applied
    assert after["version"] == supplier["version"]
    # An admin may.
    assert client.patch(url, json={field: value}, headers=admin).status_code == 200


def test_identity_fields_may_be_sent_unchanged(client, supplier, own):
    body = {f: supplier[f] for f in ("vat_number", "legal_name", "tier", "verified")}
    response = client.patch(
        f"{API}/{supplier['id']}", json={**body, "name": "Nuovo Nome"}, headers=own
    )
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Nuovo Nome"
    assert response.json()["verified"] is True


def test_a_taken_over_vat_number_cannot_redirect_an_import(client, admin, supplier, own):
    victim_vat = make_vat(777)
    response = client.patch(f"{API}/{supplier['id']}", json={"vat_number": victim_vat}, headers=own)
    assert response.status_code == 403
    csv = f"vat_number,name\n{victim_vat},Vittima Aerospace\n"
    imported = client.post(
        f"{API}/import", content=csv, headers={**admin, "Content-Type": "text/csv"}
    )
    assert imported.status_code == 200, imported.text
    assert imported.json()["created"] == 1  # a new supplier, not the attacker's record
    assert client.get(f"{API}/{supplier['id']}").json()["vat_number"] == supplier["vat_number"]


@pytest.mark.parametrize("lapsed", ["suspended", "withdrawn"])
def test_a_supplier_cannot_reactivate_a_lapsed_certificate(client, admin, supplier, own, lapsed):
    url = f"{API}/{supplier['id']}"
    suspended = client.patch(
        url, json={"certifications": [{**_cert(supplier), "status": lapsed}]}, headers=admin
    ).json()
    for attempt in (
        {**_cert(suspended), "status": "active"},
        # Editing facts at the same time does not help.
        {**_cert(suspended), "status": "active", "scope": "Everything", "verification": "document"},
        # Nor does a new number for the same standard in its place.
        {**_cert(suspended), "status": "active", "certificate_number": "EN9100-002"},
    ):
        response = client.patch(url, json={"certifications": [attempt]}, headers=own)
        assert response.status_code == 403, response.text
        assert response.json()["errors"][0]["loc"] == ["body", "certifications", 0, "status"]
    assert client.get(url).json()["certifications"][0]["status"] == lapsed
    # An admin may; keeping a lapsed certificate and adding a new one is fine for the supplier.
    again = {**_cert(suspended), "status": "active"}
    assert client.patch(url, json={"certifications": [again]}, headers=admin).status_code == 200


def test_keeping_the_lapsed_one_and_adding_a_new_certificate_is_allowed(
    client, admin, supplier, own
):
    url = f"{API}/{supplier['id']}"
    lapsed = {**_cert(supplier), "status": "withdrawn"}
    client.patch(url, json={"certifications": [lapsed]}, headers=admin)
    renewed = {**CERT, "certificate_number": "EN9100-NEW", "verification": "document"}
    response = client.patch(url, json={"certifications": [lapsed, renewed]}, headers=own)
    assert response.status_code == 200, response.text
    by_number = {c["certificate_number"]: c for c in response.json()["certifications"]}
    assert by_number["EN9100-001"]["status"] == "withdrawn"
    assert by_number["EN9100-001"]["verification"] == "registry-verified"
    assert by_number["EN9100-NEW"] == {**by_number["EN9100-NEW"], **renewed}


@pytest.mark.parametrize(
    "edit",
    [
        {"standard": "en-9110"},
        {"certificate_number": "EN9100-999"},
        {"issuer": "Bureau Veritas"},
        {"issued_on": "2024-02-01"},
        {"expires_on": "2030-01-14"},
        {"scope": "Everything aerospace"},
        {"scope": None},
    ],
)
@pytest.mark.parametrize("claimed", ["registry-verified", "document", "self-declared"])
def test_a_supplier_edit_of_a_certificate_s_facts_makes_it_self_declared(
    client, supplier, own, edit, claimed
):
    # Whatever level the supplier claims for the certificate it edits.
    changed = {**_cert(supplier), **edit, "verification": claimed}
    response = client.patch(
        f"{API}/{supplier['id']}", json={"certifications": [changed]}, headers=own
    )
    assert response.status_code == 200, response.text
    cert = response.json()["certifications"][0]
    assert cert["verification"] == "self-declared"
    assert {k: cert[k] for k in edit} == edit


def test_an_unchanged_certificate_keeps_the_admin_s_trust_level(client, supplier, own):
    response = client.patch(
        f"{API}/{supplier['id']}",
        json={"certifications": [_cert(supplier)], "employees": 40},
        headers=own,
    )
    assert response.status_code == 200
    assert response.json()["certifications"][0]["verification"] == "registry-verified"


def test_an_admin_edit_keeps_the_level_the_admin_sends(client, admin, supplier):
    changed = {**_cert(supplier), "expires_on": "2030-01-14"}
    response = client.patch(
        f"{API}/{supplier['id']}", json={"certifications": [changed]}, headers=admin
    )
    assert response.json()["certifications"][0]["verification"] == "registry-verified"


def _counts(session, supplier_id: int) -> tuple[int, int]:
    changes = session.exec(
        select(func.count()).select_from(ChangeEvent).where(ChangeEvent.supplier_id == supplier_id)
    ).one()
    audits = session.exec(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.entity == "supplier", AuditEvent.entity_id == supplier_id)
    ).one()
    return changes, audits


@pytest.mark.parametrize(
    "patch",
    [
        {},
        {"employees": 35},
        {"name": "Meccanica Test 1", "tier": "tier1"},
        {"address": {"city": "Varese"}},
        {"contact": {"email": "mario.rossi@example.com"}},
        {"location": {"lat": 45.82, "lon": 8.83}},
        {"capabilities": ["machining.titanium", "machining.milling-5-axis"]},
        {"supply_chains": ["rotary-wing"], "programs": ["AW139"]},
        {"website": "https://example.com"},
        {"certifications": [{**CERT, "verification": "registry-verified"}]},
    ],
)
@pytest.mark.parametrize("role", ["admin", "supplier"])
def test_a_patch_that_changes_nothing_writes_nothing(
    client, session, admin, own, supplier, patch, role
):
    headers = admin if role == "admin" else own
    url = f"{API}/{supplier['id']}"
    before = client.get(url, headers=admin)
    counts = _counts(session, supplier["id"])
    response = client.patch(url, json=patch, headers={**headers, "If-Match": '"1"'})
    assert response.status_code == 200, response.text
    assert response.json() == before.json()  # same version, updated_at, certificate ids
    assert response.headers["ETag"] == before.headers["ETag"]
    assert _counts(session, supplier["id"]) == counts  # no change event, no audit entry
    # A real change still writes.
    changed = client.patch(url, json={**patch, "employees": 36}, headers=headers)
    assert changed.json()["version"] == 2
    assert _counts(session, supplier["id"]) == (counts[0] + 1, counts[1] + 1)
