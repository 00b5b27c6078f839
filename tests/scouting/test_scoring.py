"""The ranking on the search index (`app.scouting.ranking`) against the explained ranking.

Every candidate's score is computed on the index, in numpy; the page explains it component by
component in Python (`explanations.assess`, from the database). Over suppliers that differ in
every component, the two must agree, and the description words the index finds must be the
ones each profile holds.
"""

import itertools

import pytest

from app.scouting import explanations, ranking, weights
from app.scouting.models import ScoutingRequest
from app.scouting.schemas import MAX_CODES
from app.suppliers.validation import PROVINCES
from tests.factories import supplier_payload
from tests.scouting.conftest import API, SUPPLIERS, all_matches, cert

CAPABILITIES = [
    "machining.milling-5-axis",
    "testing.ndt.ultrasonic",
    "surface-treatment.anodizing",
    "composites.autoclave-curing",
]
PLACES = [  # (province, city, location)
    ("VA", "Varese", {"lat": 45.82, "lon": 8.83}),
    ("MI", "Milano", {"lat": 45.47, "lon": 9.19}),
    ("BG", "Bergamo", {"lat": 45.70, "lon": 9.67}),
    ("VA", "Varese", None),
]
EMPLOYEES = [35, 120, 5]  # small, medium, micro
WORDS = ["inconel", "ingranaggi", "carrelli"]  # in no capability label
LEVELS = list(weights.TRUST)


def supplier(n: int, capabilities: list[str]) -> dict:
    province, city, location = PLACES[n % len(PLACES)]
    words = [w for i, w in enumerate(WORDS) if n >> i & 1]
    return supplier_payload(
        200 + n,
        name=f"Scoring {n}",
        description=" ".join(["Officina meccanica", *words]) + ".",
        address={"city": city, "province": province, "country": "IT"},
        location=location,
        employees=EMPLOYEES[n % len(EMPLOYEES)],
        annual_revenue_eur=None,
        capabilities=capabilities,
        certifications=[cert(verification=LEVELS[n % len(LEVELS)])],
        programs=[],
    )


@pytest.fixture
def varied(client, admin) -> dict[int, dict]:
    """16 suppliers: every subset of four capabilities, with places, sizes, trust levels and
    description words cycling at different periods. Supplier id -> its payload."""
    made = {}
    subsets = itertools.chain.from_iterable(
        itertools.combinations(CAPABILITIES, k) for k in range(len(CAPABILITIES) + 1)
    )
    for n, capabilities in enumerate(subsets):
        body = supplier(n, list(capabilities))
        response = client.post(SUPPLIERS, json=body, headers=admin)
        assert response.status_code == 201, response.text
        made[response.json()["id"]] = body
    return made


def test_index_scores_equal_explained_scores(client, make_key, varied):
    buyer = make_key("buyer")
    body = {
        "title": "Every component",
        "description": "Inconel ingranaggi carrelli",
        "supply_chains": ["rotary-wing"],
        "required_capabilities": ["machining.milling-5-axis", "testing.ndt"],
        "preferred_capabilities": ["surface-treatment.anodizing"],
        "required_certifications": ["en-9100"],
        "provinces": ["VA"],
        "near": {"lat": 45.47, "lon": 9.19, "radius_km": 60},
        "size_classes": ["small"],
    }
    request = client.post(API, json=body, headers=buyer)
    assert request.status_code == 201, request.text
    items = all_matches(client, request.json()["id"], buyer, limit=5)
    assert sorted(item["supplier"]["id"] for item in items) == sorted(varied)
    keys = [(-item["score"], item["supplier"]["id"]) for item in items]
    assert keys == sorted(keys)
    for item in items:
        payload = varied[item["supplier"]["id"]]
        components = item["components"]
        assert set(components) == set(weights.WEIGHTS)  # every component asked for
        assert item["score"] == pytest.approx(weights.score(components), abs=1e-6)
        # The words the index found in the profile are exactly those it holds.
        wanted = [w for w in WORDS if w in payload["description"]]
        mentioned = [e["detail"] for e in item["matched"] if e["criterion"] == "text"]
        assert mentioned == (["profile mentions: " + ", ".join(wanted)] if wanted else [])
        assert components["text"] == pytest.approx(len(wanted) / len(WORDS), abs=1e-6)
        held = set(payload["capabilities"])
        required = {"machining.milling-5-axis", "testing.ndt.ultrasonic"} & held
        assert components["required_capabilities"] == len(required) / 2
        assert components["preferred_capabilities"] == (
            1 if "surface-treatment.anodizing" in held else 0
        )
        level = payload["certifications"][0]["verification"]
        assert components["certificate_trust"] == weights.TRUST[level]
        assert components["size"] == (1 if payload["employees"] == 35 else 0)
        province = payload["address"]["province"]
        if province == "VA":
            assert components["proximity"] == 1
        elif payload["location"] is None:
            assert components["proximity"] == 0
        else:
            distance = item["supplier"]["distance_km"]  # shown to the metre: 1e-5 of 60 km
            assert components["proximity"] == pytest.approx(max(0, 1 - distance / 60), abs=1e-5)


def test_components_not_asked_are_left_out(client, make_key, varied):
    buyer = make_key("buyer")
    body = {
        "title": "Chains and one capability",
        "description": "per le",  # no meaningful word
        "supply_chains": ["rotary-wing"],
        "required_capabilities": ["testing.ndt"],
    }
    request = client.post(API, json=body, headers=buyer)
    assert request.status_code == 201, request.text
    items = all_matches(client, request.json()["id"], buyer)
    assert len(items) == len(varied)
    for item in items:
        assert list(item["components"]) == ["required_capabilities"]
        assert item["score"] == item["components"]["required_capabilities"]
    # Covering the one required capability is all that is asked: those score 1, the rest 0.
    scores = [item["score"] for item in items]
    assert scores == sorted(scores, reverse=True) and set(scores) == {0, 1}


def test_a_request_asking_for_everything(client, make_key, varied):
    """The largest request the schema allows ranks every supplier."""
    buyer = make_key("buyer")
    capabilities = [c["code"] for c in client.get("/api/v1/capabilities").json()]
    standards = [s["code"] for s in client.get("/api/v1/certification-standards").json()]
    assert len(capabilities) > 50 and len(standards) > 1
    words = " ".join(f"parola{n}" for n in range(40))  # more words than are ranked
    body = {
        "title": "Everything",
        "description": f"Inconel {words}",
        "supply_chains": ["rotary-wing", "fixed-wing", "space"],
        "required_capabilities": capabilities[:50],
        "preferred_capabilities": capabilities[-50:],
        "required_certifications": ["en-9100"],
        "provinces": ["VA", "MI", "BG"],
        "near": {"lat": 45.47, "lon": 9.19, "radius_km": 500},
        "size_classes": ["micro", "small", "medium", "large"],
    }
    request = client.post(API, json=body, headers=buyer).json()
    items = all_matches(client, request["id"], buyer, limit=100)
    assert len(items) == len(varied)
    for item in items:
        assert item["score"] == pytest.approx(weights.score(item["components"]), abs=1e-6)
    body |= {"required_certifications": standards[:50]}  # nobody holds them all
    request = client.post(API, json=body, headers=buyer).json()
    assert all_matches(client, request["id"], buyer) == []


def test_a_request_at_every_cap(client, make_key, varied):
    """Every list at its cap, a long description, a point, no required certification (the
    costliest request): the index's components are the explained ones, and the capability
    coverage is what the tree says (a code covers itself and every code below it)."""
    buyer = make_key("buyer")
    capabilities = [c["code"] for c in client.get("/api/v1/capabilities").json()]
    others = sorted(PROVINCES - {"VA", "MI", "BG"})  # Bergamo ranks by distance
    provinces = ["VA", "MI", *others[: MAX_CODES - 2]]
    filler = " ".join(f"parola{n}" for n in range(60))
    body = {
        "title": "At every cap",
        "description": f"Inconel ingranaggi carrelli {filler}",
        "supply_chains": ["rotary-wing", "fixed-wing", "space"],
        "required_capabilities": capabilities[:MAX_CODES],
        "preferred_capabilities": capabilities[-MAX_CODES:],
        "provinces": provinces,
        "near": {"lat": 45.82, "lon": 8.83, "radius_km": 80},
        "size_classes": ["micro", "small", "medium", "large"],
    }
    response = client.post(API, json=body, headers=buyer)
    assert response.status_code == 201, response.text
    items = all_matches(client, response.json()["id"], buyer, limit=7)
    assert sorted(item["supplier"]["id"] for item in items) == sorted(varied)

    def share(wanted: list[str], held: set[str]) -> float:
        covered = [c for c in wanted if any(h == c or h.startswith(f"{c}.") for h in held)]
        return round(len(covered) / len(wanted), weights.SCORE_DIGITS)

    for item in items:
        payload = varied[item["supplier"]["id"]]
        components = item["components"]
        assert set(components) == set(weights.WEIGHTS) - {"certificate_trust"}
        # Components are shown rounded to 6 digits (1/12 of the words, 7/50 of the codes...):
        # recomputed from them, the score may differ by the rounding, never by a criterion.
        assert item["score"] == pytest.approx(weights.score(components), abs=2e-6)
        held = set(payload["capabilities"])
        assert components["required_capabilities"] == share(body["required_capabilities"], held)
        assert components["preferred_capabilities"] == share(body["preferred_capabilities"], held)
        wanted = [w for w in WORDS if w in payload["description"]]
        assert components["text"] == pytest.approx(len(wanted) / weights.MAX_TERMS, abs=1e-6)
        assert components["size"] == 1
        if payload["address"]["province"] != "BG":
            assert components["proximity"] == 1
        else:
            distance = item["supplier"]["distance_km"]
            assert components["proximity"] == pytest.approx(1 - distance / 80, abs=1e-5)


def test_every_candidate_scores_as_explained(client, session, make_key, varied):
    """`ranking.rank` gives every candidate exactly the score `explanations.assess` explains
    (the same weighted mean, the same rounding), and the order (-score, id)."""
    buyer = make_key("buyer")
    body = {
        "title": "Every component",
        "description": "Inconel ingranaggi carrelli",
        "supply_chains": ["rotary-wing"],
        "required_capabilities": ["machining", "testing.ndt"],
        "preferred_capabilities": ["surface-treatment.anodizing", "composites"],
        "required_certifications": ["en-9100"],
        "provinces": ["VA"],
        "near": {"lat": 45.47, "lon": 9.19, "radius_km": 60},
        "size_classes": ["small", "micro"],
    }
    created = client.post(API, json=body, headers=buyer)
    assert created.status_code == 201, created.text
    request = session.get(ScoutingRequest, created.json()["id"])
    criteria = ranking.criteria_of(session=session, request=request)
    rows = ranking.rank(session=session, criteria=criteria).rows()
    assert rows == sorted(rows) and sorted(sid for _, sid, _ in rows) == sorted(varied)
    facts = explanations.gather(session=session, criteria=criteria, ids=[sid for _, sid, _ in rows])
    for negative, supplier_id, words in rows:
        facts[supplier_id].text_hits = {i for i in range(words.bit_length()) if words >> i & 1}
        assert -negative == explanations.assess(criteria, facts[supplier_id]).score
