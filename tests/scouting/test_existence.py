"""Status codes do not tell whether a scouting request exists to a caller not allowed to see it.

For every route, a request the caller may not see (another buyer's, in any state the owner
would be told about: closed, stale If-Match, bad body codes, bad cursor, marks) answers exactly
as an id that does not exist: same status, problem type and title.
"""

import pytest

from tests.scouting.conftest import API, post_request

ABSENT = 2_000_000_000  # a valid id no request has

# (method, path after the id, body, extra headers, query); {alfa}/{gamma}: a match / not one.
ROUTES = [
    ("GET", "", None, {}, {}),
    ("PATCH", "", {"title": "Mine now"}, {}, {}),
    ("PATCH", "", {"title": "Mine now"}, {"If-Match": '"99"'}, {}),
    ("PATCH", "", {"required_capabilities": ["no-such-code"]}, {}, {}),
    ("PATCH", "", {}, {}, {}),
    ("PATCH", "", {"title": None}, {}, {}),  # malformed: 422 whatever the id
    ("POST", "/close", None, {}, {}),
    ("POST", "/close", None, {"If-Match": '"99"'}, {}),
    ("GET", "/matches", None, {}, {}),
    ("GET", "/matches", None, {}, {"state": "shortlisted", "limit": 5}),
    ("GET", "/matches", None, {}, {"cursor": "not-a-cursor"}),
    ("PUT", "/marks/{alfa}", {"state": "shortlisted", "note": "x"}, {}, {}),
    ("PUT", "/marks/{gamma}", {"state": "excluded"}, {}, {}),
    ("DELETE", "/marks/{alfa}", None, {}, {}),
    ("DELETE", "/marks/{gamma}", None, {}, {}),
]


def call(client, world, headers, request_id: int, route) -> tuple[int, str | None, str | None]:
    method, tail, body, extra, query = route
    path = f"{API}/{request_id}" + tail.format(alfa=world.ids["Alfa"], gamma=world.ids["Gamma"])
    kwargs = {"json": body} if body is not None else {}
    response = client.request(method, path, headers={**headers, **extra}, params=query, **kwargs)
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json", response.text
        problem = response.json()
        return response.status_code, problem["type"], problem["title"]
    return response.status_code, None, None


@pytest.fixture
def theirs(client, world) -> dict[str, int]:
    """Requests of `other_buyer`: one open with a mark, one closed."""
    open_ = post_request(client, world.other_buyer)["id"]
    marked = client.put(
        f"{API}/{open_}/marks/{world.ids['Alfa']}",
        json={"state": "shortlisted"},
        headers=world.other_buyer,
    )
    assert marked.status_code == 200, marked.text
    closed = post_request(client, world.other_buyer)["id"]
    assert client.post(f"{API}/{closed}/close", headers=world.other_buyer).status_code == 200
    return {"open": open_, "closed": closed}


@pytest.mark.parametrize("state", ["open", "closed"])
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r[0]} {r[1] or '/'} {r[2]} {r[3]}")
def test_another_buyers_request_answers_as_a_missing_one(client, world, theirs, state, route):
    seen = call(client, world, world.buyer, theirs[state], route)
    absent = call(client, world, world.buyer, ABSENT, route)
    assert seen == absent
    assert seen[0] in (404, 422)  # 422 only for a malformed request, whatever the id


def test_the_owner_is_told_what_others_are_not(client, world, theirs):
    """The same calls tell the owner more than 404: the table above tests something."""
    owner = world.other_buyer
    told = [
        call(client, world, owner, theirs[state], route)[0]
        for route, state in [
            (("PATCH", "", {"title": "Mine now"}, {}, {}), "closed"),  # 409
            (("PATCH", "", {"title": "Mine now"}, {"If-Match": '"99"'}, {}), "open"),  # 412
            (("PATCH", "", {"required_capabilities": ["no-such-code"]}, {}, {}), "open"),  # 422
            (("POST", "/close", None, {"If-Match": '"99"'}, {}), "open"),  # 412
            (("DELETE", "/marks/{alfa}", None, {}, {}), "open"),  # 204
        ]
    ]
    assert told == [409, 412, 422, 412, 204]


@pytest.mark.parametrize("who", ["anonymous", "partner", "supplier"])
@pytest.mark.parametrize("route", ROUTES[1:], ids=lambda r: f"{r[0]} {r[1] or '/'}")
def test_other_roles_are_refused_alike(client, world, theirs, route, who):
    """Partners and supplier keys (Alfa matches the open request) may not use the buyers'
    routes: refused for the role, whatever the id; anonymous callers are 401."""
    headers = {"anonymous": {}, "partner": world.partner, "supplier": world.keys["Alfa"]}[who]
    seen = call(client, world, headers, theirs["open"], route)
    assert seen == call(client, world, headers, ABSENT, route)
    assert seen[0] in ((401,) if who == "anonymous" else (403, 422))


def test_a_supplier_learns_of_a_request_only_while_it_matches_it(client, world):
    """Gamma (fixed wing) matches neither request: reading and answering them answer as for
    an id that does not exist, open or closed. Alfa matches: it reads and answers the open
    one; the closed one it matched is 409 to answer."""
    answer = {"status": "interested", "message": "Possiamo farlo."}
    open_ = post_request(client, world.buyer)["id"]
    closed = post_request(client, world.buyer)["id"]
    assert client.post(f"{API}/{closed}/close", headers=world.buyer).status_code == 200
    gamma, alfa = world.keys["Gamma"], world.keys["Alfa"]

    def read(headers, request_id):
        return call(client, world, headers, request_id, ("GET", "", None, {}, {}))

    def respond(headers, request_id):
        route = ("POST", "/responses", answer, {}, {})
        return call(client, world, headers, request_id, route)

    missing = respond(gamma, ABSENT)
    assert missing[0] == 404 and missing[1] is not None and missing[1].endswith("not-found")
    for request_id in (open_, closed):
        assert respond(gamma, request_id) == missing
        assert read(gamma, request_id) == read(gamma, ABSENT)
        assert read(gamma, request_id)[0] == 404
    assert respond(alfa, open_)[0] == 201
    assert read(alfa, open_)[0] == 200
    assert respond(alfa, closed)[0] == 409
    # Nothing was recorded for Gamma.
    responses = client.get(f"{API}/{open_}", headers=world.buyer).json()["responses"]
    assert [r["supplier_id"] for r in responses] == [world.ids["Alfa"]]


def test_buyers_and_partners_cannot_answer_whatever_the_id(client, world, theirs):
    answer = {"status": "declined"}
    for headers in (world.buyer, world.other_buyer, world.partner, world.admin):
        route = ("POST", "/responses", answer, {}, {})
        seen = call(client, world, headers, theirs["open"], route)
        assert seen == call(client, world, headers, ABSENT, route)
        assert seen[0] == 403
