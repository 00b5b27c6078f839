"""`GET /suggest`: completions and corrections of a prefix into supplier names, capabilities,
certification standards and programs, in the caller's language."""

import pytest

from app.search.suggest import close_words, parse
from tests.factories import supplier_payload
from tests.search.conftest import API

SUGGEST = "/api/v1/suggest"
VALID = {"issued_on": "2020-01-01", "expires_on": "2099-12-31"}

# Added to the shared dataset (tests/search/conftest.py) by the `extra` fixture.
EXTRA = [
    supplier_payload(
        11,
        name="Titanio Lavorazioni",
        capabilities=["machining.titanium", "mro.rotorcraft"],
        programs=["AW139", "NH90"],
        certifications=[],
    ),
    supplier_payload(
        12, name="Officina del Titanio", capabilities=[], certifications=[], programs=[]
    ),
    supplier_payload(13, name="Tina Aerospace", capabilities=[], certifications=[], programs=[]),
    supplier_payload(
        14, name="Elicotteri Lombardi", capabilities=[], certifications=[], programs=[]
    ),
]


@pytest.fixture
def extra(client, admin, dataset) -> dict[str, int]:
    ids = dict(dataset.ids)
    for body in EXTRA:
        response = client.post(API, json=body, headers=admin)
        assert response.status_code == 201, response.text
        ids[body["name"]] = response.json()["id"]
    return ids


def suggest(client, q: str, **params) -> list[dict]:
    response = client.get(SUGGEST, params={"q": q, **params})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["q"] == q
    return body["items"]


def pairs(items: list[dict]) -> list[tuple[str, str]]:
    return [(i["kind"], i["value"]) for i in items]


def find(items: list[dict], kind: str, value: str) -> dict:
    found = [i for i in items if i["kind"] == kind and i["value"] == value]
    assert found, (kind, value, items)
    return found[0]


def total(client, **params) -> int:
    response = client.get(API, params=params)
    assert response.status_code == 200, response.text
    return response.json()["total"]


# ---------------------------------------------------------------- completions


def test_capability_completes_in_english(client, extra):
    item = find(suggest(client, "tita", lang="en"), "capability", "machining.titanium")
    assert item == {
        "kind": "capability",
        "text": "Titanium machining",
        "value": "machining.titanium",
        "count": 2,
        "corrected": False,
    }


def test_capability_completes_a_later_word_in_italian(client, extra):
    item = find(suggest(client, "tita", lang="it"), "capability", "machining.titanium")
    assert item["text"] == "Lavorazione del titanio"
    assert not item["corrected"]


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("it-IT,it;q=0.9,en;q=0.8", "it"),
        ("fr-FR,fr;q=0.9,en;q=0.8,it;q=0.7", "en"),
        ("de, it;q=0.5", "it"),
        ("en;q=0.2, it;q=0.4", "it"),
        ("it;q=0, en", "en"),
        ("fr", "en"),
        ("", "en"),
    ],
)
def test_language_from_accept_language(client, extra, header, lang):
    response = client.get(
        SUGGEST, params={"q": "tita", "kind": "capability"}, headers={"Accept-Language": header}
    )
    assert response.status_code == 200
    assert response.headers["content-language"] == lang
    assert "accept-language" in response.headers["vary"].lower()
    text = {"en": "Titanium machining", "it": "Lavorazione del titanio"}[lang]
    assert response.json()["items"][0]["text"] == text


def test_lang_parameter_wins_over_the_header(client, extra):
    response = client.get(
        SUGGEST, params={"q": "tita", "lang": "en"}, headers={"Accept-Language": "it"}
    )
    assert response.headers["content-language"] == "en"
    assert find(response.json()["items"], "capability", "machining.titanium")["text"] == (
        "Titanium machining"
    )


def test_capability_typed_in_the_other_language_is_shown_in_the_callers(client, extra):
    items = suggest(client, "fresatura 5", lang="en")
    item = find(items, "capability", "machining.milling-5-axis")
    assert item["text"] == "5-axis milling" and not item["corrected"]


def test_capability_count_includes_descendants_and_matches_search(client, extra):
    items = suggest(client, "mach", lang="en", kind="capability", limit=20)
    for item in items:
        assert item["count"] == total(client, capability=item["value"]), item
    # Meccanica Varesina (5-axis milling, titanium) and Titanio Lavorazioni (titanium).
    assert find(items, "capability", "machining")["count"] == 2
    # A capability nobody holds finds nothing: not suggested.
    assert ("capability", "machining.grinding") not in pairs(items)


def test_standards_complete_with_valid_certificate_counts(client, extra):
    items = suggest(client, "en 91", kind="standard")
    # EN 9110 and EN 9120 are held by nobody; EN 9100 is valid for two suppliers (expired,
    # suspended and future certificates do not count).
    assert pairs(items) == [("standard", "en-9100")]
    assert items[0]["count"] == 2 == total(client, certification="en-9100")
    assert items[0]["text"].startswith("EN 9100")
    assert pairs(suggest(client, "en9100", kind="standard")) == [("standard", "en-9100")]
    nadcap = suggest(client, "nadcap chem")
    assert pairs(nadcap) == [("standard", "nadcap-chemical-processing")]
    assert nadcap[0]["count"] == 2


def test_programs_complete_with_counts(client, extra):
    assert find(suggest(client, "aw"), "program", "AW139")["count"] == 2
    assert find(suggest(client, "aw1"), "program", "AW139")["text"] == "AW139"
    for q in ("m-3", "m34", "M 346"):
        assert find(suggest(client, q), "program", "M-346")["count"] == 1, q
    assert find(suggest(client, "nh"), "program", "NH90")["count"] == 1


def test_supplier_names_complete_any_word(client, extra):
    items = suggest(client, "tita", kind="supplier")
    # The whole name starting with the prefix first, then a later word of a name; then the
    # correction `tina`.
    assert pairs(items) == [
        ("supplier", str(extra["Titanio Lavorazioni"])),
        ("supplier", str(extra["Officina del Titanio"])),
        ("supplier", str(extra["Tina Aerospace"])),
    ]
    assert [i["text"] for i in items[:2]] == ["Titanio Lavorazioni", "Officina del Titanio"]
    assert [i["corrected"] for i in items] == [False, False, True]
    assert all(i["count"] is None for i in items)


def test_earlier_words_must_start_words_of_the_name(client, extra):
    meccanica = ("supplier", str(extra["Meccanica Varesina"]))
    assert pairs(suggest(client, "meccanica var", kind="supplier")) == [meccanica]
    assert pairs(suggest(client, "mec var", kind="supplier")) == [meccanica]
    assert pairs(suggest(client, "varesina mecc", kind="supplier")) == [meccanica]
    assert suggest(client, "meccanica lom", kind="supplier") == []


def test_whole_text_prefix_ranks_before_a_later_word_whatever_the_kind(client, extra):
    items = suggest(client, "tita", lang="it")
    completions = [i for i in items if not i["corrected"]]
    texts = [i["text"] for i in completions]
    # "Titanio Lavorazioni" starts with the prefix; the label and the other name only have a
    # later word that does.
    assert texts[0] == "Titanio Lavorazioni"
    assert set(texts[1:]) == {"Lavorazione del titanio", "Officina del Titanio"}


def test_kind_filter_repeated_or_comma_separated(client, extra):
    assert {i["kind"] for i in suggest(client, "a", kind="program", limit=20)} == {"program"}
    both = client.get(SUGGEST, params=[("q", "t"), ("kind", "supplier"), ("kind", "capability")])
    assert {i["kind"] for i in both.json()["items"]} <= {"supplier", "capability"}
    comma = client.get(SUGGEST, params={"q": "t", "kind": "supplier,capability"})
    assert comma.json() == both.json()


def test_limit_and_mix_of_kinds(client, extra):
    items = suggest(client, "t", limit=4)
    assert len(items) == 4
    assert len({i["kind"] for i in items}) >= 2  # each kind present gets a share
    assert len(suggest(client, "a", limit=20)) <= 20


# ---------------------------------------------------------------- corrections


def test_typo_is_corrected(client, extra):
    items = suggest(client, "titanim", lang="en")
    item = find(items, "capability", "machining.titanium")
    assert item["corrected"] and item["text"] == "Titanium machining"
    supplier = find(items, "supplier", str(extra["Titanio Lavorazioni"]))
    assert supplier["corrected"]


def test_italian_typo_two_edits_from_eight_letters(client, extra):
    items = suggest(client, "elicoteri", lang="it")
    assert find(items, "capability", "mro.rotorcraft") == {
        "kind": "capability",
        "text": "Manutenzione di elicotteri",
        "value": "mro.rotorcraft",
        "count": 1,
        "corrected": True,
    }
    assert find(items, "supplier", str(extra["Elicotteri Lombardi"]))["corrected"]
    # Two edits, from eight letters on.
    assert find(suggest(client, "elicotri", lang="it"), "capability", "mro.rotorcraft")


def test_completions_rank_above_corrections(client, extra):
    items = suggest(client, "tita", limit=20)
    flags = [i["corrected"] for i in items]
    assert flags == sorted(flags), items  # every completion before every correction
    tina = find(items, "supplier", str(extra["Tina Aerospace"]))  # `tita` -> `tina`: 1 edit
    assert tina["corrected"]


def test_short_words_and_numbers_are_not_corrected(client, extra):
    assert all(not i["corrected"] for i in suggest(client, "tit", limit=20))
    assert suggest(client, "9101", kind="standard") == []  # not a typo of 9100 / 9110


def test_edit_distance_helpers():
    assert close_words(["titanium", "lombardi"], "titanim", 1) == {"titanium": 1}
    assert close_words(["titanium"], "tiatn", 1) == {"titanium": 1}  # transposition
    assert close_words(["elicotteri"], "elicoteri", 2) == {"elicotteri": 1}
    assert close_words(["titanium"], "tiatnim", 1) == {}  # two edits: above the allowance
    assert close_words(["titanio", "titanium", "vita", "tina", "zeta"], "tita", 1) == {
        "vita": 1,
        "tina": 1,
    }
    assert parse("Fresatura 5-assi Tita").done == ("fresatura", "5", "assi")
    assert parse("  ...  ") is None


# ---------------------------------------------------------------- freshness


def test_deleted_and_renamed_suppliers_are_gone(client, admin, extra, plan):
    assert suggest(client, "cancell") == []  # deleted by the dataset fixture
    varesina = extra["Meccanica Varesina"]
    patch = client.patch(f"{API}/{varesina}", json={"name": "Officine Lariane"}, headers=admin)
    assert patch.status_code == 200, patch.text
    assert ("supplier", str(varesina)) not in pairs(suggest(client, "meccanica var"))
    assert find(suggest(client, "lari"), "supplier", str(varesina))["text"] == "Officine Lariane"
    # Sentinel is only tagged on Space Optics Lecco: deleting it takes the program away.
    assert find(suggest(client, "senti"), "program", "Sentinel")["count"] == 1
    optics = extra["Space Optics Lecco"]
    assert client.delete(f"{API}/{optics}", headers=admin).status_code == 204
    assert suggest(client, "senti") == []
    assert ("supplier", str(optics)) not in pairs(suggest(client, "space opt"))


def test_counts_follow_writes(client, admin, extra, plan):
    before = find(suggest(client, "aw13"), "program", "AW139")["count"]
    body = supplier_payload(21, name="Rotori Comaschi", programs=["aw 139"])
    assert client.post(API, json=body, headers=admin).status_code == 201
    # Another spelling of the same tag counts with it; the first spelling is shown.
    item = find(suggest(client, "aw13"), "program", "AW139")
    assert item["count"] == before + 1


# ---------------------------------------------------------------- limits and worst inputs


def _problem(response, field: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert ["query", field] in [e["loc"][:2] for e in response.json()["errors"]]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "q"),
        ({"q": ""}, "q"),
        ({"q": "a" * 101}, "q"),
        ({"q": "tita", "limit": 0}, "limit"),
        ({"q": "tita", "limit": 21}, "limit"),
        ({"q": "tita", "lang": "fr"}, "lang"),
        ({"q": "tita", "kind": "company"}, "kind"),
        ({"q": "tita", "kind": ["supplier"] * 9}, "kind"),
        ({"q": "tita", "kind": "supplier," * 20}, "kind"),
    ],
)
def test_limits_are_422_naming_the_parameter(client, params, field):
    _problem(client.get(SUGGEST, params=params), field)


@pytest.mark.parametrize(
    "q",
    [
        "a",
        "e",
        "1",
        "a" * 100,
        " ".join("abcdefghijklmnopqrstuvwxyz" * 2)[:100],
        ".".join(["e"] * 50),
        "titanio " * 12,
        "!!! ???",
        "%_*\\'\"",
        "ÀÉÎÕÜ çñ ß",
    ],
)
def test_worst_inputs_answer(client, extra, q):
    response = client.get(SUGGEST, params={"q": q, "limit": 20})
    assert response.status_code == 200, response.text
    assert len(response.json()["items"]) <= 20


def test_suppliers_sharing_a_name_are_suggested_once(client, admin, extra):
    body = supplier_payload(31, name="Titanio Lavorazioni", programs=[])
    assert client.post(API, json=body, headers=admin).status_code == 201
    items = suggest(client, "titanio lav", kind="supplier")
    assert pairs(items) == [("supplier", str(extra["Titanio Lavorazioni"]))]  # the lowest id
    assert total(client, q="Titanio Lavorazioni") >= 2  # searching the name finds them all
