"""Request deadlines and the connection pool, on both databases (issue 15, items 1 and 2).

A statement still running at the request's deadline is cut off by the database itself
(PostgreSQL `statement_timeout`, SQLite's progress handler), no statement starts after it, and
the caller gets a 503 with Retry-After. Waiting for a pooled connection is bounded the same
way on both databases, and `/healthz` answers while every connection and thread is busy.
"""

import gc
import threading
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.config import Settings, get_settings
from app.db import DEADLINE, DeadlineExceeded, build_engine
from app.main import GC_THRESHOLD, app, create_app, tune_garbage_collector
from tests.conftest import migrate, serve_database

# A statement that runs for many seconds on either database unless it is interrupted.
SLOW = {
    "sqlite": "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5e8) "
    "SELECT count(*) FROM n",
    "postgresql": "SELECT pg_sleep(30)",
}


@pytest.fixture
def own_engine(fresh_db_url: str) -> Iterator[Engine]:
    engine = build_engine(fresh_db_url, pool_size=1, pool_timeout=0.5)
    try:
        yield engine
    finally:
        engine.dispose()


def test_a_running_statement_is_cut_off_at_the_deadline(own_engine):
    token = DEADLINE.set(time.monotonic() + 0.3)
    started = time.monotonic()
    try:
        with own_engine.connect() as conn, pytest.raises(OperationalError):
            conn.execute(text(SLOW[own_engine.dialect.name]))
    finally:
        DEADLINE.reset(token)
    assert time.monotonic() - started < 3
    # The connection is usable again without a deadline.
    with own_engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar_one() == 1


def test_no_statement_starts_after_the_deadline(own_engine):
    token = DEADLINE.set(time.monotonic() - 1)
    try:
        with own_engine.connect() as conn, pytest.raises(DeadlineExceeded):
            conn.execute(text("SELECT 1"))
    finally:
        DEADLINE.reset(token)


def test_statements_without_a_deadline_are_not_limited(own_engine):
    with own_engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar_one() == 1


def test_waiting_for_a_connection_is_bounded_on_both_databases(own_engine):
    # pool_size=1 and as many overflow: two connections at most, then a bounded wait.
    held = [own_engine.connect(), own_engine.connect()]
    try:
        started = time.monotonic()
        with pytest.raises(PoolTimeout):
            own_engine.connect()
        assert 0.4 < time.monotonic() - started < 3
    finally:
        for conn in held:
            conn.close()


@pytest.fixture
def served(fresh_db_url: str, monkeypatch) -> Iterator[Engine]:
    """The app's own engine on a migrated database of its own, with a tiny pool."""
    migrate(fresh_db_url)
    engine = serve_database(fresh_db_url, monkeypatch, pool_size=1, pool_timeout=1)
    try:
        yield engine
    finally:
        engine.dispose()


def test_a_full_pool_is_a_503_and_healthz_still_answers(served):
    held = [served.connect(), served.connect()]  # every connection of the pool
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            started = time.monotonic()
            health = client.get("/healthz")
            assert health.status_code == 200
            assert time.monotonic() - started < 0.5
            started = time.monotonic()
            response = client.get("/api/v1/suppliers")
            waited = time.monotonic() - started
    finally:
        for conn in held:
            conn.close()
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) > 0
    assert 0.9 < waited < 3  # DB pool timeout of 1 s, not 30


def test_healthz_answers_while_every_worker_thread_waits_for_the_pool(served):
    """64 concurrent searches hold every thread of the pool of workers, most of them waiting
    for one of two connections; `/healthz` runs on the event loop and answers at once, and no
    search waits for a connection longer than the pool timeout."""
    statuses: list[int] = []
    durations: list[float] = []
    lock = threading.Lock()
    with TestClient(app, raise_server_exceptions=False) as client:

        def search() -> None:
            started = time.monotonic()
            status = client.get("/api/v1/suppliers", params={"facets": "supply_chain"}).status_code
            with lock:
                statuses.append(status)
                durations.append(time.monotonic() - started)

        threads = [threading.Thread(target=search) for _ in range(64)]
        for thread in threads:
            thread.start()
        probes = []
        for _ in range(20):
            started = time.monotonic()
            assert client.get("/healthz").status_code == 200
            probes.append(time.monotonic() - started)
        for thread in threads:
            thread.join()
    assert len(statuses) == 64
    assert set(statuses) <= {200, 503}
    assert max(probes) < 1.0, probes
    # Each search waited at most the pool timeout (1 s) for a connection, after at most as
    # long for a worker thread: never the 30 s of an unconfigured pool.
    assert max(durations) < 4, durations


def test_requests_beyond_the_concurrency_limit_wait_without_a_connection_then_503(served):
    """One slot: a search that holds it (waiting for a connection) keeps the next request
    waiting on the event loop, with no thread or connection, for DB_POOL_TIMEOUT; then 503."""
    limited = create_app(
        Settings(max_concurrent_requests=1, db_pool_timeout=0.5, rate_limit_enabled=False)
    )
    held = [served.connect(), served.connect()]  # the first search waits for one (1 s)
    results: dict[str, tuple[int, float, str]] = {}
    try:
        with TestClient(limited, raise_server_exceptions=False) as client:

            def call(name: str, path: str) -> None:
                started = time.monotonic()
                response = client.get(path)
                results[name] = (
                    response.status_code,
                    time.monotonic() - started,
                    response.json().get("detail", ""),
                )

            first = threading.Thread(target=call, args=("first", "/api/v1/suppliers"))
            first.start()
            time.sleep(0.2)  # the first holds the slot
            call("second", "/api/v1/capabilities")
            call("health", "/healthz")
            first.join()
    finally:
        for conn in held:
            conn.close()
    status, waited, detail = results["second"]
    assert status == 503 and "busy" in detail
    assert 0.4 < waited < 1.5
    assert results["health"][0] == 200 and results["health"][1] < 0.5
    assert results["first"][0] == 503  # its own wait for a connection ran out


def test_scouting_and_matching_run_under_the_deadline(client, make_key, monkeypatch):
    buyer, partner = make_key("buyer"), make_key("partner")
    created = client.post(
        "/api/v1/scouting-requests",
        json={"title": "Titanium parts", "supply_chains": ["rotary-wing"]},
        headers=buyer,
    )
    assert created.status_code == 201, created.text
    matches = f"/api/v1/scouting-requests/{created.json()['id']}/matches"
    assert client.get(matches, headers=buyer).status_code == 200
    monkeypatch.setattr(get_settings(), "request_deadline_seconds", 1e-9)
    for response in (
        client.get(matches, headers=buyer),
        client.post("/api/v1/suppliers/match", json={"name": "Meccanica"}, headers=partner),
    ):
        assert response.status_code == 503, response.text
        assert int(response.headers["retry-after"]) > 0


def test_serving_tunes_the_garbage_collector_once():
    """Full collections over a large heap stalled the event loop for 100-250 ms at a time under
    load; the app raises the collector's thresholds when it starts serving."""
    with TestClient(app):
        assert gc.get_threshold() == GC_THRESHOLD
    assert tune_garbage_collector.cache_info().currsize == 1  # done once per process
