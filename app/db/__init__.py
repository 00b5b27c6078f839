"""The database seam: the only place that knows which database it talks to.

Everything else in the application asks through the names below, the same on SQLite and
PostgreSQL; what differs lives in one `Backend` per database (`sqlite.py`, `postgresql.py`),
picked from the URL or the bind's dialect here and nowhere else.

- engines and sessions: `build_engine`, `get_engine`, `get_session` / `SessionDep`, `writer`;
- schema: `metadata`, `utcnow`, `big_integer`, `partial_index`;
- migrations: `alembic_config`, `migration_lock`;
- request deadlines: `with_deadline`, `deadline_lifted`, `DEADLINE`, `DeadlineExceeded`;
- bulk writes: `insert_rows`, `update_versioned`, `new_ids`, `reserve_ids`, `analyze`,
  `bulk_load`, and `backend_of(bind).concurrent_writers` / `.batches_per_transaction`;
- locks: `try_transaction_lock`; driver errors: `interrupted`, `statement_fault`;
- where an embedded database lives: `embedded`, `database_file`.
"""

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

import sqlalchemy as sa
from alembic.config import Config
from fastapi import Depends, Request
from sqlalchemy import Connection, Engine
from sqlalchemy.engine import URL, make_url
from sqlmodel import Session

from app.config import get_settings
from app.db.backend import Backend, VersionedRow
from app.db.deadline import DEADLINE, DeadlineExceeded, with_deadline
from app.db.postgresql import PostgreSQL
from app.db.schema import NAMING_CONVENTION, big_integer, metadata, partial_index
from app.db.sqlite import SQLite

__all__ = [
    "DEADLINE",
    "NAMING_CONVENTION",
    "Backend",
    "DeadlineExceeded",
    "SessionDep",
    "VersionedRow",
    "alembic_config",
    "analyze",
    "backend_for",
    "backend_of",
    "big_integer",
    "build_engine",
    "bulk_load",
    "database_file",
    "deadline_lifted",
    "embedded",
    "get_engine",
    "get_session",
    "insert_rows",
    "interrupted",
    "metadata",
    "migration_lock",
    "new_ids",
    "partial_index",
    "reserve_ids",
    "statement_fault",
    "try_transaction_lock",
    "update_versioned",
    "utcnow",
    "with_deadline",
    "writer",
]

BACKENDS: dict[str, Backend] = {backend.name: backend for backend in (SQLite(), PostgreSQL())}


def backend_for(url: str | URL) -> Backend:
    """The backend of the database `url` names (PostgreSQL unless it names SQLite)."""
    return BACKENDS.get(make_url(url).get_backend_name(), BACKENDS[PostgreSQL.name])


def backend_of(bind: Engine | Connection) -> Backend:
    """The backend of the database `bind` talks to."""
    return BACKENDS.get(bind.dialect.name, BACKENDS[PostgreSQL.name])


def utcnow() -> datetime:
    return datetime.now(UTC)


ROOT = Path(__file__).resolve().parents[2]


def alembic_config(url: str | None = None) -> Config:
    """Alembic configuration of this project, optionally bound to a database URL."""
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migration_lock(engine: Engine) -> AbstractContextManager[None]:
    """Held while a schema migration runs: on PostgreSQL an advisory lock, so containers that
    start together migrate one after the other; on SQLite nothing (one container owns the
    embedded file)."""
    return backend_of(engine).migration_lock(engine)


# ---------------------------------------------------------------- engines and sessions

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# POST routes that only read (a query too large for a URL): no write lock for them.
READ_ONLY_POSTS = frozenset({"/api/v1/suppliers/match"})


def build_engine(
    url: str,
    *,
    echo: bool = False,
    pool_size: int = 10,
    pool_timeout: float = 10,
    connect_timeout: int = 5,
) -> Engine:
    """Create an engine tuned for the backend the URL names."""
    # Both databases: at most pool_size + pool_size overflow connections per worker, and a
    # bounded wait for one (past it: sqlalchemy's TimeoutError, answered 503).
    pooling: dict[str, Any] = {
        "pool_size": pool_size,
        "max_overflow": pool_size,
        "pool_timeout": pool_timeout,
    }
    return backend_for(url).create_engine(
        url, echo=echo, pooling=pooling, connect_timeout=connect_timeout
    )


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


def writer(engine: Engine) -> Engine:
    """`engine` for transactions that write: on SQLite they take the write lock when they
    begin (begun as readers, they could not upgrade once another writer had committed;
    begun as writers, they wait their turn, then read the current rows)."""
    return backend_of(engine).writer(engine)


_writer = lru_cache(writer)


def get_session(request: Request) -> Iterator[Session]:
    """Request-scoped session: services only flush, the request commits once at the end."""
    engine = get_engine()
    if request.method in WRITE_METHODS and request.url.path not in READ_ONLY_POSTS:
        engine = _writer(engine)
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()
            raise


# scope="function": commit before the response is sent, so a failed commit is reported.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


# ---------------------------------------------------------------- deadlines, locks, errors


@contextmanager
def deadline_lifted(connection: Connection) -> Iterator[None]:
    """Statements inside run without the request's deadline (work that must finish once
    started, such as building the search index); the deadline applies again afterwards."""
    token = DEADLINE.set(None)
    try:
        backend_of(connection).lift_deadline(connection)
        yield
    finally:
        DEADLINE.reset(token)


def try_transaction_lock(connection: Connection, *, key: int) -> bool:
    """Whether this transaction holds the lock `key` until it ends: PostgreSQL's advisory
    lock; always on SQLite, whose write transactions already run one at a time."""
    return backend_of(connection).try_transaction_lock(connection, key=key)


def interrupted(orig: BaseException | None) -> bool:
    """Whether a driver error is a statement cut off by the request deadline."""
    return any(backend.interrupted(orig) for backend in BACKENDS.values())


def statement_fault(orig: BaseException | None) -> bool:
    """Whether a driver's operational error is a bad statement (our bug: 500) rather than a
    connection failure or lock time-out (temporary: 503)."""
    return any(backend.statement_fault(orig) for backend in BACKENDS.values())


def embedded(url: str | URL) -> bool:
    """Whether the database `url` names lives in this process (a file or memory)."""
    return backend_for(url).embedded


def database_file(url: str | URL) -> str | None:
    """The file an embedded database lives in; None in memory or on a server."""
    return backend_for(url).database_file(make_url(url))


# ---------------------------------------------------------------- bulk writes


def insert_rows(conn: Connection, *, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert many rows with the same keys: COPY on PostgreSQL, the driver's executemany on
    SQLite."""
    if rows:
        backend_of(conn).insert_rows(conn, table=table, rows=rows)


def update_versioned(
    conn: Connection, *, table: sa.Table, names: Sequence[str], rows: Sequence[VersionedRow]
) -> int:
    """Set the columns `names` of each row (id, version read, values) still at the version
    read, and bump its `version`, in one statement; returns how many rows were updated."""
    return backend_of(conn).update_versioned(conn, table=table, names=names, rows=rows)


def new_ids(conn: Connection, *, table: sa.Table, count: int) -> list[int]:
    """Ids for `count` new rows of `table`, drawn up front (rows go in plain batches, and
    records are built from what was written instead of read back): from the id sequence on
    PostgreSQL, after the highest id on SQLite (safe under its write lock). (INSERT ...
    RETURNING with its rows in order runs row by row on SQLite.)"""
    return backend_of(conn).new_ids(conn, table=table, count=count) if count else []


def reserve_ids(conn: Connection, *, table: sa.Table, count: int) -> int | None:
    """The first of `count` ids of `table` set aside (until commit no one else draws ids) for
    writes in later transactions, possibly concurrent; None on SQLite, where each writing
    transaction draws its own with `new_ids`, one writer after the other."""
    return backend_of(conn).reserve_ids(conn, table=table, count=count)


def analyze(conn: Connection, *, tables: Sequence[str]) -> None:
    """Refresh the planner statistics of `tables` (not DDL: reads and writes go on)."""
    backend_of(conn).analyze(conn, tables=tables)


def bulk_load(conn: Connection) -> AbstractContextManager[None]:
    """Connection settings for a long run of bulk-write transactions on `conn`, restored
    afterwards (SQLite: a large page cache, so a growing registry's indexes stay in memory).
    Enter it outside any transaction."""
    return backend_of(conn).bulk_load(conn)
