"""Who may manage webhooks: partner and admin keys; partners only their own subscriptions."""

import pytest

from app.auth.caller import SYSTEM
from app.keys.service import create_api_key
from tests.factories import supplier_payload
from tests.webhooks.conftest import HOOKS, register

URL = "https://93.184.216.34/hook"  # a public address: no look-up needed


@pytest.fixture
def keys(make_key, admin):
    return {
        "anonymous": {},
        "buyer": make_key("buyer"),
        "supplier": None,  # filled in below (needs a supplier)
        "partner": make_key("partner"),
        "other-partner": make_key("partner"),
        "admin": admin,
    }


def _operations(hook_id: int) -> list[tuple[str, str, dict | None]]:
    return [
        ("POST", HOOKS, {"url": URL, "events": ["supplier.created"]}),
        ("GET", HOOKS, None),
        ("GET", f"{HOOKS}/{hook_id}", None),
        ("GET", f"{HOOKS}/{hook_id}/deliveries", None),
        ("POST", f"{HOOKS}/{hook_id}/deliveries/1/retry", None),
        ("DELETE", f"{HOOKS}/{hook_id}", None),
    ]


@pytest.mark.parametrize(
    ("role", "status"), [("anonymous", 401), ("buyer", 403), ("supplier", 403)]
)
def test_only_partner_and_admin_keys(client, admin, make_key, keys, role, status):
    hook = register(client, admin, URL).json()
    if role == "supplier":
        sid = client.post("/api/v1/suppliers", json=supplier_payload(1), headers=admin).json()["id"]
        keys["supplier"] = make_key("supplier", sid)
    for method, path, body in _operations(hook["id"]):
        response = client.request(method, path, json=body, headers=keys[role])
        assert response.status_code == status, (method, path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    assert [h["id"] for h in client.get(HOOKS, headers=admin).json()] == [hook["id"]]


def test_partners_see_and_manage_only_their_own(client, admin, keys):
    mine = register(client, keys["partner"], URL).json()
    theirs = register(client, keys["other-partner"], URL).json()
    assert mine["owner_key_id"] != theirs["owner_key_id"]

    listed = client.get(HOOKS, headers=keys["partner"]).json()
    assert [h["id"] for h in listed] == [mine["id"]]
    for method, path, body in _operations(theirs["id"])[2:]:
        response = client.request(method, path, json=body, headers=keys["partner"])
        assert response.status_code == 404, (method, path)
    assert client.get(f"{HOOKS}/{mine['id']}", headers=keys["partner"]).status_code == 200

    # Admins see everyone's and may delete them.
    assert {h["id"] for h in client.get(HOOKS, headers=admin).json()} == {
        mine["id"],
        theirs["id"],
    }
    assert client.delete(f"{HOOKS}/{theirs['id']}", headers=admin).status_code == 204
    assert client.get(f"{HOOKS}/{theirs['id']}", headers=keys["other-partner"]).status_code == 404


@pytest.mark.parametrize(
    ("events", "loc"),
    [
        ([], ["body", "events"]),
        (["supplier.exploded"], ["body", "events", 0]),
        ("supplier.created", ["body", "events"]),
        (None, ["body", "events"]),
    ],
)
def test_events_must_be_a_non_empty_list_of_known_types(client, admin, events, loc):
    body = {"url": URL} if events is None else {"url": URL, "events": events}
    response = client.post(HOOKS, json=body, headers=admin)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == loc


def test_events_are_deduplicated_and_unknown_fields_refused(client, admin):
    events = ["supplier.created", "certification.expiring", "supplier.created"]
    created = client.post(HOOKS, json={"url": URL, "events": events}, headers=admin).json()
    assert created["events"] == ["supplier.created", "certification.expiring"]
    extra = client.post(
        HOOKS, json={"url": URL, "events": events[:1], "active": False}, headers=admin
    )
    assert extra.status_code == 422


def test_a_key_holds_a_limited_number_of_subscriptions(client, keys):
    from app.config import get_settings

    limit = get_settings().webhooks_max_per_key
    for _ in range(limit):
        assert register(client, keys["partner"], URL).status_code == 201
    refused = register(client, keys["partner"], URL)
    assert refused.status_code == 409
    assert register(client, keys["other-partner"], URL).status_code == 201
    first = client.get(HOOKS, headers=keys["partner"]).json()[0]
    client.delete(f"{HOOKS}/{first['id']}", headers=keys["partner"])
    assert register(client, keys["partner"], URL).status_code == 201


def test_writes_are_audited_without_the_secret(client, admin, keys):
    hook = register(client, keys["partner"], URL, secret="a-very-secret-value-123").json()
    client.delete(f"{HOOKS}/{hook['id']}", headers=keys["partner"])
    events = client.get("/api/v1/audit", params={"entity": "webhook"}, headers=admin).json()
    assert [(e["action"], e["entity_id"], e["role"]) for e in events["items"]] == [
        ("delete", hook["id"], "partner"),
        ("create", hook["id"], "partner"),
    ]
    assert "a-very-secret-value-123" not in str(events)


def test_revoking_the_owner_key_stops_its_subscriptions(
    client, admin, session, receiver, dev_settings, worker
):
    key, plaintext = create_api_key(session=session, actor=SYSTEM, role="partner")
    session.commit()
    partner = {"Authorization": f"Bearer {plaintext}"}
    hook = register(client, partner, receiver.url).json()
    assert hook["active"] is True
    receiver.answer((500, 0))
    client.post("/api/v1/suppliers", json=supplier_payload(1), headers=admin)
    assert worker.at(0).retrying == 1
    assert client.delete(f"/api/v1/api-keys/{key.id}", headers=admin).status_code == 204

    [shown] = [h for h in client.get(HOOKS, headers=admin).json() if h["id"] == hook["id"]]
    assert shown["active"] is False
    client.post("/api/v1/suppliers", json=supplier_payload(2), headers=admin)
    report = worker.at(3600)
    assert (report.cancelled, report.queued, report.attempts) == (1, 0, 0)
    assert len(receiver.received) == 1
    [delivery] = client.get(f"{HOOKS}/{hook['id']}/deliveries", headers=admin).json()["items"]
    assert delivery["status"] == "failed"
    assert delivery["last_error"] == "owner API key revoked or expired"
