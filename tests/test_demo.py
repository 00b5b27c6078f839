"""`escouting seed-demo`: the cluster's shape, determinism and appending, on both backends."""

import re
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, insert, select, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from app.cli import app
from app.db import build_engine
from app.suppliers.models import (
    Supplier,
    SupplierCapability,
    SupplierCertification,
    SupplierSupplyChain,
)
from app.suppliers.sizing import size_class
from app.suppliers.validation import normalize_vat
from tests.conftest import PG_URL, migrate

runner = CliRunner()
ITALIAN = re.compile(r"\b(di|per|con|offre|inoltre|specializzat[ao])\b")
ENGLISH = re.compile(r"\b(of|for|with|provides|offers|specialis(es|ing))\b")


def _seed(url: str, *args: str) -> str:
    result = runner.invoke(app, ["seed-demo", *args], env={"DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def db(fresh_db_url: str) -> Iterator[tuple[str, Engine]]:
    """A migrated empty database: its URL and an engine on it."""
    migrate(fresh_db_url)
    engine = build_engine(fresh_db_url)
    yield fresh_db_url, engine
    engine.dispose()


@pytest.fixture
def other_db(fresh_db_url: str, tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    """A second migrated empty database on the same backend as `fresh_db_url`."""
    if fresh_db_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'other.db'}"
        admin = None
    else:
        assert PG_URL
        name = f"escouting_t_{uuid.uuid4().hex[:10]}"
        admin = build_engine(PG_URL).execution_options(isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    migrate(url)
    engine = build_engine(url)
    try:
        yield url, engine
    finally:
        engine.dispose()
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def _snapshot(engine: Engine) -> list[tuple[Any, ...]]:
    """Every supplier with its links, in id order, without ids and timestamps' time zones."""
    with engine.connect() as conn:
        chains: dict[int, list[str]] = {}
        for supplier_id, code in conn.execute(
            select(SupplierSupplyChain.supplier_id, SupplierSupplyChain.supply_chain_code)
        ):
            chains.setdefault(supplier_id, []).append(code)
        capabilities: dict[int, list[str]] = {}
        for supplier_id, code in conn.execute(
            select(SupplierCapability.supplier_id, SupplierCapability.capability_code)
        ):
            capabilities.setdefault(supplier_id, []).append(code)
        certificates: dict[int, list[tuple[Any, ...]]] = {}
        cert = SupplierCertification
        for row in conn.execute(
            select(
                cert.supplier_id,
                cert.standard_code,
                cert.certificate_number,
                cert.issuer,
                cert.issued_on,
                cert.expires_on,
                cert.status,
                cert.verification,
            )
        ):
            certificates.setdefault(row[0], []).append(tuple(row[1:]))
        s = Supplier
        rows = conn.execute(
            select(
                s.id,
                s.name,
                s.legal_name,
                s.vat_number,
                s.description,
                s.city,
                s.province,
                s.postal_code,
                s.lat,
                s.lon,
                s.employees,
                s.annual_revenue_eur,
                s.tier,
                s.programs,
                s.contact_email,
                s.verified,
            ).order_by(s.id)
        )
        return [
            (
                *row[1:],
                sorted(chains.get(row.id, [])),
                sorted(capabilities.get(row.id, [])),
                sorted(certificates.get(row.id, [])),
            )
            for row in rows
        ]


def test_default_seed_reproduces_the_cluster(db: tuple[str, Engine]) -> None:
    url, engine = db
    assert "seeded 200 suppliers" in _seed(url)
    with engine.connect() as conn:
        suppliers = conn.execute(
            select(
                Supplier.id,
                Supplier.vat_number,
                Supplier.name,
                Supplier.province,
                Supplier.employees,
                Supplier.tier,
                Supplier.description,
                Supplier.verified,
            )
        ).all()
        chains = conn.execute(select(SupplierSupplyChain.supply_chain_code)).scalars().all()
        links = conn.execute(select(SupplierCapability.supplier_id)).scalars().all()
        certificates = conn.execute(
            select(SupplierCertification.expires_on, SupplierCertification.status)
        ).all()

    assert 180 <= len(suppliers) <= 230
    employees = [row.employees for row in suppliers]
    assert 19_000 <= sum(employees) <= 25_000
    big = [n for n in employees if n >= 1_000]
    assert 0 < len(big) <= 0.05 * len(suppliers) and sum(big) > 0.25 * sum(employees)
    assert sum(n < 250 for n in employees) >= 0.85 * len(suppliers)
    assert set(chains) == {"rotary-wing", "fixed-wing", "space"}
    provinces = Counter(row.province for row in suppliers)
    assert {code for code, _ in provinces.most_common(2)} == {"VA", "MI"}
    assert 0 < sum(row.tier == "oem" for row in suppliers) <= 0.05 * len(suppliers)
    assert all(2 <= n <= 8 for n in Counter(links).values())
    assert len({row.name for row in suppliers}) == len(suppliers)
    for row in suppliers:
        assert normalize_vat(row.vat_number) == row.vat_number
    assert 0.45 <= sum(row.verified for row in suppliers) / len(suppliers) <= 0.75

    # Company names may mix the languages ("Meccanica di Precisione", "Test Lab"): count words.
    languages = Counter(
        "it"
        if len(ITALIAN.findall(row.description)) > len(ENGLISH.findall(row.description))
        else "en"
        for row in suppliers
    )
    assert 0.45 <= languages["it"] / len(suppliers) <= 0.75 and languages["en"] > 0

    today = datetime.now(UTC).date()
    expired = sum(1 for c in certificates if c.expires_on is not None and c.expires_on < today)
    assert 0.05 <= expired / len(certificates) <= 0.25
    statuses = Counter(c.status for c in certificates)
    assert statuses["suspended"] > 0 and statuses["active"] > 0.8 * len(certificates)

    # --if-empty leaves a populated registry alone.
    assert "already present" in _seed(url, "--if-empty")
    with engine.connect() as conn:
        assert len(conn.execute(select(Supplier.id)).all()) == len(suppliers)


def test_same_seed_same_rows_other_seed_other_rows(
    db: tuple[str, Engine], other_db: tuple[str, Engine]
) -> None:
    (url, engine), (other_url, other_engine) = db, other_db
    _seed(url, "--suppliers", "120", "--seed", "7")
    _seed(other_url, "--suppliers", "120", "--seed", "7")
    first = _snapshot(engine)
    assert len(first) == 120
    assert first == _snapshot(other_engine)

    # Another seed, appended: different firms, and still no clash with the existing ones.
    _seed(other_url, "--suppliers", "120", "--seed", "8")
    appended = _snapshot(other_engine)[120:]
    # city, employees and capabilities of the n-th firm of each seed
    assert (
        sum(
            (a[4], a[9], a[-2]) == (b[4], b[9], b[-2]) for a, b in zip(first, appended, strict=True)
        )
        <= 2
    )
    assert sum(a[3] == b[3] for a, b in zip(first, appended, strict=True)) <= 2  # descriptions
    # The same seed again cannot reuse its VAT numbers or names.
    _seed(url, "--suppliers", "120", "--seed", "7")
    for rows in (_snapshot(engine), _snapshot(other_engine)):
        assert len(rows) == 240
        assert len({row[0] for row in rows}) == 240  # names
        assert len({row[2] for row in rows}) == 240  # VAT numbers


def test_larger_set_sizes_and_search_text(db: tuple[str, Engine]) -> None:
    url, engine = db
    with engine.connect() as conn:
        triggers = conn.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
            if engine.dialect.name == "sqlite"
            else text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY tgname")
        ).all()
    # On an empty registry --if-empty seeds.
    assert "seeded 2000 suppliers" in _seed(url, "--suppliers", "2000", "--if-empty")
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                Supplier.id,
                Supplier.employees,
                Supplier.annual_revenue_eur,
                Supplier.size_class,
                Supplier.programs,
            ).order_by(Supplier.id)
        ).all()
        labels = {
            code: (en, it)
            for code, en, it in conn.execute(text("SELECT code, name_en, name_it FROM capability"))
        }
        capabilities: dict[int, list[str]] = {}
        for supplier_id, code in conn.execute(
            select(SupplierCapability.supplier_id, SupplierCapability.capability_code).order_by(
                SupplierCapability.supplier_id, SupplierCapability.capability_code
            )
        ):
            capabilities.setdefault(supplier_id, []).append(code)
        assert (
            conn.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
                if engine.dialect.name == "sqlite"
                else text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY tgname")
            ).all()
            == triggers
        )

    assert len(rows) == 2000
    assert [row.id for row in rows] == list(range(1, 2001))
    assert Counter(row.size_class for row in rows).keys() == {"micro", "small", "medium", "large"}
    for row in rows:
        assert row.size_class == size_class(row.employees, row.annual_revenue_eur), row
        assert set(capabilities[row.id]) <= labels.keys(), row

    # Ids continue after the demo rows (the PostgreSQL sequences were moved on).
    now = datetime.now(UTC)
    with engine.begin() as conn:
        new_id = conn.execute(
            insert(Supplier.__table__).returning(Supplier.__table__.c.id),
            {
                "name": "Dopo la demo",
                "vat_number": "DE123456789",
                "description": "",
                "country": "IT",
                "programs": [],
                "verified": False,
                "created_at": now,
                "updated_at": now,
                "version": 1,
            },
        ).scalar_one()
        assert new_id == 2001
        conn.execute(
            insert(SupplierCertification.__table__),
            {"supplier_id": new_id, "standard_code": "iso-9001", "status": "active"},
        )
