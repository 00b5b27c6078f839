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


def items(client, q, **params) -> list[dict]:
    response = client.get(API, params={"q": q, **params})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_every_word_first_then_partial_matches(client, dataset):
    # No supplier has both words: each one that has either is found.
    assert set(top(client, "titanio anodizzazione")) == {
        "Meccanica Varesina",
        "Trattamenti Superficiali Pavesi",
    }
    found = items(client, "titanio elicotteri anodizzazione")
    assert [i["name"] for i in found] == ["Meccanica Varesina", "Trattamenti Superficiali Pavesi"]
    assert found[0]["score"] >= 2000 > found[1]["score"] >= 1000  # two words, then one
    assert set(top(client, "titanio or anodizzazione")) == {
        "Meccanica Varesina",
        "Trattamenti Superficiali Pavesi",
    }
    assert "Meccanica Varesina" not in top(client, "aeronautica -titanio")
    assert top(client, "zzzqqq xxyyzz") == []  # no word matches anything


def test_one_unknown_word_does_not_empty_the_page(client, dataset):
    assert top(client, "fresatura titanio kryptonite")[0] == "Meccanica Varesina"


def test_stop_words_are_left_out(client, dataset):
    with_stop_words = client.get(API, params={"q": "fresatura del titanio per la"}).json()
    without = client.get(API, params={"q": "fresatura titanio"}).json()
    assert [i["name"] for i in with_stop_words["items"]] == [i["name"] for i in without["items"]]
    assert with_stop_words["total"] == without["total"]
    # A query made only of stop words still searches them.
    assert client.get(API, params={"q": "per"}).json()["total"] >= 1


@pytest.mark.parametrize(
    ("typo", "expected"),
    [
        ("titanim", "Meccanica Varesina"),  # a dropped letter, 7 letters
        ("tiatnio", "Meccanica Varesina"),  # two letters swapped: one edit
        ("elicoteri", "Meccanica Varesina"),  # 9 letters
        ("anodizazone", "Trattamenti Superficiali Pavesi"),  # two edits, 11 letters
        ("aeronautca", "Trattamenti Superficiali Pavesi"),
        ("ultrasonik", "Space Optics Lecco"),
        ("cablaggy", "Elettronica Bergamasca"),
    ],
)
def test_a_typo_in_any_word_still_finds_it(client, dataset, typo, expected):
    assert top(client, typo)[:1] == [expected]
    assert top(client, f"schede {typo}")  # also among other words


@pytest.mark.parametrize(
    "beyond",
    [
        "tiatnoi",  # 7 letters, two edits: one allowed
        "frsatra",  # 7 letters typed for 9: two edits, one allowed
        "lasr",  # 4 letters: no typo allowed (`laser`)
    ],
)
def test_typos_beyond_the_budget_find_nothing(client, dataset, admin, beyond):
    body = supplier_payload(61, name="Cavi Speciali", description="Taglio laser.")
    assert client.post(API, json=body, headers=admin).status_code == 201
    assert top(client, "lasre") == ["Cavi Speciali"]  # 5 letters: one edit
    assert top(client, beyond) == []


def test_a_correction_never_beats_an_exact_match(client, dataset, admin):
    # `soldatura` is one edit from `saldatura`, and in a name, the most important field.
    for n, name, description in (
        (62, "Soldatura Lombarda", "Carpenteria."),
        (63, "Carpenterie Riunite", "Saldatura di lamiere."),
    ):
        body = supplier_payload(n, name=name, description=description, capabilities=[])
        assert client.post(API, json=body, headers=admin).status_code == 201
    assert top(client, "saldatura") == ["Carpenterie Riunite", "Soldatura Lombarda"]


def test_more_important_fields_and_closer_words_rank_higher(client, dataset, admin):
    for n, name, description in (
        (64, "Trattamenti Termici Lariani", "Forni sottovuoto."),
        (65, "Forni Insubri", "Trattamenti termici in forno sottovuoto."),
        (66, "Officina Brianzola", "Trattamenti galvanici; collaudi termici."),
    ):
        body = supplier_payload(n, name=name, description=description, capabilities=[])
        assert client.post(API, json=body, headers=admin).status_code == 201
    names = top(client, "trattamenti termici")
    # Name first; then the description with the words side by side; then apart.
    assert names[:3] == ["Trattamenti Termici Lariani", "Forni Insubri", "Officina Brianzola"]


def test_items_carry_score_and_highlights(client, dataset, admin):
    body = supplier_payload(
        67,
        name="Titanio & Co <Srl>",
        description="<b>Tornitura</b> & fresatura del titanio. " + "Testo di riempimento. " * 20,
        capabilities=[],
    )
    assert client.post(API, json=body, headers=admin).status_code == 201
    hit = next(i for i in items(client, "titanio fresatura") if i["name"] == "Titanio & Co <Srl>")
    assert hit["score"] > 2000
    assert hit["highlights"]["name"] == "<mark>Titanio</mark> &amp; Co &lt;Srl&gt;"
    snippet = hit["highlights"]["description"]
    assert snippet.startswith("&lt;b&gt;Tornitura&lt;/b&gt; &amp; <mark>fresatura</mark> del ")
    assert "<mark>titanio</mark>" in snippet
    assert snippet.endswith("…") and len(snippet) < 260
    # A typo's correction and a stemmed form are highlighted too.
    typo = next(i for i in items(client, "titanim") if i["name"] == "Meccanica Varesina")
    assert "<mark>titanio</mark>" in typo["highlights"]["description"]
    stem = next(i for i in items(client, "elicottero") if i["name"] == "Meccanica Varesina")
    assert "<mark>elicotteri</mark>" in stem["highlights"]["description"]
    # Without q: neither.
    plain = client.get(API, params={"province": "VA"}).json()["items"][0]
    assert plain["score"] is None and plain["highlights"] is None


def test_snippet_is_centred_on_the_matched_words(client, dataset, admin):
    filler = "Parole senza importanza. " * 12
    body = supplier_payload(
        68, name="Lunga Descrizione", description=filler + "Elettroerosione a filo. " + filler
    )
    assert client.post(API, json=body, headers=admin).status_code == 201
    hit = items(client, "elettroerosione")[0]
    snippet = hit["highlights"]["description"]
    assert snippet.startswith("…") and snippet.endswith("…")
    assert "<mark>Elettroerosione</mark> a filo" in snippet
    # Cut at word boundaries: it starts and ends with whole words.
    assert snippet[1:].split()[0] in {"Parole", "senza", "importanza."}
    assert snippet[:-1].split()[-1] in {"Parole", "senza", "importanza.", "importanza"}


def test_phrase(client, dataset):
    assert top(client, '"composite structures"') == ["Aerotech Milano"]
    assert top(client, '"structures composite"') == []
    # No phrase spans two texts of one field: the name and the legal name
    # (`Meccanica Varesina` + `Meccanica Varesina S.r.l.`), two capability labels.
    assert top(client, '"varesina meccanica"') == []
    assert top(client, '"meccanica varesina"')[:1] == ["Meccanica Varesina"]
    # Quoted, the words count once, as a phrase: ranked with the other words, not required.
    assert top(client, '"composite structures" titanio')[0] == "Aerotech Milano"


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
    assert "Elettronica Bergamasca" not in top(client, "saldatura")
    client.patch(
        f"{API}/{supplier_id}", json={"capabilities": ["sheet-metal.welding"]}, headers=admin
    )
    assert top(client, "saldatura")[0] == "Elettronica Bergamasca"
    assert top(client, "cablaggi")  # still in the description
    assert "Elettronica Bergamasca" not in top(client, '"PCB assembly"')


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


@pytest.mark.parametrize(
    "q",
    [
        "NDT",  # acronym -> "controlli non distruttivi" (capability label)
        "CND",
        "PnD",
        "non destructive testing",
        "controllo non distruttivo",  # the glossary entry's words, stemmed
    ],
)
def test_glossary_acronyms_and_synonyms(client, dataset, q):
    assert top(client, q)[:1] == ["Space Optics Lecco"]


def test_glossary_across_languages(client, dataset, admin):
    body = supplier_payload(
        69,
        name="Erosioni Lombarde",
        description="Elettroerosione a filo e a tuffo.",
        capabilities=[],
    )
    assert client.post(API, json=body, headers=admin).status_code == 201
    assert top(client, "EDM")[:1] == ["Erosioni Lombarde"]
    assert top(client, "electrical discharge machining")[:1] == ["Erosioni Lombarde"]
    hit = items(client, "EDM")[0]
    assert "<mark>Elettroerosione</mark>" in hit["highlights"]["description"]
    # A synonym scores a little below the word as typed.
    assert items(client, "elettroerosione")[0]["score"] > hit["score"]


def test_an_admin_glossary_entry_applies_to_the_next_search(client, dataset, admin):
    body = supplier_payload(
        70, name="Radar Covers", description="Cupole radar in composito.", capabilities=[]
    )
    assert client.post(API, json=body, headers=admin).status_code == 201
    assert "Radar Covers" not in top(client, "radome")
    created = client.post(
        "/api/v1/synonyms", json={"terms": ["radome", "cupola radar"]}, headers=admin
    )
    assert created.status_code == 201, created.text
    assert top(client, "radome")[:1] == ["Radar Covers"]
    entry = created.json()["id"]
    changed = client.patch(
        f"/api/v1/synonyms/{entry}", json={"terms": ["radome", "radomi"]}, headers=admin
    )
    assert changed.status_code == 200
    assert "Radar Covers" not in top(client, "radome")
    client.patch(
        f"/api/v1/synonyms/{entry}", json={"terms": ["radome", "cupole radar"]}, headers=admin
    )
    assert top(client, "radome")[:1] == ["Radar Covers"]
    assert client.delete(f"/api/v1/synonyms/{entry}", headers=admin).status_code == 204
    assert "Radar Covers" not in top(client, "radome")


def test_a_typo_of_a_glossary_term_finds_its_equivalents(client, dataset, admin):
    body = supplier_payload(
        71,
        name="Ottiche Pulite",
        description="Integrazione in camera bianca ISO 7.",
        capabilities=[],
    )
    assert client.post(API, json=body, headers=admin).status_code == 201
    # `cleanrom` is in no profile: one edit from the glossary's `cleanroom`, whose entry
    # holds `camera bianca`.
    found = items(client, "cleanrom")
    assert [i["name"] for i in found][:1] == ["Ottiche Pulite"]
    assert "<mark>camera</mark> <mark>bianca</mark>" in found[0]["highlights"]["description"]
    # Below what the right spelling scores, and below any exact match.
    exact = items(client, "cleanroom")[0]
    assert exact["name"] == "Ottiche Pulite" and exact["score"] > found[0]["score"]
    assert found[0]["score"] < 1000 + 11


def test_a_word_merely_starting_with_the_stem_ranks_below_the_word(client, dataset, admin):
    body = supplier_payload(72, name="Titanmec Group", description="Carpenteria.", capabilities=[])
    assert client.post(API, json=body, headers=admin).status_code == 201
    # `titanio` stems to `titan`: `titanmec` starts with it but is another word. Even in the
    # name (the most important field) it ranks below the word itself in a description.
    found = items(client, "titanio")
    names = [i["name"] for i in found]
    assert names.index("Meccanica Varesina") < names.index("Titanmec Group")
    # An inflection (a word sharing the stem) is as good as the word: `elicottero` finds
    # `elicotteri` in the same tier as the word typed.
    by_word = items(client, "elicotteri")[0]
    by_inflection = items(client, "elicottero")[0]
    assert by_word["name"] == by_inflection["name"] == "Meccanica Varesina"
    assert by_word["score"] == by_inflection["score"]
