"""Ranking: monotonic in coverage, explained item by item, paged in a stable order."""

import itertools

import pytest

from app.scouting import weights
from tests.factories import supplier_payload
from tests.scouting.conftest import (
    API,
    NEEDED_BY,
    SUPPLIERS,
    all_matches,
    cert,
    day,
    post_request,
)

REQUIRED = ["machining.milling-5-axis", "testing.ndt", "composites.autoclave-curing"]


def by_name(items) -> dict[str, dict]:
    return {item["supplier"]["name"].removesuffix(" Aerospace"): item for item in items}


def test_explanations(client, world):
    request = post_request(client, world.buyer)
    items = by_name(all_matches(client, request["id"], world.buyer))
    alfa = items["Alfa"]
    matched = {(e["criterion"], e["code"]): e["detail"] for e in alfa["matched"]}
    missing = {(e["criterion"], e["code"]): e["detail"] for e in alfa["missing"]}
    assert matched[("supply_chain", "rotary-wing")] == "serves the rotary-wing supply chain"
    assert "registry-verified" in matched[("required_certification", "en-9100")]
    assert matched[("required_capability", "machining.milling-5-axis")] == (
        "has machining.milling-5-axis"
    )
    assert matched[("required_capability", "testing.ndt")] == (
        "has testing.ndt.ultrasonic, within testing.ndt"
    )
    assert ("preferred_capability", "surface-treatment.anodizing") in missing
    assert matched[("province", "VA")] == "located in VA"
    assert matched[("size_class", "small")] == "small company"
    assert "fresatura" in matched[("text", None)] and "titanio" in matched[("text", None)]
    assert alfa["warnings"] == []
    assert alfa["components"]["required_capabilities"] == 1
    assert alfa["components"]["certificate_trust"] == 1
    assert alfa["supplier"]["contact"]["email"] == "mario.rossi@example.com"

    beta = items["Beta"]
    assert {e["code"] for e in beta["missing"] if e["criterion"] == "required_capability"} == {
        "testing.ndt"
    }
    assert beta["components"]["required_capabilities"] == 0.5
    assert beta["components"]["certificate_trust"] == 0.25  # self-declared
    assert ("supply_chain", "space") in {(e["criterion"], e["code"]) for e in beta["matched"]}

    eta = items["Eta"]
    assert [(w["criterion"], w["code"]) for w in eta["warnings"]] == [
        ("certificate_lapses", "iso-9001")
    ]
    assert "ISO-77" in eta["warnings"][0]["detail"] and NEEDED_BY in eta["warnings"][0]["detail"]
    # Alfa covers both required capabilities and is registry-verified: first.
    ranked = [i["supplier"]["name"] for i in all_matches(client, request["id"], world.buyer)]
    assert ranked[0] == "Alfa Aerospace"
    for item in items.values():
        assert 0 <= item["score"] <= 1
        assert item["score"] == pytest.approx(weights.score(item["components"]), abs=1e-6)


def test_near_explained(client, world):
    # Milano is ~50 km from the Varese location every test supplier has.
    request = post_request(
        client, world.buyer, provinces=[], near={"lat": 45.4642, "lon": 9.19, "radius_km": 100}
    )
    item = all_matches(client, request["id"], world.buyer)[0]
    assert 45 < item["supplier"]["distance_km"] < 55
    near = next(e for e in item["matched"] if e["criterion"] == "near")
    assert "km from the requested point (radius 100 km)" in near["detail"]
    assert item["components"]["proximity"] == pytest.approx(
        1 - item["supplier"]["distance_km"] / 100, abs=1e-3
    )
    request = post_request(
        client, world.buyer, provinces=[], near={"lat": 45.4642, "lon": 9.19, "radius_km": 20}
    )
    item = all_matches(client, request["id"], world.buyer)[0]
    assert any(e["criterion"] == "near" for e in item["missing"])
    assert item["components"]["proximity"] == 0


@pytest.mark.parametrize("covered", [0, 1, 2])
def test_more_required_coverage_never_ranks_lower(client, admin, make_key, covered):
    """Two suppliers identical but for one more required capability: the fuller one ranks
    above, although it was created later (so the id tie-break would favour the other)."""
    buyer = make_key("buyer")
    pairs = []
    for fewer in itertools.combinations(REQUIRED, covered):
        extra = next(c for c in REQUIRED if c not in fewer)
        ids = []
        for n, capabilities in enumerate((list(fewer), [*fewer, extra])):
            body = supplier_payload(
                100 + len(pairs) * 2 + n,
                name=f"Pair {len(pairs)} {n}",
                description="Lavorazioni meccaniche di precisione.",
                capabilities=capabilities,
                certifications=[cert()],
            )
            response = client.post(SUPPLIERS, json=body, headers=admin)
            assert response.status_code == 201, response.text
            ids.append(response.json()["id"])
        pairs.append(ids)
    request = post_request(
        client,
        buyer,
        required_capabilities=REQUIRED,
        preferred_capabilities=[],
        description="Lavorazioni meccaniche di precisione",
    )
    items = all_matches(client, request["id"], buyer)
    order = [item["supplier"]["id"] for item in items]
    scores = {item["supplier"]["id"]: item["score"] for item in items}
    for lesser, fuller in pairs:
        assert scores[fuller] > scores[lesser]
        assert order.index(fuller) < order.index(lesser)


def test_score_is_monotonic_in_every_component():
    """Property: raising any one component never lowers the score."""
    names = list(weights.WEIGHTS)
    levels = [0.0, 0.25, 0.5, 1.0]
    for name in names:
        for others in itertools.product([None, 0.0, 0.5, 1.0], repeat=2):
            base = {n: None for n in names}
            base[names[(names.index(name) + 1) % len(names)]] = others[0]
            base[names[(names.index(name) + 2) % len(names)]] = others[1]
            scores = [weights.score({**base, name: level}) for level in levels]
            assert scores == sorted(scores)
            if others[0] is not None or others[1] is not None:
                assert scores[-1] > scores[0]
    assert weights.WEIGHTS["required_capabilities"] == max(weights.WEIGHTS.values())
    assert sum(weights.WEIGHTS.values()) == pytest.approx(1.0)


def test_paging_visits_every_match_once_in_order(client, world):
    request = post_request(client, world.buyer, required_certifications=[])
    whole = client.get(
        f"{API}/{request['id']}/matches", params={"limit": 100}, headers=world.buyer
    ).json()
    assert whole["next_cursor"] is None and whole["total"] == len(whole["items"]) == 8
    paged = all_matches(client, request["id"], world.buyer, limit=3)
    assert [i["supplier"]["id"] for i in paged] == [i["supplier"]["id"] for i in whole["items"]]
    keys = [(-i["score"], i["supplier"]["id"]) for i in paged]
    assert keys == sorted(keys)


def test_foreign_and_tampered_cursors_are_422(client, world):
    first = post_request(client, world.buyer, required_certifications=[])
    second = post_request(client, world.buyer, required_certifications=[])
    page = client.get(f"{API}/{first['id']}/matches", params={"limit": 2}, headers=world.buyer)
    cursor = page.json()["next_cursor"]
    for request_id, value in ((second["id"], cursor), (first["id"], cursor[:-2] + "xx")):
        response = client.get(
            f"{API}/{request_id}/matches", params={"cursor": value}, headers=world.buyer
        )
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"


def test_lapsing_certificates_only_before_needed_by(client, world):
    request = post_request(client, world.buyer, needed_by=day(50))
    eta = by_name(all_matches(client, request["id"], world.buyer))["Eta"]
    assert eta["warnings"] == []  # ISO 9001 expires on day 60, after needed_by
    request = post_request(client, world.buyer, needed_by=None)
    eta = by_name(all_matches(client, request["id"], world.buyer))["Eta"]
    assert eta["warnings"] == []  # nothing to lapse before


def test_description_terms():
    terms = weights.description_terms(
        "Cerchiamo fornitori per la fresatura a 5 assi, with NDT testing of the parts"
    )
    assert terms == ["fresatura", "assi", "ndt", "testing", "parts"]
