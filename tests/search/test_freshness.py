"""The search index follows every write: from the change feed, or rebuilt when the feed
cannot explain a change (a write without an event, a rolled-back transaction)."""

import time
from datetime import date

import pytest
from alembic import command
from sqlalchemy import text
from sqlmodel import Session

from app.auth.caller import SYSTEM
from app.auth.deps import Caller
from app.db import DEADLINE, DeadlineExceeded, alembic_config, build_engine
from app.search import engine as search_engine
from app.search.engine import engine_for
from app.search.schemas import SearchQuery
from app.search.service import search_suppliers
from app.suppliers.generation import data_generation
from app.suppliers.schemas import SupplierCreate
from app.suppliers.service import create_supplier
from tests.factories import supplier_payload

API = "/api/v1/suppliers"
FACETS = {"facets": "supply_chain,capability,certification,province,size_class,tier"}


@pytest.fixture
def supplier_id(client, admin) -> int:
    body = supplier_payload(1, supply_chains=["space"], capabilities=["machining.turning"])
    response = client.post(API, json=body, headers=admin)
    assert response.status_code == 201, response.text
    return response.json()["id"]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE supplier SET name = 'Rinominata' WHERE id = :id",
        "UPDATE supplier SET deleted_at = CURRENT_TIMESTAMP WHERE id = :id",
        "INSERT INTO supplier_supply_chain (supplier_id, supply_chain_code) "
        "VALUES (:id, 'rotary-wing')",
        "DELETE FROM supplier_capability WHERE supplier_id = :id",
        "INSERT INTO supplier_certification (supplier_id, standard_code, status, verification) "
        "VALUES (:id, 'iso-9001', 'active', 'self-declared')",
        "DELETE FROM supplier WHERE id = :id",
    ],
)
def test_every_supplier_write_changes_the_generation(session, supplier_id, statement):
    before = data_generation(session)
    session.execute(text(statement), {"id": supplier_id})
    assert data_generation(session) not in (None, before)


def test_reading_does_not_change_the_generation(client, session, supplier_id):
    before = data_generation(session)
    assert client.get(API, params=FACETS).status_code == 200
    assert client.get(f"{API}/{supplier_id}").status_code == 200
    assert data_generation(session) == before


def test_counts_follow_every_write_without_a_rebuild(client, session, admin, supplier_id):
    first = client.get(API, params=FACETS).json()
    engine = engine_for(session)
    builds = engine.builds

    body = supplier_payload(2, supply_chains=["space"], address={"province": "BG"})
    assert client.post(API, json=body, headers=admin).status_code == 201
    after = client.get(API, params=FACETS).json()
    assert after["total"] == first["total"] + 1
    assert after["facets"]["supply_chain"]["space"] == first["facets"]["supply_chain"]["space"] + 1
    assert after["facets"]["province"]["BG"] == first["facets"]["province"].get("BG", 0) + 1

    assert client.delete(f"{API}/{supplier_id}", headers=admin).status_code == 204
    assert client.get(API, params=FACETS).json()["total"] == first["total"]
    assert engine.builds == builds  # followed from the change feed


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE supplier SET deleted_at = CURRENT_TIMESTAMP WHERE id = :id",
        "DELETE FROM supplier_supply_chain WHERE supplier_id = :id",
        "UPDATE supplier SET province = 'BG' WHERE id = :id",
    ],
)
def test_a_write_without_an_event_rebuilds_the_index(client, session, supplier_id, statement):
    params = {"supply_chain": "space", "province": "VA"}
    assert [i["id"] for i in client.get(API, params=params).json()["items"]] == [supplier_id]
    builds = engine_for(session).builds
    session.execute(text(statement), {"id": supplier_id})
    assert client.get(API, params=params).json()["items"] == []
    assert engine_for(session).builds == builds + 1


def test_many_changes_at_once_rebuild_and_agree(client, session, admin, monkeypatch):
    client.get(API)
    for n in range(1, 5):
        body = supplier_payload(n, supply_chains=["space"], capabilities=["machining.turning"])
        assert client.post(API, json=body, headers=admin).status_code == 201
    followed = client.get(API, params=FACETS).json()
    monkeypatch.setattr(search_engine, "REBUILD_MIN", 0)
    monkeypatch.setattr(search_engine, "REBUILD_SHARE", 0)
    search_engine.forget_all()
    assert client.get(API, params=FACETS).json() == followed


def _provinces(session: Session) -> dict[str, int]:
    query = SearchQuery(valid_on=date.today(), sort="name", limit=1, facets=("province",))
    page = search_suppliers(session=session, query=query, caller=Caller(), descendants={})
    return page.facets["province"]


def test_a_rolled_back_write_never_poisons_the_index(fresh_db_url):
    # Two transactions doing the same statements: SQLite hands the rolled-back event's number
    # out again, so the index checks that the event it saw last is still there as it was.
    command.upgrade(alembic_config(fresh_db_url), "head")
    engine = build_engine(fresh_db_url)
    try:
        with Session(engine) as db:
            assert _provinces(db) == {}
        with Session(engine) as db:
            create_supplier(
                session=db,
                actor=SYSTEM,
                data=SupplierCreate(**supplier_payload(1, address={"province": "BG"})),
            )
            db.flush()
            assert _provinces(db) == {"BG": 1}  # indexed from the doomed transaction
            db.rollback()
        with Session(engine) as db:
            create_supplier(
                session=db,
                actor=SYSTEM,
                data=SupplierCreate(**supplier_payload(2, address={"province": "VA"})),
            )
            db.commit()
        with Session(engine) as db:
            assert _provinces(db) == {"VA": 1}
    finally:
        engine.dispose()


@pytest.fixture
def ranked(client, admin) -> list[int]:
    """Nine suppliers matching "anodizzazione" at four different ranks (ties broken by id)."""
    ids = []
    for n in range(1, 10):
        description = "Anodizzazione " * (1 + n % 4) + "di leghe leggere."
        body = supplier_payload(n, name=f"Officina {n}", description=description)
        response = client.post(API, json=body, headers=admin)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids


def _all_pages(client, q: str, limit: int) -> list[int]:
    ids, cursor = [], None
    while True:
        params = {"q": q, "limit": limit, **({"cursor": cursor} if cursor else {})}
        body = client.get(API, params=params).json()
        ids += [item["id"] for item in body["items"]]
        if (cursor := body["next_cursor"]) is None:
            return ids


def test_relevance_pages_visit_every_match_once(client, ranked):
    assert sorted(_all_pages(client, "anodizzazione", limit=3)) == sorted(ranked)
    assert _all_pages(client, "anodizzazione", limit=3) == _all_pages(
        client, "anodizzazione", limit=20
    )


def test_ranking_follows_a_write(client, admin, ranked):
    first = _all_pages(client, "anodizzazione", limit=20)
    body = supplier_payload(99, name="Anodizzazione")  # an exact name ranks first
    created = client.post(API, json=body, headers=admin).json()["id"]
    assert _all_pages(client, "anodizzazione", limit=20) == [created, *first]


def test_a_search_waits_for_the_index_only_until_its_deadline(session):
    engine = engine_for(session)
    deadline = DEADLINE.set(time.monotonic() + 0.2)
    engine.lock.acquire()  # a build under way elsewhere
    try:
        started = time.monotonic()
        with pytest.raises(DeadlineExceeded), engine.current(session):
            pass
        assert time.monotonic() - started < 1.5
    finally:
        engine.lock.release()
        DEADLINE.reset(deadline)
