"""PostgreSQL (psycopg 3): a server shared by several workers; writers run concurrently."""

import json
import math
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.engine import URL

from app.db.backend import Backend, VersionedRow, executemany_insert
from app.db.deadline import DEADLINE, DeadlineExceeded

# The advisory lock every schema migration holds ("escout" in ASCII): containers that start
# together each run `escouting migrate`, one after the other; the later ones find the schema
# at head and do nothing.
MIGRATION_LOCK_KEY = 0x6573636F7574
# SQLSTATE of a statement cancelled by `statement_timeout`.
QUERY_CANCELED = "57014"
_TIMEOUT_SET = "escouting_statement_timeout_ms"


def _statement_timeout(conn: Any, cursor: Any, *_args: Any) -> None:
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


class PostgreSQL(Backend):
    """PostgreSQL 15+ through psycopg 3."""

    name = "postgresql"
    embedded = False
    concurrent_writers = True
    batches_per_transaction = 1

    listeners = (
        ("before_cursor_execute", _statement_timeout),
        ("commit", _forget_statement_timeout),
        ("rollback", _forget_statement_timeout),
    )

    def engine_arguments(
        self, url: str, *, pooling: dict[str, Any], connect_timeout: int
    ) -> dict[str, Any]:
        return {
            # A connection the server dropped (restart, failover) is replaced before use, so
            # the service recovers by itself; while the server is down, requests fail fast.
            "pool_pre_ping": True,
            **pooling,
            # No server-side prepared statements: a generic plan chosen after a few runs
            # ignores the actual filter values and is often far slower for search queries.
            "connect_args": {"prepare_threshold": None, "connect_timeout": connect_timeout},
        }

    def writer(self, engine: Engine) -> Engine:
        return engine  # row locks: a writer needs nothing up front

    @contextmanager
    def migration_lock(self, engine: Engine) -> Iterator[None]:
        # A session-level advisory lock on a connection of its own, released when done or
        # when the process dies.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            try:
                yield
            finally:
                conn.execute(
                    sa.text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )

    def try_transaction_lock(self, connection: Connection, *, key: int) -> bool:
        return bool(
            connection.scalar(sa.text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": key})
        )

    def lift_deadline(self, connection: Connection) -> None:
        connection.exec_driver_sql("SELECT set_config('statement_timeout', '0', true)")
        connection.info.pop(_TIMEOUT_SET, None)

    def insert_rows(self, conn: Connection, *, table: sa.Table, rows: list[dict[str, Any]]) -> None:
        if conn.dialect.driver == "psycopg":
            copy_rows(conn, table=table, rows=rows)
        else:
            executemany_insert(conn, table=table, rows=rows)

    def versioned_update(
        self, conn: Connection, table: sa.Table, names: Sequence[str], rows: Sequence[VersionedRow]
    ) -> tuple[str, Any]:
        """One `UPDATE ... FROM unnest(arrays)`: a statement per batch, not per row (the
        statement triggers run once), without a temporary table."""
        dialect = conn.dialect
        arrays, casts, sets = [], [], []
        for i, name in enumerate(names):
            column = table.c[name]
            values = [row[2][i] for row in rows]
            if isinstance(column.type, sa.JSON):
                arrays.append([None if v is None else json.dumps(v) for v in values])
                casts.append("text[]")
                sets.append(f'"{name}" = CAST(v."{name}" AS json)')
            else:
                arrays.append(values)
                casts.append(f"{column.type.compile(dialect=dialect)}[]")
                sets.append(f'"{name}" = v."{name}"')
        unnest = ", ".join(f"%s::{cast}" for cast in ("integer[]", "integer[]", *casts))
        aliases = ", ".join(f'"{a}"' for a in ("target_id", "read_version", *names))
        target = table.name
        return (
            f"UPDATE {target} SET {', '.join(sets)}, version = {target}.version + 1 "
            f"FROM unnest({unnest}) AS v({aliases}) "
            f"WHERE {target}.id = v.target_id AND {target}.version = v.read_version",
            ([row[0] for row in rows], [row[1] for row in rows], *arrays),
        )

    def new_ids(self, conn: Connection, *, table: sa.Table, count: int) -> list[int]:
        sequence = func.pg_get_serial_sequence(table.name, "id")
        draw = select(func.nextval(sequence)).select_from(func.generate_series(1, count))
        return list(conn.scalars(draw))

    def reserve_ids(self, conn: Connection, *, table: sa.Table, count: int) -> int:
        # The lock (until commit) keeps concurrent inserts from drawing ids in the meantime.
        conn.exec_driver_sql(f"LOCK TABLE {table.name} IN SHARE ROW EXCLUSIVE MODE")
        sequence = conn.exec_driver_sql(
            f"SELECT pg_get_serial_sequence('{table.name}', 'id')"
        ).scalar()
        highest: int = conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
        if sequence:
            last, called = conn.exec_driver_sql(
                f"SELECT last_value, is_called FROM {sequence}"
            ).one()
            highest = max(highest, last if called else last - 1)
            if count:
                conn.execute(sa.select(func.setval(sequence, highest + count)))
        return highest + 1

    def analyze(self, conn: Connection, *, tables: Sequence[str]) -> None:
        conn.exec_driver_sql(f"ANALYZE {', '.join(tables)}")

    @contextmanager
    def bulk_load(self, conn: Connection) -> Iterator[None]:
        yield  # the server's own settings

    def interrupted(self, orig: BaseException | None) -> bool:
        return getattr(orig, "sqlstate", None) == QUERY_CANCELED

    def statement_fault(self, orig: BaseException | None) -> bool:
        return False  # connection failures and lock time-outs: temporary

    def database_file(self, url: URL) -> str | None:
        return None
