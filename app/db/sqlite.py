"""SQLite: a file (or memory) of this process; one writer at a time, queued at BEGIN."""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.engine import URL, make_url

from app.db.backend import Backend, VersionedRow, bind_processors, converted, executemany_insert
from app.db.deadline import past_deadline, refuse_late_statements

# A write request's transaction takes SQLite's write lock when it begins. Begun as a reader, it
# could not upgrade once another writer had committed (WAL: "database is locked" at once, no
# waiting); begun as a writer, it waits its turn (busy_timeout), then reads the current rows.
WRITE_INTENT = "escouting_write_intent"
# SQLite calls the progress handler every this many virtual-machine instructions.
PROGRESS_STEPS = 100_000
# Operational errors that are temporary (503); SQLite's others are bad statements (500).
TRANSIENT = ("database is locked", "unable to open database", "disk i/o error")
# Bulk loads: page cache of the connection, so a large registry's indexes stay in memory.
BULK_CACHE_KIB = 512 * 1024


def _interrupt_when_late() -> int:
    # A non-zero answer makes SQLite abort the running statement ("interrupted").
    return 1 if past_deadline() else 0


def _pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, emit BEGIN, so SAVEPOINTs work (used by tests).
    dbapi_connection.isolation_level = None
    dbapi_connection.set_progress_handler(_interrupt_when_late, PROGRESS_STEPS)
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


def _begin(conn: Any) -> None:
    options = conn.get_execution_options()
    if options.get("isolation_level") != "AUTOCOMMIT":
        conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get(WRITE_INTENT) else "BEGIN")


def in_memory(url: URL) -> bool:
    return url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"


class SQLite(Backend):
    """SQLite through the standard library's sqlite3 module."""

    name = "sqlite"
    embedded = True
    concurrent_writers = False
    # A few batches per transaction: each commit appends every page it changed to the WAL,
    # and the indexes on random keys (names, VAT numbers) change pages all over, so fewer
    # commits write far fewer pages. The write lock is held for a few seconds at most.
    batches_per_transaction = 5

    listeners = (
        ("connect", _pragmas),
        ("begin", _begin),
        ("before_cursor_execute", refuse_late_statements),
    )

    def engine_arguments(
        self, url: str, *, pooling: dict[str, Any], connect_timeout: int
    ) -> dict[str, Any]:
        return {
            "connect_args": {"check_same_thread": False},
            # One shared connection per thread in memory.
            **({} if in_memory(make_url(url)) else pooling),
        }

    def writer(self, engine: Engine) -> Engine:
        return engine.execution_options(**{WRITE_INTENT: True})

    @contextmanager
    def migration_lock(self, engine: Engine) -> Iterator[None]:
        yield  # one container owns an embedded database file

    def try_transaction_lock(self, connection: Connection, *, key: int) -> bool:
        return True  # write transactions begin with BEGIN IMMEDIATE: one at a time already

    def lift_deadline(self, connection: Connection) -> None:
        pass  # the progress handler reads the deadline itself

    def insert_rows(self, conn: Connection, *, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        executemany_insert(conn, table=table, rows=rows)

    def versioned_update(
        self, conn: Connection, table: sa.Table, names: Sequence[str], rows: Sequence[VersionedRow]
    ) -> tuple[str, Any]:
        processors = bind_processors(conn, table, names)
        sets = ", ".join(f'"{name}" = ?' for name in names)
        return (
            f"UPDATE {table.name} SET {sets}, version = version + 1 WHERE id = ? AND version = ?",
            [(*converted(values, processors), id_, version) for id_, version, values in rows],
        )

    def new_ids(self, conn: Connection, *, table: sa.Table, count: int) -> list[int]:
        # After the highest id: safe as the writing transaction holds the write lock (a
        # concurrent writer would make its insert fail, never collide).
        highest = conn.scalar(select(func.max(table.c.id))) or 0
        return list(range(highest + 1, highest + 1 + count))

    def reserve_ids(self, conn: Connection, *, table: sa.Table, count: int) -> int | None:
        return None  # one writer at a time: ids drawn by each transaction follow its order

    def analyze(self, conn: Connection, *, tables: Sequence[str]) -> None:
        # A bounded sample per index: a few milliseconds per table whatever its size.
        conn.exec_driver_sql("PRAGMA analysis_limit=2000")
        for table in tables:
            conn.exec_driver_sql(f'ANALYZE "{table}"')

    @contextmanager
    def bulk_load(self, conn: Connection) -> Iterator[None]:
        cache = conn.exec_driver_sql("PRAGMA cache_size").scalar()
        conn.exec_driver_sql(f"PRAGMA cache_size={-BULK_CACHE_KIB}")
        conn.commit()
        try:
            yield
        finally:
            conn.rollback()
            conn.exec_driver_sql(f"PRAGMA cache_size={cache}")
            conn.commit()

    def interrupted(self, orig: BaseException | None) -> bool:
        return _raised_here(orig) and str(orig) == "interrupted"

    def statement_fault(self, orig: BaseException | None) -> bool:
        return _raised_here(orig) and not str(orig).lower().startswith(TRANSIENT)

    def database_file(self, url: URL) -> str | None:
        return None if in_memory(url) else url.database


def _raised_here(orig: BaseException | None) -> bool:
    return type(orig).__module__.startswith("sqlite3")
