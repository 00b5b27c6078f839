"""Random buyer workload of `make bench`: distinct searches and scouting requests.

Every query is built from what the running service publishes (the catalogue endpoints and a
sample of supplier profiles read through the API), so its codes, words and places exist in
the data at hand. The same seed, data and day give the same queries (dates are drawn relative
to today, as the demo data's are).
"""

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from random import Random
from typing import Any

import httpx

API = "/api/v1/suppliers"
FACETS = ("supply_chain", "capability", "certification", "province", "size_class", "tier")
ALL_FACETS = ",".join(FACETS)
SIZE_CLASSES = ("micro", "small", "medium", "large")
TIERS = ("oem", "tier1", "tier2", "tier3")
VERIFICATION_LEVELS = ("self-declared", "document", "cluster-verified", "registry-verified")
LIMITS = (20, 20, 20, 20, 50, 50, 100)
RADII_KM = (10, 25, 40, 60, 100, 200)
# How many filters a search combines (text aside): mostly one to three, as frontends send.
FILTER_COUNTS = (0, 1, 1, 1, 2, 2, 2, 3, 3, 4)
TEXT_SHARE = 0.55  # searches with `q`
DEEP_SHARE = 0.15  # searches whose reader follows next_cursor for DEEP_PAGES more pages
DEEP_PAGES = (3, 10)
SAMPLE_PROFILES = 60  # supplier profiles read for names, description words and places
# Template words of the demo descriptions that no buyer types.
# fmt: off
STOP_WORDS = frozenset((
    "with", "from", "since", "that", "this", "also", "offers", "offered", "provides", "based",
    "located", "their", "have", "specialising", "specialises", "supplies", "parts", "services",
    "programme", "programmes", "employs", "people", "system", "quality", "certified",
    "della", "dello", "degli", "delle", "sono", "anche", "offre", "inoltre", "sede", "conta",
    "addetti", "specializzata", "specializzato", "occupa", "fornisce", "componenti", "servizi",
    "programma", "programmi", "sistema", "qualità", "certificato", "italia", "group",
))
# fmt: on


@dataclass(frozen=True)
class Vocabulary:
    """Codes, words and places a buyer's query is drawn from."""

    supply_chains: tuple[str, ...]
    capabilities: tuple[str, ...]
    parents: tuple[str, ...]  # capability codes with descendants
    certifications: tuple[str, ...]
    label_words: tuple[str, ...]  # capability labels, Italian and English
    label_phrases: tuple[str, ...]  # labels of two words or more
    description_words: tuple[str, ...]
    names: tuple[str, ...]  # company names
    provinces: tuple[str, ...]
    places: tuple[tuple[float, float], ...]  # (lat, lon) of suppliers' sites


@dataclass(frozen=True)
class Search:
    """One buyer search: its parameters, and how many next pages the reader goes on to."""

    params: dict[str, Any]
    follow: int = 0


def get_json(http: httpx.Client, path: str, **kwargs: Any) -> Any:
    """The JSON body of a GET that must answer 200."""
    response = http.get(path, **kwargs)
    assert response.status_code == 200, f"{path}: {response.status_code} {response.text[:500]}"
    return response.json()


def words_of(text: str, *, min_length: int = 4) -> list[str]:
    """The lower-case words (letters only) of `text` a buyer could type."""
    found = (w.lower() for w in re.findall(r"[^\W\d_]+", text) if len(w) >= min_length)
    return [w for w in found if w not in STOP_WORDS]


def distinct(items: Iterator[Any] | list[Any]) -> tuple[Any, ...]:
    return tuple(dict.fromkeys(items))


def sample_profiles(http: httpx.Client, *, rnd: Random, max_id: int) -> list[dict]:
    """Up to SAMPLE_PROFILES supplier profiles at random ids (deleted ones skipped)."""
    ids = sorted(rnd.sample(range(1, max_id + 1), min(SAMPLE_PROFILES, max_id)))
    responses = (http.get(f"{API}/{supplier_id}") for supplier_id in ids)
    return [r.json() for r in responses if r.status_code == 200]


def read_vocabulary(http: httpx.Client, *, rnd: Random, max_id: int) -> Vocabulary:
    """The catalogue's codes and labels, and words and places of a sample of profiles."""
    capabilities = get_json(http, "/api/v1/capabilities")
    labels = [c[f"name_{language}"] for c in capabilities for language in ("it", "en")]
    profiles = sample_profiles(http, rnd=rnd, max_id=max_id)
    assert profiles, "the bench needs suppliers to draw queries from"
    return Vocabulary(
        supply_chains=tuple(c["code"] for c in get_json(http, "/api/v1/supply-chains")),
        capabilities=tuple(c["code"] for c in capabilities),
        parents=distinct(sorted(c["parent"] for c in capabilities if c["parent"])),
        certifications=tuple(c["code"] for c in get_json(http, "/api/v1/certification-standards")),
        label_words=distinct(w for label in labels for w in words_of(label)),
        label_phrases=distinct(label.lower() for label in labels if len(label.split()) > 1),
        description_words=distinct(w for p in profiles for w in words_of(p["description"])),
        names=distinct(p["name"] for p in profiles),
        provinces=distinct(
            sorted(p["address"]["province"] for p in profiles if p["address"]["province"])
        ),
        places=tuple(
            (p["location"]["lat"], p["location"]["lon"]) for p in profiles if p["location"]
        ),
    )


# ---------------------------------------------------------------- text


def typo(rnd: Random, name: str) -> str:
    """The name with one slip in its longest word: a letter dropped, doubled or swapped."""
    words = name.split()
    i = max(range(len(words)), key=lambda n: len(words[n]))
    word = words[i]
    if len(word) < 4:
        return name
    at = rnd.randrange(1, len(word) - 1)
    slip = rnd.choice(("drop", "double", "swap"))
    if slip == "drop":
        word = word[:at] + word[at + 1 :]
    elif slip == "double":
        word = word[:at] + word[at] + word[at:]
    else:
        word = word[: at - 1] + word[at] + word[at - 1] + word[at + 1 :]
    return " ".join([*words[:i], word, *words[i + 1 :]])


def some_words(rnd: Random, v: Vocabulary, count: int) -> list[str]:
    """`count` words, mostly from capability labels, some from descriptions."""
    return [
        rnd.choice(v.label_words if rnd.random() < 0.65 else v.description_words)
        for _ in range(count)
    ]


# Acronyms and short forms buyers type; the glossary expands them (app/search/text.py).
ACRONYMS = ("NDT", "CND", "MRO", "EDM", "PCB", "CNC", "AM", "LPBF", "CFD", "MLI", "AOG", "FAI")


def text_query(rnd: Random, v: Vocabulary) -> str:
    """What a buyer types: words (some misspelt), several concepts at once, an acronym, a
    company name (maybe misspelt), a phrase, `or`, `-word`."""
    kind = rnd.random()
    if kind < 0.30:
        return " ".join(distinct(some_words(rnd, v, rnd.randint(1, 3))))
    if kind < 0.38:  # several concepts, one of them unknown to the registry
        words = list(distinct(some_words(rnd, v, rnd.randint(3, 5))))
        return " ".join([*words, rnd.choice(("kryptonite", "unobtainium", "zzfoo"))])
    if kind < 0.46:  # a misspelt word among others
        words = list(distinct(some_words(rnd, v, rnd.randint(1, 2))))
        return " ".join([typo(rnd, words[0]), *words[1:]])
    if kind < 0.52:
        return f"{rnd.choice(ACRONYMS)} {some_words(rnd, v, 1)[0]}"
    if kind < 0.60:
        return rnd.choice(v.names)
    if kind < 0.70:
        return typo(rnd, rnd.choice(v.names))
    if kind < 0.79:
        phrase = f'"{rnd.choice(v.label_phrases)}"'
        return phrase if rnd.random() < 0.5 else f"{phrase} {some_words(rnd, v, 1)[0]}"
    a, b, c = some_words(rnd, v, 3)
    if kind < 0.89:
        return f"{a} or {b}"
    return f"{a} -{c}" if rnd.random() < 0.5 else f"{a} {b} -{c}"


# ---------------------------------------------------------------- filters


def chains(rnd: Random, v: Vocabulary, today: date) -> dict[str, Any]:
    return {"supply_chain": rnd.sample(v.supply_chains, rnd.choice((1, 1, 2)))}


def capabilities(rnd: Random, v: Vocabulary, today: date) -> dict[str, Any]:
    """One or two codes; four in ten are inner nodes of the taxonomy (descendants match)."""
    count = rnd.choice((1, 1, 2))
    codes = (rnd.choice(v.parents if rnd.random() < 0.4 else v.capabilities) for _ in range(count))
    return {"capability": list(distinct(codes))}


def certifications(rnd: Random, v: Vocabulary, today: date) -> dict[str, Any]:
    """One or two standards, sometimes valid on another day, sometimes at a trust level."""
    params: dict[str, Any] = {"certification": rnd.sample(v.certifications, rnd.choice((1, 1, 2)))}
    if rnd.random() < 0.5:
        params["valid_on"] = (today + timedelta(days=rnd.randint(-730, 365))).isoformat()
    if rnd.random() < 0.5:
        params["verification"] = rnd.choice(VERIFICATION_LEVELS)
    return params


def provinces(rnd: Random, v: Vocabulary, today: date) -> dict[str, Any]:
    return {"province": rnd.sample(v.provinces, min(len(v.provinces), rnd.randint(1, 3)))}


def size_classes(rnd: Random, v: Vocabulary, today: date) -> dict[str, Any]:
    return {"size_class": rnd.sample(SIZE_CLASSES, rnd.choice((1, 1, 2)))}


def tiers(rnd: Random, v: Vocabulary, today: date) -> dict[str, Any]:
    return {"tier": rnd.sample(TIERS, rnd.choice((1, 1, 2)))}


def employees(rnd: Random, v: Vocabulary, today: date) -> dict[str, Any]:
    """A head-count range: at least, at most, or between."""
    low, high = rnd.choice((10, 20, 50, 100, 250)), rnd.choice((49, 99, 249, 499, 1000))
    form = rnd.choice(("min", "max", "both"))
    if form == "min":
        return {"min_employees": low}
    if form == "max":
        return {"max_employees": high}
    return {"min_employees": min(low, high), "max_employees": max(low, high)}


def verified(rnd: Random, v: Vocabulary, today: date) -> dict[str, Any]:
    return {"verified": rnd.choice(("true", "true", "false"))}


def updated_since(rnd: Random, v: Vocabulary, today: date) -> dict[str, Any]:
    """Changed since a day of the last six years (the demo's profiles span them)."""
    day = today - timedelta(days=rnd.randint(1, 6 * 365))
    return {"updated_since": f"{day.isoformat()}T00:00:00Z"}


def near(rnd: Random, v: Vocabulary, today: date) -> dict[str, Any]:
    """A supplier's site, usually with a radius (a filter), else for distances only."""
    lat, lon = rnd.choice(v.places)
    params: dict[str, Any] = {"near": f"{lat:.4f},{lon:.4f}"}
    if rnd.random() < 0.85:
        params["radius_km"] = rnd.choice(RADII_KM)
    return params


Filter = Callable[[Random, Vocabulary, date], dict[str, Any]]
FILTERS: tuple[Filter, ...] = (
    chains,
    capabilities,
    certifications,
    provinces,
    size_classes,
    tiers,
    employees,
    verified,
    updated_since,
    near,
)


# ---------------------------------------------------------------- searches


def sort_for(rnd: Random, params: dict[str, Any]) -> str:
    """Any sort the query allows: relevance with text, distance with a point."""
    options = ["name", "-updated_at"]
    options += ["relevance"] * 3 if "q" in params else []
    options += ["distance"] * 2 if "near" in params else []
    return rnd.choice(options)


def facets(rnd: Random) -> str | None:
    """All six facets on most searches (a results page with its filter sidebar)."""
    kind = rnd.random()
    if kind < 0.8:
        return ALL_FACETS
    if kind < 0.9:
        return ",".join(rnd.sample(FACETS, rnd.randint(1, 3)))
    return None


def search(rnd: Random, v: Vocabulary, today: date) -> Search:
    """One random buyer search."""
    params: dict[str, Any] = {}
    if rnd.random() < TEXT_SHARE:
        params["q"] = text_query(rnd, v)
    for make in rnd.sample(FILTERS, rnd.choice(FILTER_COUNTS)):
        params |= make(rnd, v, today)
    params["sort"] = sort_for(rnd, params)
    if chosen := facets(rnd):
        params["facets"] = chosen
    params["limit"] = rnd.choice(LIMITS)
    follow = rnd.randint(*DEEP_PAGES) if rnd.random() < DEEP_SHARE else 0
    return Search(params, follow)


def searches(rnd: Random, v: Vocabulary, today: date) -> Iterator[Search]:
    """Endless distinct searches (no two with the same parameters)."""
    seen: set[str] = set()
    while True:
        found = search(rnd, v, today)
        key = json.dumps(found.params, sort_keys=True)
        if key not in seen:
            seen.add(key)
            yield found


# ---------------------------------------------------------------- scouting and writes


def scouting_request(rnd: Random, v: Vocabulary, today: date, n: int) -> dict[str, Any]:
    """One random scouting request body (a buyer's need), the `n`th of the run."""
    codes = rnd.sample(v.capabilities + v.parents, rnd.randint(1, 6))
    split = rnd.randint(0, len(codes))
    body: dict[str, Any] = {
        "title": f"Bench need {n}: {rnd.choice(v.label_phrases)}"[:200],
        "description": " ".join(some_words(rnd, v, rnd.randint(3, 10))),
        "supply_chains": rnd.sample(v.supply_chains, rnd.choice((1, 1, 2))),
        "required_capabilities": list(distinct(codes[:split])),
        "preferred_capabilities": [c for c in distinct(codes[split:]) if c not in codes[:split]],
    }
    if rnd.random() < 0.35:
        body["required_certifications"] = rnd.sample(v.certifications, rnd.choice((1, 1, 2)))
    if rnd.random() < 0.5:
        body["provinces"] = rnd.sample(v.provinces, min(len(v.provinces), rnd.randint(1, 3)))
    if rnd.random() < 0.5:
        lat, lon = rnd.choice(v.places)
        body["near"] = {"lat": lat, "lon": lon, "radius_km": rnd.choice(RADII_KM)}
    if rnd.random() < 0.4:
        body["size_classes"] = rnd.sample(SIZE_CLASSES, rnd.choice((1, 2)))
    if rnd.random() < 0.4:
        body["needed_by"] = (today + timedelta(days=rnd.randint(30, 365))).isoformat()
    if rnd.random() < 0.3:
        body["min_verification"] = rnd.choice(VERIFICATION_LEVELS)
    return body


def supplier_change(rnd: Random, v: Vocabulary, n: int) -> dict[str, Any]:
    """A PATCH body changing a supplier's description and head count (the `n`th write)."""
    words = " ".join(some_words(rnd, v, 12))
    return {
        "description": f"Profilo aggiornato {n}: {words}. Updated profile.",
        "employees": rnd.randint(1, 600),
    }
