"""Deliveries reach a real receiver, signed, de-duplicable, retried with back-off."""

from tests.factories import supplier_payload
from tests.webhooks.conftest import HOOKS, register

API = "/api/v1/suppliers"
FEED = "/api/v1/changes"


def _log(client, headers, hook_id, **params):
    response = client.get(f"{HOOKS}/{hook_id}/deliveries", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_supplier_events_are_delivered_signed_in_the_feed_shape(
    client, admin, receiver, dev_settings, worker
):
    hook = register(client, admin, receiver.url, name="partner sync")
    assert hook.status_code == 201, hook.text
    hook = hook.json()
    secret = hook["secret"]
    assert secret.startswith("whsec_") and len(secret) > 30

    sid = client.post(API, json=supplier_payload(1), headers=admin).json()["id"]
    client.patch(f"{API}/{sid}", json={"employees": 40}, headers=admin)
    assert client.delete(f"{API}/{sid}", headers=admin).status_code == 204
    report = worker.at(0)
    assert (report.queued, report.delivered) == (3, 3)

    bodies = [r.json for r in receiver.received]
    assert [b["type"] for b in bodies] == [
        "supplier.created",
        "supplier.updated",
        "supplier.deleted",
    ]
    feed = client.get(FEED, headers=admin).json()["items"][-3:]
    assert [b["data"] for b in bodies] == feed  # the same items GET /changes returns
    assert [b["id"] for b in bodies] == [f"chg_{item['id']}" for item in feed]
    assert bodies[1]["data"]["supplier"]["employees"] == 40
    for got in receiver.received:
        assert got.path == "/hook"
        assert got.signed_with(secret)
        assert not got.signed_with(secret + "x")
        assert 0 <= got.at - got.signed_at < 5  # signed when sent, in Unix seconds
        assert got.headers["content-type"] == "application/json"
        assert got.headers["x-event-id"] == got.json["id"]
        assert got.headers["x-event-type"] == got.json["type"]
        assert got.headers["x-delivery-attempt"] == "1"
        assert got.headers["user-agent"].startswith("escouting-webhooks/")

    log = _log(client, admin, hook["id"])
    assert [d["status"] for d in log["items"]] == ["delivered"] * 3
    assert [d["event_id"] for d in log["items"]] == [b["id"] for b in reversed(bodies)]
    first = log["items"][-1]
    assert first["attempts"] == 1 and first["last_status_code"] == 200
    assert first["history"][0]["status_code"] == 200 and first["history"][0]["error"] is None
    assert first["payload"] == bodies[0]

    # Nothing new: another pass sends nothing again.
    assert worker.at(1).attempts == 0
    assert len(receiver.received) == 3


def test_only_subscribed_events_and_only_future_ones(client, admin, receiver, dev_settings, worker):
    before = client.post(API, json=supplier_payload(1), headers=admin).json()["id"]
    register(client, admin, receiver.url, events=["supplier.deleted"])
    client.patch(f"{API}/{before}", json={"employees": 3}, headers=admin)
    client.delete(f"{API}/{before}", headers=admin)
    worker.at(0)
    assert [(r.json["type"], r.json["data"]["supplier_id"]) for r in receiver.received] == [
        ("supplier.deleted", before)
    ]
    assert receiver.received[0].json["data"]["supplier"] is None


def test_a_secret_of_your_own_signs_and_is_never_shown_again(
    client, admin, receiver, dev_settings, worker
):
    secret = "my-own-shared-secret-0123456789"
    hook = register(client, admin, receiver.url, secret=secret).json()
    assert hook["secret"] == secret
    assert "secret" not in client.get(f"{HOOKS}/{hook['id']}", headers=admin).json()
    assert all("secret" not in h for h in client.get(HOOKS, headers=admin).json())
    client.post(API, json=supplier_payload(1), headers=admin)
    worker.at(0)
    assert receiver.received[0].signed_with(secret)
    too_short = register(client, admin, receiver.url, secret="short")
    assert too_short.status_code == 422
    assert too_short.json()["errors"][0]["loc"] == ["body", "secret"]


def test_a_failed_attempt_is_retried_after_back_off(client, admin, receiver, dev_settings, worker):
    hook = register(client, admin, receiver.url).json()
    receiver.answer((500, 0))
    client.post(API, json=supplier_payload(1), headers=admin)

    first = worker.at(0)
    assert (first.delivered, first.retrying) == (0, 1)
    [pending] = _log(client, admin, hook["id"])["items"]
    assert pending["status"] == "pending" and pending["attempts"] == 1
    assert pending["last_status_code"] == 500 and pending["last_error"] == "HTTP 500"

    assert worker.at(9).attempts == 0  # back-off: 10 s (+ up to 10% jitter) after the failure
    second = worker.at(12)
    assert second.delivered == 1

    [done] = _log(client, admin, hook["id"])["items"]
    assert done["status"] == "delivered" and done["attempts"] == 2
    assert [(a["attempt"], a["status_code"]) for a in done["history"]] == [(1, 500), (2, 200)]
    assert done["history"][1]["started_at"] > done["history"][0]["started_at"]
    one, two = receiver.received
    assert one.body == two.body and one.headers["x-event-id"] == two.headers["x-event-id"]
    assert (one.headers["x-delivery-attempt"], two.headers["x-delivery-attempt"]) == ("1", "2")


def test_back_off_doubles_and_attempts_run_out(client, admin, receiver, dev_settings, worker):
    hook = register(client, admin, receiver.url).json()
    receiver.answer((503, 0), (503, 0), (503, 0))
    client.post(API, json=supplier_payload(1), headers=admin)
    worker.at(0, webhooks_max_attempts=3)
    assert worker.at(11.5, webhooks_max_attempts=3).retrying == 1  # after ~10 s
    assert worker.at(11.5 + 19, webhooks_max_attempts=3).attempts == 0  # not before ~20 s
    assert worker.at(11.5 + 23, webhooks_max_attempts=3).failed == 1
    [gone] = _log(client, admin, hook["id"])["items"]
    assert gone["status"] == "failed" and gone["attempts"] == 3 and gone["next_attempt_at"] is None
    assert worker.at(10_000).attempts == 0

    # A manual retry queues it once more; the receiver is back.
    retried = client.post(f"{HOOKS}/{hook['id']}/deliveries/{gone['id']}/retry", headers=admin)
    assert retried.status_code == 202 and retried.json()["status"] == "pending"
    assert worker.at(10_001).delivered == 1
    assert len(receiver.received) == 4
    assert _log(client, admin, hook["id"], status="delivered")["items"][0]["attempts"] == 4


def test_a_receiver_that_does_not_answer_in_time_is_retried(
    client, admin, receiver, dev_settings, worker
):
    hook = register(client, admin, receiver.url).json()
    receiver.answer((200, 3.0))  # slower than the 1 s timeout
    client.post(API, json=supplier_payload(1), headers=admin)
    report = worker.at(0)
    assert report.retrying == 1
    [pending] = _log(client, admin, hook["id"])["items"]
    assert pending["last_error"].startswith("timeout")
    assert pending["last_status_code"] is None
    assert pending["history"][0]["duration_ms"] < 2000
    assert worker.at(12).delivered == 1


def test_an_unreachable_receiver_is_a_failed_attempt(client, admin, dev_settings, worker):
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    hook = register(client, admin, f"http://127.0.0.1:{port}/x").json()
    client.post(API, json=supplier_payload(1), headers=admin)
    assert worker.at(0).retrying == 1
    [pending] = _log(client, admin, hook["id"])["items"]
    assert pending["last_error"].startswith("connection failed")


def test_redirects_are_not_followed(client, admin, receiver, dev_settings, worker):
    receiver.answer((302, 0))
    hook = register(client, admin, receiver.url).json()
    client.post(API, json=supplier_payload(1), headers=admin)
    assert worker.at(0).retrying == 1
    assert len(receiver.received) == 1
    [pending] = _log(client, admin, hook["id"])["items"]
    assert pending["last_error"] == "HTTP 302"


def test_one_failing_receiver_does_not_hold_up_others(
    client, admin, receiver, dev_settings, worker
):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}/x"
    register(client, admin, dead)
    register(client, admin, receiver.url)
    for n in range(1, 4):
        client.post(API, json=supplier_payload(n), headers=admin)
    report = worker.at(0)
    # The dead one is tried once per pass; the live one gets all three.
    assert (report.retrying, report.delivered) == (1, 3)


def test_deleting_a_subscription_stops_its_deliveries(
    client, admin, receiver, dev_settings, worker
):
    hook = register(client, admin, receiver.url).json()
    receiver.answer((500, 0))
    client.post(API, json=supplier_payload(1), headers=admin)
    worker.at(0)
    assert client.delete(f"{HOOKS}/{hook['id']}", headers=admin).status_code == 204
    client.post(API, json=supplier_payload(2), headers=admin)
    assert worker.at(60).attempts == 0
    assert len(receiver.received) == 1
    assert client.get(f"{HOOKS}/{hook['id']}", headers=admin).status_code == 404
    assert client.get(f"{HOOKS}/{hook['id']}/deliveries", headers=admin).status_code == 404
    assert client.get(HOOKS, headers=admin).json() == []


def test_event_ids_are_unique_and_stable_across_subscriptions(
    client, admin, receiver, dev_settings, worker
):
    register(client, admin, receiver.url)
    register(client, admin, receiver.url + "?copy=2")
    for n in range(1, 4):
        client.post(API, json=supplier_payload(n), headers=admin)
    worker.at(0)
    by_path: dict[str, list[str]] = {}
    for got in receiver.received:
        by_path.setdefault(got.path, []).append(got.json["id"])
    first, second = by_path.values()
    assert first == second and len(set(first)) == 3  # same event, same id, for everyone


def test_the_log_pages_newest_first(client, admin, receiver, dev_settings, worker):
    hook = register(client, admin, receiver.url).json()
    for n in range(1, 6):
        client.post(API, json=supplier_payload(n), headers=admin)
    worker.at(0)
    seen, cursor = [], None
    while True:
        page = _log(client, admin, hook["id"], limit=2, **({"cursor": cursor} if cursor else {}))
        seen += [d["id"] for d in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen, reverse=True) and len(seen) == 5
    other = register(client, admin, receiver.url).json()
    page = _log(client, admin, hook["id"], limit=2)
    foreign = client.get(
        f"{HOOKS}/{other['id']}/deliveries",
        params={"cursor": page["next_cursor"]},
        headers=admin,
    )
    assert foreign.status_code == 422
    assert foreign.json()["errors"][0]["loc"] == ["query", "cursor"]
    tampered = client.get(
        f"{HOOKS}/{hook['id']}/deliveries",
        params={"cursor": "x" + page["next_cursor"]},
        headers=admin,
    )
    assert tampered.status_code == 422


def test_old_finished_deliveries_are_pruned(client, admin, receiver, dev_settings, worker):
    hook = register(client, admin, receiver.url).json()
    client.post(API, json=supplier_payload(1), headers=admin)
    worker.at(0)
    assert worker.at(29 * 86400).pruned == 0
    assert worker.at(31 * 86400).pruned == 1
    assert _log(client, admin, hook["id"])["items"] == []
