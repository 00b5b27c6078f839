"""Strict query parameters on scouting matches (issue 18, item 2): a misspelt filter is a 422
naming it, never the unfiltered list; cursors still page."""

from tests.scouting.conftest import API, all_matches, post_request


def test_a_misspelt_match_filter_is_refused(client, world):
    request = post_request(client, world.buyer)
    url = f"{API}/{request['id']}/matches"
    response = client.get(url, params={"stat": "shortlisted"}, headers=world.buyer)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"] == [
        {
            "loc": ["query", "stat"],
            "msg": "unknown parameter; did you mean `state`?",
            "type": "extra_forbidden",
        }
    ]
    repeated = client.get(f"{url}?limit=1&limit=2", headers=world.buyer)
    assert repeated.json()["errors"][0]["type"] == "repeated"
    # Known parameters, cursors included, work as before.
    every = all_matches(client, request["id"], world.buyer, limit=1)
    assert world.names(m["supplier"]["id"] for m in every)
    assert client.get(url, params={"state": "unmarked"}, headers=world.buyer).status_code == 200
