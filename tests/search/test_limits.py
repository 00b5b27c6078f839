"""Every search's cost is bounded: the attacks of the security review, replayed (issue 15).

`q=e.e.e…` (250 one-letter words in one token) and `capability=%` (a LIKE pattern) each held a
worker for minutes at 100,000 suppliers; a forged cursor and 51 comma-separated capabilities
answered 500. Each is now a 422 naming the parameter, and whatever still runs long is cut off
at the request deadline with a 503.
"""

import pytest

from app.config import get_settings
from app.cursors import decode_cursor, encode_cursor
from app.search.text import (
    MAX_SYNONYMS,
    MAX_TERMS,
    NAME_TYPO_MAX_LENGTH,
    Alternative,
    Synonyms,
    Term,
    forms,
    fuzzy_names,
    parse_query,
    query_words,
)
from tests.factories import supplier_payload
from tests.search.conftest import API


def _problem(response, status: int, field: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert ["query", field] in [e["loc"][:2] for e in body.get("errors", [])], body
    return body


def test_punctuation_does_not_smuggle_words_past_the_cap(client, dataset):
    body = _problem(client.get(API, params={"q": ".".join("e" * 250)}), 422, "q")
    assert f"at most {MAX_TERMS} words" in body["errors"][0]["msg"]


@pytest.mark.parametrize("separator", [" ", ".", "-", "/", "'"])
def test_words_are_counted_after_splitting(client, dataset, separator):
    at_cap = separator.join(["titanio"] * MAX_TERMS)
    assert client.get(API, params={"q": at_cap}).status_code == 200
    over = separator.join(["titanio"] * (MAX_TERMS + 1))
    _problem(client.get(API, params={"q": over}), 422, "q")


def test_query_words_split_at_every_non_word_character():
    assert query_words("e.e.e") == ["e", "e", "e"]
    assert query_words("5-axis Qualità") == ["5", "axis", "qualita"]


def test_repeated_words_and_short_words_cost_one_exact_term():
    parsed = parse_query("x x.x.x titanio")
    # One group for `x`, searched as it is (a one-letter prefix would expand to every word
    # starting with it); `titanio` keeps its stemmed prefixes.
    assert parsed.groups == [
        [Alternative((Term(("x",), False),))],
        [Alternative((Term(("titanio",), False),))],
    ]
    assert forms("x") == ["x"]
    assert "titan" in forms("titanio")
    # Stop words are left out when there is anything else, searched when there is not.
    assert parse_query("e e.e.e titanio").groups == parsed.groups[1:]
    assert parse_query("e di").groups == [
        [Alternative((Term(("e",), False),))],
        [Alternative((Term(("di",), False),))],
    ]


def test_glossary_alternatives_are_bounded():
    glossary = Synonyms([["ndt"] + [f"sinonimo{i}" for i in range(40)]])
    (group,) = parse_query("ndt", glossary).groups
    assert group[0] == Alternative((Term(("ndt",), False),))
    assert len(group) == 1 + MAX_SYNONYMS and all(a.synonym for a in group[1:])


def test_a_query_of_many_glossary_terms_stays_cheap(client, dataset):
    # 32 distinct terms, each with up to 12 equivalents: bounded by MAX_TERMS x MAX_SYNONYMS.
    terms = "NDT MRO EDM PCB CFD MLI CNC AM LPBF DED titanio alluminio acciaio elicottero "
    terms += "satellite fresatura tornitura rettifica saldatura lamiera verniciatura cablaggi "
    terms += "avionica collaudo termovuoto trasmissione carrello simulazione addestramento "
    terms += "progettazione assemblaggio attrezzature"
    assert len(terms.split()) == 32
    response = client.get(API, params={"q": terms, "facets": "supply_chain"})
    assert response.status_code == 200
    assert response.json()["total"] >= 4


@pytest.mark.parametrize(
    "code", ["%", "_", "%%", "machining%", "machining.%", "m_chining", "machining\\", "*"]
)
def test_filter_values_are_literals_not_patterns(client, dataset, code):
    body = _problem(client.get(API, params={"capability": code}), 422, "capability")
    assert code in body["errors"][0]["msg"]


def test_capability_subtree_is_matched_literally(client, dataset):
    # A code is still its own subtree: `machining` matches `machining.milling-5-axis`.
    response = client.get(API, params={"capability": "machining"})
    assert response.status_code == 200
    assert response.json()["total"] > 0


def test_catalogue_root_is_a_literal_too(client):
    assert client.get("/api/v1/capabilities", params={"root": "%"}).status_code == 404
    machining = client.get("/api/v1/capabilities", params={"root": "machining"}).json()
    assert machining and all(
        c["code"] == "machining" or c["code"].startswith("machining.") for c in machining
    )


@pytest.mark.parametrize(
    "name,values",
    [
        ("capability", ",".join(["machining"] * 51)),
        ("supply_chain", ",".join(["space"] * 51)),
        ("certification", ",".join(["en-9100"] * 51)),
        ("province", ",".join(["VA"] * 51)),
    ],
)
def test_comma_lists_count_towards_the_value_cap(client, dataset, name, values):
    body = _problem(client.get(API, params={name: values}), 422, name)
    assert "at most 50 values" in body["errors"][0]["msg"]


@pytest.mark.parametrize("name,value", [("tier", "tier1"), ("size_class", "small")])
def test_enumerated_filters_are_capped_too(client, dataset, name, value):
    _problem(client.get(API, params=[(name, value)] * 51), 422, name)


def test_fifty_distinct_capabilities_are_answered(client, dataset):
    codes = [c["code"] for c in client.get("/api/v1/capabilities").json()][:50]
    assert len(codes) == 50
    response = client.get(API, params=[("capability", c) for c in codes])
    assert response.status_code == 200
    assert response.json()["total"] == 0  # nobody holds all fifty


def _forged(client, payload: dict) -> str:
    """A cursor signed with the service's own secret: as if the secret had leaked."""
    first = client.get(API, params={"limit": 1}).json()["next_cursor"]
    genuine = decode_cursor(first)
    return encode_cursor({**genuine, **payload})


@pytest.mark.parametrize(
    "payload",
    [
        {"i": 10**30},
        {"i": -(10**30)},
        {"k": 1e308 * 10},  # json encodes inf as Infinity
        {"k": float("nan")},
        {"k": "x" * 5000},
        {"k": {"nested": 1}},
        {"i": [1] * 50},
    ],
)
def test_forged_cursors_with_huge_or_odd_values_are_422(client, dataset, payload):
    _problem(
        client.get(API, params={"limit": 1, "cursor": _forged(client, payload)}), 422, "cursor"
    )


def test_an_in_range_forged_id_is_still_answered(client, dataset):
    cursor = _forged(client, {"i": 2**31 - 1})
    assert client.get(API, params={"limit": 1, "cursor": cursor}).status_code == 200


@pytest.fixture
def deadline(monkeypatch):
    """Set the request deadline (seconds) for the app's requests."""

    def _set(seconds: float) -> None:
        monkeypatch.setattr(get_settings(), "request_deadline_seconds", seconds)

    return _set


def test_past_the_deadline_a_search_is_503_with_retry_after(client, dataset, deadline):
    deadline(1e-9)
    response = client.get(API, params={"q": "titanio", "facets": "supply_chain,capability"})
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) > 0
    assert "took longer" in response.json()["detail"]
    # The worker and its connection are free at once: the next request is served.
    deadline(5)
    assert client.get(API, params={"q": "titanio"}).status_code == 200


def test_reads_outside_search_have_no_deadline(client, dataset, deadline):
    deadline(1e-9)
    supplier_id = dataset.ids["Meccanica Varesina"]
    assert client.get(f"{API}/{supplier_id}").status_code == 200
    assert client.get("/api/v1/capabilities").status_code == 200


def test_a_long_query_still_puts_a_name_spelt_exactly_first(client, admin, dataset):
    name = "Officine Meccaniche Aeronautiche Lombarde di Precisione"
    assert len(name) > NAME_TYPO_MAX_LENGTH
    created = client.post(API, json=supplier_payload(77, name=name), headers=admin).json()
    items = client.get(API, params={"q": name.upper()}).json()["items"]
    assert items[0]["id"] == created["id"]
    assert items[0]["name"] == name


def test_typos_are_looked_for_in_short_queries_only():
    assert fuzzy_names("Meccanica Varesna")
    assert not fuzzy_names("lavorazioni meccaniche di precisione per elicotteri")
