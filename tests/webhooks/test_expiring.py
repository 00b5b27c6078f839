"""`certification.expiring`: once per certificate, 30 days before it expires."""

from datetime import timedelta

from app.db import utcnow
from tests.factories import supplier_payload
from tests.webhooks.conftest import HOOKS, register

API = "/api/v1/suppliers"


def _cert(standard: str, days: int, number: str | None = None, status: str = "active") -> dict:
    cert = {
        "standard": standard,
        "expires_on": (utcnow().date() + timedelta(days=days)).isoformat(),
    }
    if number is not None:
        cert["certificate_number"] = number
    return {**cert, "status": status}


def _expiring(receiver) -> list[dict]:
    return [r.json for r in receiver.received if r.json["type"] == "certification.expiring"]


def test_each_certificate_is_announced_once(client, admin, receiver, dev_settings, worker):
    hook = register(client, admin, receiver.url, events=["certification.expiring"]).json()
    certificates = [
        _cert("en-9100", 10, "EN-1"),  # announced
        _cert("iso-9001", 30),  # announced: the 30th day counts, no number needed
        _cert("iso-14001", 31, "ISO-2"),  # not yet
        _cert("aqap-2110", 5, "AQ-3", status="suspended"),  # not active
        _cert("iso-45001", -1, "OLD-4"),  # already expired
    ]
    sid = client.post(
        API, json=supplier_payload(1, certifications=certificates), headers=admin
    ).json()["id"]
    gone = client.post(
        API, json=supplier_payload(2, certifications=[_cert("en-9100", 3, "X")]), headers=admin
    ).json()["id"]
    client.delete(f"{API}/{gone}", headers=admin)  # deleted suppliers are not announced

    first = worker.at(0)
    assert (first.notices, first.delivered) == (2, 2)
    bodies = _expiring(receiver)
    assert [(b["data"]["certificate"]["standard"], b["data"]["days_left"]) for b in bodies] == [
        ("en-9100", 10),
        ("iso-9001", 30),
    ]
    one = bodies[0]
    assert one["id"].startswith("cert_") and one["data"]["supplier_id"] == sid
    assert one["data"]["supplier_name"] == "Meccanica Test 1"
    assert one["data"]["certificate"]["certificate_number"] == "EN-1"
    assert one["data"]["expires_on"] == certificates[0]["expires_on"]
    assert receiver.received[0].headers["x-event-type"] == "certification.expiring"
    assert len({b["id"] for b in bodies}) == 2

    # Again, and after a PATCH that re-creates every certificate row: nothing new.
    assert worker.at(60).notices == 0
    client.patch(f"{API}/{sid}", json={"certifications": certificates}, headers=admin)
    client.patch(f"{API}/{sid}", json={"employees": 7}, headers=admin)
    assert worker.at(120).notices == 0
    assert len(_expiring(receiver)) == 2

    # Two days on, the 31-day certificate is inside the window.
    later = worker.at(2 * 86400)
    assert later.notices == 1
    assert _expiring(receiver)[-1]["data"]["certificate"]["standard"] == "iso-14001"

    # A renewal with a new expiry date is a new certificate: announced when its time comes.
    renewed = [_cert("en-9100", 20, "EN-1"), *certificates[1:]]
    client.patch(f"{API}/{sid}", json={"certifications": renewed}, headers=admin)
    assert worker.at(2 * 86400 + 60).notices == 1
    log = client.get(f"{HOOKS}/{hook['id']}/deliveries", headers=admin).json()["items"]
    assert [d["event_type"] for d in log] == ["certification.expiring"] * 4
    assert all(d["status"] == "delivered" for d in log)


def test_notices_reach_only_subscriptions_that_want_them(
    client, admin, receiver, dev_settings, worker
):
    register(client, admin, receiver.url, events=["supplier.created"])
    client.post(API, json=supplier_payload(1, certifications=[_cert("en-9100", 9)]), headers=admin)
    report = worker.at(0)
    assert report.notices == 1  # emitted (once) even though nobody here wants it
    assert [r.json["type"] for r in receiver.received] == ["supplier.created"]

    # A subscription made afterwards does not get notices of the past.
    register(client, admin, receiver.url, events=["certification.expiring"])
    assert worker.at(60).attempts == 0
