"""Matches follow supplier writes at once: the search index they are ranked on catches up.

After supplier writes, the matches come from the index brought up to date from the change feed
(the changed suppliers indexed again); they must equal a ranking on an index built afresh from
the database, whatever the writes did: change a score, create, delete, knock out, let in.
"""

import pytest

from app.search import engine as search_engine
from tests.factories import supplier_payload
from tests.scouting.conftest import API, SUPPLIERS, all_matches, cert, post_request


def ranked(client, request_id: int, headers) -> list[tuple[int, float]]:
    return [
        (item["supplier"]["id"], item["score"])
        for item in all_matches(client, request_id, headers, limit=3)
    ]


def afresh(client, request_id: int, headers) -> list[tuple[int, float]]:
    search_engine.forget_all()  # the next ranking builds the index from the database
    return ranked(client, request_id, headers)


def patch(client, world, name: str, body: dict) -> None:
    response = client.patch(f"{SUPPLIERS}/{world.ids[name]}", json=body, headers=world.admin)
    assert response.status_code == 200, response.text


def builds() -> int:
    return sum(e.builds for e in search_engine._engines.values())


def test_writes_show_in_the_next_matches(client, world):
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

    built = builds()
    merged = ranked(client, request["id"], world.buyer)
    assert builds() == built  # caught up from the change feed, not rebuilt
    ids = [i for i, _ in merged]
    assert nu in ids and world.ids["Gamma"] in ids
    assert world.ids["Theta"] not in ids and world.ids["Beta"] not in ids
    old_alfa = dict(before)[world.ids["Alfa"]]
    assert dict(merged)[world.ids["Alfa"]] < old_alfa
    assert merged == afresh(client, request["id"], world.buyer)


def test_certificate_changes_knock_out_and_let_in(client, world):
    request = post_request(client, world.buyer)  # EN 9100 valid on needed_by
    before = {i for i, _ in ranked(client, request["id"], world.buyer)}
    assert world.ids["Alfa"] in before and world.ids["Theta"] not in before
    patch(client, world, "Alfa", {"certifications": [cert(status="suspended")]})
    patch(client, world, "Theta", {"certifications": [cert(verification="document")]})
    merged = ranked(client, request["id"], world.buyer)
    ids = {i for i, _ in merged}
    assert world.ids["Alfa"] not in ids and world.ids["Theta"] in ids
    assert merged == afresh(client, request["id"], world.buyer)


@pytest.mark.parametrize("writes", [0, 1])
def test_reads_without_writes_and_scouting_writes_change_nothing(client, world, writes):
    """Marks and responses are not supplier writes: the matches stay as they are."""
    request = post_request(client, world.buyer, required_certifications=[])
    before = ranked(client, request["id"], world.buyer)
    for _ in range(writes):
        mark = client.put(
            f"{API}/{request['id']}/marks/{world.ids['Alfa']}",
            json={"state": "shortlisted"},
            headers=world.buyer,
        )
        assert mark.status_code == 200, mark.text
    assert ranked(client, request["id"], world.buyer) == before
