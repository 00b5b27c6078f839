"""HTTP hardening: security headers on every response, the request body limit, CORS."""

import json

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from app.middleware import DOCS_CSP, SECURITY_HEADERS
from tests.factories import supplier_payload

API = "/api/v1/suppliers"
BUYER_SITE = "https://buyer.example"


@pytest.mark.parametrize(
    ("path", "status"),
    [("/healthz", 200), (f"{API}/999999", 404), (f"{API}?limit=0", 422), ("/nowhere", 404)],
)
def test_security_headers_on_every_response(client, path, status):
    response = client.get(path)
    assert response.status_code == status
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value


def test_docs_page_runs_only_this_services_scripts(client):
    response = client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == DOCS_CSP
    assert response.headers["x-content-type-options"] == "nosniff"


def _total(client) -> int:
    return client.get(API).json()["total"]


def _oversize_body() -> dict:
    return supplier_payload(7, description="x" * 1_100_000)  # over the default 1 MiB


def test_announced_oversize_body_is_413_and_writes_nothing(client, admin):
    before = _total(client)
    response = client.post(API, json=_oversize_body(), headers=admin)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert "1048576 bytes" in response.json()["detail"]
    assert _total(client) == before


def test_streamed_oversize_body_is_413_and_writes_nothing(client, admin):
    raw = json.dumps(_oversize_body()).encode()
    chunks = (raw[i : i + 65536] for i in range(0, len(raw), 65536))  # no Content-Length
    before = _total(client)
    response = client.post(
        API, content=chunks, headers={**admin, "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert _total(client) == before


def test_body_under_the_limit_reaches_the_application(client, admin):
    # 900 kB passes the limit whole; the field's own length rule then names the field.
    body = supplier_payload(8, description="x" * 900_000)
    response = client.post(API, json=body, headers=admin)
    assert response.status_code == 422
    assert [e["loc"] for e in response.json()["errors"]] == [["body", "description"]]


def test_cors_allows_configured_origins_only():
    client = TestClient(
        create_app(Settings(cors_allow_origins=f" {BUYER_SITE} ,https://b.example"))
    )
    preflight = client.options(
        API,
        headers={
            "Origin": BUYER_SITE,
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "authorization, if-match",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == BUYER_SITE
    assert "PATCH" in preflight.headers["access-control-allow-methods"]
    simple = client.get("/healthz", headers={"Origin": BUYER_SITE})
    assert simple.headers["access-control-allow-origin"] == BUYER_SITE
    assert "ETag" in simple.headers["access-control-expose-headers"]
    stranger = client.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in stranger.headers


def test_no_cross_origin_access_by_default():
    client = TestClient(create_app(Settings()))
    response = client.get("/healthz", headers={"Origin": BUYER_SITE})
    assert "access-control-allow-origin" not in response.headers


def test_every_response_carries_a_request_id(client):
    ok = client.get("/healthz")
    problem = client.get(f"{API}?limit=0")
    ids = {ok.headers["x-request-id"], problem.headers["x-request-id"]}
    assert len(ids) == 2 and all(len(i) == 32 for i in ids)  # a fresh id per request


def test_a_valid_caller_request_id_is_kept_and_garbage_replaced(client):
    mine = "3f2b8a4e-5c1d-4e9f-8a7b-1c2d3e4f5a6b"
    assert client.get("/healthz", headers={"X-Request-ID": mine}).headers["x-request-id"] == mine
    replaced = client.get("/healthz", headers={"X-Request-ID": "<script>"}).headers["x-request-id"]
    assert replaced != "<script>" and len(replaced) == 32


def test_an_unexpected_error_is_a_500_problem_with_headers_and_request_id(caplog):
    app = create_app(Settings(rate_limit_enabled=False))

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "secret internals" not in response.text
    assert response.headers["X-Request-ID"]
    for name in SECURITY_HEADERS:
        assert name in response.headers
    assert "secret internals" in caplog.text  # logged for us, with the traceback
