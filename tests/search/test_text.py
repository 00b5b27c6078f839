"""Full-text search in Italian and English, accents, typos and hostile input."""

import pytest

from tests.factories import supplier_payload

API = "/api/v1/suppliers"


def top(client, q, **params) -> list[str]:
    response = client.get(API, params={"q": q, **params})
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("fresatura", "Meccanica Varesina"),  # Italian description
        ("fresature", "Meccanica Varesina"),  # Italian plural, stemmed
        ("milling", "Meccanica Varesina"),  # English capability label
        ("5-axis", "Meccanica Varesina"),
        ("titanio", "Meccanica Varesina"),
        ("titanium", "Meccanica Varesina"),  # English label of machining.titanium
        ("elicottero", "Meccanica Varesina"),  # singular of "elicotteri"
        ("lavorazioni meccaniche", "Meccanica Varesina"),  # Italian label of the root
        ("AW139", "Meccanica Varesina"),  # programs
        ("compositi", "Aerotech Milano"),  # Italian label of composites
        ("autoclave", "Aerotech Milano"),
        ("composite structures", "Aerotech Milano"),
        ("M-346", "Aerotech Milano"),
        ("inspections", "Space Optics Lecco"),  # English plural of "inspection"
        ("ultrasuoni", "Space Optics Lecco"),  # Italian label of testing.ndt.ultrasonic
        ("controlli non distruttivi", "Space Optics Lecco"),  # ancestor label
        ("satellites ottica", "Space Optics Lecco"),  # English text + Italian label
        ("qualità", "Trattamenti Superficiali Pavesi"),
        ("qualita", "Trattamenti Superficiali Pavesi"),  # accent folded
        ("QUALITÀ ANODIZZAZIONE", "Trattamenti Superficiali Pavesi"),
        ("anodizing", "Trattamenti Superficiali Pavesi"),
        ("schede elettroniche", "Elettronica Bergamasca"),
        ("wire harnesses", "Elettronica Bergamasca"),
    ],
)
def test_finds_the_right_firm(client, dataset, q, expected):
    names = top(client, q)
    assert names, f"nothing found for {q!r}"
    assert names[0] == expected


def test_all_words_must_match(client, dataset):
    assert top(client, "titanio anodizzazione") == []
    assert set(top(client, "titanio or anodizzazione")) == {
        "Meccanica Varesina",
        "Trattamenti Superficiali Pavesi",
    }
    assert "Meccanica Varesina" not in top(client, "aeronautica -titanio")


def test_phrase(client, dataset):
    assert top(client, '"composite structures"') == ["Aerotech Milano"]
    assert top(client, '"structures composite"') == []


@pytest.mark.parametrize(
    ("typo", "expected"),
    [
        ("Meccanica Varesna", "Meccanica Varesina"),
        ("Mecanica Varesina", "Meccanica Varesina"),
        ("meccanica varesinaa", "Meccanica Varesina"),
        ("Elettronica Bergamsca", "Elettronica Bergamasca"),
        ("Aerotek Milano", "Aerotech Milano"),
        ("Bergamsca", "Elettronica Bergamasca"),
    ],
)
def test_typo_in_company_name_still_finds_it(client, dataset, typo, expected):
    names = top(client, typo)
    assert names and names[0] == expected


def test_exact_name_ranks_first(client, dataset, admin):
    # Another firm whose description mentions the name's words many times.
    client.post(
        API,
        json=supplier_payload(
            60, name="Ottica Spaziale", description="space optics, space optics Lecco, optics"
        ),
        headers=admin,
    )
    assert top(client, "Space Optics Lecco")[0] == "Space Optics Lecco"
    assert top(client, "space optics lecco")[0] == "Space Optics Lecco"


def test_text_combines_with_filters_and_facets(client, dataset):
    body = client.get(
        API, params={"q": "aeronautica", "province": "PV", "facets": "province"}
    ).json()
    assert [i["name"] for i in body["items"]] == ["Trattamenti Superficiali Pavesi"]
    assert body["facets"] == {"province": {"PV": 1}}


def test_text_change_is_searchable_after_update(client, dataset, admin):
    supplier_id = dataset.ids["Elettronica Bergamasca"]
    assert top(client, "saldatura") == []
    client.patch(
        f"{API}/{supplier_id}", json={"capabilities": ["sheet-metal.welding"]}, headers=admin
    )
    assert top(client, "saldatura") == ["Elettronica Bergamasca"]
    assert top(client, "cablaggi")  # still in the description
    assert "Elettronica Bergamasca" not in top(client, "PCB assembly")


def test_deleted_suppliers_are_never_found(client, dataset):
    assert top(client, "Cancellata") == []
    assert top(client, "Cancellata Aerospace") == []


HOSTILE = [
    '"',
    "'",
    '""',
    "''",
    "AND",
    "OR",
    "NOT",
    "or",
    "-",
    "--",
    "*",
    "(((",
    ")))",
    "NEAR(a b)",
    "a:b",
    "name:x",
    "\\",
    "%",
    "_",
    "%_%",
    "'; DROP TABLE supplier; --",
    "😀",
    "😀 titanio",
    "ñ",
    "ß",
    "İstanbul",
    "x" * 500,
    "titanio " * 32,
    "^",
    "&&",
    "||",
    "!",
    "<->",
    ":*",
    "a & b | !c",
    "\t\n",
    "   ",
    '{"$ne": 1}',
    "\u202e",
    "\u0301",
    "\uff46\uff52\uff45\uff53\uff41",
]


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_queries_never_fail(client, dataset, q):
    response = client.get(API, params={"q": q, "facets": "supply_chain"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"]) or body["next_cursor"]


def test_fullwidth_and_emoji_do_not_hide_matches(client, dataset):
    assert top(client, "😀 titanio") in ([], ["Meccanica Varesina"])
    assert top(client, "titanio 😀") == top(client, "😀 titanio")
