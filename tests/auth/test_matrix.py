"""Every role against every protected operation: 401 without a valid key, 403 without the right.

One row per operation, one column per identity; `supplier` is a key bound to the target
supplier, `other-supplier` one bound to a different supplier.
"""

from datetime import UTC, datetime, timedelta

import pytest

from app.auth.caller import SYSTEM
from app.keys.service import create_api_key
from tests.factories import supplier_payload

API = "/api/v1/suppliers"
IDENTITIES = ("anonymous", "buyer", "partner", "supplier", "other-supplier", "admin")

# operation: (method, path template, body, expected status per identity in IDENTITIES order)
MATRIX = {
    "create supplier": ("POST", API, "new", (401, 403, 403, 403, 403, 201)),
    "patch supplier": ("PATCH", f"{API}/{{sid}}", {"employees": 3}, (401, 403, 403, 200, 403, 200)),
    "delete supplier": ("DELETE", f"{API}/{{sid}}", None, (401, 403, 403, 403, 403, 204)),
    "list keys": ("GET", "/api/v1/api-keys", None, (401, 403, 403, 403, 403, 200)),
    "issue key": ("POST", "/api/v1/api-keys", {"role": "buyer"}, (401, 403, 403, 403, 403, 201)),
    "revoke key": ("DELETE", "/api/v1/api-keys/{kid}", None, (401, 403, 403, 403, 403, 204)),
    "read audit": ("GET", "/api/v1/audit", None, (401, 403, 403, 403, 403, 200)),
    "match suppliers": ("POST", f"{API}/match", {"name": "Acme"}, (401, 403, 200, 403, 403, 200)),
    "post scouting request": (
        "POST",
        "/api/v1/scouting-requests",
        {"title": "Rotor parts", "supply_chains": ["rotary-wing"]},
        (401, 201, 403, 403, 403, 201),
    ),
    "list scouting requests": (
        "GET",
        "/api/v1/scouting-requests",
        None,
        (401, 200, 403, 200, 200, 200),
    ),
}
SEES_CONTACT = dict(zip(IDENTITIES, (False, True, True, True, False, True), strict=True))


@pytest.fixture
def world(client, admin, make_key, session):
    target = client.post(API, json=supplier_payload(1), headers=admin).json()["id"]
    other = client.post(API, json=supplier_payload(2), headers=admin).json()["id"]
    victim, _ = create_api_key(session=session, actor=SYSTEM, role="partner")
    session.commit()
    headers = {
        "anonymous": {},
        "buyer": make_key("buyer"),
        "partner": make_key("partner"),
        "supplier": make_key("supplier", target),
        "other-supplier": make_key("supplier", other),
        "admin": admin,
    }
    return {"sid": target, "kid": victim.id, "headers": headers}


@pytest.mark.parametrize("identity", IDENTITIES)
@pytest.mark.parametrize("operation", list(MATRIX))
def test_who_may_do_what(client, admin, world, operation, identity):
    method, template, body, expected = MATRIX[operation]
    path = template.format(sid=world["sid"], kid=world["kid"])
    before = client.get(f"{API}/{world['sid']}", headers=admin).json()
    if body == "new":
        body = supplier_payload(3)
    response = client.request(method, path, json=body, headers=world["headers"][identity])
    status = expected[IDENTITIES.index(identity)]
    assert response.status_code == status, response.text
    if status >= 400:
        assert response.headers["content-type"] == "application/problem+json"
        if status == 401:
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
        # A refused write changed nothing.
        assert client.get(f"{API}/{world['sid']}", headers=admin).json() == before
        assert client.get(API).json()["total"] == 2
        keys = client.get("/api/v1/api-keys", headers=admin).json()
        assert next(k for k in keys if k["id"] == world["kid"])["revoked_at"] is None


@pytest.mark.parametrize("identity", IDENTITIES)
def test_contact_details_only_for_those_entitled(client, world, identity):
    headers = world["headers"][identity]
    sid = world["sid"]
    record = client.get(f"{API}/{sid}", headers=headers).json()
    found = next(i for i in client.get(API, headers=headers).json()["items"] if i["id"] == sid)
    assert (record["contact"] is not None) is SEES_CONTACT[identity]
    assert (found["contact"] is not None) is SEES_CONTACT[identity]
    if not SEES_CONTACT[identity]:
        assert "mario.rossi" not in str(record) + str(found)


@pytest.mark.parametrize("state", ["unknown", "revoked", "expired"])
def test_dead_keys_are_401_everywhere_even_on_public_reads(client, admin, session, world, state):
    if state == "unknown":
        plaintext = "esk_" + "x" * 43
    else:
        expires = datetime.now(UTC) - timedelta(minutes=1) if state == "expired" else None
        key, plaintext = create_api_key(
            session=session, actor=SYSTEM, role="admin", expires_at=expires
        )
        session.commit()
        if state == "revoked":
            assert client.delete(f"/api/v1/api-keys/{key.id}", headers=admin).status_code == 204
    dead = {"Authorization": f"Bearer {plaintext}"}
    for method, path in [
        ("GET", API),
        ("GET", f"{API}/{world['sid']}"),
        ("PATCH", f"{API}/{world['sid']}"),
        ("DELETE", f"{API}/{world['sid']}"),
        ("GET", "/api/v1/audit"),
    ]:
        response = client.request(
            method, path, json={} if method == "PATCH" else None, headers=dead
        )
        assert response.status_code == 401, (method, path)
    assert client.get(f"{API}/{world['sid']}").status_code == 200
