"""Deliveries send the supplier's current contact; the delivery log keeps none (issue 15,
item 14): after a contact is replaced or its supplier deleted, the old one is shown nowhere."""

import json

from sqlmodel import select

from app.webhooks.models import WebhookDelivery
from tests.factories import supplier_payload
from tests.webhooks.conftest import HOOKS, register

API = "/api/v1/suppliers"
OLD = supplier_payload(1)["contact"]
NEW = {"name": "Giulia Bianchi", "email": "giulia.bianchi@example.com", "phone": "+39 02 5551234"}


def _log(client, headers, hook_id) -> list[dict]:
    response = client.get(f"{HOOKS}/{hook_id}/deliveries", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def _shows(text: str, contact: dict) -> bool:
    return any(value in text for value in contact.values())


def _stored(session) -> list[dict]:
    session.expire_all()
    return [d.payload for d in session.exec(select(WebhookDelivery))]


def test_a_replaced_contact_is_never_sent_again_nor_logged(
    client, admin, session, receiver, dev_settings, worker
):
    hook = register(client, admin, receiver.url).json()
    sid = client.post(API, json=supplier_payload(1), headers=admin).json()["id"]
    receiver.answer((500, 0))
    assert worker.at(0).retrying == 1  # queued and tried while the old contact was current
    assert receiver.received[0].json["data"]["supplier"]["contact"] == OLD

    assert client.patch(f"{API}/{sid}", json={"contact": NEW}, headers=admin).status_code == 200
    assert worker.at(15).delivered == 2  # the retry of `created`, then `updated`
    retried, updated = receiver.received[1:]
    assert [r.json["type"] for r in (retried, updated)] == ["supplier.created", "supplier.updated"]
    for got in (retried, updated):
        assert got.json["data"]["supplier"]["contact"] == NEW
        assert not _shows(got.body.decode(), OLD)
    # The rest of the retried body is the event as it was.
    assert {**retried.json["data"]["supplier"], "contact": OLD} == receiver.received[0].json[
        "data"
    ]["supplier"]

    log = _log(client, admin, hook["id"])
    assert [d["event_type"] for d in log] == ["supplier.updated", "supplier.created"]
    for delivery in log:
        assert delivery["payload"]["data"]["supplier"]["contact"] is None
        assert delivery["payload"]["data"]["supplier"]["id"] == sid
    text = json.dumps(log)
    assert not _shows(text, OLD) and not _shows(text, NEW)
    assert all("contact" not in p["data"]["supplier"] for p in _stored(session))


def test_a_deleted_supplier_s_contact_is_sent_and_logged_nowhere(
    client, admin, session, receiver, dev_settings, worker
):
    hook = register(client, admin, receiver.url).json()
    sid = client.post(API, json=supplier_payload(1), headers=admin).json()["id"]
    client.patch(f"{API}/{sid}", json={"employees": 40}, headers=admin)
    worker.at(0)
    assert client.delete(f"{API}/{sid}", headers=admin).status_code == 204
    worker.at(1)
    delivered = len(receiver.received)
    assert delivered == 3

    log = _log(client, admin, hook["id"])
    assert not _shows(json.dumps(log), OLD)
    created = next(d for d in log if d["event_type"] == "supplier.created")
    retry = f"{HOOKS}/{hook['id']}/deliveries/{created['id']}/retry"
    assert client.post(retry, headers=admin).status_code == 202
    assert worker.at(2).delivered == 1
    resent = receiver.received[delivered]
    assert resent.json["type"] == "supplier.created"
    assert resent.json["data"]["supplier"]["contact"] is None
    assert not _shows(resent.body.decode(), OLD)
    assert not _shows(json.dumps(_stored(session)), OLD)


def test_certificate_notices_are_sent_and_logged_as_they_are(
    client, admin, receiver, dev_settings, worker
):
    hook = register(client, admin, receiver.url, events=["certification.expiring"]).json()
    worker.at(0)
    soon = worker.start.date().isoformat()
    body = supplier_payload(1)
    body["certifications"][0]["expires_on"] = soon
    body["certifications"][0]["issued_on"] = "2020-01-01"
    client.post(API, json=body, headers=admin)
    assert worker.at(1).delivered == 1
    [got] = receiver.received
    [logged] = _log(client, admin, hook["id"])
    assert logged["payload"] == got.json and "supplier" not in got.json["data"]
