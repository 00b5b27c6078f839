"""Rate limiting: per key, per address without one, shared through Redis across workers."""

import socket
import uuid
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.config import Settings
from app.db import get_session
from app.main import create_app
from tests.conftest import request_session

SEARCH = "/api/v1/suppliers"
REDIS_URL = "redis://127.0.0.1:6379/0"


def _redis_up() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


AppMaker = Callable[..., FastAPI]


@pytest.fixture
def throttled(session) -> Iterator[AppMaker]:
    """Apps with small budgets, on the test transaction."""

    def make(**overrides) -> FastAPI:
        values = {
            "rate_limit_enabled": True,
            "rate_limit_anonymous": "3/minute",
            "rate_limit_key": "5/minute",
            "rate_limit_auth_failures": "2/minute",
        }
        settings = Settings(**{**values, **overrides})
        app = create_app(settings)
        app.dependency_overrides[get_session] = request_session(session)
        return app

    yield make


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
