"""Writing demo suppliers: the catalogue and the live identities are read first, then the
generator's batches go to the shared supplier writer (`app.suppliers.writing`)."""

import multiprocessing
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from queue import Queue
from threading import Thread
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, Engine, func, select

from app.catalogue.models import Capability, CertificationStandard, SupplyChain
from app.db import SQLITE_WRITE_INTENT
from app.demo.generator import Batch as _Batch
from app.demo.generator import Catalogue
from app.demo.generator import Generator as _Generator
from app.demo.tables import CAPABILITY_PHRASES, Phrase
from app.suppliers.models import Supplier
from app.suppliers.writing import refresh_statistics, write

WRITERS = 2  # PostgreSQL connections writing at once
SQLITE_BATCHES_PER_TRANSACTION = 5  # the write lock is held for a few seconds at most
SQLITE_CACHE_KIB = 512 * 1024  # page cache of the SQLite connection while seeding
GENERATE_APART = 20_000  # from this many suppliers on, generated in a child process

SUPPLIER = Supplier.__table__


@dataclass(frozen=True)
class DemoSummary:
    """What `seed_demo` added, and how long it took."""

    suppliers: int
    employees: int
    seconds: float


def _read_catalogue(conn: Connection) -> Catalogue:
    """The catalogue codes the database holds, in a fixed order."""
    chains = list(conn.scalars(select(SupplyChain.code).order_by(SupplyChain.code)))
    phrases: dict[str, Phrase] = {}
    labels: dict[str, tuple[str, str]] = {}
    roots: set[str] = set()
    query = select(Capability.code, Capability.parent, Capability.name_en, Capability.name_it)
    for code, parent, name_en, name_it in conn.execute(query.order_by(Capability.code)):
        lower = {"it": name_it[:1].lower() + name_it[1:], "en": name_en[:1].lower() + name_en[1:]}
        phrases[code] = CAPABILITY_PHRASES.get(code, lower)
        labels[code] = (name_en, name_it)
        if parent is None:
            roots.add(code)
    standards = {
        code: (name, kind)
        for code, name, kind in conn.execute(
            select(
                CertificationStandard.code, CertificationStandard.name, CertificationStandard.kind
            ).order_by(CertificationStandard.code)
        )
    }
    return Catalogue(
        chains=chains, phrases=phrases, labels=labels, roots=roots, standards=standards
    )


# ---------------------------------------------------------------- the write path
# Kept as it was in app/demo.py (hence `_Generator`, `_Batch`) until the database seam
# takes over its SQLite and PostgreSQL branches.


def _live_identities(conn: Connection) -> tuple[set[str], set[str]]:
    """VAT numbers and names of the suppliers already in the database (not deleted)."""
    vats: set[str] = set()
    names: set[str] = set()
    live = SUPPLIER.c.deleted_at.is_(None)
    for vat, name in conn.execute(select(SUPPLIER.c.vat_number, SUPPLIER.c.name).where(live)):
        vats.add(vat)
        names.add(name)
    return vats, names


def _generated_apart(generator: "_Generator", *, first_id: int | None) -> Iterator[_Batch]:
    """The generator's batches, drawn in a child process: generation (pure Python) overlaps
    the writing, on another core, without competing for this process's GIL."""
    context = multiprocessing.get_context("fork")
    queue: Any = context.Queue(maxsize=4)

    def produce() -> None:
        try:
            for batch in generator.batches(first_id=first_id):
                queue.put(batch)
            queue.put(None)
        except BaseException as exc:  # handed to the parent, which raises it
            queue.put(exc)

    child = context.Process(target=produce, name="seed-demo-generator", daemon=True)
    child.start()
    try:
        while (batch := queue.get()) is not None:
            if isinstance(batch, BaseException):
                raise batch
            yield batch
    finally:
        if child.is_alive():
            child.terminate()
        child.join()
        queue.close()


def _write_batches(engine: Engine, *, batches: Iterator[_Batch], writers: int) -> int:
    """Write batches, one transaction each, from this thread (writers=1) or from `writers`
    threads (PostgreSQL: the server's share dominates, and backends split it); returns the
    employees written."""
    if writers == 1:
        employees = 0
        with engine.connect() as conn:
            sqlite = conn.dialect.name == "sqlite"
            if sqlite:  # the indexes of a large registry stay in memory as it grows
                cache = conn.exec_driver_sql("PRAGMA cache_size").scalar()
                conn.exec_driver_sql(f"PRAGMA cache_size={-SQLITE_CACHE_KIB}")
                conn.commit()
            try:
                # SQLite: a few batches per transaction. Each commit appends every page it
                # changed to the WAL, and the indexes on random keys (names, VAT numbers)
                # change pages all over: fewer commits write far fewer pages.
                per_transaction = SQLITE_BATCHES_PER_TRANSACTION if sqlite else 1
                while group := list(islice(batches, per_transaction)):
                    with conn.begin():
                        for batch in group:
                            write(conn, batch.writes, records=False)
                    employees += sum(batch.employees for batch in group)
            finally:
                if sqlite:
                    conn.rollback()
                    conn.exec_driver_sql(f"PRAGMA cache_size={cache}")
                    conn.commit()
        return employees
    queue: Queue[_Batch | None] = Queue(maxsize=2 * writers)
    failures: list[BaseException] = []

    def work() -> None:
        try:
            with engine.connect() as conn:
                while (batch := queue.get()) is not None:
                    if not failures:
                        with conn.begin():
                            write(conn, batch.writes, records=False)
        except BaseException as exc:  # re-raised by the generating thread
            failures.append(exc)
            while queue.get() is not None:  # keep draining so the producer never blocks
                pass

    threads = [Thread(target=work, name=f"seed-demo-{i}", daemon=True) for i in range(writers)]
    for thread in threads:
        thread.start()
    employees = 0
    try:
        for batch in batches:
            if failures:
                break
            queue.put(batch)
            employees += batch.employees
    finally:
        for _ in threads:
            queue.put(None)
        for thread in threads:
            thread.join()
    if failures:
        raise failures[0]
    return employees


def _reserve_ids_postgresql(conn: Connection, *, count: int) -> int:
    """Move the supplier id sequence past `count` ids of our own; returns the first of them."""
    # The lock (until commit) keeps concurrent inserts from drawing ids in the meantime.
    conn.exec_driver_sql("LOCK TABLE supplier IN SHARE ROW EXCLUSIVE MODE")
    sequence = conn.exec_driver_sql("SELECT pg_get_serial_sequence('supplier', 'id')").scalar()
    highest = conn.scalar(select(func.coalesce(func.max(SUPPLIER.c.id), 0)))
    if sequence:
        last, called = conn.exec_driver_sql(f"SELECT last_value, is_called FROM {sequence}").one()
        highest = max(highest, last if called else last - 1)
        if count:
            conn.execute(sa.select(func.setval(sequence, highest + count)))
    return highest + 1


def seed_demo(*, engine: Engine, suppliers: int = 200, seed: int = 42) -> DemoSummary:
    """Append `suppliers` deterministic demo suppliers to a migrated database."""
    # One transaction per batch of BATCH_SIZE suppliers (the service keeps serving between
    # them; an error part-way keeps the batches already written), then fresh statistics.
    started = time.perf_counter()
    postgresql = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        # PostgreSQL: a range of ids reserved now, so ids follow generation order whichever
        # writer writes a batch. SQLite (one writer): drawn by each batch's transaction.
        first_id = _reserve_ids_postgresql(conn, count=suppliers) if postgresql else None
        taken_vats, taken_names = _live_identities(conn)
        catalogue = _read_catalogue(conn)
    generator = _Generator(
        seed=seed,
        total=suppliers,
        today=datetime.now(UTC).date(),
        catalogue=catalogue,
        taken_vats=taken_vats,
        taken_names=taken_names,
    )
    writer = engine if postgresql else engine.execution_options(**{SQLITE_WRITE_INTENT: True})
    batches = (
        _generated_apart(generator, first_id=first_id)
        if suppliers >= GENERATE_APART
        else generator.batches(first_id=first_id)
    )
    employees = _write_batches(writer, batches=batches, writers=WRITERS if postgresql else 1)
    with engine.begin() as conn:
        refresh_statistics(conn)
    return DemoSummary(
        suppliers=suppliers, employees=employees, seconds=time.perf_counter() - started
    )
