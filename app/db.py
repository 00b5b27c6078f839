"""Engine, session and metadata plumbing shared by every domain."""

import json
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

import sqlalchemy as sa
from alembic.config import Config
from fastapi import Depends, Request
from sqlalchemy import Connection, Engine, MetaData, event
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel, create_engine

from app.config import get_settings

# Deterministic constraint names, so Alembic can find and alter them on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata: MetaData = SQLModel.metadata


def utcnow() -> datetime:
    return datetime.now(UTC)


ROOT = Path(__file__).resolve().parent.parent


def alembic_config(url: str | None = None) -> Config:
    """Alembic configuration of this project, optionally bound to a database URL."""
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


# The PostgreSQL advisory lock every schema migration holds ("escout" in ASCII): containers
# that start together each run `escouting migrate`, one after the other; the later ones find
# the schema at head and do nothing.
MIGRATION_LOCK_KEY = 0x6573636F7574


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """On PostgreSQL, wait for and hold the migration lock (a session-level advisory lock on
    a connection of its own, released when done or when the process dies); on SQLite nothing
    (one container owns an embedded database file)."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        try:
            yield
        finally:
            conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})


# A write request's transaction takes SQLite's write lock when it begins. Begun as a reader, it
# could not upgrade once another writer had committed (WAL: "database is locked" at once, no
# waiting); begun as a writer, it waits its turn (busy_timeout), then reads the current rows.
SQLITE_WRITE_INTENT = "escouting_write_intent"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# POST routes that only read (a query too large for a URL): no write lock for them.
READ_ONLY_POSTS = frozenset({"/api/v1/suppliers/match"})


# ---------------------------------------------------------------- request deadlines

# The monotonic instant past which the current request's statements are cut off (None: no
# deadline). Set by `with_deadline` on the routes whose cost depends on what the caller asks
# (search, facets, scouting, matching); read by the engine hooks below in whatever thread
# runs the statement (the thread pool copies the request's context).
DEADLINE: ContextVar[float | None] = ContextVar("escouting_deadline", default=None)
# SQLite calls the progress handler every this many virtual-machine instructions.
SQLITE_PROGRESS_STEPS = 100_000
_TIMEOUT_SET = "escouting_statement_timeout_ms"


class DeadlineExceeded(Exception):
    """The request's deadline passed before (or while) a statement ran."""


def _past_deadline() -> bool:
    deadline = DEADLINE.get()
    return deadline is not None and time.monotonic() > deadline


def _refuse_late_statements(conn: Any, cursor: Any, *_args: Any) -> None:
    # No statement starts after the deadline, on either database.
    if _past_deadline():
        raise DeadlineExceeded


def _postgres_statement_timeout(conn: Any, cursor: Any, *_args: Any) -> None:
    """Bound each statement by the time the request has left (`statement_timeout`, local to
    the transaction); set again only when the time left has shrunk noticeably."""
    deadline = DEADLINE.get()
    if deadline is None:
        return
    left_ms = math.ceil((deadline - time.monotonic()) * 1000)
    if left_ms <= 0:
        raise DeadlineExceeded
    current = conn.info.get(_TIMEOUT_SET)
    if current is None or left_ms < current * 0.9:
        cursor.execute("SELECT set_config('statement_timeout', %s, true)", (str(left_ms),))
        conn.info[_TIMEOUT_SET] = left_ms


def _forget_statement_timeout(conn: Any, *_args: Any) -> None:
    conn.info.pop(_TIMEOUT_SET, None)  # SET LOCAL ends with the transaction


@contextmanager
def deadline_lifted(connection: Connection) -> Iterator[None]:
    """Statements inside run without the request's deadline (work that must finish once
    started, such as building the search index); the deadline applies again afterwards."""
    token = DEADLINE.set(None)
    try:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SELECT set_config('statement_timeout', '0', true)")
        connection.info.pop(_TIMEOUT_SET, None)
        yield
    finally:
        DEADLINE.reset(token)


def _sqlite_interrupt_when_late() -> int:
    # A non-zero answer makes SQLite abort the running statement ("interrupted").
    return 1 if _past_deadline() else 0


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, emit BEGIN, so SAVEPOINTs work (used by tests).
    dbapi_connection.isolation_level = None
    dbapi_connection.set_progress_handler(_sqlite_interrupt_when_late, SQLITE_PROGRESS_STEPS)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Statement journals (every row of a bulk insert whose triggers write other tables needs
    # one) in memory, not in temporary files: bulk supplier writes about a third faster.
    cursor.execute("PRAGMA temp_store=MEMORY")
    # Modest memory per connection: searches answer from the search index, so connections
    # read pages of records and links by id (each pooled connection has a cache of its own).
    cursor.execute("PRAGMA mmap_size=67108864")
    cursor.execute("PRAGMA cache_size=-8192")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    options = conn.get_execution_options()
    if options.get("isolation_level") != "AUTOCOMMIT":
        conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get(SQLITE_WRITE_INTENT) else "BEGIN")


def build_engine(
    url: str,
    *,
    echo: bool = False,
    pool_size: int = 10,
    pool_timeout: float = 10,
    connect_timeout: int = 5,
) -> Engine:
    """Create an engine tuned for the backend the URL names."""
    parsed = make_url(url)
    # Both databases: at most pool_size + pool_size overflow connections per worker, and a
    # bounded wait for one (past it: sqlalchemy's TimeoutError, answered 503).
    pooling: dict[str, Any] = {
        "pool_size": pool_size,
        "max_overflow": pool_size,
        "pool_timeout": pool_timeout,
    }
    if parsed.get_backend_name() == "sqlite":
        in_memory = parsed.database in (None, "", ":memory:")
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False},
            **({} if in_memory else pooling),  # one shared connection per thread in memory
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        event.listen(engine, "before_cursor_execute", _refuse_late_statements)
        return engine
    engine = create_engine(
        url,
        echo=echo,
        # A connection the server dropped (restart, failover) is replaced before use, so the
        # service recovers by itself; while the server is down, requests fail fast (503).
        pool_pre_ping=True,
        **pooling,
        # No server-side prepared statements: a generic plan chosen after a few runs ignores
        # the actual filter values and is often far slower for search queries.
        connect_args={"prepare_threshold": None, "connect_timeout": connect_timeout},
    )
    event.listen(engine, "before_cursor_execute", _postgres_statement_timeout)
    event.listen(engine, "commit", _forget_statement_timeout)
    event.listen(engine, "rollback", _forget_statement_timeout)
    return engine


@lru_cache
def get_engine() -> Engine:
    settings = get_settings()
    return build_engine(
        settings.database_url,
        echo=settings.db_echo,
        pool_size=settings.db_pool_size,
        pool_timeout=settings.db_pool_timeout,
        connect_timeout=settings.db_connect_timeout,
    )


@lru_cache
def _writer_engine(engine: Engine) -> Engine:
    return engine.execution_options(**{SQLITE_WRITE_INTENT: True})


def get_session(request: Request) -> Iterator[Session]:
    """Request-scoped session: services only flush, the request commits once at the end."""
    engine = get_engine()
    writes = request.method in WRITE_METHODS and request.url.path not in READ_ONLY_POSTS
    if writes and engine.dialect.name == "sqlite":
        engine = _writer_engine(engine)
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()
            raise


# scope="function": commit before the response is sent, so a failed commit is reported.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


async def with_deadline() -> None:
    """Route dependency: the request's statements must finish within REQUEST_DEADLINE_SECONDS
    (503 with Retry-After past it). Async, so the deadline is set in the request's own
    context, which the threads running its statements copy."""
    DEADLINE.set(time.monotonic() + get_settings().request_deadline_seconds)


def can_copy(conn: Connection) -> bool:
    """Whether `copy_rows` can bulk-load through this connection (PostgreSQL with psycopg)."""
    return conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg"


def copy_rows(conn: Connection, *, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """`COPY table FROM STDIN` on the connection's own psycopg connection (same transaction).

    Several times faster than INSERTs, and statement-level triggers fire once for all rows.
    """
    columns = list(rows[0])
    as_json = [isinstance(table.c[column].type, sa.JSON) for column in columns]
    names = ", ".join(f'"{column}"' for column in columns)
    driver_connection: Any = conn.connection.driver_connection
    with (
        driver_connection.cursor() as cursor,
        cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy,
    ):
        if any(as_json):
            for row in rows:
                copy.write_row(
                    [
                        json.dumps(value) if encode else value
                        for value, encode in zip(row.values(), as_json, strict=True)
                    ]
                )
        else:
            for row in rows:
                copy.write_row(tuple(row.values()))


def insert_rows(conn: Connection, *, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows with the same keys: COPY on PostgreSQL; elsewhere the driver's own
    executemany, with each column's bind processing applied once per value (SQLAlchemy's
    per-row parameter handling costs more than SQLite's insert itself)."""
    if not rows:
        return
    if can_copy(conn):
        copy_rows(conn, table=table, rows=rows)
        return
    columns = list(rows[0])
    processors = [
        table.c[c].type.dialect_impl(conn.dialect).bind_processor(conn.dialect) for c in columns
    ]
    names = ", ".join(f'"{column}"' for column in columns)
    marks = ", ".join("?" for _ in columns)
    conn.exec_driver_sql(
        f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})',
        [
            tuple(
                value if process is None or value is None else process(value)
                for value, process in zip(row.values(), processors, strict=True)
            )
            for row in rows
        ],
    )
