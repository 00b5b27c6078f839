"""A cached ranking brought up to date by scoring again only the suppliers that changed.

After supplier writes, the matches come from the cached ranking with the changed suppliers
(their change-feed events) scored again and merged in; they must equal a ranking computed
afresh, whatever the writes did: change a score, create, delete, knock out, let in.
"""

import pytest

from app.scouting import service
from tests.factories import supplier_payload
from tests.scouting.conftest import API, SUPPLIERS, all_matches, cert, post_request


def ranked(client, request_id: int, headers) -> list[tuple[int, float]]:
    return [
        (item["supplier"]["id"], item["score"])
        for item in all_matches(client, request_id, headers, limit=3)
    ]


def afresh(client, request_id: int, headers) -> list[tuple[int, float]]:
    service.clear_ranking_cache()
    return ranked(client, request_id, headers)


def patch(client, world, name: str, body: dict) -> None:
    response = client.patch(f"{SUPPLIERS}/{world.ids[name]}", json=body, headers=world.admin)
    assert response.status_code == 200, response.text


def test_writes_are_merged_into_the_cached_ranking(client, world):
    cache = service.ranking_cache()
    assert cache is not None, "the tests expect the scouting ranking cache on"
    request = post_request(client, world.buyer, required_certifications=[], needed_by=None)
    before = ranked(client, request["id"], world.buyer)
    names = world.names(i for i, _ in before)
    assert {"Alfa", "Beta", "Theta"} <= names and "Epsilon" in names

    patch(client, world, "Alfa", {"capabilities": ["testing.ndt"]})  # a lower score
    patch(client, world, "Theta", {"supply_chains": ["fixed-wing"]})  # knocked out
    patch(client, world, "Gamma", {"supply_chains": ["space"]})  # let in
    assert client.delete(f"{SUPPLIERS}/{world.ids['Beta']}", headers=world.admin).status_code == 204
    created = client.post(
        SUPPLIERS,
        json=supplier_payload(
            90, name="Nu Aerospace", capabilities=["machining.milling-5-axis"], certifications=[]
        ),
        headers=world.admin,
    )
    assert created.status_code == 201, created.text
    nu = created.json()["id"]

    refreshes = cache.refreshes
    merged = ranked(client, request["id"], world.buyer)
    assert cache.refreshes == refreshes + 1  # brought up to date, not ranked afresh
    ids = [i for i, _ in merged]
    assert nu in ids and world.ids["Gamma"] in ids
    assert world.ids["Theta"] not in ids and world.ids["Beta"] not in ids
    old_alfa = dict(before)[world.ids["Alfa"]]
    assert dict(merged)[world.ids["Alfa"]] < old_alfa
    assert merged == afresh(client, request["id"], world.buyer)


def test_certificate_changes_knock_out_and_let_in(client, world):
    cache = service.ranking_cache()
    request = post_request(client, world.buyer)  # EN 9100 valid on needed_by
    before = {i for i, _ in ranked(client, request["id"], world.buyer)}
    assert world.ids["Alfa"] in before and world.ids["Theta"] not in before
    patch(client, world, "Alfa", {"certifications": [cert(status="suspended")]})
    patch(client, world, "Theta", {"certifications": [cert(verification="document")]})
    refreshes = cache.refreshes
    merged = ranked(client, request["id"], world.buyer)
    assert cache.refreshes == refreshes + 1
    ids = {i for i, _ in merged}
    assert world.ids["Alfa"] not in ids and world.ids["Theta"] in ids
    assert merged == afresh(client, request["id"], world.buyer)


def test_many_changes_rank_afresh(client, world, monkeypatch):
    cache = service.ranking_cache()
    request = post_request(client, world.buyer, required_certifications=[])
    ranked(client, request["id"], world.buyer)
    monkeypatch.setattr(service, "MAX_RESCORED", 1)
    patch(client, world, "Alfa", {"capabilities": ["testing.ndt"]})
    patch(client, world, "Beta", {"capabilities": []})
    refreshes = cache.refreshes
    merged = ranked(client, request["id"], world.buyer)
    assert cache.refreshes == refreshes  # two changed, more than allowed: ranked afresh
    assert merged == afresh(client, request["id"], world.buyer)


@pytest.mark.parametrize("writes", [0, 1])
def test_reads_without_writes_and_scouting_writes_change_nothing(client, world, writes):
    """Marks and responses are not supplier writes: the cached ranking stays as it is."""
    request = post_request(client, world.buyer, required_certifications=[])
    before = ranked(client, request["id"], world.buyer)
    for _ in range(writes):
        mark = client.put(
            f"{API}/{request['id']}/marks/{world.ids['Alfa']}",
            json={"state": "shortlisted"},
            headers=world.buyer,
        )
        assert mark.status_code == 200, mark.text
    cache = service.ranking_cache()
    hits = cache.hits
    assert ranked(client, request["id"], world.buyer) == before
    assert cache.hits > hits
