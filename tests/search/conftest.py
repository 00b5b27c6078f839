"""A small, hand-checked supplier set for search tests."""

import math
from dataclasses import dataclass

import pytest

from tests.factories import supplier_payload

API = "/api/v1/suppliers"
VALID = {"issued_on": "2020-01-01", "expires_on": "2099-12-31"}
EXPIRED = {"issued_on": "2010-01-01", "expires_on": "2015-01-01"}

CITIES = {
    "Varese": (45.8206, 8.8251),
    "Milano": (45.4642, 9.1900),
    "Lecco": (45.8566, 9.3977),
    "Bergamo": (45.6983, 9.6773),
    "Pavia": (45.1847, 9.1582),
}


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def _supplier(n, name, city, province, **fields):
    lat, lon = CITIES[city]
    body = supplier_payload(
        n,
        name=name,
        legal_name=f"{name} S.r.l.",
        address={"city": city, "province": province},
        location={"lat": lat, "lon": lon},
        **fields,
    )
    return body


DATASET = [
    _supplier(
        1,
        "Meccanica Varesina",
        "Varese",
        "VA",
        employees=35,
        annual_revenue_eur=6_000_000,
        tier="tier2",
        verified=True,
        supply_chains=["rotary-wing"],
        capabilities=["machining.milling-5-axis", "machining.titanium"],
        certifications=[
            {"standard": "en-9100", "verification": "document", **VALID},
            {"standard": "nadcap-chemical-processing", "verification": "cluster-verified", **VALID},
        ],
        description="Fresatura a 5 assi di particolari in titanio per elicotteri.",
        programs=["AW139"],
    ),
    _supplier(
        2,
        "Aerotech Milano",
        "Milano",
        "MI",
        employees=120,
        annual_revenue_eur=30_000_000,
        tier="tier1",
        verified=False,
        supply_chains=["fixed-wing", "space"],
        capabilities=["composites.autoclave-curing", "engineering.design"],
        certifications=[
            {"standard": "en-9100", "issued_on": "2020-01-01", "expires_on": "2023-01-01"},
            {"standard": "iso-9001", **VALID},
        ],
        description="Autoclave curing of carbon fibre composite structures for trainer aircraft.",
        programs=["M-346"],
    ),
    _supplier(
        3,
        "Space Optics Lecco",
        "Lecco",
        "LC",
        employees=8,
        annual_revenue_eur=None,
        tier="tier3",
        verified=True,
        supply_chains=["space"],
        capabilities=["space-systems.optics", "testing.ndt.ultrasonic"],
        certifications=[
            {"standard": "en-9100", "status": "suspended", **VALID},
            {"standard": "iso-14001", "issued_on": "2023-01-01", "expires_on": "2026-12-31"},
        ],
        description="Optical payload assemblies and ultrasonic inspection for satellites.",
        programs=["Sentinel"],
    ),
    _supplier(
        4,
        "Elettronica Bergamasca",
        "Bergamo",
        "BG",
        employees=600,
        annual_revenue_eur=90_000_000,
        tier="tier2",
        verified=False,
        supply_chains=["rotary-wing", "fixed-wing"],
        capabilities=["electronics.pcb-assembly", "electronics.wire-harness"],
        certifications=[
            {"standard": "en-9100", "issued_on": "2090-01-01", "expires_on": "2095-01-01"},
            {"standard": "aqap-2110", **VALID},
        ],
        description="Assemblaggio di schede elettroniche e cablaggi per avionica.",
        programs=[],
    ),
    _supplier(
        5,
        "Trattamenti Superficiali Pavesi",
        "Pavia",
        "PV",
        employees=45,
        annual_revenue_eur=8_000_000,
        tier="tier3",
        verified=True,
        supply_chains=["rotary-wing"],
        capabilities=["surface-treatment.anodizing"],
        certifications=[
            {"standard": "nadcap-chemical-processing", **VALID},
            {"standard": "en-9100", "verification": "registry-verified", **VALID},
        ],
        description="Anodizzazione e trattamenti superficiali di qualità per l'industria "
        "aeronautica.",
        programs=[],
    ),
]
NAMES = [s["name"] for s in DATASET]


@dataclass
class Dataset:
    ids: dict[str, int]  # name -> id
    records: dict[int, dict]  # id -> full record as created

    def names(self, ids) -> set[str]:
        by_id = {v: k for k, v in self.ids.items()}
        return {by_id[i] for i in ids}


@pytest.fixture(params=["incremental", "rebuilt"])
def plan(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test on an index that followed the writes from the change feed, and on one
    rebuilt from the database (the dataset fixture searches once before writing)."""
    threshold = 10**9 if request.param == "incremental" else 0
    monkeypatch.setattr("app.search.engine.REBUILD_MIN", threshold)
    monkeypatch.setattr("app.search.engine.REBUILD_SHARE", 0 if threshold == 0 else 1.0)
    return request.param


@pytest.fixture
def dataset(client, admin) -> Dataset:
    assert client.get(API).status_code == 200  # the index exists before the writes
    ids, records = {}, {}
    for body in DATASET:
        response = client.post(API, json=body, headers=admin)
        assert response.status_code == 201, response.text
        ids[body["name"]] = response.json()["id"]
        records[response.json()["id"]] = response.json()
    gone = client.post(
        API,
        json=supplier_payload(99, name="Cancellata Aerospace", supply_chains=["space"]),
        headers=admin,
    ).json()
    assert client.delete(f"{API}/{gone['id']}", headers=admin).status_code == 204
    return Dataset(ids=ids, records=records)
