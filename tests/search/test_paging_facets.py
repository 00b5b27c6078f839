"""Keyset cursors (stable, exactly once, tamper-evident) and facet counts."""

from collections import Counter
from datetime import date

import pytest

from app.search.schemas import FACETS
from tests.factories import supplier_payload
from tests.search.conftest import CITIES, haversine_km

API = "/api/v1/suppliers"
# Every test here runs with both page plans (see the `plan` fixture).
pytestmark = pytest.mark.usefixtures("plan")

SORTS = [
    {"sort": "name"},
    {"sort": "-updated_at"},
    {"sort": "distance", "near": "{},{}".format(*CITIES["Milano"])},
    {"q": "aeronautica or titanio or satellites or avionica or aircraft"},
]


def walk(client, params, limit=2, between_pages=None):
    seen, cursor, pages = [], None, 0
    while True:
        response = client.get(
            API, params={**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return seen, body["total"]
        if between_pages:
            between_pages(pages)
        assert pages < 50


@pytest.mark.parametrize("params", SORTS)
def test_paging_visits_every_match_once_in_order(client, dataset, params):
    everything = client.get(API, params={**params, "limit": 100}).json()
    expected = [item["id"] for item in everything["items"]]
    assert len(expected) >= 4
    for limit in (1, 2, 3):
        seen, total = walk(client, params, limit=limit)
        assert seen == expected
        assert total == len(expected)


@pytest.mark.parametrize("params", SORTS[:3])
def test_paging_is_exactly_once_while_records_change(client, dataset, admin, params):
    original = set(dataset.ids.values())
    counter = iter(range(100, 200))

    def churn(page: int) -> None:
        # New suppliers sorting before and after the cursor, and an edit of a visited one.
        if page > 3:
            return
        for name in ("AAA Nuova", "ZZZ Nuova"):
            n = next(counter)
            created = client.post(API, json=supplier_payload(n, name=f"{name} {n}"), headers=admin)
            assert created.status_code == 201
        client.patch(
            f"{API}/{dataset.ids['Space Optics Lecco']}",
            json={"programs": [f"P{page}"]},
            headers=admin,
        )

    seen, _ = walk(client, params, limit=2, between_pages=churn)
    visited = Counter(seen)
    assert all(count == 1 for count in visited.values()), visited
    unchanged = original - {dataset.ids["Space Optics Lecco"]}
    if params["sort"] != "-updated_at":
        unchanged = original
    assert unchanged <= set(visited)


def test_distance_pages_match_the_full_order_when_matches_cluster(client, admin):
    # Five suppliers in Milan, twenty-five in Sicily: the first pages fit in a small circle
    # around Milan, a later one must widen it, the last falls back to the whole radius.
    milano = CITIES["Milano"]
    spots = [(milano[0] + 0.01 * i, milano[1]) for i in range(5)]
    spots += [(36.5 + 0.1 * i, 14.0 + 0.05 * i) for i in range(25)]
    distance = {}
    for n, (lat, lon) in enumerate(spots):
        body = supplier_payload(300 + n, name=f"Geo {n}", location={"lat": lat, "lon": lon})
        response = client.post(API, json=body, headers=admin)
        assert response.status_code == 201, response.text
        distance[response.json()["id"]] = haversine_km(milano, (lat, lon))
    radius = sorted(distance.values())[5 + 12]  # halfway through Sicily
    expected = sorted((d, i) for i, d in distance.items() if d <= radius)
    assert 5 < len(expected) < len(spots)  # the radius cuts through Sicily
    params = {"near": "{},{}".format(*milano), "radius_km": radius, "sort": "distance"}
    for limit in (2, 4):
        seen, total = walk(client, params, limit=limit)
        assert seen == [i for _, i in expected]
        assert total == len(expected)


def test_cursor_is_tamper_evident_and_bound_to_its_query(client, dataset):
    first = client.get(API, params={"limit": 2}).json()
    cursor = first["next_cursor"]
    assert client.get(API, params={"limit": 2, "cursor": cursor}).status_code == 200
    flipped = cursor[:-2] + ("A" if cursor[-2] != "A" else "B") + cursor[-1]
    for bad in (flipped, cursor[:10], "garbage", cursor + "x"):
        response = client.get(API, params={"limit": 2, "cursor": bad})
        assert response.status_code == 422, bad
        assert response.json()["errors"][0]["loc"] == ["query", "cursor"]
    other = client.get(API, params={"limit": 2, "cursor": cursor, "tier": "tier2"})
    assert other.status_code == 422
    resorted = client.get(API, params={"limit": 2, "cursor": cursor, "sort": "-updated_at"})
    assert resorted.status_code == 422
    # Page size and facets may change between pages.
    assert (
        client.get(API, params={"limit": 3, "cursor": cursor, "facets": "tier"}).status_code == 200
    )


def _expected_facets(records, valid_on: date) -> dict[str, Counter]:
    expected = {name: Counter() for name in FACETS}
    for record in records:
        expected["supply_chain"].update(record["supply_chains"])
        expected["capability"].update(record["capabilities"])
        expected["province"].update([record["address"]["province"]])
        expected["size_class"].update([record["size_class"]])
        expected["tier"].update([record["tier"]])
        valid = {
            c["standard"]
            for c in record["certifications"]
            if c["status"] == "active"
            and (c["issued_on"] is None or date.fromisoformat(c["issued_on"]) <= valid_on)
            and (c["expires_on"] is None or date.fromisoformat(c["expires_on"]) >= valid_on)
        }
        expected["certification"].update(valid)
    return expected


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"supply_chain": "rotary-wing"},
        {"q": "aeronautica or elicotteri"},
        {"certification": "en-9100"},
        {"province": ["VA", "LC", "PV"], "valid_on": "2022-06-01"},
    ],
)
def test_facets_equal_independent_counts(client, dataset, params):
    facets = "supply_chain,capability,certification,province,size_class,tier"
    body = client.get(API, params={**params, "facets": facets, "limit": 100}).json()
    valid_on = date.fromisoformat(params.get("valid_on", date.today().isoformat()))
    records = [dataset.records[item["id"]] for item in body["items"]]
    assert body["total"] == len(records)
    expected = _expected_facets(records, valid_on)
    for name, counts in expected.items():
        assert body["facets"][name] == dict(counts), name
    counts = list(body["facets"]["capability"].values())
    assert counts == sorted(counts, reverse=True)


def test_only_requested_facets_are_returned(client, dataset):
    assert client.get(API).json()["facets"] == {}
    body = client.get(API, params={"facets": "tier,province"}).json()
    assert set(body["facets"]) == {"tier", "province"}
    assert body["facets"]["tier"] == {"tier2": 2, "tier3": 2, "tier1": 1}


def test_total_is_exact_beyond_the_page(client, dataset):
    body = client.get(API, params={"limit": 1}).json()
    assert body["total"] == 5 and len(body["items"]) == 1 and body["next_cursor"]
