"""Test fixtures: every database test runs on SQLite and, with TEST_DATABASE_URL, PostgreSQL.

Each test gets its own transaction, rolled back at the end (the app's commits become
SAVEPOINT releases), so tests are isolated and can run in any order.
"""

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

# The suite's app is not throttled; tests/test_ratelimit.py builds throttled apps of its own.
os.environ.setdefault("RATE_LIMIT_ENABLED", "false")
# Nor does it run the webhook worker thread; tests/webhooks drive the worker themselves.
os.environ.setdefault("WEBHOOKS_WORKER_ENABLED", "false")
# Nor does it build a search index of the default database at start-up: searches build theirs.
os.environ.setdefault("SEARCH_WARM_UP", "false")
os.environ.setdefault("SEARCH_SNAPSHOT_DIR", "off")  # tests/search/test_snapshots.py sets one
# An explicit cursor secret: no generated secret file beside the default database.
os.environ.setdefault("SECRET_KEY", "test-only-cursor-secret")

from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

import app.db as db_module
import app.main as main_module
from app.auth.caller import SYSTEM
from app.db import alembic_config, build_engine, get_session
from app.keys.service import create_api_key
from app.main import app

PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql",
        id="postgresql",
        marks=pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL is not set"),
    ),
]


def migrate(url: str) -> None:
    command.upgrade(alembic_config(url), "head")


def _worker_database(url: str) -> str:
    """The PostgreSQL database of this test process: TEST_DATABASE_URL's own, or with
    pytest-xdist (`make test` runs one process per core) `<its name>_<worker>`, created on the
    same server if missing, so parallel processes never share a schema."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    name = f"{make_url(url).database}_{worker}"
    admin = build_engine(url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if exists.first() is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _reset_pg_schema(url: str) -> None:
    engine = build_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A database migrated to head, shared by the session's tests of one backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    else:
        assert PG_URL
        url = _worker_database(PG_URL)
        _reset_pg_schema(url)
    migrate(url)
    engine = build_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def backend(engine: Engine) -> str:
    return engine.dialect.name


@contextmanager
def rolled_back_session(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back at the end; its commits are
    SAVEPOINT releases."""
    connection = engine.connect()
    outer = connection.begin()
    db = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield db
    finally:
        db.close()
        outer.rollback()
        connection.close()


def request_session(session: Session) -> Callable[[], Iterator[Session]]:
    """An override of `get_session` that hands every request `session`, like the real one."""

    def _session() -> Iterator[Session]:
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()
            raise

    return _session


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with rolled_back_session(engine) as db:
        yield db


@pytest.fixture
def client(session: Session) -> Iterator[TestClient]:
    app.dependency_overrides[get_session] = request_session(session)
    try:
        with TestClient(app, raise_server_exceptions=False) as test_client:
            yield test_client
    finally:
        app.dependency_overrides.clear()


def serve_database(url: str, monkeypatch: pytest.MonkeyPatch, **engine_options: Any) -> Engine:
    """Point the app's own engine (not the test transaction) at a migrated database of its own,
    for tests that need real commits and several connections."""
    engine = build_engine(url, **engine_options)
    monkeypatch.setattr(db_module, "get_engine", lambda: engine)
    monkeypatch.setattr(main_module, "get_engine", lambda: engine)  # /readyz
    return engine


def committed_admin_key(engine: Engine) -> dict[str, str]:
    """An admin key committed on `engine`; returns its Authorization header."""
    with Session(engine) as session:
        _key, plaintext = create_api_key(session=session, actor=SYSTEM, role="admin")
        session.commit()
    return {"Authorization": f"Bearer {plaintext}"}


KeyMaker = Callable[..., dict[str, str]]


@pytest.fixture
def make_key(session: Session) -> KeyMaker:
    """Create an API key in the test transaction; returns its Authorization header."""

    def _make(role: str, supplier_id: int | None = None) -> dict[str, str]:
        _key, plaintext = create_api_key(
            session=session, actor=SYSTEM, role=role, supplier_id=supplier_id
        )
        session.commit()
        return {"Authorization": f"Bearer {plaintext}"}

    return _make


@pytest.fixture
def admin(make_key: KeyMaker) -> dict[str, str]:
    return make_key("admin")


@contextmanager
def scratch_database(backend: str, directory: Path) -> Iterator[str]:
    """An empty database of its own (not migrated), dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{directory / f'scratch-{uuid.uuid4().hex[:8]}.db'}"
        return
    assert PG_URL
    name = f"escouting_t_{uuid.uuid4().hex[:10]}"
    admin_engine = build_engine(PG_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin_engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()


@pytest.fixture(params=BACKENDS)
def fresh_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of its own (not migrated), dropped afterwards."""
    with scratch_database(request.param, tmp_path) as url:
        yield url
