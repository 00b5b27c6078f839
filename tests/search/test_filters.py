"""Each structured filter alone and combined, against hand-computed sets."""

from datetime import datetime, timedelta, timezone

import pytest

from tests.search.conftest import CITIES, haversine_km

API = "/api/v1/suppliers"
# Every test here runs with both page plans (see the `plan` fixture).
pytestmark = pytest.mark.usefixtures("plan")

MECC, AERO, OPTICS, ELETTR, PAVESI = (
    "Meccanica Varesina",
    "Aerotech Milano",
    "Space Optics Lecco",
    "Elettronica Bergamasca",
    "Trattamenti Superficiali Pavesi",
)
ALL = {MECC, AERO, OPTICS, ELETTR, PAVESI}


def names(client, params) -> set[str]:
    response = client.get(API, params={**params, "limit": 100})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"])
    return {item["name"] for item in body["items"]}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ALL),
        ({"supply_chain": "space"}, {AERO, OPTICS}),
        ({"supply_chain": ["fixed-wing", "space"]}, {AERO, OPTICS, ELETTR}),
        ({"supply_chain": "fixed-wing,space"}, {AERO, OPTICS, ELETTR}),
        ({"capability": "machining"}, {MECC}),
        ({"capability": "testing.ndt"}, {OPTICS}),
        ({"capability": "testing"}, {OPTICS}),
        ({"capability": ["electronics", "electronics.pcb-assembly"]}, {ELETTR}),
        ({"capability": ["machining", "electronics"]}, set()),
        ({"certification": "en-9100"}, {MECC, PAVESI}),
        ({"certification": ["en-9100", "nadcap-chemical-processing"]}, {MECC, PAVESI}),
        ({"certification": "en-9100", "verification": "document"}, {MECC, PAVESI}),
        ({"certification": "en-9100", "verification": "registry-verified"}, {PAVESI}),
        (
            {"certification": "nadcap-chemical-processing", "verification": "cluster-verified"},
            {MECC},
        ),
        ({"certification": "en-9100", "valid_on": "2022-06-01"}, {MECC, AERO, PAVESI}),
        ({"certification": "en-9100", "valid_on": "2023-01-01"}, {MECC, AERO, PAVESI}),
        ({"certification": "en-9100", "valid_on": "2023-01-02"}, {MECC, PAVESI}),
        ({"certification": "en-9100", "valid_on": "2091-01-01"}, {MECC, ELETTR, PAVESI}),
        ({"certification": "iso-14001", "valid_on": "2026-12-31"}, {OPTICS}),
        ({"certification": "iso-14001", "valid_on": "2027-01-01"}, set()),
        ({"certification": "iso-14001", "valid_on": "2022-12-31"}, set()),
        ({"province": ["VA", "MI"]}, {MECC, AERO}),
        ({"province": "va"}, {MECC}),
        ({"size_class": "small"}, {MECC, PAVESI}),
        ({"size_class": ["micro", "large"]}, {OPTICS, ELETTR}),
        ({"tier": "tier2"}, {MECC, ELETTR}),
        ({"min_employees": 40, "max_employees": 200}, {AERO, PAVESI}),
        ({"min_employees": 600}, {ELETTR}),
        ({"max_employees": 8}, {OPTICS}),
        ({"verified": "true"}, {MECC, OPTICS, PAVESI}),
        ({"verified": "false"}, {AERO, ELETTR}),
        ({"supply_chain": "rotary-wing", "certification": "en-9100", "province": "VA"}, {MECC}),
        (
            {"supply_chain": "rotary-wing", "size_class": "small", "verified": "true"},
            {MECC, PAVESI},
        ),
    ],
)
def test_filters(client, dataset, params, expected):
    assert names(client, params) == expected


@pytest.mark.parametrize(
    ("city", "radius"),
    [("Varese", 30), ("Milano", 45), ("Milano", 60), ("Bergamo", 10), ("Pavia", 150)],
)
def test_near_with_radius_matches_great_circle_distance(client, dataset, city, radius):
    center = CITIES[city]
    expected = {
        name
        for name, record_id in dataset.ids.items()
        if haversine_km(
            center,
            (
                dataset.records[record_id]["location"]["lat"],
                dataset.records[record_id]["location"]["lon"],
            ),
        )
        <= radius
    }
    params = {"near": f"{center[0]},{center[1]}", "radius_km": radius}
    assert names(client, params) == expected


def test_sort_by_distance_reports_distance(client, dataset):
    center = CITIES["Milano"]
    body = client.get(API, params={"near": f"{center[0]},{center[1]}", "sort": "distance"}).json()
    distances = [item["distance_km"] for item in body["items"]]
    assert distances == sorted(distances)
    for item in body["items"]:
        here = (item["location"]["lat"], item["location"]["lon"])
        assert item["distance_km"] == pytest.approx(haversine_km(center, here), abs=0.01)
    assert body["items"][0]["name"] == AERO


def test_updated_since(client, dataset, admin):
    before = client.get(f"{API}/{dataset.ids[OPTICS]}").json()["updated_at"]
    assert names(client, {"updated_since": before}) >= {OPTICS}
    patched = client.patch(
        f"{API}/{dataset.ids[AERO]}", json={"employees": 121}, headers=admin
    ).json()
    assert names(client, {"updated_since": patched["updated_at"]}) == {AERO}
    # The same instant written in Italian summer time.
    instant = datetime.fromisoformat(patched["updated_at"].replace("Z", "+00:00"))
    local = instant.astimezone(timezone(timedelta(hours=2))).isoformat()
    assert names(client, {"updated_since": local}) == {AERO}


def test_default_sort_is_name_case_insensitive(client, dataset, admin):
    from tests.factories import supplier_payload

    client.post(API, json=supplier_payload(50, name="avio lower case"), headers=admin)
    items = client.get(API).json()["items"]
    assert [i["name"] for i in items] == sorted((i["name"] for i in items), key=str.lower)
    assert items[0]["name"] == "Aerotech Milano" and items[1]["name"] == "avio lower case"


def test_contact_hidden_in_search_results_for_anonymous(client, dataset, make_key):
    assert all(i["contact"] is None for i in client.get(API).json()["items"])
    items = client.get(API, headers=make_key("buyer")).json()["items"]
    assert all(i["contact"] is not None for i in items)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"capability": "no-such"}, "capability"),
        ({"supply_chain": "submarines"}, "supply_chain"),
        ({"certification": "iso-0000"}, "certification"),
        ({"province": "XX"}, "province"),
        ({"size_class": "huge"}, "size_class"),
        ({"tier": "tier9"}, "tier"),
        ({"valid_on": "2026-13-01"}, "valid_on"),
        ({"updated_since": "yesterday"}, "updated_since"),
        ({"near": "45.8"}, "near"),
        ({"near": "95,8"}, "near"),
        ({"near": "abc,def"}, "near"),
        ({"radius_km": 10}, "radius_km"),
        ({"near": "45.8,8.8", "radius_km": 0}, "radius_km"),
        ({"near": "45.8,8.8", "radius_km": -5}, "radius_km"),
        ({"sort": "distance"}, "sort"),
        ({"sort": "relevance"}, "sort"),
        ({"sort": "price"}, "sort"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"min_employees": -1}, "min_employees"),
        ({"min_employees": 10, "max_employees": 5}, "max_employees"),
        ({"verified": "maybe"}, "verified"),
        ({"verification": "notarised"}, "verification"),
        ({"facets": "supply_chain,colour"}, "facets"),
        ({"q": "x" * 501}, "q"),
        ({"q": "tit\x00anio"}, "q"),
        ({"supply_chain": ["space"] * 51}, "supply_chain"),
    ],
)
def test_bad_parameters_are_422_naming_the_field(client, params, field):
    response = client.get(API, params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert ["query", field] in [e["loc"][:2] for e in response.json()["errors"]]
