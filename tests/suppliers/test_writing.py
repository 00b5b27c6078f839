"""The shared supplier writer: one row shape for the API, the import and seeding; atomic batches;
fresh planner statistics after bulk writes."""

import io
import json
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, select

from app.audit.models import AuditEvent
from app.auth.caller import SYSTEM
from app.demo import seed_demo
from app.partners import importing
from app.partners.importing import import_suppliers
from app.suppliers import writing
from app.suppliers.models import (
    ChangeEvent,
    Supplier,
    SupplierCapability,
    SupplierCertification,
    SupplierSupplyChain,
)
from app.suppliers.schemas import SupplierCreate
from app.suppliers.service import create_supplier
from app.suppliers.writing import SupplierWrite, certificate_rows, create_values, write
from tests.conftest import migrate
from tests.factories import supplier_payload

# Columns that differ between two suppliers written from the same facts.
_OWN = {"id", "name", "legal_name", "vat_number", "created_at", "updated_at"}


def _rows(session: Session, supplier_id: int) -> dict[str, Any]:
    """Every row written for a supplier, without what is its own (ids, names, times)."""
    conn = session.connection()

    def table(model: Any, where: Any, drop: set[str]) -> list[dict[str, Any]]:
        rows = conn.execute(select(model.__table__).where(where)).mappings()
        return sorted(repr(sorted((k, v) for k, v in row.items() if k not in drop)) for row in rows)

    events = [
        (e.kind, e.version, sorted(e.payload or {}))
        for e in session.exec(select(ChangeEvent).where(ChangeEvent.supplier_id == supplier_id))
    ]
    audits = [
        (a.action, a.fields)
        for a in session.exec(select(AuditEvent).where(AuditEvent.entity_id == supplier_id))
    ]
    return {
        "supplier": table(Supplier, Supplier.id == supplier_id, _OWN),
        "chains": table(
            SupplierSupplyChain, SupplierSupplyChain.supplier_id == supplier_id, {"supplier_id"}
        ),
        "capabilities": table(
            SupplierCapability, SupplierCapability.supplier_id == supplier_id, {"supplier_id"}
        ),
        "certificates": table(
            SupplierCertification,
            SupplierCertification.supplier_id == supplier_id,
            {"id", "supplier_id"},
        ),
        "events": events,
        "audits": audits,
    }


def _same_facts(n: int) -> dict[str, Any]:
    return supplier_payload(n, name=f"Stessa Forma {n}")


def test_api_import_and_seed_write_rows_of_one_shape(session: Session) -> None:
    api = create_supplier(session=session, data=SupplierCreate(**_same_facts(1)), actor=SYSTEM)
    line = (json.dumps(_same_facts(2)) + "\n").encode()
    report = import_suppliers(
        session=session, stream=io.BytesIO(line), fmt="jsonl", actor=SYSTEM, dry_run=False
    )
    imported = report.changes[0].supplier_id
    # Seeding's path: the same writer without records or audit.
    data = SupplierCreate(**_same_facts(3))
    seeded = SupplierWrite(
        kind="created",
        values=create_values(data),
        supply_chains=data.supply_chains,
        capabilities=data.capabilities,
        certifications=certificate_rows(data.certifications),
    )
    write(session.connection(), [seeded], records=False)

    from_api, from_import = _rows(session, api.id), _rows(session, imported)  # type: ignore[arg-type]
    from_seed = _rows(session, seeded.supplier_id)  # type: ignore[arg-type]
    assert from_api == from_import
    assert from_api["events"] == [("created", 1, sorted(from_api["events"][0][2]))]
    assert "contact" not in from_api["events"][0][2] and "capabilities" in from_api["events"][0][2]
    assert from_api["audits"][0][0] == "create" and "capabilities" in from_api["audits"][0][1]
    # Seeded: the same rows; its event carries no record (readers get the current one).
    assert {k: v for k, v in from_seed.items() if k not in ("events", "audits")} == {
        k: v for k, v in from_api.items() if k not in ("events", "audits")
    }
    assert from_seed["events"] == [("created", 1, [])] and from_seed["audits"] == []


def test_updates_and_deletes_move_the_version_and_keep_event_order(session: Session) -> None:
    data = SupplierCreate(**_same_facts(4))
    new = SupplierWrite(kind="created", values=create_values(data), capabilities=["machining"])
    write(session.connection(), [new], actor=SYSTEM)
    assert new.version == 1 and new.record is not None
    before = new.record
    change = SupplierWrite(
        kind="updated",
        values={"employees": 80},
        supplier_id=new.supplier_id,
        version=1,
        before=before,
    )
    gone = SupplierWrite(kind="deleted", supplier_id=new.supplier_id, version=2)
    write(session.connection(), [change], actor=SYSTEM)
    write(session.connection(), [gone], actor=SYSTEM)
    assert (change.version, gone.version) == (2, 3)
    assert change.record["employees"] == 80 and change.record["capabilities"] == ["machining"]  # type: ignore[index]
    events = session.exec(
        select(ChangeEvent)
        .where(ChangeEvent.supplier_id == new.supplier_id)
        .order_by(
            ChangeEvent.seq  # type: ignore[arg-type]
        )
    ).all()
    assert [(e.kind, e.version) for e in events] == [("created", 1), ("updated", 2), ("deleted", 3)]
    audits = session.exec(
        select(AuditEvent).where(AuditEvent.entity_id == new.supplier_id).order_by(AuditEvent.id)  # type: ignore[arg-type]
    ).all()
    assert [(a.action, a.fields) for a in audits][1:] == [("update", ["employees"]), ("delete", [])]
    row = (
        session.connection()
        .execute(
            select(Supplier.__table__).where(Supplier.__table__.c.id == new.supplier_id)  # type: ignore[attr-defined]
        )
        .one()
    )
    assert row.deleted_at is not None and row.contact_email is None and row.version == 3

    # A writer holding an old version changes nothing.
    stale = SupplierWrite(
        kind="updated",
        values={"employees": 1},
        supplier_id=new.supplier_id,
        version=2,
        before=before,
    )
    with pytest.raises(StaleDataError):
        write(session.connection(), [stale], actor=SYSTEM)


def test_a_failure_in_the_middle_of_a_batch_leaves_nothing(engine: Engine) -> None:
    def counts(conn: Any) -> list[int]:
        return [
            conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()
            for table in writing.TOUCHED_TABLES
        ]

    with engine.connect() as conn:
        before = counts(conn)
    good = [SupplierCreate(**_same_facts(n)) for n in (10, 11)]
    writes = [
        SupplierWrite(
            kind="created",
            values=create_values(data),
            supply_chains=data.supply_chains,
            capabilities=data.capabilities,
            certifications=certificate_rows(data.certifications),
        )
        for data in good
    ]
    # The second supplier's certificate names no known standard: its insert fails last.
    writes[1].certifications = [{**writes[1].certifications[0], "standard_code": "no-such"}]  # type: ignore[index]
    with pytest.raises(Exception), engine.begin() as conn:  # noqa: B017 (driver's error)
        write(conn, writes, actor=SYSTEM)
    with engine.connect() as conn:
        assert counts(conn) == before


def test_seed_demo_leaves_planner_statistics_current(fresh_db_url: str) -> None:
    migrate(fresh_db_url)
    from app.db import build_engine

    engine = build_engine(fresh_db_url)
    try:
        seed_demo(engine=engine, suppliers=60, seed=5)
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                analyzed = conn.execute(
                    text(
                        "SELECT relname, last_analyze IS NOT NULL FROM pg_stat_user_tables "
                        "WHERE relname = ANY(:tables)"
                    ).bindparams(tables=list(writing.TOUCHED_TABLES)),
                ).all()
                assert dict(analyzed) == dict.fromkeys(writing.TOUCHED_TABLES, True)
                reltuples = conn.execute(
                    text("SELECT reltuples FROM pg_class WHERE relname = 'supplier'")
                ).scalar()
                assert reltuples == 60
            else:
                stats = conn.execute(text("SELECT DISTINCT tbl FROM sqlite_stat1")).scalars()
                assert {"supplier", "supplier_capability"} <= set(stats)
    finally:
        engine.dispose()


def test_a_large_import_refreshes_planner_statistics(
    session: Session, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importing, "ANALYZE_AFTER", 2)
    conn = session.connection()
    last = "SELECT pg_stat_get_last_analyze_time('supplier'::regclass)"
    before = conn.execute(text(last)).scalar() if backend == "postgresql" else None
    lines = "".join(json.dumps(_same_facts(n)) + "\n" for n in (20, 21)).encode()
    import_suppliers(
        session=session, stream=io.BytesIO(lines), fmt="jsonl", actor=SYSTEM, dry_run=False
    )
    if backend == "postgresql":
        conn.execute(text("SELECT pg_stat_clear_snapshot()"))  # statistics read afresh
        after = conn.execute(text(last)).scalar()
        assert after is not None and (before is None or after > before)
    else:
        stats = conn.execute(text("SELECT DISTINCT tbl FROM sqlite_stat1")).scalars()
        assert {"supplier", "change_event"} <= set(stats)
