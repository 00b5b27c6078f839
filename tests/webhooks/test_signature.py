"""`X-Signature: t=<unix>,v1=<hex HMAC of "<t>.<body>">`: a captured delivery cannot be replayed
later, as each attempt signs the time it is sent (issue 15, item 11)."""

import hashlib
import hmac
import time

import pytest

from app.webhooks.sender import signature
from tests.factories import supplier_payload
from tests.webhooks.conftest import register

API = "/api/v1/suppliers"
SECRET = "receiver-test-secret-0123456789"


# The receiver's check exactly as the README shows it (section "Webhooks"): keep them identical.
TOLERANCE = 300  # seconds: refuse deliveries signed longer ago than this (replays)


def verified(secret: bytes, body: bytes, header: str) -> bool:
    """Whether `header` (X-Signature) signs these raw body bytes, recently enough."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        signed_at, received = int(fields["t"]), fields["v1"]
    except (KeyError, ValueError):
        return False
    if abs(time.time() - signed_at) > TOLERANCE:
        return False  # too old (a replay) or from a clock far off
    signed = fields["t"].encode() + b"." + body
    expected = hmac.new(secret, signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), received.encode())


def test_each_attempt_is_signed_with_the_time_it_is_sent(
    client, admin, receiver, dev_settings, worker
):
    register(client, admin, receiver.url, secret=SECRET)
    receiver.answer((500, 0))
    client.post(API, json=supplier_payload(1), headers=admin)
    assert worker.at(0).retrying == 1
    time.sleep(1.01)  # the retry is sent in a later second than the first attempt
    assert worker.at(12).delivered == 1

    first, second = receiver.received
    assert first.body == second.body
    for got in (first, second):
        assert got.signed_with(SECRET)
        assert 0 <= got.at - got.signed_at < 5
    assert second.signed_at > first.signed_at
    assert first.headers["x-signature"] != second.headers["x-signature"]
    # The timestamp is signed: moved to now, the old signature no longer matches.
    _t, v1 = first.headers["x-signature"].split(",")
    first.headers["x-signature"] = f"t={second.signed_at},{v1}"
    assert not first.signed_with(SECRET)


def test_the_readme_receiver_takes_a_delivery_and_refuses_its_replay(
    client, admin, receiver, dev_settings, worker, monkeypatch
):
    register(client, admin, receiver.url, secret=SECRET)
    client.post(API, json=supplier_payload(1), headers=admin)
    assert worker.at(0).delivered == 1
    [got] = receiver.received
    header, key = got.headers["x-signature"], SECRET.encode()

    assert verified(key, got.body, header)
    assert not verified(b"another-secret-0123456789", got.body, header)
    assert not verified(key, got.body.replace(b"Meccanica", b"Meccanico"), header)
    assert not verified(key, got.body, header.split(",")[1])  # no timestamp
    assert not verified(key, got.body, "")
    assert not verified(key, got.body, header.replace("t=", "t=x"))
    assert not verified(key, got.body, header.split(",")[0] + ",v1=\u00e9")  # no crash either

    # The same capture sent again six minutes later is refused...
    later = time.time() + TOLERANCE + 60
    with monkeypatch.context() as patched:
        patched.setattr(time, "time", lambda: later)
        assert not verified(key, got.body, header)
    # ...and so is a capture signed (by us) that long ago, or with a clock far ahead.
    for skew in (-(TOLERANCE + 60), TOLERANCE + 60):
        stamped = signature(SECRET, got.body, timestamp=int(time.time()) + skew)
        assert not verified(key, got.body, stamped)
    assert verified(key, got.body, signature(SECRET, got.body, timestamp=int(time.time()) - 60))


@pytest.mark.parametrize("timestamp", [0, 1_700_000_000, 4_102_444_800])
def test_the_signature_covers_timestamp_and_body(timestamp):
    body = b'{"id":"chg_1"}'
    header = signature(SECRET, body, timestamp=timestamp)
    digest = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    assert header == f"t={timestamp},v1={digest.hexdigest()}"
