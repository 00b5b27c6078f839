"""The search glossary: its admin API (`/synonyms`), the service the engine reads, and the
seeded glossary of revision 0013 as data."""

import importlib.util
import unicodedata
from pathlib import Path
from types import ModuleType

import pytest
from pydantic import ValidationError

from app.search import synonyms as service
from app.search.schemas import SynonymCreate
from tests.factories import supplier_payload

API = "/api/v1/synonyms"
MIGRATION = next(
    (Path(__file__).resolve().parents[2] / "migrations" / "versions").glob("*_0013_*.py")
)


def _revision() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_revision_0013", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GLOSSARY: list[list[str]] = [terms for terms, _note in _revision().GLOSSARY]


def _fold(text: str) -> str:
    bare = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    return " ".join(bare.casefold().split())


def _group_of(term: str, groups: list[list[str]]) -> set[str]:
    """The folded terms of the one group holding `term` (empty if none)."""
    found = [g for g in groups if _fold(term) in {_fold(t) for t in g}]
    assert len(found) <= 1, f"{term!r} is in {len(found)} groups"
    return {_fold(t) for t in found[0]} if found else set()


def _fields(response) -> list[list]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [e["loc"] for e in response.json()["errors"]]


def _create(client, admin, terms, note=None) -> dict:
    response = client.post(API, json={"terms": terms, "note": note}, headers=admin)
    assert response.status_code == 201, response.text
    return response.json()


# ---------------------------------------------------------------- the seeded glossary


def test_the_migration_seeded_the_glossary_in_order(session):
    assert service.load_synonyms(session.connection()) == GLOSSARY


def test_the_seeded_glossary_is_served(client):
    response = client.get(API)
    assert response.status_code == 200
    groups = response.json()
    assert [g["terms"] for g in groups] == GLOSSARY
    ndt = next(g for g in groups if "NDT" in g["terms"])
    assert "controlli non distruttivi" in ndt["terms"]
    assert ndt["created_at"] and ndt["updated_at"]


def test_every_seeded_group_is_a_valid_entry():
    assert 120 <= len(GLOSSARY) <= 200
    for terms in GLOSSARY:
        try:
            checked = SynonymCreate(terms=terms).terms
        except ValidationError as exc:  # pragma: no cover - the message names the group
            pytest.fail(f"{terms}: {exc}")
        assert checked == terms, "stored as the API would store it: trimmed, no repeats"


def test_no_term_is_in_two_groups():
    owners: dict[str, int] = {}
    for n, terms in enumerate(GLOSSARY):
        for term in terms:
            assert owners.setdefault(_fold(term), n) == n, f"{term!r} is in two groups"


# Each row: terms that must share one group.
EQUIVALENT = [
    ["NDT", "CND", "PnD", "controlli non distruttivi", "non-destructive testing"],
    ["penetrant inspection", "liquidi penetranti"],
    ["magnetic particle inspection", "magnetoscopia"],
    ["ultrasonic testing", "ultrasuoni"],
    ["radiography", "radiografia"],
    ["eddy current", "correnti indotte"],
    ["MRO", "manutenzione", "maintenance repair overhaul", "revisione"],
    ["AM", "additive manufacturing", "manifattura additiva", "stampa 3D", "3D printing"],
    ["LPBF", "laser powder bed fusion", "SLM", "DMLS"],
    ["DED", "directed energy deposition"],
    ["EDM", "elettroerosione", "electrical discharge machining"],
    ["CNC", "controllo numerico"],
    ["PCB", "circuiti stampati", "printed circuit board"],
    ["CFD", "fluidodinamica computazionale", "computational fluid dynamics"],
    ["MLI", "multi-layer insulation", "isolamento multistrato"],
    ["composites", "compositi", "fibra di carbonio", "carbon fibre", "CFRP"],
    ["titanium", "titanio"],
    ["aluminium", "aluminum", "alluminio"],
    ["steel", "acciaio"],
    ["helicopter", "elicottero", "elicotteri", "rotorcraft"],
    ["aircraft", "velivolo", "aereo"],
    ["satellite", "satellitare"],
    ["machining", "lavorazioni meccaniche", "lavorazione meccanica"],
    ["milling", "fresatura"],
    ["turning", "tornitura"],
    ["grinding", "rettifica"],
    ["welding", "saldatura"],
    ["sheet metal", "lamiera"],
    ["surface treatment", "trattamenti superficiali"],
    ["anodizing", "anodizzazione", "ossidazione anodica"],
    ["painting", "verniciatura"],
    ["heat treatment", "trattamento termico"],
    ["wire harness", "harness", "cablaggi", "cablaggio"],
    ["avionics", "avionica"],
    ["testing", "prove"],
    ["inspection", "collaudo"],
    ["clean room", "camera bianca"],
    ["thermal vacuum", "termovuoto"],
    ["gearbox", "trasmissione", "riduttore"],
    ["rotor blade", "pale"],
    ["landing gear", "carrello"],
    ["simulation", "simulazione"],
    ["training", "addestramento"],
    ["design", "progettazione"],
    ["engineering", "ingegneria"],
    ["assembly", "assemblaggio"],
    ["tooling", "attrezzature"],
    ["casting", "fusione"],
    ["forging", "forgiatura"],
    ["coating", "rivestimento"],
    ["plating", "galvanica"],
    ["sealing", "sigillatura"],
    ["hydraulics", "idraulica"],
    ["electronics", "elettronica"],
    ["RF", "radiofrequenza", "microwave", "microonde"],
    ["antenna", "antenne"],
    ["optics", "ottica"],
    ["sensors", "sensori"],
    ["propulsion", "propulsione"],
    ["thermal control", "controllo termico"],
    ["cleaning", "pulizia"],
    ["calibration", "taratura"],
    ["metrology", "metrologia"],
    ["CMM", "macchina di misura a coordinate"],
    ["quality", "qualità"],
    ["EN 9100", "AS9100"],
    ["Nadcap", "accreditamento Nadcap"],
    ["EASA Part 145", "Part 145"],
    ["EASA Part 21", "Part 21"],
    ["ISO 9001", "ISO9001"],
    ["UAV", "drone", "APR"],
    ["EMC", "compatibilità elettromagnetica"],
    ["FEM", "FEA", "analisi agli elementi finiti"],
    ["CAD", "computer-aided design"],
    ["CAM", "computer-aided manufacturing"],
    ["PLM", "product lifecycle management"],
    ["AOG", "aircraft on ground"],
    ["FAI", "first article inspection"],
    ["PPAP", "production part approval process"],
    ["LRU", "line replaceable unit"],
    ["ATE", "automatic test equipment"],
    ["OBC", "on-board computer"],
    ["AIT", "AIV", "assembly integration and test"],
    ["GSE", "ground support equipment"],
]


@pytest.mark.parametrize("terms", EQUIVALENT, ids=lambda terms: terms[0])
def test_the_trade_vocabulary_is_there(terms):
    group = _group_of(terms[0], GLOSSARY)
    assert group, f"no group holds {terms[0]!r}"
    missing = [t for t in terms if _fold(t) not in group]
    assert not missing, f"{missing} not with {terms[0]!r}"


# Pairs that must not be made equal: a different process or meaning for a buyer.
DIFFERENT = [
    ("NDT", "penetrant inspection"),
    ("NDT", "ultrasonic testing"),
    ("AM", "LPBF"),
    ("AM", "DED"),
    ("LPBF", "DED"),
    ("PCB", "PCBA"),
    ("GSE", "MGSE"),
    ("welding", "TIG welding"),
    ("composites", "glass fibre"),
    ("MRO", "repair"),
    ("testing", "inspection"),
    ("Part 21", "Part 21G"),
]


@pytest.mark.parametrize(("one", "other"), DIFFERENT, ids="/".join)
def test_narrower_terms_keep_their_own_groups(one, other):
    assert _fold(other) not in _group_of(one, GLOSSARY)


@pytest.mark.parametrize("term", ["amplitude modulation", "AI", "SAR", "ILS", "PT", "EO"])
def test_ambiguous_terms_are_left_out(term):
    assert not _group_of(term, GLOSSARY)


# ---------------------------------------------------------------- reading


def test_q_matches_any_term_ignoring_case_and_accents(client):
    groups = client.get(API, params={"q": "CONTROLLI NON"}).json()
    assert any("NDT" in g["terms"] for g in groups)
    assert all(any("controlli non" in t.casefold() for t in g["terms"]) for g in groups)
    assert any("qualità" in g["terms"] for g in client.get(API, params={"q": "qualita"}).json())
    assert client.get(API, params={"q": "no such term anywhere"}).json() == []


def test_q_is_limited(client):
    assert ["query", "q"] in _fields(client.get(API, params={"q": "x" * 81}))
    assert ["query", "q"] in _fields(client.get(API, params={"q": ""}))


def test_unknown_id_is_a_404_problem(client, admin):
    for response in (
        client.get(f"{API}/999999"),
        client.patch(f"{API}/999999", json={"note": "x"}, headers=admin),
        client.delete(f"{API}/999999", headers=admin),
    ):
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"


# ---------------------------------------------------------------- writing


def test_admin_creates_reads_changes_and_deletes_a_group(client, admin):
    response = client.post(
        API,
        json={"terms": ["  Shot peening ", "pallinatura", "SHOT PEENING"], "note": "demo"},
        headers=admin,
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["Location"].endswith(f"{API}/{created['id']}")
    assert created["terms"] == ["Shot peening", "pallinatura"]  # trimmed, repeat dropped
    assert created["note"] == "demo"
    assert client.get(f"{API}/{created['id']}").json() == created
    assert created["terms"] in [g["terms"] for g in client.get(API).json()]

    path = f"{API}/{created['id']}"
    unchanged = client.patch(path, json={"terms": created["terms"]}, headers=admin)
    assert unchanged.status_code == 200 and unchanged.json() == created  # no-op: same stamp

    changed = client.patch(
        path, json={"terms": ["peening", "pallinatura controllata", "pallinatura"]}, headers=admin
    ).json()
    assert changed["terms"] == ["peening", "pallinatura controllata", "pallinatura"]
    assert changed["note"] == "demo"  # absent: kept
    assert changed["updated_at"] >= created["updated_at"]
    assert changed["created_at"] == created["created_at"]

    cleared = client.patch(path, json={"note": None}, headers=admin).json()
    assert cleared["note"] is None and cleared["terms"] == changed["terms"]

    assert client.delete(path, headers=admin).status_code == 204
    assert client.get(path).status_code == 404
    assert created["id"] not in [g["id"] for g in client.get(API).json()]


def test_writes_are_audited(client, admin):
    created = _create(client, admin, ["hoist", "verricello"], note="rescue")
    path = f"{API}/{created['id']}"
    client.patch(path, json={"note": "rescue hoist"}, headers=admin)
    client.delete(path, headers=admin)
    events = client.get(
        "/api/v1/audit",
        params={"entity": "synonym", "entity_id": created["id"]},
        headers=admin,
    ).json()["items"]
    assert [(e["action"], e["fields"]) for e in events] == [
        ("delete", []),
        ("update", ["note"]),
        ("create", ["note", "terms"]),
    ]


@pytest.fixture
def other_keys(client, admin, make_key) -> dict[str, dict[str, str]]:
    supplier = client.post("/api/v1/suppliers", json=supplier_payload(1), headers=admin).json()
    return {
        "anonymous": {},
        "buyer": make_key("buyer"),
        "partner": make_key("partner"),
        "supplier": make_key("supplier", supplier_id=supplier["id"]),
    }


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 401), ("buyer", 403), ("partner", 403), ("supplier", 403)],
)
def test_only_admins_write_but_everyone_reads(client, admin, other_keys, who, status):
    headers = other_keys[who]
    existing = _create(client, admin, ["fairings", "carenature"])
    path = f"{API}/{existing['id']}"
    body = {"terms": ["radome", "radomi"]}
    for response in (
        client.post(API, json=body, headers=headers),
        client.patch(path, json=body, headers=headers),
        client.delete(path, headers=headers),
    ):
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
    assert client.get(path, headers=headers).json() == existing
    assert client.get(API, headers=headers).status_code == 200
    assert client.get(API, params={"q": "radom"}).json() == []


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"terms": ["alone"]}, ["body", "terms"]),
        ({"terms": ["NDT", "ndt", " NDT "]}, ["body", "terms"]),  # one term once repeats go
        ({"terms": [f"t{n}" for n in range(21)]}, ["body", "terms"]),
        ({"terms": ["ok", "x" * 81]}, ["body", "terms", 1]),
        ({"terms": ["ok", "   "]}, ["body", "terms", 1]),
        ({"terms": ["ok", "---"]}, ["body", "terms", 1]),
        ({"terms": ["ok", ""]}, ["body", "terms", 1]),
        ({"terms": ["ok", "a\x07b"]}, ["body", "terms", 1]),
        ({"terms": ["ok", 5]}, ["body", "terms", 1]),
        ({"terms": "NDT, CND"}, ["body", "terms"]),
        ({}, ["body", "terms"]),
        ({"terms": ["a1", "b2"], "note": "n" * 201}, ["body", "note"]),
        ({"terms": ["a1", "b2"], "notes": "typo"}, ["body", "notes"]),
    ],
)
def test_a_bad_body_is_a_422_naming_the_field(client, admin, body, loc):
    assert loc in _fields(client.post(API, json=body, headers=admin))


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"terms": None}, ["body", "terms"]),
        ({"terms": ["single"]}, ["body", "terms"]),
        ({"terms": ["ok", "!!"]}, ["body", "terms", 1]),
        ({"note": "n" * 201}, ["body", "note"]),
        ({"id": 5}, ["body", "id"]),
    ],
)
def test_a_bad_patch_is_a_422_naming_the_field(client, admin, body, loc):
    existing = _create(client, admin, ["fairings", "carenature"])
    assert loc in _fields(client.patch(f"{API}/{existing['id']}", json=body, headers=admin))
    assert client.get(f"{API}/{existing['id']}").json() == existing


def test_the_glossary_is_capped(client, admin, monkeypatch):
    held = len(client.get(API).json())
    monkeypatch.setattr(service, "SYNONYM_MAX_ENTRIES", held + 1)
    _create(client, admin, ["fairings", "carenature"])
    response = client.post(API, json={"terms": ["radome", "radomi"]}, headers=admin)
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert str(held + 1) in response.json()["detail"]


# ---------------------------------------------------------------- what the engine reads


def test_load_synonyms_and_the_stamp_follow_every_write(client, admin, session):
    connection = session.connection()
    before, stamp = service.load_synonyms(connection), service.synonyms_stamp(connection)
    created = _create(client, admin, ["fairings", "carenature"])
    after_create = service.synonyms_stamp(connection)
    assert service.load_synonyms(connection) == [*before, ["fairings", "carenature"]]
    assert after_create != stamp

    path = f"{API}/{created['id']}"
    client.patch(path, json={"terms": ["fairing", "carenatura"]}, headers=admin)
    assert service.load_synonyms(connection)[-1] == ["fairing", "carenatura"]
    after_update = service.synonyms_stamp(connection)
    assert after_update not in (stamp, after_create)

    client.delete(path, headers=admin)
    assert service.load_synonyms(connection) == before
    assert service.synonyms_stamp(connection) not in (after_create, after_update)
