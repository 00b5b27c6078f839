"""`POST /suppliers/match`: existing suppliers that are probably the candidate company."""

import pytest

from app.partners.matching import normalise_name, normalise_street
from tests.factories import make_vat, supplier_payload

API = "/api/v1/suppliers"
MATCH = f"{API}/match"

VARESE = {
    "street": "Via Roma 1",
    "city": "Varese",
    "province": "VA",
    "postal_code": "21100",
    "country": "IT",
}
BRESCIA = {
    "street": "Via Milano 20",
    "city": "Brescia",
    "province": "BS",
    "postal_code": "25126",
    "country": "IT",
}
MILANO = {
    "street": "Corso Buenos Aires 3",
    "city": "Milano",
    "province": "MI",
    "postal_code": "20124",
    "country": "IT",
}


def _create(client, admin, n, **fields):
    response = client.post(API, json=supplier_payload(n, **fields), headers=admin)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def registry(client, admin):
    """Five live suppliers; two of them share a name in different cities."""
    return {
        "aerotecnica": _create(
            client,
            admin,
            11,
            name="AEROTECNICA LOMBARDA SRL",
            legal_name="Aerotecnica Lombarda S.r.l.",
            address=VARESE,
            website="https://www.aerotecnica-lombarda.it/",
        ),
        "rossi_varese": _create(
            client,
            admin,
            12,
            name="Meccanica Rossi",
            legal_name=None,
            address={**VARESE, "street": "Via Dante 7"},
            website="https://www.rossi-varese.it/",
        ),
        "rossi_brescia": _create(
            client,
            admin,
            13,
            name="Meccanica Rossi",
            legal_name=None,
            address=BRESCIA,
            website="https://www.rossi-brescia.it/",
        ),
        "compositi": _create(
            client,
            admin,
            14,
            name="Compositi Bianchi",
            legal_name="Compositi Bianchi S.p.A.",
            address=MILANO,
            website="https://www.compositibianchi.it/",
        ),
        "elettronica": _create(
            client,
            admin,
            15,
            name="Elettronica Spaziale Verdi",
            legal_name="Elettronica Spaziale Verdi S.n.c.",
            address=MILANO,
            website="https://www.esverdi.it/",
        ),
    }


@pytest.fixture
def partner(make_key):
    return make_key("partner")


def _match(client, headers, body, **params):
    response = client.post(MATCH, json=body, headers=headers, params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def _codes(item):
    return [reason["code"] for reason in item["reasons"]]


def test_equal_vat_is_found_first_with_top_confidence(client, partner, registry):
    target = registry["aerotecnica"]
    digits = target["vat_number"][2:]
    # Written as partners' data often has it: no prefix, spaces and dots.
    loose = f"{digits[:3]} {digits[3:7]}.{digits[7:]}"
    items = _match(client, partner, {"name": "Completely Different Name", "vat_number": loose})
    assert [item["supplier"]["id"] for item in items] == [target["id"]]
    assert items[0]["confidence"] >= 0.95
    assert _codes(items[0])[0] == "vat_equal"
    assert target["vat_number"] in items[0]["reasons"][0]["detail"]


def test_equal_vat_and_everything_else_is_certainty(client, partner, registry):
    target = registry["aerotecnica"]
    body = {
        "name": "Aerotecnica Lombarda",
        "vat_number": target["vat_number"],
        "address": VARESE,
        "website": "aerotecnica-lombarda.it",
    }
    [item] = _match(client, partner, body)
    assert item["confidence"] == 1.0
    assert set(_codes(item)) >= {"vat_equal", "name_similar", "same_city", "same_website"}


def test_name_differing_only_by_legal_form_and_case_is_found(client, partner, registry):
    items = _match(client, partner, {"name": "Aerotecnica Lombarda S.r.l."})
    assert [item["supplier"]["id"] for item in items] == [registry["aerotecnica"]["id"]]
    [item] = items
    assert _codes(item) == ["name_similar"]
    assert item["reasons"][0]["similarity"] == 1.0
    # The name alone is strong evidence, never certainty.
    assert 0.7 <= item["confidence"] <= 0.85


def test_a_typo_in_the_name_is_tolerated(client, partner, registry):
    items = _match(client, partner, {"name": "Aerotecnca Lombarda"})
    assert items and items[0]["supplier"]["id"] == registry["aerotecnica"]["id"]
    assert 0.5 < items[0]["reasons"][0]["similarity"] < 1


def test_legal_name_is_compared_too(client, partner, admin, registry):
    atl = _create(
        client,
        admin,
        16,
        name="ATL",
        legal_name="Aero Tecnologie Lariane S.p.A.",
        address=MILANO,
        website="https://www.atl.example/",
    )
    body = {"name": "Aero Tecnologie Lariane", "legal_name": "AERO TECNOLOGIE LARIANE SPA"}
    items = _match(client, partner, body)
    assert items[0]["supplier"]["id"] == atl["id"]
    assert {"name_similar", "legal_name_similar"} <= set(_codes(items[0]))


@pytest.mark.parametrize(
    ("city", "first", "second"),
    [
        (BRESCIA, "rossi_brescia", "rossi_varese"),
        (VARESE, "rossi_varese", "rossi_brescia"),
    ],
)
def test_same_name_in_the_same_city_ranks_first(client, partner, registry, city, first, second):
    body = {"name": "Meccanica Rossi S.a.s.", "address": {"city": city["city"]}}
    items = _match(client, partner, body)
    assert [item["supplier"]["id"] for item in items] == [
        registry[first]["id"],
        registry[second]["id"],
    ]
    assert items[0]["confidence"] > items[1]["confidence"]
    assert "same_city" in _codes(items[0]) and "same_city" not in _codes(items[1])


def test_address_evidence_adds_up(client, partner, registry):
    name_only = _match(client, partner, {"name": "Meccanica Rossi"})
    with_address = _match(
        client,
        partner,
        {
            "name": "Meccanica Rossi",
            "address": {**BRESCIA, "street": "via Milano, n. 20"},
            "website": "http://rossi-brescia.it",
        },
    )
    by_id = {item["supplier"]["id"]: item for item in name_only}
    top = with_address[0]
    assert top["supplier"]["id"] == registry["rossi_brescia"]["id"]
    assert set(_codes(top)) == {
        "name_similar",
        "same_street",
        "same_postal_code",
        "same_city",
        "same_website",
    }
    assert top["confidence"] > by_id[top["supplier"]["id"]]["confidence"] + 0.1
    assert top["confidence"] < 0.95  # only a shared VAT number reaches 0.95


def test_unrelated_suppliers_are_not_returned(client, partner, registry):
    assert _match(client, partner, {"name": "Officine Zeta Spazio"}) == []
    everything = _match(client, partner, {"name": "Aerotecnica Lombarda"}, min_confidence=0)
    ids = {item["supplier"]["id"] for item in everything}
    assert registry["aerotecnica"]["id"] in ids
    assert not ids & {registry[k]["id"] for k in ("compositi", "elettronica", "rossi_varese")}
    assert all(item["confidence"] > 0 and item["reasons"] for item in everything)


def test_names_with_different_numbers_are_different_companies(client, partner, admin):
    two = _create(client, admin, 21, name="Officina 2000", legal_name=None, address=MILANO)
    _create(client, admin, 22, name="Officina 3000", legal_name=None, address=BRESCIA)
    items = _match(client, partner, {"name": "Officina 2000"})
    assert [item["supplier"]["id"] for item in items] == [two["id"]]


def test_deleted_suppliers_are_never_returned(client, partner, admin):
    doomed = _create(client, admin, 31, name="Avionica Brambilla", legal_name=None, address=MILANO)
    body = {"name": "Avionica Brambilla", "vat_number": doomed["vat_number"]}
    assert [i["supplier"]["id"] for i in _match(client, partner, body)] == [doomed["id"]]
    assert client.delete(f"{API}/{doomed['id']}", headers=admin).status_code == 204
    assert _match(client, partner, body, min_confidence=0) == []
    # Re-registered under the same VAT number: only the live record is matched.
    again = _create(client, admin, 31, name="Avionica Brambilla", legal_name=None, address=MILANO)
    assert [i["supplier"]["id"] for i in _match(client, partner, body)] == [again["id"]]


def test_different_valid_vat_numbers_are_evidence_against(client, partner, registry):
    target = registry["aerotecnica"]
    body = {"name": "Aerotecnica Lombarda", "address": VARESE}
    [without_vat] = _match(client, partner, body)
    [different] = _match(client, partner, {**body, "vat_number": make_vat(99)}, min_confidence=0)
    assert without_vat["supplier"]["id"] == different["supplier"]["id"] == target["id"]
    assert without_vat["confidence"] > 0.8
    assert different["confidence"] <= 0.4
    assert _codes(different)[0] == "vat_different"
    # ... and so the default threshold leaves it out.
    assert _match(client, partner, {**body, "vat_number": make_vat(99)}) == []


def test_a_mistyped_vat_number_is_accepted_and_not_held_against(client, partner, registry):
    good = make_vat(99)
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)  # wrong check digit
    body = {"name": "Aerotecnica Lombarda", "address": VARESE, "vat_number": bad}
    [item] = _match(client, partner, body)
    assert item["supplier"]["id"] == registry["aerotecnica"]["id"]
    assert item["confidence"] > 0.8
    assert "vat_different" not in _codes(item) and "vat_equal" not in _codes(item)


@pytest.mark.parametrize(
    ("role", "status"),
    [(None, 401), ("buyer", 403), ("supplier", 403), ("partner", 200), ("admin", 200)],
)
def test_who_may_match(client, make_key, registry, role, status):
    own = registry["aerotecnica"]["id"]
    headers = {} if role is None else make_key(role, own if role == "supplier" else None)
    response = client.post(MATCH, json={"name": "Aerotecnica Lombarda"}, headers=headers)
    assert response.status_code == status, response.text
    if status == 200:
        assert [i["supplier"]["id"] for i in response.json()["items"]] == [own]
    else:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == status
        assert "items" not in response.json()


@pytest.mark.parametrize("role", ["partner", "admin"])
def test_records_are_shown_as_get_shows_them_to_the_caller(client, make_key, registry, role):
    headers = make_key(role)
    [item] = _match(client, headers, {"name": "Compositi Bianchi"})
    record = client.get(f"{API}/{registry['compositi']['id']}", headers=headers).json()
    del record["labels"]  # GET labels the record's codes; a match page embeds the record alone
    assert item["supplier"] == record
    assert item["supplier"]["contact"]["email"] == "mario.rossi@example.com"


@pytest.mark.parametrize(
    ("body", "params", "loc"),
    [
        ({}, {}, ["body", "name"]),
        ({"name": ""}, {}, ["body", "name"]),
        ({"name": "x" * 201}, {}, ["body", "name"]),
        ({"name": "Acme", "vat_number": "hello"}, {}, ["body", "vat_number"]),
        ({"name": "Acme", "vat_number": "IT123"}, {}, ["body", "vat_number"]),
        ({"name": "Acme", "address": {"province": "ZZ"}}, {}, ["body", "address", "province"]),
        ({"name": "Acme", "website": "not a web address"}, {}, ["body", "website"]),
        ({"name": "Acme", "colour": "red"}, {}, ["body", "colour"]),
        ({"name": "Acme"}, {"limit": 0}, ["query", "limit"]),
        ({"name": "Acme"}, {"limit": 51}, ["query", "limit"]),
        ({"name": "Acme"}, {"min_confidence": 1.5}, ["query", "min_confidence"]),
        ({"name": "Acme"}, {"min_confidence": -0.1}, ["query", "min_confidence"]),
    ],
)
def test_bad_input_is_a_422_problem_naming_the_field(client, partner, body, params, loc):
    response = client.post(MATCH, json=body, params=params, headers=partner)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert loc in [error["loc"] for error in response.json()["errors"]]


def test_limit_and_min_confidence_are_honoured(client, partner, admin, registry):
    _create(client, admin, 41, name="Meccanica Rossi & Figli", legal_name=None, address=MILANO)
    body = {"name": "Meccanica Rossi", "address": {"city": "Varese"}}
    everything = _match(client, partner, body, min_confidence=0, limit=50)
    confidences = [item["confidence"] for item in everything]
    assert len(everything) >= 3
    assert [(-i["confidence"], i["supplier"]["id"]) for i in everything] == sorted(
        (-i["confidence"], i["supplier"]["id"]) for i in everything
    )
    assert _match(client, partner, body, min_confidence=0, limit=2) == everything[:2]
    threshold = (confidences[0] + confidences[1]) / 2  # between the first two
    assert confidences[0] > confidences[1]
    assert _match(client, partner, body, min_confidence=threshold) == everything[:1]
    default = _match(client, partner, body)
    assert default == [item for item in everything if item["confidence"] >= 0.5][:10]


def test_other_methods_on_match_are_405(client, partner):
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        assert client.request(method, MATCH, headers=partner).status_code == 405, method


@pytest.mark.parametrize(
    "name",
    [
        "Aerotecnica Lombarda S.r.l.",
        "AEROTECNICA LOMBARDA SRL",
        "Aerotecnica Lombarda s. r. l.",
        "Aerotecnica Lombarda Società a responsabilità limitata",
        "Aerotecnica-Lombarda GmbH",
        "  aerotècnica   lombarda  ",
    ],
)
def test_normalised_names(name):
    assert normalise_name(name) == "aerotecnica lombarda"


def test_normalised_names_keep_what_is_not_a_legal_form():
    assert normalise_name("F.lli Rossi & C. S.n.c.") == "fratelli rossi"
    assert normalise_name("S.p.A.") == "spa"  # nothing else: kept as it is
    assert normalise_name("Officina 2000 S.r.l.") == "officina 2000"


def test_normalised_streets():
    assert normalise_street("V.le Europa, n. 12") == normalise_street("viale Europa 12")
    assert normalise_street("Via Roma, 1") == "via roma 1"
