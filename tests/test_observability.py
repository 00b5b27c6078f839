"""Prometheus metrics and structured JSON logs that carry the request id."""

import io
import json

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.db import get_session
from app.logs import configure_logging
from app.main import create_app
from tests.conftest import request_session

SEARCH = "/api/v1/suppliers"
METRICS_TOKEN = "scraper-token-0123456789abcdef"


def _sample(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith(name + "{"):
            metric, value = line.rsplit(" ", 1)
            found = ",".join(sorted(metric[len(name) + 1 : -1].split(",")))
            if found == wanted:
                return float(value)
    return 0.0


def test_metrics_count_requests_by_route_and_status(client, admin):
    before = client.get("/metrics", headers=admin).text
    client.get(SEARCH)
    client.get(f"{SEARCH}/999999")
    client.get(f"{SEARCH}/999998")
    after = client.get("/metrics", headers=admin)
    assert after.status_code == 200
    assert after.headers["content-type"].startswith("text/plain")
    route = "/api/v1/suppliers/{supplier_id}"
    labels = {"handler": route, "method": "GET", "status": "404"}
    name = "http_requests_total"
    assert _sample(after.text, name, **labels) - _sample(before, name, **labels) == 2
    search = {"handler": SEARCH, "method": "GET", "status": "200"}
    assert _sample(after.text, name, **search) - _sample(before, name, **search) == 1
    latency = "http_request_duration_seconds_count"
    assert _sample(after.text, latency, handler=route, method="GET") >= 2


def test_metrics_only_for_admin_keys_and_the_metrics_token(session, make_key, client):
    app = create_app(Settings(rate_limit_enabled=False, metrics_token=METRICS_TOKEN))
    app.dependency_overrides[get_session] = request_session(session)
    bearer = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    with TestClient(app) as scoped:
        anonymous = scoped.get("/metrics")
        assert anonymous.status_code == 401
        assert anonymous.headers["content-type"] == "application/problem+json"
        assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
        assert "http_requests_total" not in anonymous.text
        buyer = scoped.get("/metrics", headers=make_key("buyer"))
        assert buyer.status_code == 403
        assert buyer.headers["content-type"] == "application/problem+json"
        assert scoped.get("/metrics", headers=make_key("admin")).status_code == 200
        assert "http_requests_total" in scoped.get("/metrics", headers=bearer).text
        for wrong in (METRICS_TOKEN[:-1] + "X", METRICS_TOKEN + "X", "esk_unknown"):
            refused = scoped.get("/metrics", headers={"Authorization": f"Bearer {wrong}"})
            assert refused.status_code == 401
            assert refused.headers["content-type"] == "application/problem+json"
        basic = scoped.get("/metrics", headers={"Authorization": f"Basic {METRICS_TOKEN}"})
        assert basic.status_code == 401
    # Without METRICS_TOKEN (the default) no bearer token but an admin key reads metrics.
    assert client.get("/metrics", headers=bearer).status_code == 401


def test_metrics_documented_as_protected():
    operation = create_app(Settings(rate_limit_enabled=False)).openapi()["paths"]["/metrics"]["get"]
    assert operation["security"] == [{"HTTPBearer": []}]
    assert {"200", "401", "403", "429"} <= set(operation["responses"])
    assert "METRICS_TOKEN" in operation["description"]


@pytest.mark.parametrize("value", ["short", "x" * 15])
def test_metrics_token_must_be_long(value):
    with pytest.raises(ValueError, match="at least 16"):
        Settings(metrics_token=value)
    assert Settings(metrics_token="").metrics_token is None


def test_access_log_is_json_with_the_request_id(client):
    stream = io.StringIO()
    configure_logging(Settings(), stream=stream)
    try:
        response = client.get(f"{SEARCH}/999999", headers={"User-Agent": "probe"})
    finally:
        configure_logging(Settings())
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    access = [e for e in lines if e.get("event") == "request"]
    assert len(access) == 1
    event = access[0]
    assert event["request_id"] == response.headers["X-Request-ID"]
    assert (event["method"], event["path"], event["status"]) == ("GET", f"{SEARCH}/999999", 404)
    assert event["duration_ms"] >= 0 and event["level"] == "info" and event["timestamp"]


def test_console_format_for_humans():
    stream = io.StringIO()
    app = create_app(Settings(rate_limit_enabled=False, log_format="console"))
    configure_logging(Settings(log_format="console"), stream=stream)
    try:
        with TestClient(app) as client:
            client.get("/healthz")
    finally:
        configure_logging(Settings())
    assert "request" in stream.getvalue() and not stream.getvalue().lstrip().startswith("{")
