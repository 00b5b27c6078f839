"""`min_verification`: a required certification is met only by a certificate checked at least
that well, everywhere the knock-outs are decided, and each match says which level met it."""

import pytest

from tests.scouting.conftest import (
    API,
    MATCH_ON_NEEDED_BY,
    SUPPLIERS,
    all_matches,
    cert,
    day,
    post_request,
    request_body,
)


def names(client, world, request_id: int) -> set[str]:
    return world.names(i["supplier"]["id"] for i in all_matches(client, request_id, world.buyer))


def set_certificates(client, world, name: str, certificates: list[dict]) -> None:
    response = client.patch(
        f"{SUPPLIERS}/{world.ids[name]}",
        json={"certifications": certificates},
        headers=world.admin,
    )
    assert response.status_code == 200, response.text


def test_default_counts_every_valid_certificate(client, world):
    request = post_request(client, world.buyer)
    assert request["min_verification"] == "self-declared"
    assert names(client, world, request["id"]) == MATCH_ON_NEEDED_BY


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        ("self-declared", MATCH_ON_NEEDED_BY),
        ("document", {"Alfa", "Beta"}),  # Beta holds a document certificate (below)
        ("cluster-verified", {"Alfa"}),
        ("registry-verified", {"Alfa"}),
    ],
)
def test_lower_trust_is_knocked_out(client, world, level, expected):
    # Beta: a self-declared certificate and a document one; Eta, Kappa: self-declared only.
    set_certificates(
        client,
        world,
        "Beta",
        [
            cert(certificate_number="SELF-1"),
            cert(certificate_number="DOC-1", verification="document"),
        ],
    )
    request = post_request(client, world.buyer, min_verification=level)
    assert request["min_verification"] == level
    assert names(client, world, request["id"]) == expected


def test_a_lower_trust_certificate_does_not_stand_in_for_an_expired_one(client, world):
    """The valid certificate is self-declared, the document one has expired by needed_by:
    at `document` nothing meets the standard."""
    set_certificates(
        client,
        world,
        "Beta",
        [
            cert(certificate_number="SELF-1"),
            cert(certificate_number="DOC-1", verification="document", expires_on=day(30)),
        ],
    )
    assert "Beta" in names(client, world, post_request(client, world.buyer)["id"])
    request = post_request(client, world.buyer, min_verification="document")
    assert "Beta" not in names(client, world, request["id"])
    today = post_request(client, world.buyer, min_verification="document", needed_by=None)
    assert "Beta" in names(client, world, today["id"])


def test_the_explanation_names_the_level_that_met_each_certification(client, world):
    set_certificates(
        client,
        world,
        "Eta",
        [
            cert(certificate_number="EN-SELF"),
            cert(certificate_number="EN-DOC", verification="document"),
            cert("iso-9001", certificate_number="ISO-SELF"),
        ],
    )
    required = ["en-9100", "iso-9001"]
    request = post_request(client, world.buyer, required_certifications=required, needed_by=None)
    items = {
        i["supplier"]["id"]: i
        for i in all_matches(client, request["id"], world.buyer)
        if i["supplier"]["id"] == world.ids["Eta"]
    }
    eta = items[world.ids["Eta"]]
    met = {e["code"]: e for e in eta["matched"] if e["criterion"] == "required_certification"}
    # The best certificate meets each standard, and says how well it was checked.
    assert met["en-9100"]["verification"] == "document"
    assert "EN-DOC" in met["en-9100"]["detail"] and "document" in met["en-9100"]["detail"]
    assert met["iso-9001"]["verification"] == "self-declared"
    assert eta["components"]["certificate_trust"] == (0.5 + 0.25) / 2
    others = [
        e for e in eta["matched"] + eta["missing"] if e["criterion"] != "required_certification"
    ]
    assert others and all(e["verification"] is None for e in others)
    # At `document`, only the document certificate can meet EN 9100; ISO 9001 knocks Eta out.
    strict = post_request(
        client,
        world.buyer,
        required_certifications=["en-9100"],
        needed_by=None,
        min_verification="document",
    )
    items = all_matches(client, strict["id"], world.buyer)
    assert world.names(i["supplier"]["id"] for i in items) == {"Alfa", "Eta"}
    for item in items:
        [entry] = [e for e in item["matched"] if e["criterion"] == "required_certification"]
        assert entry["verification"] in ("document", "registry-verified")
    alfa = next(i for i in items if i["supplier"]["id"] == world.ids["Alfa"])
    [entry] = [e for e in alfa["matched"] if e["criterion"] == "required_certification"]
    assert entry["verification"] == "registry-verified"


def test_patching_min_verification_changes_the_matches(client, world):
    request = post_request(client, world.buyer)
    url = f"{API}/{request['id']}"
    assert names(client, world, request["id"]) == MATCH_ON_NEEDED_BY
    response = client.patch(
        url, json={"min_verification": "registry-verified"}, headers=world.buyer
    )
    assert response.status_code == 200, response.text
    assert response.json()["min_verification"] == "registry-verified"
    assert response.json()["version"] == 2
    assert names(client, world, request["id"]) == {"Alfa"}
    # Omitting it keeps it; null is refused.
    kept = client.patch(url, json={"title": "Renamed"}, headers=world.buyer)
    assert kept.status_code == 200 and kept.json()["min_verification"] == "registry-verified"
    refused = client.patch(url, json={"min_verification": None}, headers=world.buyer)
    assert refused.status_code == 422
    assert ["body", "min_verification"] in [e["loc"] for e in refused.json()["errors"]]
    unknown = client.patch(url, json={"min_verification": "notarised"}, headers=world.buyer)
    assert unknown.status_code == 422
    back = client.patch(url, json={"min_verification": "self-declared"}, headers=world.buyer)
    assert back.status_code == 200
    assert names(client, world, request["id"]) == MATCH_ON_NEEDED_BY


def test_suppliers_lists_reads_and_answers_follow_it(client, world):
    """Zeta holds only a self-declared certificate: it matches the default request (today) and
    not the strict one, in its list, its reads and its answers; Alfa matches both."""
    loose = post_request(client, world.buyer, needed_by=None)
    strict = post_request(client, world.buyer, needed_by=None, min_verification="document")
    answer = {"status": "interested", "message": ""}

    def listed(name: str) -> list[int]:
        response = client.get(API, params={"matching": "me"}, headers=world.keys[name])
        assert response.status_code == 200, response.text
        return [r["id"] for r in response.json()["items"]]

    assert listed("Zeta") == [loose["id"]]
    assert listed("Alfa") == [strict["id"], loose["id"]]
    zeta, alfa = world.keys["Zeta"], world.keys["Alfa"]
    assert client.get(f"{API}/{strict['id']}", headers=zeta).status_code == 404
    assert client.get(f"{API}/{loose['id']}", headers=zeta).status_code == 200
    seen = client.get(f"{API}/{strict['id']}", headers=alfa)
    assert seen.status_code == 200 and seen.json()["min_verification"] == "document"
    refused = client.post(f"{API}/{strict['id']}/responses", json=answer, headers=zeta)
    assert refused.status_code == 404
    assert (
        client.post(f"{API}/{loose['id']}/responses", json=answer, headers=zeta).status_code == 201
    )
    assert (
        client.post(f"{API}/{strict['id']}/responses", json=answer, headers=alfa).status_code == 201
    )
    # A mark needs a match too.
    zeta_id = world.ids["Zeta"]
    mark = client.put(
        f"{API}/{strict['id']}/marks/{zeta_id}", json={"state": "excluded"}, headers=world.buyer
    )
    assert mark.status_code == 404
    # Raised to `document` by an admin, Zeta's certificate meets it everywhere at once.
    set_certificates(client, world, "Zeta", [cert(expires_on=day(30), verification="document")])
    assert listed("Zeta") == [strict["id"], loose["id"]]
    assert client.get(f"{API}/{strict['id']}", headers=zeta).status_code == 200
    assert zeta_id in {i["supplier"]["id"] for i in all_matches(client, strict["id"], world.buyer)}


def test_validation_of_min_verification(client, world):
    for value in ("notarised", None, ""):
        body = request_body(min_verification=value)
        response = client.post(API, json=body, headers=world.buyer)
        assert response.status_code == 422, value
        assert ["body", "min_verification"] in [e["loc"] for e in response.json()["errors"]]
