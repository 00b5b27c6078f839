"""Personal data lives only in the supplier row: after a contact is replaced, or its supplier
deleted, no response shows the old contact (issue 15, item 14)."""

import json

import pytest
from sqlmodel import select

from app.suppliers.models import ChangeEvent, Supplier
from tests.factories import supplier_payload

API = "/api/v1/suppliers"
FEED = "/api/v1/changes"
OLD = supplier_payload(1)["contact"]  # Mario Rossi, mario.rossi@example.com, +39 0332 123456
NEW = {"name": "Giulia Bianchi", "email": "giulia.bianchi@example.com", "phone": "+39 02 5551234"}


def _pages(client, headers, limit: int) -> list[dict]:
    """Every page of the feed from the start."""
    pages, cursor = [], None
    while True:
        params = {"limit": limit, **({"after": cursor} if cursor else {})}
        response = client.get(FEED, params=params, headers=headers)
        assert response.status_code == 200, response.text
        pages.append(response.json())
        cursor = pages[-1]["next_cursor"]
        if not pages[-1]["has_more"]:
            return pages


def _shows(text: str, contact: dict) -> bool:
    return any(value in text for value in contact.values())


def _stored_payloads(session) -> list[dict]:
    session.expire_all()
    return [e.payload for e in session.exec(select(ChangeEvent)) if e.payload is not None]


@pytest.mark.parametrize("limit", [1, 2, 1000])
def test_the_feed_shows_only_the_current_contact(client, admin, session, limit):
    sid = client.post(API, json=supplier_payload(1), headers=admin).json()["id"]
    client.patch(f"{API}/{sid}", json={"employees": 40}, headers=admin)
    other = client.post(API, json=supplier_payload(2, contact=None), headers=admin).json()["id"]
    assert client.patch(f"{API}/{sid}", json={"contact": NEW}, headers=admin).status_code == 200

    pages = _pages(client, admin, limit)
    items = [item for page in pages for item in page["items"]]
    assert [(i["supplier_id"], i["version"]) for i in items] == [
        (sid, 1),
        (sid, 2),
        (other, 1),
        (sid, 3),
    ]
    for item in items:
        expected = NEW if item["supplier_id"] == sid else dict.fromkeys(NEW)
        assert item["supplier"]["contact"] == expected
    for page in pages:
        assert not _shows(json.dumps(page), OLD)
    # Events are stored without the contact: nothing to forget when it changes.
    assert all("contact" not in p for p in _stored_payloads(session))


def test_a_page_s_etag_changes_when_only_a_contact_changes(client, admin):
    sid = client.post(API, json=supplier_payload(1), headers=admin).json()["id"]
    client.patch(f"{API}/{sid}", json={"employees": 40}, headers=admin)
    first = client.get(FEED, params={"limit": 1}, headers=admin)
    etag = first.headers["ETag"]
    assert first.json()["items"][0]["supplier"]["contact"] == OLD
    assert (
        client.get(FEED, params={"limit": 1}, headers={**admin, "If-None-Match": etag}).status_code
        == 304
    )

    client.patch(f"{API}/{sid}", json={"contact": NEW}, headers=admin)
    again = client.get(FEED, params={"limit": 1}, headers={**admin, "If-None-Match": etag})
    assert again.status_code == 200 and again.headers["ETag"] != etag
    assert again.json()["items"][0]["supplier"]["contact"] == NEW


def test_a_deleted_supplier_s_contact_is_shown_nowhere(client, admin, session):
    sid = client.post(API, json=supplier_payload(1), headers=admin).json()["id"]
    keep = client.post(API, json=supplier_payload(2, contact=NEW), headers=admin).json()["id"]
    client.patch(f"{API}/{sid}", json={"employees": 40}, headers=admin)
    assert client.delete(f"{API}/{sid}", headers=admin).status_code == 204

    for limit in (1, 1000):
        pages = _pages(client, admin, limit)
        for page in pages:
            assert not _shows(json.dumps(page), OLD)
        items = [item for page in pages for item in page["items"]]
        for item in items:
            if item["supplier_id"] == sid and item["supplier"] is not None:
                assert item["supplier"]["contact"] is None
        assert [i["supplier"]["contact"] for i in items if i["supplier_id"] == keep] == [NEW]
    for fmt in ("jsonl", "csv"):
        exported = client.get(f"{API}/export", params={"format": fmt}, headers=admin).text
        assert not _shows(exported, OLD) and NEW["email"] in exported
    assert client.get(f"{API}/{sid}", headers=admin).status_code == 410
    # Erased from the row itself (data minimisation), not only hidden.
    session.expire_all()
    deleted = session.get(Supplier, sid)
    assert (deleted.contact_name, deleted.contact_email, deleted.contact_phone) == (None,) * 3
    assert all("contact" not in p for p in _stored_payloads(session))


def test_imported_events_are_stored_without_the_contact(client, admin, session):
    row = supplier_payload(1)
    body = (json.dumps(row) + "\n").encode()
    headers = {**admin, "Content-Type": "application/x-ndjson"}
    assert client.post(f"{API}/import", content=body, headers=headers).json()["created"] == 1
    body = (json.dumps({"vat_number": row["vat_number"], "contact": NEW}) + "\n").encode()
    assert client.post(f"{API}/import", content=body, headers=headers).json()["updated"] == 1

    items = [item for page in _pages(client, admin, 1) for item in page["items"]]
    assert [i["supplier"]["contact"] for i in items] == [NEW, NEW]
    assert not _shows(json.dumps(items), OLD)
    payloads = _stored_payloads(session)
    assert len(payloads) == 2 and all("contact" not in p for p in payloads)
