"""API keys and the role rules of the foundation."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from app.auth.caller import SYSTEM
from app.auth.models import ApiKey
from app.auth.service import hash_key
from app.keys.service import create_api_key
from tests.factories import supplier_payload

API = "/api/v1/suppliers"
KEYS = "/api/v1/api-keys"


@pytest.fixture
def supplier(client, admin):
    return client.post(API, json=supplier_payload(), headers=admin).json()


def test_writes_need_a_key(client, supplier):
    url = f"{API}/{supplier['id']}"
    for response in (
        client.post(API, json=supplier_payload(2)),
        client.patch(url, json={"employees": 1}),
        client.delete(url),
        client.post(KEYS, json={"role": "buyer"}),
    ):
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("role", ["buyer", "partner"])
def test_non_admin_roles_cannot_write(client, make_key, supplier, role):
    headers = make_key(role)
    url = f"{API}/{supplier['id']}"
    assert client.post(API, json=supplier_payload(2), headers=headers).status_code == 403
    assert client.patch(url, json={"employees": 1}, headers=headers).status_code == 403
    assert client.delete(url, headers=headers).status_code == 403
    assert client.post(KEYS, json={"role": "buyer"}, headers=headers).status_code == 403
    assert client.get(url).json()["employees"] == 35


def test_unknown_key_is_401_even_on_public_reads(client):
    response = client.get(API, headers={"Authorization": "Bearer esk_nope"})
    assert response.status_code == 401


def test_supplier_key_edits_only_its_own_profile(client, admin, make_key, supplier):
    other = client.post(API, json=supplier_payload(2), headers=admin).json()
    own = make_key("supplier", supplier["id"])
    response = client.patch(f"{API}/{supplier['id']}", json={"employees": 42}, headers=own)
    assert response.status_code == 200
    assert response.json()["employees"] == 42
    assert (
        client.patch(f"{API}/{other['id']}", json={"employees": 1}, headers=own).status_code == 403
    )
    assert client.delete(f"{API}/{supplier['id']}", headers=own).status_code == 403
    assert client.get(f"{API}/{other['id']}").json()["employees"] == 35


def test_supplier_cannot_verify_itself_or_raise_trust(client, admin, make_key, supplier):
    url = f"{API}/{supplier['id']}"
    own = make_key("supplier", supplier["id"])
    assert client.patch(url, json={"verified": True}, headers=own).status_code == 403
    raised = {"standard": "iso-9001", "verification": "cluster-verified"}
    response = client.patch(url, json={"certifications": [raised]}, headers=own)
    assert response.status_code == 403
    assert response.json()["errors"][0]["loc"] == ["body", "certifications", 0, "verification"]
    document = {"standard": "iso-9001", "verification": "document"}
    assert client.patch(url, json={"certifications": [document]}, headers=own).status_code == 200
    # An admin may raise it; the supplier may then keep that certificate unchanged.
    verified = client.patch(url, json={"certifications": [raised], "verified": True}, headers=admin)
    assert verified.status_code == 200
    kept = [{k: v for k, v in verified.json()["certifications"][0].items() if k != "id"}]
    assert client.patch(url, json={"certifications": kept}, headers=own).status_code == 200
    state = client.get(url).json()
    assert state["verified"] is True
    assert state["certifications"][0]["verification"] == "cluster-verified"


def test_key_is_shown_once_and_stored_hashed(client, admin, session, supplier):
    created = client.post(
        KEYS,
        json={"role": "supplier", "supplier_id": supplier["id"], "name": "portal"},
        headers=admin,
    )
    assert created.status_code == 201
    body = created.json()
    key = body["key"]
    assert key.startswith("esk_") and body["prefix"] == key[:12]
    stored = session.exec(select(ApiKey).where(ApiKey.id == body["id"])).one()
    assert stored.key_hash == hash_key(key) and key not in stored.key_hash
    listed = client.get(KEYS, headers=admin).json()
    assert all("key" not in item for item in listed)
    assert body["id"] in [item["id"] for item in listed]
    assert client.get(f"{API}/{supplier['id']}", headers={"Authorization": f"Bearer {key}"}).json()[
        "contact"
    ]


@pytest.mark.parametrize(
    "body", [{"role": "supplier"}, {"role": "buyer", "supplier_id": 1}, {"role": "root"}]
)
def test_supplier_binding_is_validated(client, admin, body):
    assert client.post(KEYS, json=body, headers=admin).status_code == 422


def test_supplier_key_for_unknown_supplier_is_422(client, admin):
    response = client.post(KEYS, json={"role": "supplier", "supplier_id": 9999}, headers=admin)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "supplier_id"]


def test_revoked_and_expired_keys_stop_working(client, admin, session):
    key = client.post(KEYS, json={"role": "buyer"}, headers=admin).json()
    headers = {"Authorization": f"Bearer {key['key']}"}
    assert client.get(API, headers=headers).status_code == 200
    assert client.delete(f"{KEYS}/{key['id']}", headers=admin).status_code == 204
    assert client.get(API, headers=headers).status_code == 401
    _expired, plaintext = create_api_key(
        session=session,
        actor=SYSTEM,
        role="buyer",
        expires_at=datetime.now(UTC) - timedelta(seconds=1),
    )
    session.commit()
    assert client.get(API, headers={"Authorization": f"Bearer {plaintext}"}).status_code == 401
