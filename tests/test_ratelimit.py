"""Rate limiting: per key, per address without one, shared through Redis across workers;
client addresses from trusted proxies only; IPv6 per /64; valid keys never locked out."""

import io
import json
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

import app.db as db_module
from app.auth import service as auth_service
from app.auth.caller import SYSTEM
from app.config import Settings
from app.db import get_session
from app.keys.service import create_api_key
from app.logs import configure_logging
from app.main import create_app
from tests.conftest import migrate, request_session, serve_database

SEARCH = "/api/v1/suppliers"
REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


AppMaker = Callable[..., FastAPI]


SMALL_BUDGETS = {
    "rate_limit_enabled": True,
    "rate_limit_anonymous": "3/minute",
    "rate_limit_key": "5/minute",
    "rate_limit_auth_failures": "2/minute",
}


@pytest.fixture
def throttled(session, engine, monkeypatch) -> Iterator[AppMaker]:
    """Apps with small budgets, on the test transaction (the live-key set reads the test
    database: keys made in the test transaction are not among them, which is allowed)."""
    monkeypatch.setattr(db_module, "get_engine", lambda: engine)

    def make(**overrides) -> FastAPI:
        app = create_app(Settings(**{**SMALL_BUDGETS, **overrides}))
        app.dependency_overrides[get_session] = request_session(session)
        return app

    yield make


@pytest.fixture
def served(fresh_db_url, monkeypatch) -> Iterator[tuple[Callable[..., FastAPI], Callable]]:
    """Throttled apps on a database of their own with real commits (keys the live-key set
    sees), and a maker of committed keys."""
    migrate(fresh_db_url)
    engine = serve_database(fresh_db_url, monkeypatch)

    def make(**overrides) -> FastAPI:
        return create_app(Settings(**{**SMALL_BUDGETS, **overrides}))

    def key(role: str = "buyer") -> dict[str, str]:
        with Session(engine) as session:
            _key, plaintext = create_api_key(session=session, actor=SYSTEM, role=role)
            session.commit()
        return {"Authorization": f"Bearer {plaintext}"}

    yield make, key
    engine.dispose()


def _bogus() -> dict[str, str]:
    return {"Authorization": f"Bearer esk_{uuid.uuid4().hex}"}


@pytest.fixture
def lookups(monkeypatch) -> dict[str, int]:
    """Counts database look-ups of presented keys and reloads of the live-key set (the real
    functions run: only a counter is added)."""
    counts = {"authenticate": 0, "live_key_hashes": 0}
    for name in counts:
        original = getattr(auth_service, name)

        def counted(*args, _name=name, _original=original, **kwargs):
            counts[_name] += 1
            return _original(*args, **kwargs)

        monkeypatch.setattr(auth_service, name, counted)
    return counts


@contextmanager
def access_log() -> Iterator[list[dict]]:
    """The access log's events while the block runs (after the apps are made: making one
    configures logging afresh)."""
    stream = io.StringIO()
    configure_logging(Settings(), stream=stream)
    events: list[dict] = []
    try:
        yield events
    finally:
        configure_logging(Settings())
        lines = [json.loads(line) for line in stream.getvalue().splitlines()]
        events.extend(e for e in lines if e.get("event") == "request")


def _address() -> tuple[str, int]:
    # A fresh address per test: budgets in Redis outlive the test.
    return (f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}", 1)


def test_anonymous_budget_per_address_then_429_with_retry_after(throttled):
    app = throttled()
    address = _address()
    with TestClient(app, client=address) as client:
        remaining = []
        for _ in range(3):
            response = client.get(SEARCH)
            assert response.status_code == 200
            assert response.headers["RateLimit-Limit"] == "3"
            remaining.append(int(response.headers["RateLimit-Remaining"]))
        assert remaining == [2, 1, 0]
        refused = client.get(SEARCH)
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert refused.json()["status"] == 429 and "retry in" in refused.json()["detail"]
        assert refused.headers["X-Request-ID"] and refused.headers["X-Content-Type-Options"]
        assert client.get("/healthz").status_code == 200  # probes are never throttled
    with TestClient(app, client=_address()) as neighbour:
        assert neighbour.get(SEARCH).status_code == 200


def test_each_key_has_its_own_budget(throttled, make_key):
    app = throttled()
    buyer, partner = make_key("buyer"), make_key("partner")
    with TestClient(app, client=_address()) as client:
        for _ in range(3):
            client.get(SEARCH)
        assert client.get(SEARCH).status_code == 429  # the address is spent...
        for _ in range(5):
            assert client.get(SEARCH, headers=buyer).status_code == 200  # ...its keys are not
        assert client.get(SEARCH, headers=buyer).status_code == 429
        assert client.get(SEARCH, headers=partner).status_code == 200


def test_unknown_keys_spend_the_address_failure_budget(throttled, make_key):
    app = throttled()
    with TestClient(app, client=_address()) as client:
        for _ in range(2):  # a fresh random key each time: no fresh budget
            bogus = {"Authorization": f"Bearer esk_{uuid.uuid4().hex}"}
            assert client.get(SEARCH, headers=bogus).status_code == 401
        bogus = {"Authorization": f"Bearer esk_{uuid.uuid4().hex}"}
        refused = client.get(SEARCH, headers=bogus)
        assert refused.status_code == 429
        assert "failed authentications" in refused.json()["detail"]
        assert client.get(SEARCH).status_code == 200  # anonymous reads still work
    with TestClient(app, client=_address()) as elsewhere:
        assert elsewhere.get(SEARCH, headers=make_key("buyer")).status_code == 200


def test_switched_off(throttled):
    app = throttled(rate_limit_enabled=False)
    with TestClient(app, client=_address()) as client:
        for _ in range(5):
            response = client.get(SEARCH)
            assert response.status_code == 200
            assert "RateLimit-Limit" not in response.headers


@pytest.mark.skipif(not _redis_up(), reason="no Redis at 127.0.0.1:6379")
def test_workers_share_one_budget_through_redis(throttled):
    address = _address()
    worker_a, worker_b = throttled(redis_url=REDIS_URL), throttled(redis_url=REDIS_URL)
    with TestClient(worker_a, client=address) as a, TestClient(worker_b, client=address) as b:
        assert a.get(SEARCH).status_code == 200
        assert b.get(SEARCH).status_code == 200
        assert a.get(SEARCH).status_code == 200
        assert b.get(SEARCH).status_code == 429
        assert a.get(SEARCH).status_code == 429


def test_unreachable_redis_serves_rather_than_fails(throttled):
    app = throttled(redis_url="redis://127.0.0.1:1/0")  # nothing listens on port 1
    with TestClient(app, client=_address()) as client:
        for _ in range(4):
            assert client.get(SEARCH).status_code == 200


@pytest.mark.parametrize("value", ["lots", "5/fortnight", ""])
def test_bad_limit_settings_are_refused_at_start(value):
    with pytest.raises(ValueError, match="rate limit"):
        Settings(rate_limit_key=value)


# --- Client addresses: X-Forwarded-For only from TRUSTED_PROXIES --------------------------


def test_forwarded_for_is_ignored_from_an_untrusted_peer(throttled):
    """An attacker cannot get fresh budgets by sending X-Forwarded-For itself, not even from
    loopback (which uvicorn trusted by default) when no proxy is configured."""
    peers = [
        ("127.0.0.1", throttled()),
        (_address()[0], throttled(trusted_proxies="10.250.0.0/16")),
    ]
    with access_log() as events:
        for peer, app in peers:
            with TestClient(app, client=(peer, 1)) as client:
                for n in range(3):
                    forged = {"X-Forwarded-For": f"198.51.100.{n + 1}"}
                    assert client.get(SEARCH, headers=forged).status_code == 200
                forged = {"X-Forwarded-For": "198.51.100.99"}
                assert client.get(SEARCH, headers=forged).status_code == 429
    assert [e["client"] for e in events] == [peers[0][0]] * 4 + [peers[1][0]] * 4


def test_forwarded_for_names_the_client_behind_a_trusted_proxy(throttled):
    app = throttled(trusted_proxies="10.250.0.0/16, 192.0.2.1")
    with access_log() as events, TestClient(app, client=("10.250.3.4", 1)) as proxy:
        for _ in range(3):
            via = {"X-Forwarded-For": "198.51.100.7"}
            assert proxy.get(SEARCH, headers=via).status_code == 200
        assert proxy.get(SEARCH, headers={"X-Forwarded-For": "198.51.100.7"}).status_code == 429
        # Another client behind the same proxy has its own budget.
        assert proxy.get(SEARCH, headers={"X-Forwarded-For": "198.51.100.8"}).status_code == 200
        # The header is read from the right, past trusted hops (192.0.2.1): what the client
        # wrote on the left of its own address (a forged 203.0.113.9) does not count.
        chained = {"X-Forwarded-For": "203.0.113.9, 198.51.100.7, 192.0.2.1"}
        assert proxy.get(SEARCH, headers=chained).status_code == 429
    assert [e["client"] for e in events] == ["198.51.100.7"] * 4 + [
        "198.51.100.8",
        "198.51.100.7",
    ]


def test_trusted_proxies_setting_takes_addresses_and_networks_only():
    assert Settings(trusted_proxies="10.0.0.1, 2001:db8::/48").trusted_proxies == [
        "10.0.0.1/32",
        "2001:db8::/48",
    ]
    assert Settings().trusted_proxies == []
    with pytest.raises(ValueError, match="CIDR"):
        Settings(trusted_proxies="proxy.internal")


# --- IPv6 clients: one budget per /64 ------------------------------------------------------


def test_ipv6_clients_share_one_budget_per_64(throttled):
    app = throttled()
    net = f"2001:db8:{uuid.uuid4().int % 65536:x}:1"
    with (
        TestClient(app, client=(f"{net}::1", 1)) as first,
        TestClient(app, client=(f"{net}:abcd:ef01:2345:6789", 1)) as neighbour,
    ):
        assert first.get(SEARCH).status_code == 200
        assert neighbour.get(SEARCH).status_code == 200
        assert first.get(SEARCH).status_code == 200
        assert neighbour.get(SEARCH).status_code == 429  # one budget for the /64
        assert int(first.get(SEARCH).status_code) == 429
    with TestClient(app, client=(f"{net[:-2]}:2::1", 1)) as other_64:
        assert other_64.get(SEARCH).status_code == 200


def test_ipv6_failure_budget_is_per_64_and_mapped_ipv4_is_ipv4(throttled):
    app = throttled()
    with (
        TestClient(app, client=("2001:db8:77:1::10", 1)) as first,
        TestClient(app, client=("2001:db8:77:1::20", 1)) as neighbour,
    ):
        assert first.get(SEARCH, headers=_bogus()).status_code == 401
        assert first.get(SEARCH, headers=_bogus()).status_code == 401
        assert neighbour.get(SEARCH, headers=_bogus()).status_code == 429
    ipv4 = _address()[0]
    with (
        TestClient(app, client=(ipv4, 1)) as plain,
        TestClient(app, client=(f"::ffff:{ipv4}", 1)) as mapped,
    ):
        for client in (plain, mapped, plain):
            assert client.get(SEARCH).status_code == 200
        assert mapped.get(SEARCH).status_code == 429


# --- Lockout and the cost of bad keys -------------------------------------------------------


def test_valid_key_is_never_locked_out(served):
    make, key = served
    app = make()
    buyer = key("buyer")
    with TestClient(app, client=_address()) as client:
        assert client.get(SEARCH, headers=_bogus()).status_code == 401
        assert client.get(SEARCH, headers=_bogus()).status_code == 401
        assert client.get(SEARCH, headers=_bogus()).status_code == 429  # budget spent
        for _ in range(3):
            assert client.get(SEARCH, headers=buyer).status_code == 200
        assert client.get(SEARCH, headers=_bogus()).status_code == 429
        # Revocation still takes effect at once; the revoked key is then a bad key.
        admin = key("admin")
        key_id = client.get("/api/v1/api-keys", headers=admin).json()[0]["id"]
        assert client.delete(f"/api/v1/api-keys/{key_id}", headers=admin).status_code == 204
        assert client.get(SEARCH, headers=buyer).status_code == 401
        assert client.get(SEARCH, headers=buyer).status_code == 429


def test_concurrent_bad_keys_cost_at_most_the_failure_budget_in_lookups(served, lookups):
    make, key = served
    # Per day: a sliding window gives budget back as it moves (a minute boundary would).
    app = make(rate_limit_auth_failures="3/day", rate_limit_key="100/minute")
    buyer = key("buyer")
    requests = [_bogus() for _ in range(40)] + [buyer] * 5
    started = time.monotonic()
    with TestClient(app, client=_address()) as client, ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(lambda headers: client.get(SEARCH, headers=headers), requests))
    elapsed = time.monotonic() - started
    bad = [r.status_code for r in statuses[:40]]
    assert sorted(set(bad)) == [401, 429] and bad.count(401) == 3
    assert [r.status_code for r in statuses[40:]] == [200] * 5
    assert lookups["authenticate"] == 3 + 5  # the budget's bad keys and the valid requests
    assert lookups["live_key_hashes"] <= 1 + elapsed  # one small query per second at most


# --- /metrics: throttled like a key ---------------------------------------------------------


def test_metrics_scraper_has_a_key_budget_and_wrong_tokens_are_failures(throttled):
    token = "scraper-token-0123456789abcdef"
    app = throttled(metrics_token=token)
    right = {"Authorization": f"Bearer {token}"}
    with TestClient(app, client=_address()) as client:
        assert client.get("/metrics").status_code == 401  # anonymous: the address budget
        for _ in range(2):
            wrong = {"Authorization": f"Bearer {token}-{uuid.uuid4().hex[:4]}"}
            assert client.get("/metrics", headers=wrong).status_code == 401
        refused = client.get("/metrics", headers={"Authorization": "Bearer guess-0123456789abc"})
        assert refused.status_code == 429
        assert "failed authentications" in refused.json()["detail"]
        for _ in range(5):  # the token is never locked out, and has a key's budget
            assert client.get("/metrics", headers=right).status_code == 200
        over = client.get("/metrics", headers=right)
        assert over.status_code == 429 and "requests" in over.json()["detail"]
