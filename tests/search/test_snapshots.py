"""Index snapshots: a starting worker loads the last build's snapshot and follows the change
feed from there; anything unreadable, foreign or out of date is rebuilt from the database."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, text
from sqlmodel import Session

from app.auth.caller import SYSTEM
from app.db import alembic_config, build_engine
from app.search.engine import SNAPSHOT_FILE, SearchEngine
from app.suppliers.schemas import SupplierCreate
from app.suppliers.service import create_supplier
from tests.factories import supplier_payload


@pytest.fixture
def database(fresh_db_url: str) -> Iterator[Engine]:
    command.upgrade(alembic_config(fresh_db_url), "head")
    engine = build_engine(fresh_db_url)
    yield engine
    engine.dispose()


def _add(engine: Engine, n: int, **fields) -> int:
    with Session(engine) as db:
        supplier = create_supplier(
            session=db, actor=SYSTEM, data=SupplierCreate(**supplier_payload(n, **fields))
        )
        db.commit()
        return supplier.id


def _live(engine: Engine, search: SearchEngine) -> set[int]:
    with Session(engine) as db, search.current(db) as index:
        return {int(index.supplier.data[doc]) for doc in index.live}


def test_a_new_worker_loads_the_snapshot_and_follows_the_feed(database, tmp_path: Path):
    first = _add(database, 1)
    builder = SearchEngine(tmp_path)
    assert _live(database, builder) == {first}
    assert (builder.builds, (tmp_path / SNAPSHOT_FILE).exists()) == (1, True)

    second = _add(database, 2)
    starter = SearchEngine(tmp_path)
    assert _live(database, starter) == {first, second}
    assert (starter.builds, starter.restores, starter.applied) == (0, 1, 1)


def test_an_unreadable_snapshot_is_rebuilt(database, tmp_path: Path):
    first = _add(database, 1)
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / SNAPSHOT_FILE).write_bytes(b"not a pickle")
    engine = SearchEngine(tmp_path)
    assert _live(database, engine) == {first}
    assert (engine.builds, engine.restores) == (1, 0)
    assert SearchEngine(tmp_path)._restore()  # the rebuild wrote a good one


def test_a_snapshot_others_could_write_is_never_loaded(database, tmp_path: Path):
    first = _add(database, 1)
    _live(database, SearchEngine(tmp_path))
    (tmp_path / SNAPSHOT_FILE).chmod(0o666)
    engine = SearchEngine(tmp_path)
    assert _live(database, engine) == {first}
    assert (engine.builds, engine.restores) == (1, 0)


def test_a_snapshot_of_other_data_is_rebuilt(database, tmp_path: Path):
    first = _add(database, 1)
    _live(database, SearchEngine(tmp_path))
    with Session(database) as db:  # the event the snapshot saw last is gone
        db.execute(text("DELETE FROM change_event"))
        db.commit()
    second = _add(database, 2)
    engine = SearchEngine(tmp_path)
    assert _live(database, engine) == {first, second}
    assert (engine.builds, engine.restores) == (1, 1)
