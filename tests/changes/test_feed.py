"""The change feed: replaying it yields exactly the live set; resuming sees exactly what changed."""

import random

import pytest

from tests.factories import supplier_payload

API = "/api/v1/suppliers"
FEED = "/api/v1/changes"


def _replay(client, headers, *, after=None, limit=100):
    """Follow the feed to its end; returns (events, cursor to resume from)."""
    events, cursor = [], after
    while True:
        params = {"limit": limit, **({"after": cursor} if cursor is not None else {})}
        response = client.get(FEED, params=params, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        events += page["items"]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return events, cursor


def _apply(copy: dict, events: list) -> dict:
    for event in events:
        if event["type"] == "supplier.deleted":
            copy.pop(event["supplier_id"], None)
        else:
            copy[event["supplier_id"]] = event["supplier"]
    return copy


def _record(record: dict) -> dict:
    """A record as GET shows it, less the `labels` of its codes (the feed labels per page)."""
    return {k: v for k, v in record.items() if k != "labels"}


def _live(client, headers) -> dict:
    page = client.get(API, params={"limit": 100}, headers=headers).json()
    return {
        item["id"]: _record(client.get(f"{API}/{item['id']}", headers=headers).json())
        for item in page["items"]
    }


def _random_history(client, admin, rng: random.Random, steps: int) -> None:
    live: list[int] = []
    serial = 0
    for _ in range(steps):
        action = rng.choice(["create", "create", "update", "update", "certify", "delete"])
        if action == "create" or not live:
            serial += 1
            response = client.post(API, json=supplier_payload(serial), headers=admin)
            assert response.status_code == 201
            live.append(response.json()["id"])
        elif action == "update":
            sid = rng.choice(live)
            body = {"employees": rng.randint(1, 500), "programs": [f"P-{rng.randint(1, 9)}"]}
            assert client.patch(f"{API}/{sid}", json=body, headers=admin).status_code == 200
        elif action == "certify":
            sid = rng.choice(live)
            cert = {"standard": "iso-9001", "expires_on": f"20{rng.randint(27, 35)}-01-31"}
            body = {"certifications": [cert]}
            assert client.patch(f"{API}/{sid}", json=body, headers=admin).status_code == 200
        else:
            sid = live.pop(rng.randrange(len(live)))
            assert client.delete(f"{API}/{sid}", headers=admin).status_code == 204


@pytest.mark.parametrize("page_size", [1, 3, 1000])
def test_replay_from_the_start_yields_exactly_the_live_set(client, admin, page_size):
    _random_history(client, admin, random.Random(page_size), steps=30)
    events, _cursor = _replay(client, admin, limit=page_size)
    assert [int(e["id"]) for e in events] == sorted({int(e["id"]) for e in events})
    assert _apply({}, events) == _live(client, admin)


def test_resuming_from_a_cursor_sees_exactly_what_happened_since(client, admin):
    _random_history(client, admin, random.Random(1), steps=12)
    before, cursor = _replay(client, admin, limit=5)
    copy = _apply({}, before)
    _random_history(client, admin, random.Random(2), steps=0)  # nothing yet
    assert _replay(client, admin, after=cursor)[0] == []

    sid = next(iter(copy))
    client.patch(f"{API}/{sid}", json={"certifications": [{"standard": "en-9100"}]}, headers=admin)
    new = client.post(API, json=supplier_payload(99), headers=admin).json()["id"]
    client.delete(f"{API}/{sid}", headers=admin)
    since, _ = _replay(client, admin, after=cursor, limit=2)
    assert [(e["type"], e["supplier_id"]) for e in since] == [
        ("supplier.updated", sid),
        ("supplier.created", new),
        ("supplier.deleted", sid),
    ]
    certified = since[0]["supplier"]
    assert [c["standard"] for c in certified["certifications"]] == ["en-9100"]
    assert since[2]["supplier"] is None and since[2]["version"] == certified["version"] + 1
    assert _apply(copy, since) == _live(client, admin)


def test_events_carry_the_state_right_after_the_change(client, admin):
    sid = client.post(API, json=supplier_payload(1), headers=admin).json()["id"]
    for employees in (10, 20):
        client.patch(f"{API}/{sid}", json={"employees": employees}, headers=admin)
    events, _ = _replay(client, admin)
    assert [(e["version"], e["supplier"]["employees"]) for e in events] == [
        (1, 35),
        (2, 10),
        (3, 20),
    ]
    assert events[0]["supplier"]["contact"]["email"] == "mario.rossi@example.com"


def test_refused_writes_add_no_event(client, admin):
    sid = client.post(API, json=supplier_payload(1), headers=admin).json()["id"]
    client.patch(f"{API}/{sid}", json={"employees": 3}, headers={**admin, "If-Match": '"9"'})
    client.patch(f"{API}/{sid}", json={"capabilities": ["no.such"]}, headers=admin)
    assert [e["type"] for e in _replay(client, admin)[0]] == ["supplier.created"]


def test_pages_have_etags_that_change_with_the_data(client, admin):
    client.post(API, json=supplier_payload(1), headers=admin)
    first = client.get(FEED, headers=admin)
    etag = first.headers["ETag"]
    again = client.get(FEED, headers={**admin, "If-None-Match": etag})
    assert again.status_code == 304 and again.headers["ETag"] == etag
    client.post(API, json=supplier_payload(2), headers=admin)
    changed = client.get(FEED, headers={**admin, "If-None-Match": etag})
    assert changed.status_code == 200 and len(changed.json()["items"]) == 2


@pytest.mark.parametrize(
    ("role", "status"), [(None, 401), ("supplier", 403), ("buyer", 200), ("partner", 200)]
)
def test_who_may_read_the_feed(client, admin, make_key, role, status):
    sid = client.post(API, json=supplier_payload(1), headers=admin).json()["id"]
    headers = {} if role is None else make_key(role, sid if role == "supplier" else None)
    response = client.get(FEED, headers=headers)
    assert response.status_code == status
    if status == 200:  # every reader of the feed may see contacts
        assert response.json()["items"][0]["supplier"]["contact"] is not None


@pytest.mark.parametrize(
    "params", [{"after": "abc"}, {"after": "-1"}, {"limit": 0}, {"limit": 1001}]
)
def test_bad_feed_parameters_are_422(client, admin, params):
    response = client.get(FEED, params=params, headers=admin)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", next(iter(params))]
