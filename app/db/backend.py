"""The operations whose SQL or settings differ between databases, one `Backend` per database."""

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy import Connection, Engine, event
from sqlalchemy.engine import URL
from sqlmodel import create_engine

# Rows of a versioned bulk update: (id, version the writer read, values in column order).
VersionedRow = tuple[int, int, Sequence[Any]]


class Backend(ABC):
    """One database's way of doing what the application needs (a stateless singleton)."""

    name: ClassVar[str]  # SQLAlchemy's dialect name
    # Lives in this process (a file or memory) rather than on a server.
    embedded: ClassVar[bool]
    # Several transactions may write at once (else writers queue for one lock).
    concurrent_writers: ClassVar[bool]
    # Bulk loads: batches written per transaction.
    batches_per_transaction: ClassVar[int]
    # The engine events `create_engine` listens to, in order: (event name, listener).
    listeners: ClassVar[tuple[tuple[str, Callable[..., None]], ...]]

    def create_engine(
        self, url: str, *, echo: bool, pooling: dict[str, Any], connect_timeout: int
    ) -> Engine:
        """An engine tuned for this database, with the request deadline enforced."""
        arguments = self.engine_arguments(url, pooling=pooling, connect_timeout=connect_timeout)
        engine = create_engine(url, echo=echo, **arguments)
        for name, listener in self.listeners:
            event.listen(engine, name, listener)
        return engine

    @abstractmethod
    def engine_arguments(
        self, url: str, *, pooling: dict[str, Any], connect_timeout: int
    ) -> dict[str, Any]:
        """`create_engine`'s arguments for this database, besides the URL and `echo`."""

    @abstractmethod
    def writer(self, engine: Engine) -> Engine:
        """`engine` for transactions that will write (they take the write lock up front)."""

    @abstractmethod
    def migration_lock(self, engine: Engine) -> AbstractContextManager[None]:
        """Held while a schema migration runs, so concurrent `migrate` runs queue."""

    @abstractmethod
    def try_transaction_lock(self, connection: Connection, *, key: int) -> bool:
        """Whether this transaction got the lock named `key` (held until it ends)."""

    @abstractmethod
    def lift_deadline(self, connection: Connection) -> None:
        """Let this transaction's next statements run past the request deadline."""

    @abstractmethod
    def insert_rows(self, conn: Connection, *, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        """Insert many rows with the same keys, as fast as this database allows."""

    def update_versioned(
        self,
        conn: Connection,
        *,
        table: sa.Table,
        names: Sequence[str],
        rows: Sequence[VersionedRow],
    ) -> int:
        """Set `names` of each row still at the version read, bumping it; rows updated."""
        statement, parameters = self.versioned_update(conn, table, names, rows)
        return conn.exec_driver_sql(statement, parameters).rowcount

    @abstractmethod
    def versioned_update(
        self, conn: Connection, table: sa.Table, names: Sequence[str], rows: Sequence[VersionedRow]
    ) -> tuple[str, Any]:
        """The one statement of `update_versioned` and its parameters (`exec_driver_sql`'s)."""

    @abstractmethod
    def new_ids(self, conn: Connection, *, table: sa.Table, count: int) -> list[int]:
        """`count` ids for new rows of `table`, drawn in this transaction."""

    @abstractmethod
    def reserve_ids(self, conn: Connection, *, table: sa.Table, count: int) -> int | None:
        """The first of `count` ids of `table` set aside for the caller's later transactions;
        None where each writing transaction draws its own (`new_ids`)."""

    @abstractmethod
    def analyze(self, conn: Connection, *, tables: Sequence[str]) -> None:
        """Refresh the planner statistics of `tables`."""

    @abstractmethod
    def bulk_load(self, conn: Connection) -> AbstractContextManager[None]:
        """Connection settings for a long run of bulk writes, restored afterwards."""

    @abstractmethod
    def interrupted(self, orig: BaseException | None) -> bool:
        """Whether the driver error is a statement cut off by the request deadline."""

    @abstractmethod
    def statement_fault(self, orig: BaseException | None) -> bool:
        """Whether the driver's operational error is a bad statement (a bug), not an outage."""

    @abstractmethod
    def database_file(self, url: URL) -> str | None:
        """The file an embedded database lives in; None in memory or on a server."""


def bind_processors(conn: Connection, table: sa.Table, names: Sequence[str]) -> list[Any]:
    """Each column's driver-side conversion of Python values (None: none needed)."""
    dialect = conn.dialect
    return [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names]


def executemany_insert(conn: Connection, *, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """The driver's own executemany, with each column's bind processing applied once per
    value (SQLAlchemy's per-row parameter handling costs more than SQLite's insert itself)."""
    columns = list(rows[0])
    processors = bind_processors(conn, table, columns)
    names = ", ".join(f'"{column}"' for column in columns)
    marks = ", ".join("?" for _ in columns)
    conn.exec_driver_sql(
        f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})',
        [converted(row.values(), processors) for row in rows],
    )


def converted(values: Iterable[Any], processors: list[Any]) -> tuple[Any, ...]:
    """`values` through their columns' bind processors."""
    return tuple(
        value if process is None or value is None else process(value)
        for value, process in zip(values, processors, strict=True)
    )
