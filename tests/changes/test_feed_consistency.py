"""The feed under real commits: bulk loads, the migration backfill, concurrent writers."""

import threading
import time

from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session

from app.auth.caller import SYSTEM
from app.config import Settings
from app.db import alembic_config
from app.db.sqlite import WRITE_INTENT as SQLITE_WRITE_INTENT
from app.demo import seed_demo
from app.main import create_app
from app.suppliers.schemas import SupplierUpdate
from app.suppliers.service import get_supplier, update_supplier
from tests.changes.test_feed import _apply, _replay
from tests.conftest import committed_admin_key, migrate, serve_database
from tests.factories import supplier_payload

API = "/api/v1/suppliers"


def _app_on(url, monkeypatch, *, pool_size=10):
    engine = serve_database(url, monkeypatch, pool_size=pool_size)
    return engine, create_app(Settings(rate_limit_enabled=False)), committed_admin_key(engine)


def _all_live(client, admin):
    ids, cursor = [], None
    while True:
        params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        page = client.get(API, params=params).json()
        ids += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            records = {sid: client.get(f"{API}/{sid}", headers=admin).json() for sid in ids}
            for record in records.values():
                del record["labels"]  # GET labels the record's codes; the feed labels per page
            return records


def test_bulk_loaded_and_pre_feed_suppliers_replay_to_the_live_set(fresh_db_url, monkeypatch):
    config = alembic_config(fresh_db_url)
    command.upgrade(config, "head")
    engine, app, admin = _app_on(fresh_db_url, monkeypatch)
    try:
        seed_demo(engine=engine, suppliers=12, seed=3)  # bulk path: events without payload
        with TestClient(app) as client:
            events, _ = _replay(client, admin, limit=5)
            assert [e["type"] for e in events] == ["supplier.created"] * 12
            assert _apply({}, events) == _all_live(client, admin)

        # Back to before the feed existed, delete one supplier there, and up again: the
        # migration backfills one `created` event per live supplier, in id order.
        engine.dispose()
        command.downgrade(config, "0006")
        with engine.begin() as conn:
            conn.execute(text("UPDATE supplier SET deleted_at = CURRENT_TIMESTAMP WHERE id = 4"))
        command.upgrade(config, "head")
        with TestClient(app) as client:
            events, _ = _replay(client, admin)
            assert [e["supplier_id"] for e in events] == [i for i in range(1, 13) if i != 4]
            assert _apply({}, events) == _all_live(client, admin)
    finally:
        engine.dispose()


def test_a_reader_during_concurrent_writes_misses_nothing(fresh_db_url, monkeypatch):
    migrate(fresh_db_url)
    engine, app, admin = _app_on(fresh_db_url, monkeypatch, pool_size=12)
    try:
        with TestClient(app) as client:
            ids = [
                client.post(API, json=supplier_payload(n), headers=admin).json()["id"]
                for n in range(1, 7)
            ]
        writers_done = threading.Event()
        errors: list[str] = []

        def slow_writer(sid: int) -> None:
            # Writes, then keeps its transaction open: on PostgreSQL, a later writer that drew
            # a higher sequence number and committed first would make a reader skip this one.
            # A writer's transaction, as a write request's: on SQLite it takes the write lock
            # when it begins (a reader could not upgrade once another writer had committed).
            writer = engine.execution_options(**{SQLITE_WRITE_INTENT: True})
            try:
                with Session(writer, expire_on_commit=False) as session:
                    supplier = get_supplier(session=session, supplier_id=sid)
                    data = SupplierUpdate(employees=999)
                    update_supplier(session=session, supplier=supplier, data=data, caller=SYSTEM)
                    session.flush()
                    time.sleep(0.3)
                    session.commit()
            except Exception as exc:  # fail the test, not just the thread
                errors.append(f"slow writer: {exc}")

        def http_writer(offset: int) -> None:
            with TestClient(app) as client:
                for n in range(8):
                    serial = 100 + offset * 10 + n
                    response = client.post(API, json=supplier_payload(serial), headers=admin)
                    if response.status_code != 201:
                        errors.append(response.text)
                    client.patch(f"{API}/{ids[n % 6]}", json={"employees": n + 1}, headers=admin)

        seen: list[int] = []

        def reader() -> None:
            with TestClient(app) as client:
                cursor = None
                while True:
                    finished = writers_done.is_set()
                    events, cursor = _replay(client, admin, after=cursor, limit=3)
                    seen.extend(int(e["id"]) for e in events)
                    if finished:
                        return

        threads = [threading.Thread(target=slow_writer, args=(ids[0],))]
        threads += [threading.Thread(target=http_writer, args=(k,)) for k in range(3)]
        feed_reader = threading.Thread(target=reader)
        feed_reader.start()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        writers_done.set()
        feed_reader.join()

        assert errors == []
        with engine.connect() as conn:
            committed = list(
                conn.execute(text("SELECT seq FROM change_event ORDER BY seq")).scalars()
            )
        assert seen == committed  # in order, none skipped, none twice
        with TestClient(app) as client:
            events, _ = _replay(client, admin)
            assert _apply({}, events) == _all_live(client, admin)
    finally:
        engine.dispose()
