"""Knock-outs: exactly the suppliers that serve a chain and hold every required certificate."""

import pytest

from tests.scouting.conftest import (
    API,
    MATCH_ON_NEEDED_BY,
    MATCH_TODAY,
    all_matches,
    day,
    post_request,
)


def matched_names(client, world, request_id, **params) -> set[str]:
    items = all_matches(client, request_id, world.buyer, **params)
    ids = [item["supplier"]["id"] for item in items]
    assert len(ids) == len(set(ids))
    return world.names(ids)


def test_knockouts_on_needed_by(client, world):
    request = post_request(client, world.buyer)
    assert matched_names(client, world, request["id"]) == MATCH_ON_NEEDED_BY


def test_knockouts_today_without_needed_by(client, world):
    request = post_request(client, world.buyer, needed_by=None)
    assert matched_names(client, world, request["id"]) == MATCH_TODAY


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"supply_chains": ["space"]}, {"Beta", "Kappa"}),
        ({"supply_chains": ["fixed-wing"]}, {"Gamma", "Eta"}),
        ({"supply_chains": ["fixed-wing"], "needed_by": day(1000)}, {"Gamma", "Eta"}),
        ({"supply_chains": ["fixed-wing"], "needed_by": day(1001)}, set()),
        ({"needed_by": day(-401)}, {"Delta"}),  # the others' certificates are not yet issued
        ({"needed_by": day(-400)}, {"Alfa", "Beta", "Delta", "Zeta", "Eta"}),
        (
            {"required_certifications": []},
            {"Alfa", "Beta", "Delta", "Epsilon", "Zeta", "Eta", "Theta", "Kappa"},
        ),
        ({"required_certifications": ["en-9100", "iso-9001"], "needed_by": None}, {"Eta"}),
        ({"required_certifications": ["en-9100", "iso-9001"]}, set()),
        ({"required_certifications": ["iso-14001"]}, set()),
    ],
)
def test_knockouts_combinations(client, world, overrides, expected):
    request = post_request(client, world.buyer, **overrides)
    assert matched_names(client, world, request["id"]) == expected


def test_ranking_criteria_never_knock_out(client, world):
    """Capabilities, provinces, distance and size only rank."""
    request = post_request(
        client,
        world.buyer,
        required_capabilities=["avionics"],
        provinces=["MI"],
        size_classes=["large"],
        near={"lat": 41.9, "lon": 12.5, "radius_km": 10},
    )
    items = all_matches(client, request["id"], world.buyer)
    assert world.names(i["supplier"]["id"] for i in items) == MATCH_ON_NEEDED_BY
    for item in items:
        assert item["components"]["required_capabilities"] == 0
        assert item["components"]["proximity"] == 0
        assert item["components"]["size"] == 0


def test_patch_changes_the_matches(client, world):
    request = post_request(client, world.buyer)
    response = client.patch(f"{API}/{request['id']}", json={"needed_by": None}, headers=world.buyer)
    assert response.status_code == 200, response.text
    assert matched_names(client, world, request["id"]) == MATCH_TODAY


def test_supplier_changes_show_at_once(client, world):
    request = post_request(client, world.buyer)
    assert "Theta" not in matched_names(client, world, request["id"])
    theta = world.ids["Theta"]
    certificate = {"standard": "en-9100", "issued_on": "2020-01-01", "expires_on": "2099-01-01"}
    response = client.patch(
        f"/api/v1/suppliers/{theta}", json={"certifications": [certificate]}, headers=world.admin
    )
    assert response.status_code == 200, response.text
    assert "Theta" in matched_names(client, world, request["id"])
