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
from sqlalchemy import Connection, Engine, select
from sqlmodel import col

from app.catalogue.models import Capability, CertificationStandard, SupplyChain
from app.db import backend_of, bulk_load, reserve_ids, writer
from app.demo.generator import Batch, Catalogue, Generator
from app.demo.tables import CAPABILITY_PHRASES, Phrase
from app.suppliers.models import Supplier
from app.suppliers.writing import refresh_statistics, write

WRITERS = 2  # PostgreSQL connections writing at once
GENERATE_APART = 20_000  # from this many suppliers on, generated in a child process

SUPPLIER: sa.Table = Supplier.__table__  # type: ignore[attr-defined]  # __table__ is set by SQLAlchemy, undeclared in SQLModel


@dataclass(frozen=True)
class DemoSummary:
    """What `seed_demo` added, and how long it took."""

    suppliers: int
    employees: int
    seconds: float


def _read_catalogue(conn: Connection) -> Catalogue:
    """The catalogue codes the database holds, in a fixed order."""
    chains = list(conn.scalars(select(col(SupplyChain.code)).order_by(col(SupplyChain.code))))
    phrases: dict[str, Phrase] = {}
    labels: dict[str, tuple[str, str]] = {}
    roots: set[str] = set()
    query = select(
        col(Capability.code),
        col(Capability.parent),
        col(Capability.name_en),
        col(Capability.name_it),
    )
    for code, parent, name_en, name_it in conn.execute(query.order_by(col(Capability.code))):
        lower = {"it": name_it[:1].lower() + name_it[1:], "en": name_en[:1].lower() + name_en[1:]}
        phrases[code] = CAPABILITY_PHRASES.get(code, lower)
        labels[code] = (name_en, name_it)
        if parent is None:
            roots.add(code)
    standards = {
        code: (name, kind)
        for code, name, kind in conn.execute(
            select(
                col(CertificationStandard.code),
                col(CertificationStandard.name),
                col(CertificationStandard.kind),
            ).order_by(col(CertificationStandard.code))
        )
    }
    return Catalogue(
        chains=chains, phrases=phrases, labels=labels, roots=roots, standards=standards
    )


# ---------------------------------------------------------------- the write path
# What differs between the databases (id reservation, writers at once, batches per
# transaction, bulk-load settings) is asked of the database seam, app.db.


def _live_identities(conn: Connection) -> tuple[set[str], set[str]]:
    """VAT numbers and names of the suppliers already in the database (not deleted)."""
    vats: set[str] = set()
    names: set[str] = set()
    live = SUPPLIER.c.deleted_at.is_(None)
    for vat, name in conn.execute(select(SUPPLIER.c.vat_number, SUPPLIER.c.name).where(live)):
        vats.add(vat)
        names.add(name)
    return vats, names


def _generated_apart(generator: Generator, *, first_id: int | None) -> Iterator[Batch]:
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


def _write_batches(engine: Engine, *, batches: Iterator[Batch], writers: int) -> int:
    """Write batches, one transaction each, from this thread (writers=1) or from `writers`
    threads (PostgreSQL: the server's share dominates, and backends split it); returns the
    employees written."""
    if writers == 1:
        employees = 0
        with engine.connect() as conn, bulk_load(conn):
            # A few batches per transaction where each commit costs much (SQLite).
            per_transaction = backend_of(conn).batches_per_transaction
            while group := list(islice(batches, per_transaction)):
                with conn.begin():
                    for batch in group:
                        write(conn, batch.writes, records=False)
                employees += sum(batch.employees for batch in group)
        return employees
    queue: Queue[Batch | None] = Queue(maxsize=2 * writers)
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


def seed_demo(*, engine: Engine, suppliers: int = 200, seed: int = 42) -> DemoSummary:
    """Append `suppliers` deterministic demo suppliers to a migrated database."""
    # One transaction per batch of BATCH_SIZE suppliers (the service keeps serving between
    # them; an error part-way keeps the batches already written), then fresh statistics.
    started = time.perf_counter()
    with engine.begin() as conn:
        # Several writers: a range of ids reserved now, so ids follow generation order whichever
        # writer writes a batch. One writer (None): drawn by each batch's transaction.
        first_id = reserve_ids(conn, table=SUPPLIER, count=suppliers)
        taken_vats, taken_names = _live_identities(conn)
        catalogue = _read_catalogue(conn)
    generator = Generator(
        seed=seed,
        total=suppliers,
        today=datetime.now(UTC).date(),
        catalogue=catalogue,
        taken_vats=taken_vats,
        taken_names=taken_names,
    )
    batches = (
        _generated_apart(generator, first_id=first_id)
        if suppliers >= GENERATE_APART
        else generator.batches(first_id=first_id)
    )
    writers = WRITERS if backend_of(engine).concurrent_writers else 1
    employees = _write_batches(writer(engine), batches=batches, writers=writers)
    with engine.begin() as conn:
        refresh_statistics(conn)
    return DemoSummary(
        suppliers=suppliers, employees=employees, seconds=time.perf_counter() - started
    )
