"""`GET /api/v1/me` (issue 18, item 6): who the caller is, for every role and anonymously,
and what is left of its rate budget."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

import app.db as db_module
from app.auth.caller import SYSTEM
from app.config import Settings
from app.db import get_session
from app.keys.service import create_api_key
from app.main import create_app
from tests.conftest import request_session
from tests.factories import supplier_payload

ME = "/api/v1/me"
FIELDS = {
    "role",
    "key_id",
    "key_name",
    "key_prefix",
    "supplier_id",
    "expires_at",
    "rate_limit",
}


def _key(session: Session, role: str, **fields) -> tuple[int, str, dict[str, str]]:
    key, plaintext = create_api_key(session=session, actor=SYSTEM, role=role, **fields)
    session.commit()
    return key.id, key.prefix, {"Authorization": f"Bearer {plaintext}"}


def test_anonymous(client):
    response = client.get(ME)
    assert response.status_code == 200
    assert response.json() == {
        "role": "anonymous",
        "key_id": None,
        "key_name": None,
        "key_prefix": None,
        "supplier_id": None,
        "expires_at": None,
        "rate_limit": None,  # the suite's app does not throttle
    }


@pytest.mark.parametrize("role", ["admin", "buyer", "partner"])
def test_each_role(client, session, role):
    key_id, prefix, headers = _key(session, role, name=f"{role} portal")
    body = client.get(ME, headers=headers).json()
    assert set(body) == FIELDS
    assert body == {
        "role": role,
        "key_id": key_id,
        "key_name": f"{role} portal",
        "key_prefix": prefix,
        "supplier_id": None,
        "expires_at": None,
        "rate_limit": None,
    }


def test_supplier_key_names_its_supplier_and_expiry(client, session, admin):
    supplier = client.post("/api/v1/suppliers", json=supplier_payload(4), headers=admin).json()
    expires = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
    key_id, _prefix, headers = _key(
        session, "supplier", supplier_id=supplier["id"], name="self-service", expires_at=expires
    )
    body = client.get(ME, headers=headers).json()
    assert body["role"] == "supplier"
    assert body["key_id"] == key_id
    assert body["supplier_id"] == supplier["id"]
    assert datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00")) == expires


@pytest.mark.parametrize("authorization", ["Bearer esk_unknown", "Basic dXNlcjpwYXNz", "Bearer "])
def test_a_bad_key_is_401_not_anonymous(client, authorization):
    response = client.get(ME, headers={"Authorization": authorization})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_a_revoked_key_is_401(client, session, admin):
    key_id, _prefix, headers = _key(session, "buyer")
    assert client.get(ME, headers=headers).status_code == 200
    assert client.delete(f"/api/v1/api-keys/{key_id}", headers=admin).status_code == 204
    assert client.get(ME, headers=headers).status_code == 401


@pytest.fixture
def throttled(session, engine, monkeypatch) -> Iterator[TestClient]:
    """An app with small budgets, on the test transaction."""
    monkeypatch.setattr(db_module, "get_engine", lambda: engine)
    app = create_app(
        Settings(
            rate_limit_enabled=True,
            rate_limit_anonymous="4/minute",
            rate_limit_key="6/hour",
            rate_limit_auth_failures="20/minute",
        )
    )
    app.dependency_overrides[get_session] = request_session(session)
    with TestClient(app) as test_client:
        yield test_client


def test_the_remaining_budget_of_an_address(throttled):
    first = throttled.get(ME)
    budget = first.json()["rate_limit"]
    assert budget["applies_to"] == "address"
    assert budget["limit"] == 4 and budget["window_seconds"] == 60
    assert budget["policy"] == "4 per 1 minute"
    assert budget["remaining"] == int(first.headers["ratelimit-remaining"]) == 3
    assert 0 <= budget["reset_seconds"] <= 60
    throttled.get("/api/v1/supply-chains")  # any request draws on the same budget
    assert throttled.get(ME).json()["rate_limit"]["remaining"] == 1
    assert throttled.get(ME).json()["rate_limit"]["remaining"] == 0
    refused = throttled.get(ME)
    assert refused.status_code == 429  # /me is counted like any request


def test_the_remaining_budget_of_a_key(throttled, session):
    _id, _prefix, headers = _key(session, "partner")
    throttled.get(ME)  # anonymous: the address's budget, not the key's
    first = throttled.get(ME, headers=headers).json()
    assert first["role"] == "partner"
    budget = first["rate_limit"]
    assert budget["applies_to"] == "key"
    assert (budget["limit"], budget["window_seconds"], budget["remaining"]) == (6, 3600, 5)
    assert throttled.get(ME, headers=headers).json()["rate_limit"]["remaining"] == 4


def test_declared_in_openapi_with_descriptions(client):
    document = client.get("/openapi.json").json()
    operation = document["paths"][ME]["get"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Me"
    }
    assert {} in operation["security"]  # anonymous callers may ask too
    for name in ("Me", "RateBudget"):
        schema = document["components"]["schemas"][name]
        assert all(field.get("description") for field in schema["properties"].values()), name
