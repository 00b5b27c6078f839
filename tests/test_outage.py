"""Database outages: fast 503 problems with Retry-After while down, recovery by itself after."""

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from app.config import Settings
from app.db import build_engine
from app.main import create_app
from tests.conftest import PG_URL, committed_admin_key, migrate, serve_database
from tests.factories import supplier_payload

SEARCH = "/api/v1/suppliers"


@pytest.fixture
def outage_db(fresh_db_url: str, monkeypatch) -> Iterator[tuple[Engine, str]]:
    """The app's own engine (pooled, pre-ping) on a database of its own."""
    if make_url(fresh_db_url).get_backend_name() != "postgresql":
        pytest.skip("an outage of an embedded SQLite file is not a thing")
    migrate(fresh_db_url)
    engine = serve_database(
        fresh_db_url, monkeypatch, pool_size=2, pool_timeout=2, connect_timeout=2
    )
    try:
        yield engine, make_url(fresh_db_url).database
    finally:
        engine.dispose()


def _server(sql: str) -> None:
    assert PG_URL
    admin = build_engine(PG_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(sql))
    admin.dispose()


def _drop_connections(name: str) -> None:
    _server(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    )


def test_while_down_every_request_is_a_fast_503_then_it_recovers(outage_db):
    engine, name = outage_db
    admin = committed_admin_key(engine)
    client = TestClient(create_app(Settings(rate_limit_enabled=False)))
    created = client.post(SEARCH, json=supplier_payload(1), headers=admin)
    assert created.status_code == 201
    sid = created.json()["id"]

    _server(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
    try:
        _drop_connections(name)
        for method, url, kwargs in [
            ("GET", SEARCH, {}),
            ("GET", f"{SEARCH}/{sid}", {}),
            ("GET", f"{SEARCH}/{sid}", {"headers": admin}),
            ("POST", SEARCH, {"json": supplier_payload(2), "headers": admin}),
            ("PATCH", f"{SEARCH}/{sid}", {"json": {"employees": 9}, "headers": admin}),
            ("GET", "/readyz", {}),
        ]:
            started = time.monotonic()
            response = client.request(method, url, **kwargs)
            assert response.status_code == 503, (method, url, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            assert int(response.headers["Retry-After"]) > 0
            assert time.monotonic() - started < 5, "a request hung on the dead database"
        assert client.get("/healthz").status_code == 200
    finally:
        _server(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')

    # Back: the same engine serves again, and the writes refused while down left nothing.
    assert client.get("/readyz").status_code == 200
    page = client.get(SEARCH, headers=admin).json()
    assert page["total"] == 1 and page["items"][0]["employees"] == 35
    assert client.patch(f"{SEARCH}/{sid}", json={"employees": 9}, headers=admin).status_code == 200


def test_connections_dropped_by_a_server_restart_are_replaced_unnoticed(outage_db):
    _engine, name = outage_db
    client = TestClient(create_app(Settings(rate_limit_enabled=False)))
    assert client.get(SEARCH).status_code == 200  # the pool now holds a connection
    _drop_connections(name)  # as a restart or failover would
    assert client.get(SEARCH).status_code == 200
    assert client.get("/readyz").status_code == 200
