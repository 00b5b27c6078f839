"""Who sees which request, who may answer it, shortlists, validation and the request's life."""

import pytest

from tests.scouting.conftest import API, all_matches, post_request, request_body


def test_create_and_read_back(client, world):
    response = client.post(API, json=request_body(), headers=world.buyer)
    assert response.status_code == 201
    created = response.json()
    assert response.headers["Location"].endswith(f"{API}/{created['id']}")
    assert response.headers["ETag"] == '"1"'
    assert created["status"] == "open" and created["responses"] == []
    read = client.get(f"{API}/{created['id']}", headers=world.buyer)
    assert read.status_code == 200 and read.json() == created


def test_buyers_see_only_their_own(client, world):
    mine = post_request(client, world.buyer)
    theirs = post_request(client, world.other_buyer)
    for path in ("", "/matches"):
        response = client.get(f"{API}/{theirs['id']}{path}", headers=world.buyer)
        assert response.status_code == 404, path
    assert (
        client.patch(f"{API}/{theirs['id']}", json={"title": "x"}, headers=world.buyer).status_code
        == 404
    )
    assert client.post(f"{API}/{theirs['id']}/close", headers=world.buyer).status_code == 404
    listed = client.get(API, headers=world.buyer).json()["items"]
    assert [r["id"] for r in listed] == [mine["id"]]
    admin_listed = {r["id"] for r in client.get(API, headers=world.admin).json()["items"]}
    assert {mine["id"], theirs["id"]} <= admin_listed
    assert client.get(f"{API}/{theirs['id']}/matches", headers=world.admin).status_code == 200


@pytest.mark.parametrize(
    ("who", "status"), [("anonymous", 401), ("partner", 403), ("supplier", 403)]
)
def test_only_buyers_and_admins_post(client, world, who, status):
    headers = {"anonymous": {}, "partner": world.partner, "supplier": world.keys["Alfa"]}[who]
    response = client.post(API, json=request_body(), headers=headers)
    assert response.status_code == status
    assert client.get(API, headers=world.admin).json()["items"] == []


def test_suppliers_see_only_open_requests_they_match(client, world):
    both = post_request(client, world.buyer, needed_by=None)  # Alfa and Zeta match
    later = post_request(client, world.buyer)  # Alfa matches, Zeta lapses before needed_by
    space = post_request(client, world.buyer, supply_chains=["space"])  # neither
    closed = post_request(client, world.buyer, needed_by=None)
    assert client.post(f"{API}/{closed['id']}/close", headers=world.buyer).status_code == 200

    def listed(name, **params):
        response = client.get(API, params=params, headers=world.keys[name])
        assert response.status_code == 200, response.text
        return [r["id"] for r in response.json()["items"]]

    assert listed("Alfa", matching="me") == [later["id"], both["id"]]
    assert listed("Alfa") == [later["id"], both["id"]]  # implied for supplier keys
    assert listed("Zeta", matching="me") == [both["id"]]
    assert listed("Gamma", matching="me") == []
    assert [len(listed("Alfa", limit=1))] == [1]
    page = client.get(API, params={"limit": 1}, headers=world.keys["Alfa"]).json()
    rest = client.get(
        API, params={"limit": 1, "cursor": page["next_cursor"]}, headers=world.keys["Alfa"]
    ).json()
    assert [r["id"] for r in page["items"] + rest["items"]] == [later["id"], both["id"]]
    assert rest["next_cursor"] is None
    # Reading one: only requests it matches, while open.
    assert client.get(f"{API}/{both['id']}", headers=world.keys["Zeta"]).status_code == 200
    for request_id in (later["id"], space["id"], closed["id"]):
        response = client.get(f"{API}/{request_id}", headers=world.keys["Zeta"])
        assert response.status_code == 404
    # Never the matches, marks or another supplier's answer.
    assert client.get(f"{API}/{both['id']}/matches", headers=world.keys["Alfa"]).status_code == 403
    assert client.get(API, params={"matching": "me"}, headers=world.buyer).status_code == 422


def test_responses_only_from_matching_suppliers(client, world):
    request = post_request(client, world.buyer)
    url = f"{API}/{request['id']}/responses"
    answer = {"status": "interested", "message": "Possiamo farlo."}
    # Gamma (wrong chain) and Zeta (certificate lapses before needed_by) do not match.
    # They are told what an id that does not exist would tell them (test_existence.py).
    for name in ("Gamma", "Zeta"):
        response = client.post(url, json=answer, headers=world.keys[name])
        assert response.status_code == 404, name
        assert response.headers["content-type"] == "application/problem+json"
    assert client.post(url, json=answer, headers=world.buyer).status_code == 403
    assert client.post(url, json=answer, headers=world.partner).status_code == 403
    first = client.post(url, json=answer, headers=world.keys["Alfa"])
    assert first.status_code == 201, first.text
    assert first.json()["supplier_id"] == world.ids["Alfa"]
    again = client.post(
        url,
        json={"status": "declined", "message": "Capacità esaurita."},
        headers=world.keys["Alfa"],
    )
    assert again.status_code == 200 and again.json()["status"] == "declined"

    seen = client.get(f"{API}/{request['id']}", headers=world.buyer).json()["responses"]
    assert [(r["supplier_id"], r["status"], r["message"]) for r in seen] == [
        (world.ids["Alfa"], "declined", "Capacità esaurita.")
    ]
    items = all_matches(client, request["id"], world.buyer)
    by_id = {i["supplier"]["id"]: i for i in items}
    assert by_id[world.ids["Alfa"]]["response"] == {
        "status": "declined",
        "message": "Capacità esaurita.",
    }
    assert all(i["response"] is None for i in items if i["supplier"]["id"] != world.ids["Alfa"])
    # A matching supplier sees its own answer on the request, not others'.
    wider = post_request(client, world.buyer, needed_by=None)
    wurl = f"{API}/{wider['id']}/responses"
    assert client.post(wurl, json=answer, headers=world.keys["Alfa"]).status_code == 201
    assert client.post(wurl, json=answer, headers=world.keys["Zeta"]).status_code == 201
    own = client.get(f"{API}/{wider['id']}", headers=world.keys["Zeta"]).json()["responses"]
    assert [r["supplier_id"] for r in own] == [world.ids["Zeta"]]
    # Closed: no more answers.
    assert client.post(f"{API}/{wider['id']}/close", headers=world.buyer).status_code == 200
    assert client.post(wurl, json=answer, headers=world.keys["Alfa"]).status_code == 409


def test_shortlist_marks_and_state_filter(client, world):
    request = post_request(client, world.buyer)
    rid = request["id"]
    alfa, beta, gamma = world.ids["Alfa"], world.ids["Beta"], world.ids["Gamma"]
    response = client.put(
        f"{API}/{rid}/marks/{alfa}",
        json={"state": "shortlisted", "note": "Visitare lo stabilimento"},
        headers=world.buyer,
    )
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "shortlisted"
    response = client.put(
        f"{API}/{rid}/marks/{beta}", json={"state": "excluded"}, headers=world.buyer
    )
    assert response.status_code == 200
    # Not a match, another buyer, a supplier: refused.
    assert (
        client.put(f"{API}/{rid}/marks/{gamma}", json={"state": "excluded"}, headers=world.buyer)
    ).status_code == 404
    for headers, status in ((world.other_buyer, 404), (world.keys["Alfa"], 403)):
        response = client.put(
            f"{API}/{rid}/marks/{alfa}", json={"state": "excluded"}, headers=headers
        )
        assert response.status_code == status

    def ids(state):
        return {i["supplier"]["id"] for i in all_matches(client, rid, world.buyer, state=state)}

    assert ids("shortlisted") == {alfa}
    assert ids("excluded") == {beta}
    assert ids("unmarked") == {world.ids["Eta"], world.ids["Kappa"]}
    page = client.get(f"{API}/{rid}/matches", params={"state": "shortlisted"}, headers=world.buyer)
    assert page.json()["total"] == 1
    assert page.json()["items"][0]["mark"]["note"] == "Visitare lo stabilimento"
    assert client.delete(f"{API}/{rid}/marks/{beta}", headers=world.buyer).status_code == 204
    assert ids("excluded") == set()
    assert client.delete(f"{API}/{rid}/marks/{beta}", headers=world.buyer).status_code == 404


def test_patch_close_and_if_match(client, world):
    request = post_request(client, world.buyer)
    url = f"{API}/{request['id']}"
    stale = client.patch(url, json={"title": "New"}, headers={**world.buyer, "If-Match": '"9"'})
    assert stale.status_code == 412
    ok = client.patch(
        url,
        json={"title": "New", "near": {"lat": 45.8, "lon": 8.8, "radius_km": 50}},
        headers={**world.buyer, "If-Match": '"1"'},
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["version"] == 2 and ok.json()["near"]["radius_km"] == 50
    assert ok.headers["ETag"] == '"2"'
    assert client.patch(url, json={"title": None}, headers=world.buyer).status_code == 422
    closed = client.post(f"{url}/close", headers=world.buyer)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert closed.json()["closed_at"] is not None
    assert client.patch(url, json={"title": "Again"}, headers=world.buyer).status_code == 409
    assert client.post(f"{url}/close", headers=world.buyer).status_code == 409
    assert client.get(API, params={"status": "open"}, headers=world.buyer).json()["items"] == []
    assert len(client.get(API, params={"status": "closed"}, headers=world.buyer).json()["items"])
    # The matches of a closed request stay readable.
    assert client.get(f"{url}/matches", headers=world.buyer).status_code == 200


@pytest.mark.parametrize(
    ("overrides", "location"),
    [
        ({"supply_chains": []}, ["body", "supply_chains"]),
        ({"supply_chains": ["rotary-wing", "helicopters"]}, ["body", "supply_chains", 1]),
        ({"required_capabilities": ["machining", "nope"]}, ["body", "required_capabilities", 1]),
        ({"preferred_capabilities": ["nope"]}, ["body", "preferred_capabilities", 0]),
        ({"required_certifications": ["en-9999"]}, ["body", "required_certifications", 0]),
        ({"provinces": ["XX"]}, ["body", "provinces", 0]),
        ({"near": {"lat": 45, "lon": 9, "radius_km": 600}}, ["body", "near", "radius_km"]),
        ({"near": {"lat": 45, "lon": 9, "radius_km": 0.5}}, ["body", "near", "radius_km"]),
        ({"size_classes": ["huge"]}, ["body", "size_classes", 0]),
        ({"needed_by": "soon"}, ["body", "needed_by"]),
        ({"title": ""}, ["body", "title"]),
    ],
)
def test_validation(client, world, overrides, location):
    response = client.post(API, json=request_body(**overrides), headers=world.buyer)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert location in [e["loc"] for e in response.json()["errors"]]


def audit_of(client, world, request_id: int) -> list[dict]:
    events = client.get(
        "/api/v1/audit",
        params={"entity": "scouting_request", "entity_id": request_id},
        headers=world.admin,
    )
    assert events.status_code == 200, events.text
    return events.json()["items"]


def test_a_patch_that_changes_nothing(client, world):
    """Values equal to the stored ones (or an empty body) change nothing: no new version, no
    new updated_at, no audit entry; the request is answered as it is."""
    body = request_body(near={"lat": 45.82, "lon": 8.83, "radius_km": 60})
    created = client.post(API, json=body, headers=world.buyer).json()
    url = f"{API}/{created['id']}"
    same = {k: v for k, v in body.items()} | {"min_verification": "self-declared"}
    for patch in ({}, same, {"title": created["title"], "needed_by": created["needed_by"]}):
        response = client.patch(url, json=patch, headers={**world.buyer, "If-Match": '"1"'})
        assert response.status_code == 200, response.text
        assert response.headers["ETag"] == '"1"'
        assert response.json() == created
    assert client.get(url, headers=world.buyer).json() == created
    assert [e["action"] for e in audit_of(client, world, created["id"])] == ["create"]
    # A PATCH that changes one value among equal ones: one new version, that field audited.
    changed = client.patch(url, json=same | {"provinces": ["MI"]}, headers=world.buyer)
    assert changed.status_code == 200 and changed.json()["version"] == 2
    assert changed.json()["updated_at"] != created["updated_at"]
    newest = audit_of(client, world, created["id"])[0]
    assert (newest["action"], newest["fields"]) == ("update", ["provinces"])
    # Removing what is not there changes nothing either.
    plain = post_request(client, world.buyer, needed_by=None)
    again = client.patch(
        f"{API}/{plain['id']}", json={"near": None, "needed_by": None}, headers=world.buyer
    )
    assert again.status_code == 200 and again.json() == plain
    assert len(audit_of(client, world, plain["id"])) == 1


def test_writes_are_audited(client, world):
    request = post_request(client, world.buyer)
    client.post(f"{API}/{request['id']}/close", headers=world.buyer)
    events = client.get(
        "/api/v1/audit",
        params={"entity": "scouting_request", "entity_id": request["id"]},
        headers=world.admin,
    )
    assert events.status_code == 200, events.text
    newest = events.json()["items"][0]
    assert (newest["action"], newest["fields"]) == ("update", ["status"])
    assert events.json()["items"][-1]["action"] == "create"


def test_matching_me_agrees_with_the_matches(client, world, make_key):
    """The suppliers' list (checked in Python) and the matches (index) apply the same knock-outs."""
    variants = [
        {},
        {"needed_by": None},
        {"supply_chains": ["space", "fixed-wing"]},
        {"required_certifications": ["en-9100", "iso-9001"], "needed_by": None},
        {"required_certifications": []},
        {"min_verification": "document"},
        {"min_verification": "registry-verified", "needed_by": None},
    ]
    requests = [post_request(client, world.buyer, **v)["id"] for v in variants]
    matched_by: dict[int, set[int]] = {}
    for request_id in requests:
        for item in all_matches(client, request_id, world.buyer):
            matched_by.setdefault(item["supplier"]["id"], set()).add(request_id)
    for name, supplier_id in world.ids.items():
        if name == "Lambda":  # deleted
            continue
        key = make_key("supplier", supplier_id)
        listed = {
            r["id"] for r in client.get(API, params={"limit": 100}, headers=key).json()["items"]
        }
        assert listed == matched_by.get(supplier_id, set()), name
