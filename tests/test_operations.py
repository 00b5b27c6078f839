"""Health, readiness and the committed OpenAPI document."""

import json
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import app.main as main_module
from app.config import get_settings
from app.db import build_engine
from app.main import app, create_app
from app.search.engine import SearchEngine, forget_all
from tests.conftest import migrate

OPENAPI_COPY = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_readyz_at_head(client, engine, monkeypatch):
    monkeypatch.setattr(main_module, "get_engine", lambda: engine)
    response = client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["revision"] in main_module.schema_heads()


def test_readyz_503_when_not_migrated_then_ok(client, fresh_db_url, monkeypatch):
    engine = build_engine(fresh_db_url)
    monkeypatch.setattr(main_module, "get_engine", lambda: engine)
    try:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        migrate(fresh_db_url)
        assert client.get("/readyz").status_code == 200
    finally:
        engine.dispose()


def test_readyz_waits_for_the_search_index(fresh_db_url, monkeypatch):
    migrate(fresh_db_url)
    engine = build_engine(fresh_db_url)
    monkeypatch.setattr(main_module, "get_engine", lambda: engine)
    gate = threading.Event()
    real_build = SearchEngine._rebuild

    def slow_build(self, session, state):  # the index is built only once the test says so
        gate.wait(10)
        return real_build(self, session, state)

    monkeypatch.setattr(SearchEngine, "_rebuild", slow_build)
    settings = get_settings().model_copy(update={"search_warm_up": True})
    try:
        with TestClient(create_app(settings)) as client:
            response = client.get("/readyz")
            assert response.status_code == 503
            assert "search index" in response.json()["detail"]
            gate.set()
            for _ in range(100):
                if client.get("/readyz").status_code == 200:
                    break
                time.sleep(0.05)
            assert client.get("/readyz").status_code == 200
    finally:
        gate.set()
        forget_all()
        engine.dispose()


def test_readyz_503_when_database_unreachable(client, monkeypatch):
    engine = build_engine("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1")
    monkeypatch.setattr(main_module, "get_engine", lambda: engine)
    response = client.get("/readyz")
    assert response.status_code == 503


def test_committed_openapi_copy_is_current():
    served = app.openapi()
    committed = json.loads(OPENAPI_COPY.read_text())
    assert committed == json.loads(json.dumps(served)), "run `make openapi` and commit the result"


def test_operation_ids_are_readable():
    operation_ids = [
        op["operationId"] for path in app.openapi()["paths"].values() for op in path.values()
    ]
    assert len(operation_ids) == len(set(operation_ids))
    assert "suppliers-get_supplier" in operation_ids
    assert "catalogue-list_capabilities" in operation_ids
    assert all(" " not in op and "_api_v1_" not in op for op in operation_ids)


@pytest.mark.parametrize("path", ["/openapi.json", "/docs"])
def test_documents_are_served(client, path):
    assert client.get(path).status_code == 200
