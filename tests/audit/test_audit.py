"""The audit trail: every write records who, what and when, in the writing transaction."""

import pytest

from tests.factories import supplier_payload

API = "/api/v1/suppliers"
KEYS = "/api/v1/api-keys"
AUDIT = "/api/v1/audit"


def _key_id(client, admin, headers) -> int:
    prefix = headers["Authorization"].removeprefix("Bearer ")[:12]
    return next(k["id"] for k in client.get(KEYS, headers=admin).json() if k["prefix"] == prefix)


def _events(client, admin, **params):
    response = client.get(AUDIT, params=params, headers=admin)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_supplier_writes_record_who_what_and_when(client, admin, make_key):
    created = client.post(API, json=supplier_payload(), headers=admin)
    sid = created.json()["id"]
    own = make_key("supplier", sid)
    patched = client.patch(
        f"{API}/{sid}",
        json={"employees": 42, "name": created.json()["name"], "contact": {"phone": "+39 02 1"}},
        headers=own,
    )
    assert patched.status_code == 200
    assert client.delete(f"{API}/{sid}", headers=admin).status_code == 204

    events = _events(client, admin, entity="supplier", entity_id=sid)
    assert [e["action"] for e in events] == ["delete", "update", "create"]  # newest first
    delete, update, create = events
    admin_id, own_id = _key_id(client, admin, admin), _key_id(client, admin, own)
    assert (create["key_id"], create["role"]) == (admin_id, "admin")
    assert {"name", "vat_number", "contact", "certifications"} <= set(create["fields"])
    # Only what really changed: the name was sent unchanged, the contact's phone was new.
    assert (update["key_id"], update["role"], update["fields"]) == (
        own_id,
        "supplier",
        ["contact", "employees"],
    )
    assert update["request_id"] == patched.headers["X-Request-ID"]
    assert (delete["key_id"], delete["fields"]) == (admin_id, [])
    assert create["occurred_at"] <= update["occurred_at"] <= delete["occurred_at"]
    # Names only: the trail never copies contact details.
    assert "+39 02 1" not in str(events) and "mario.rossi" not in str(events)


def test_failed_writes_leave_no_event(client, admin):
    sid = client.post(API, json=supplier_payload(), headers=admin).json()["id"]
    stale = client.patch(
        f"{API}/{sid}", json={"employees": 3}, headers={**admin, "If-Match": '"99"'}
    )
    assert stale.status_code == 412
    unknown = client.patch(f"{API}/{sid}", json={"capabilities": ["no.such"]}, headers=admin)
    assert unknown.status_code == 422
    bad_create = client.post(API, json=supplier_payload(2, supply_chains=["nope"]), headers=admin)
    assert bad_create.status_code == 422
    assert [e["action"] for e in _events(client, admin, entity="supplier")] == ["create"]


def test_key_issue_and_revocation_are_recorded(client, admin):
    key = client.post(KEYS, json={"role": "buyer", "name": "portal"}, headers=admin).json()
    assert client.delete(f"{KEYS}/{key['id']}", headers=admin).status_code == 204
    assert client.delete(f"{KEYS}/{key['id']}", headers=admin).status_code == 204  # no-op
    events = _events(client, admin, entity="api_key", entity_id=key["id"])
    assert [(e["action"], e["fields"]) for e in events] == [
        ("revoke", ["revoked_at"]),
        ("create", ["name", "role"]),
    ]
    assert key["key"] not in str(events)


def test_filters_and_paging(client, admin, make_key):
    ids = [
        client.post(API, json=supplier_payload(n), headers=admin).json()["id"] for n in (1, 2, 3)
    ]
    buyer_admin = make_key("admin")
    for sid in ids:
        client.patch(f"{API}/{sid}", json={"employees": 7}, headers=buyer_admin)
    second = _key_id(client, admin, buyer_admin)
    updates = _events(client, admin, action="update", key_id=second)
    assert sorted(e["entity_id"] for e in updates) == sorted(ids)
    assert _events(client, admin, action="update", key_id=second, role="buyer") == []
    newest = _events(client, admin)[0]["occurred_at"]
    assert _events(client, admin, since="2999-01-01T00:00:00Z") == []
    assert len(_events(client, admin, until=newest)) < len(_events(client, admin))

    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get(AUDIT, params=params, headers=admin).json()
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    everything = [e["id"] for e in _events(client, admin, limit=100)]
    assert seen == everything and len(everything) == len(set(everything)) >= 7


def test_only_admins_read_the_trail(client, make_key):
    assert client.get(AUDIT).status_code == 401
    for role in ("buyer", "partner"):
        response = client.get(AUDIT, headers=make_key(role))
        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "garbage"},
        {"entity": "planet"},
        {"action": "explode"},
        {"limit": 0},
        {"limit": 101},
        {"since": "yesterday"},
        {"entity_id": 0},
    ],
)
def test_bad_filters_are_422_naming_the_parameter(client, admin, params):
    response = client.get(AUDIT, params=params, headers=admin)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", next(iter(params))]


def test_a_search_cursor_is_not_an_audit_cursor(client, admin):
    for n in (1, 2):
        client.post(API, json=supplier_payload(n), headers=admin)
    search_cursor = client.get(API, params={"limit": 1}).json()["next_cursor"]
    response = client.get(AUDIT, params={"cursor": search_cursor}, headers=admin)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "cursor"]
