"""Labels: responses that show codes map each of them to its label in the caller's language
(`Accept-Language` or `lang`, default English), with `Content-Language` and `Vary` set."""

from datetime import UTC, datetime, timedelta

import pytest

from app.catalogue.labels import KINDS, SIZE_CLASS_LABELS, TIER_LABELS, language
from app.catalogue.models import Capability
from tests.factories import supplier_payload

API = "/api/v1"
IT = {"Accept-Language": "it-IT,it;q=0.9,en;q=0.8"}
FACETS = "supply_chain,capability,certification,province,size_class,tier"
TODAY = datetime.now(UTC).date()
EN9100_IT = "EN 9100 Sistemi di gestione per la qualità per aeronautica, spazio e difesa"


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


def names(client) -> dict[str, dict[str, tuple[str, str]]]:
    """Each catalogue kind: code -> (English, Italian), as the catalogue endpoints list them."""
    chains = client.get(f"{API}/supply-chains").json()
    capabilities = client.get(f"{API}/capabilities").json()
    standards = client.get(f"{API}/certification-standards").json()
    return {
        "supply_chain": {c["code"]: (c["name_en"], c["name_it"]) for c in chains},
        "capability": {c["code"]: (c["name_en"], c["name_it"]) for c in capabilities},
        "certification": {s["code"]: (s["name"], s["name_it"]) for s in standards},
        "size_class": SIZE_CLASS_LABELS,
        "tier": TIER_LABELS,
    }


def supplier_codes(supplier: dict) -> dict[str, set[str]]:
    """The codes a supplier record (or summary) shows, by kind."""
    certificates = supplier.get("certifications", [])
    return {
        "supply_chain": set(supplier["supply_chains"]),
        "capability": set(supplier["capabilities"]),
        "certification": {c["standard"] for c in certificates},
        "size_class": {supplier["size_class"]} - {None},
        "tier": {supplier.get("tier")} - {None},
        "verification": {c["verification"] for c in certificates},
        "certificate_status": {c["status"] for c in certificates},
    }


def merge(*parts: dict[str, set[str]]) -> dict[str, set[str]]:
    return {kind: set().union(*(p.get(kind, set()) for p in parts)) for kind in KINDS}


def assert_labelled(response, codes: dict[str, set[str]], catalogue, lang: str) -> None:
    """`labels` covers exactly `codes`, in `lang`; the language headers are set."""
    assert response.status_code in (200, 201), response.text
    assert response.headers["content-language"] == lang
    assert "accept-language" in response.headers["vary"].lower()
    labels = response.json()["labels"]
    assert set(labels) == set(KINDS)
    which = 1 if lang == "it" else 0
    for kind in KINDS:
        assert set(labels[kind]) == codes[kind], kind  # every code shown, and no other
        if kind in catalogue:
            for code, label in labels[kind].items():
                assert label == catalogue[kind][code][which], (kind, code)


@pytest.fixture
def registry(client, admin) -> dict[str, int]:
    """Three suppliers whose codes differ: chains, capabilities, standards, sizes, tiers,
    certificate statuses and trust levels."""
    bodies = {
        "alfa": supplier_payload(1, name="Alfa Aerospace"),
        "beta": supplier_payload(
            2,
            name="Beta Aerospace",
            employees=5,
            annual_revenue_eur=1_000_000,
            tier="oem",
            supply_chains=["space", "fixed-wing"],
            capabilities=["testing.ndt.ultrasonic", "composites.autoclave-curing"],
            certifications=[
                {
                    "standard": "nadcap-chemical-processing",
                    "issued_on": day(-100),
                    "expires_on": day(500),
                    "verification": "document",
                },
                {"standard": "iso-9001", "status": "suspended"},
            ],
        ),
        "gamma": supplier_payload(
            3,
            name="Gamma Aerospace",
            employees=900,
            annual_revenue_eur=200_000_000,
            tier=None,
            supply_chains=["rotary-wing"],
            capabilities=["avionics"],
            certifications=[],
        ),
    }
    ids = {}
    for key, body in bodies.items():
        response = client.post(f"{API}/suppliers", json=body, headers=admin)
        assert response.status_code == 201, response.text
        ids[key] = response.json()["id"]
    return ids


def test_the_accept_language_parser():
    assert language("it;q=0.8, en;q=0.9") == "en"
    assert language("en;q=0.8, it;q=0.9") == "it"
    assert language("it-IT") == "it"
    assert language("fr, de;q=0.5") == "en"
    assert language("it;q=0, en;q=0.1") == "en"
    assert language(None) == "en"
    assert language("it;q=abc") == "en"


@pytest.mark.parametrize("lang", ["en", "it"])
def test_catalogue_items_carry_their_label(client, lang):
    headers = IT if lang == "it" else {}
    chains = client.get(f"{API}/supply-chains", headers=headers)
    capabilities = client.get(f"{API}/capabilities", headers=headers)
    tree = client.get(f"{API}/capabilities", params={"format": "tree"}, headers=headers)
    standards = client.get(f"{API}/certification-standards", headers=headers)
    for response in (chains, capabilities, tree, standards):
        assert response.status_code == 200
        assert response.headers["content-language"] == lang
        assert "accept-language" in response.headers["vary"].lower()
    field = f"name_{lang}"
    assert all(c["label"] == c[field] for c in chains.json())
    assert all(c["label"] == c[field] for c in capabilities.json())
    assert all(
        s["label"] == (s["name_it"] if lang == "it" else s["name"]) for s in standards.json()
    )

    def walk(nodes):
        for node in nodes:
            assert node["label"] == node[field]
            walk(node["children"])

    walk(tree.json())
    by_code = {c["code"]: c["label"] for c in capabilities.json()}
    expected = {"en": "5-axis milling", "it": "Fresatura a 5 assi"}[lang]
    assert by_code["machining.milling-5-axis"] == expected


def test_every_standard_has_an_italian_name(client):
    standards = client.get(f"{API}/certification-standards").json()
    assert all(s["name_it"] and s["name_it"] != s["name"] for s in standards)
    en9100 = next(s for s in standards if s["code"] == "en-9100")
    assert en9100["name_it"].startswith("EN 9100 Sistemi di gestione per la qualità")


@pytest.mark.parametrize("lang", ["en", "it"])
def test_search_labels_cover_items_and_facets_exactly(client, registry, lang):
    catalogue = names(client)
    headers = IT if lang == "it" else {}
    # One item on the page, facets over all three: facet codes are labelled too.
    response = client.get(
        f"{API}/suppliers", params={"limit": 1, "facets": FACETS}, headers=headers
    )
    page = response.json()
    assert len(page["items"]) == 1 and page["total"] == 3
    facet_codes = {kind: set(page["facets"][kind]) for kind in page["facets"] if kind in KINDS}
    codes = merge(*(supplier_codes(item) for item in page["items"]), facet_codes)
    assert_labelled(response, codes, catalogue, lang)
    labels = page["labels"]
    assert "province" not in labels
    assert labels["size_class"]["micro"] == SIZE_CLASS_LABELS["micro"][lang == "it"]
    assert labels["tier"]["oem"] == TIER_LABELS["oem"][lang == "it"]
    if lang == "it":
        assert labels["capability"]["machining.milling-5-axis"] == "Fresatura a 5 assi"
        assert labels["supply_chain"]["space"] == "Spazio"
        assert labels["size_class"]["large"] == "Grande impresa"
    # Without facets: exactly the page's codes, nothing of the suppliers not shown.
    response = client.get(f"{API}/suppliers", params={"capability": "avionics"}, headers=headers)
    items = response.json()["items"]
    assert [i["id"] for i in items] == [registry["gamma"]]
    assert_labelled(response, merge(supplier_codes(items[0])), catalogue, lang)
    assert response.json()["labels"]["certification"] == {}


def test_search_certificate_statuses_and_trust_levels_are_labelled(client, registry):
    response = client.get(f"{API}/suppliers", params={"q": "Beta Aerospace"}, headers=IT)
    labels = response.json()["labels"]
    assert labels["certificate_status"] == {"active": "Attivo", "suspended": "Sospeso"}
    assert labels["verification"] == {
        "document": "Documento del certificato fornito",
        "self-declared": "Autodichiarato",
    }
    assert labels["certification"]["iso-9001"] == "ISO 9001 Sistemi di gestione per la qualità"


def test_default_language_is_english_and_quality_values_count(client, registry):
    plain = client.get(f"{API}/suppliers")
    assert plain.headers["content-language"] == "en"
    assert plain.json()["labels"]["supply_chain"]["rotary-wing"] == "Rotary wing"
    unknown = client.get(f"{API}/suppliers", headers={"Accept-Language": "fr-FR, de"})
    assert unknown.headers["content-language"] == "en"
    preferred = client.get(f"{API}/suppliers", headers={"Accept-Language": "it;q=0.8, en;q=0.9"})
    assert preferred.headers["content-language"] == "en"
    assert preferred.json()["labels"]["supply_chain"]["rotary-wing"] == "Rotary wing"
    italian = client.get(f"{API}/suppliers", headers={"Accept-Language": "en;q=0.5, it"})
    assert italian.json()["labels"]["supply_chain"]["rotary-wing"] == "Ala rotante"
    # An explicit `lang` wins over the header.
    chosen = client.get(
        f"{API}/suppliers", params={"lang": "it"}, headers={"Accept-Language": "en"}
    )
    assert chosen.headers["content-language"] == "it"
    assert chosen.json()["labels"]["supply_chain"]["rotary-wing"] == "Ala rotante"
    assert client.get(f"{API}/suppliers", params={"lang": "fr"}).status_code == 422


@pytest.mark.parametrize("lang", ["en", "it"])
def test_supplier_record_labels_and_etags(client, admin, registry, lang):
    catalogue = names(client)
    headers = IT if lang == "it" else {}
    url = f"{API}/suppliers/{registry['beta']}"
    response = client.get(url, headers=headers)
    supplier = response.json()
    assert_labelled(response, merge(supplier_codes(supplier)), catalogue, lang)
    vary = {v.strip().lower() for v in response.headers["vary"].split(",")}
    assert {"authorization", "accept-language"} <= vary
    etag = response.headers["etag"]
    assert etag == ('"1-p-it"' if lang == "it" else '"1-p"')  # one tag per representation
    again = client.get(url, headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304
    assert again.headers["content-language"] == lang
    assert "accept-language" in again.headers["vary"].lower()
    other = {} if lang == "it" else IT  # the other language's tag does not match
    assert client.get(url, headers={**other, "If-None-Match": etag}).status_code == 200
    # Writes answer with the labelled record too; an Italian tag is a valid If-Match.
    patched = client.patch(
        url,
        json={"capabilities": ["avionics"]},
        headers={**admin, **headers, "If-Match": etag.replace("-p", "")},
    )
    body = patched.json()
    assert_labelled(patched, merge(supplier_codes(body)), catalogue, lang)
    assert set(body["labels"]["capability"]) == {"avionics"}
    created = client.post(
        f"{API}/suppliers",
        json=supplier_payload(9, name="Iota Aerospace"),
        headers={**admin, **headers},
    )
    assert created.status_code == 201
    assert_labelled(created, merge(supplier_codes(created.json())), catalogue, lang)


@pytest.mark.parametrize("lang", ["en", "it"])
def test_scouting_matches_labels(client, registry, make_key, lang):
    catalogue = names(client)
    headers = IT if lang == "it" else {}
    buyer = make_key("buyer")
    posted = client.post(
        f"{API}/scouting-requests",
        json={
            "title": "Ultrasonic inspection of composite panels",
            "supply_chains": ["space", "fixed-wing"],
            "required_capabilities": ["testing.ndt"],
            "preferred_capabilities": ["composites"],
            "required_certifications": ["nadcap-chemical-processing"],
            "size_classes": ["micro", "small"],
            "provinces": ["VA"],
            "needed_by": day(300),
        },
        headers=buyer,
    )
    assert posted.status_code == 201, posted.text
    # The request itself (read, listed) labels the codes it names.
    asked = {
        "supply_chain": {"space", "fixed-wing"},
        "capability": {"testing.ndt", "composites"},
        "certification": {"nadcap-chemical-processing"},
        "size_class": {"micro", "small"},
        "verification": {"self-declared"},
    }
    url = f"{API}/scouting-requests/{posted.json()['id']}"
    read = client.get(url, headers={**buyer, **headers})
    assert_labelled(read, merge(asked), catalogue, lang)
    assert read.headers["etag"] == ('"1-it"' if lang == "it" else '"1"')
    listed = client.get(f"{API}/scouting-requests", headers={**buyer, **headers})
    assert_labelled(listed, merge(asked), catalogue, lang)
    response = client.get(
        f"{API}/scouting-requests/{posted.json()['id']}/matches", headers={**buyer, **headers}
    )
    page = response.json()
    assert [m["supplier"]["id"] for m in page["items"]] == [registry["beta"]]
    kinds = {
        "supply_chain": "supply_chain",
        "required_capability": "capability",
        "preferred_capability": "capability",
        "required_certification": "certification",
        "certificate_lapses": "certification",
        "size_class": "size_class",
    }
    explained: dict[str, set[str]] = {kind: set() for kind in KINDS}
    for match in page["items"]:
        for note in match["matched"] + match["missing"] + match["warnings"]:
            if note["criterion"] in kinds and note["code"]:
                explained[kinds[note["criterion"]]].add(note["code"])
            if note.get("verification"):
                explained["verification"].add(note["verification"])
    summaries = [supplier_codes(m["supplier"]) for m in page["items"]]
    codes = merge(*summaries, explained)
    assert codes["capability"] >= {"testing.ndt", "composites", "testing.ndt.ultrasonic"}
    assert codes["verification"] == {"document"}
    assert_labelled(response, codes, catalogue, lang)


@pytest.mark.parametrize("lang", ["en", "it"])
def test_change_feed_and_partner_match_label_their_records(client, admin, registry, lang):
    catalogue = names(client)
    headers = {**admin, **(IT if lang == "it" else {})}
    feed = client.get(f"{API}/changes", headers=headers)
    events = feed.json()["items"]
    assert len(events) == 3
    codes = merge(*(supplier_codes(e["supplier"]) for e in events))
    assert_labelled(feed, codes, catalogue, lang)
    etag = feed.headers["etag"]
    assert etag.endswith('-it"') == (lang == "it")  # one tag per language
    again = client.get(f"{API}/changes", headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304 and again.headers["content-language"] == lang

    match = client.post(f"{API}/suppliers/match", json={"name": "Beta Aerospace"}, headers=headers)
    items = match.json()["items"]
    assert [i["supplier"]["id"] for i in items] == [registry["beta"]]
    assert_labelled(match, merge(supplier_codes(items[0]["supplier"])), catalogue, lang)


def test_suggest_names_standards_in_the_callers_language(client, registry):
    def texts(headers):
        response = client.get(
            f"{API}/suggest", params={"q": "en 9100", "kind": "standard"}, headers=headers
        )
        assert response.status_code == 200, response.text
        return {i["value"]: i["text"] for i in response.json()["items"]}

    assert texts(IT)["en-9100"] == EN9100_IT
    assert (
        texts({})["en-9100"] == "EN 9100 Quality management systems for aviation, space and defence"
    )
    # The other language's name still finds the standard.
    response = client.get(
        f"{API}/suggest", params={"q": "sistemi gestione qualità aeronautica", "kind": "standard"}
    )
    assert [i["value"] for i in response.json()["items"]][:1] == ["en-9100"]


def test_a_catalogue_code_added_since_the_first_read_is_labelled(client, admin, session):
    client.get(f"{API}/suppliers")  # the catalogue is read and kept
    session.add(
        Capability(
            code="machining.labels-probe",
            parent="machining",
            name_en="Probe machining",
            name_it="Lavorazione sonda",
        )
    )
    session.commit()
    body = supplier_payload(5, capabilities=["machining.labels-probe"])
    created = client.post(f"{API}/suppliers", json=body, headers={**admin, **IT})
    assert created.status_code == 201, created.text
    assert created.json()["labels"]["capability"] == {"machining.labels-probe": "Lavorazione sonda"}
