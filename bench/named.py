"""The named requests of `make bench`: a warm mix (each asked again and again) and the worst
inputs of issue 15 (each asked once, right after a write)."""

import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from app.cursors import decode_cursor, encode_cursor
from app.demo.tables import PROVINCES as DEMO_PROVINCES
from app.scouting.schemas import MAX_CODES
from app.suppliers.validation import PROVINCES
from bench.workload import ALL_FACETS, API, get_json

VARESE = "45.8206,8.8251"
Headers = dict[str, str]
Query = Callable[[httpx.Client], dict]
# A query, or (an untimed step before every run, the query).
Entry = Query | tuple[Callable[[], None], Query]


def get(http: httpx.Client, params: dict) -> dict:
    return get_json(http, API, params=params)


def drop_a_letter(name: str) -> str:
    """Drop one letter from the longest word: a typical typo."""
    words = name.split()
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    word = words[longest]
    words[longest] = word[: len(word) // 2] + word[len(word) // 2 + 1 :]
    return " ".join(words)


def typo_name(http: httpx.Client, max_id: int) -> str:
    """The name of the 778th supplier (or the last of a small bench), misspelt."""
    return drop_a_letter(get_json(http, f"{API}/{min(778, max_id)}")["name"])


def match_candidate(http: httpx.Client, max_id: int) -> dict:
    """A partner's record of an existing supplier (the 4243rd or any of a small bench), with
    a typo in the name."""
    supplier = get_json(http, f"{API}/{4242 % max_id + 1}")
    address = {k: supplier["address"][k] for k in ("street", "city", "province", "postal_code")}
    return {"name": drop_a_letter(supplier["name"]).upper() + " S.R.L.", "address": address}


def match(http: httpx.Client, body: dict, headers: Headers) -> dict:
    response = http.post(f"{API}/match", json=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["items"], "the bench's candidate should match its supplier"
    return response.json()


def deep_cursor(http: httpx.Client, params: dict, depth: int) -> str:
    cursor = None
    for _ in range(depth):
        body = get(http, {**params, **({"cursor": cursor} if cursor else {})})
        cursor = body["next_cursor"]
    assert cursor is not None
    return cursor


def scouting_request(http: httpx.Client, headers: Headers) -> int:
    """A typical buyer's request (one chain, EN 9100, three capabilities, 60 km): its id."""
    lat, lon = (float(part) for part in VARESE.split(","))
    body = {
        "title": "Titanium rotor parts",
        "description": "Fresatura a 5 assi di particolari in titanio per elicotteri, con "
        "controlli non distruttivi.",
        "supply_chains": ["rotary-wing"],
        "required_certifications": ["en-9100"],
        "required_capabilities": ["machining.milling-5-axis", "machining.titanium", "testing.ndt"],
        "preferred_capabilities": ["surface-treatment.anodizing"],
        "near": {"lat": lat, "lon": lon, "radius_km": 60},
        "size_classes": ["small", "medium"],
    }
    response = http.post("/api/v1/scouting-requests", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def scouting_matches(http: httpx.Client, request_id: int, headers: Headers) -> dict:
    body = get_json(http, f"/api/v1/scouting-requests/{request_id}/matches", headers=headers)
    assert body["items"], "the bench's scouting request should have matches"
    return body


def named_queries(
    http: httpx.Client, *, buyer: Headers, partner: Headers, max_id: int, write: Callable[[], None]
) -> dict[str, Entry]:
    """The warm mix: typical searches, a duplicate match and scouting matches."""
    typo = typo_name(http, max_id)
    page31 = deep_cursor(http, {"limit": 20}, 30)
    candidate = match_candidate(http, max_id)
    scouting = scouting_request(http, buyer)
    return {
        "first page, sorted by name": lambda c: get(c, {}),
        "space + EN 9100 + Varese/Milano": lambda c: get(
            c, {"supply_chain": "space", "certification": "en-9100", "province": ["VA", "MI"]}
        ),
        "machining subtree + small/micro": lambda c: get(
            c, {"capability": "machining", "size_class": ["small", "micro"]}
        ),
        "q IT: fresatura titanio": lambda c: get(c, {"q": "fresatura titanio"}),
        "q EN: 5-axis milling titanium": lambda c: get(c, {"q": "5-axis milling titanium"}),
        "q typo in a company name": lambda c: get(c, {"q": typo}),
        "near Varese 60 km by distance": lambda c: get(
            c, {"near": VARESE, "radius_km": 60, "sort": "distance"}
        ),
        "all facets, no filter": lambda c: get(c, {"facets": ALL_FACETS}),
        "all facets + rotary wing + q": lambda c: get(
            c, {"facets": ALL_FACETS, "supply_chain": "rotary-wing", "q": "elicotteri"}
        ),
        "page 31 (30 cursors deep)": lambda c: get(c, {"limit": 20, "cursor": page31}),
        "Nadcap cluster-verified, newest": lambda c: get(
            c,
            {
                "certification": "nadcap-chemical-processing",
                "verification": "cluster-verified",
                "sort": "-updated_at",
            },
        ),
        "match: typo in name + address (partner)": lambda c: match(c, candidate, partner),
        "scouting matches (rotary wing, EN 9100, 3 capabilities, 60 km)": lambda c: (
            scouting_matches(c, scouting, buyer)
        ),
        "scouting matches, after a supplier write": (
            write,
            lambda c: scouting_matches(c, scouting, buyer),
        ),
        "spec example (space, EN 9100, Nadcap, 5-axis, 60 km)": lambda c: get(
            c,
            {
                "supply_chain": "space",
                "certification": ["en-9100", "nadcap-chemical-processing"],
                "capability": "machining.milling-5-axis",
                "near": VARESE,
                "radius_km": 60,
                "facets": ALL_FACETS,
            },
        ),
    }


def time_warm(http: httpx.Client, mix: dict[str, Entry], repeat: int) -> dict[str, list[float]]:
    """Each named query asked once untimed, then `repeat` times timed (ms)."""
    timings: dict[str, list[float]] = {}
    for name, entry in mix.items():
        step, run = entry if isinstance(entry, tuple) else (None, entry)
        run(http)  # warm-up
        samples = []
        for _ in range(repeat):
            if step is not None:
                step()
            started = time.perf_counter()
            run(http)
            samples.append((time.perf_counter() - started) * 1000)
        timings[name] = samples
    return timings


# ---------------------------------------------------------------- worst inputs (issue 15)

# Italian and English words found in nearly every profile (or stop words): 32, the cap of `q`.
# fmt: off
COMMON_WORDS = (
    "di", "e", "il", "la", "per", "con", "da", "del", "della", "che", "un", "una", "le", "lo",
    "in", "a", "al", "the", "and", "of", "to", "for", "with", "on", "is", "at", "by", "an",
    "as", "from", "it", "be",
)
# fmt: on
# The first four inputs are refused (422) and must be within 1 s; the others are searched.
REFUSED = 422
ANSWERED = (200, 503)  # 503: past REQUEST_DEADLINE_SECONDS
# The deadline bounds the time in the database; this much more is allowed for the rest.
DEADLINE_SLACK = 0.5
# Issue 15, item 6: at the caps, a scouting request's matches answer within 3 s.
SCOUTING_AT_CAPS_WITHIN = 3.0


@dataclass
class Hostile:
    """One worst input: the statuses it may get, and the request (answers the status)."""

    expected: tuple[int, ...]
    ask: Callable[[httpx.Client], int]
    # Longest it may take (s); None: the request deadline, plus DEADLINE_SLACK.
    within: float | None = None


Worst = dict[str, tuple[int, float, Hostile]]  # request -> (status, ms, what was expected)


def status_of(http: httpx.Client, params: dict, headers: Headers | None = None) -> int:
    return http.get(API, params=params, headers=headers).status_code


def codes(http: httpx.Client, path: str) -> list[str]:
    return [item["code"] for item in get_json(http, path)]


def provinces(n: int) -> list[str]:
    """n distinct valid province codes: the demo's first, then others (alphabetical)."""
    demo = [p.code for p in DEMO_PROVINCES]
    return (demo + sorted(PROVINCES - set(demo)))[:n]


def forged_cursor(http: httpx.Client) -> str:
    """A genuine next_cursor of the first page, re-signed with a huge number as its `i`
    (the bench and its server share SECRET_KEY)."""
    cursor = get(http, {})["next_cursor"]
    assert cursor is not None
    return encode_cursor({**decode_cursor(cursor), "i": 10**30})


def long_description(http: httpx.Client) -> str:
    """Every distinct word of the catalogue (capability names in Italian and English, supply
    chains, certification standards), as much of it as the field takes."""
    texts = [f"{c['name_it']} {c['name_en']}" for c in get_json(http, "/api/v1/capabilities")]
    texts += [
        f"{c['name_it']} {c['name_en']} {c['description']}"
        for c in get_json(http, "/api/v1/supply-chains")
    ]
    texts += [c["name"] for c in get_json(http, "/api/v1/certification-standards")]
    words = (word.strip("()[],.;:/'\"").lower() for text in texts for word in text.split())
    return " ".join(dict.fromkeys(word for word in words if len(word) > 2))[:20_000]


def scouting_at_caps(http: httpx.Client, headers: Headers) -> tuple[Hostile, Hostile, str]:
    """Create (buyer) a scouting request with every list at its cap, then read its first
    page of matches; and a line describing the request."""
    capabilities = codes(http, "/api/v1/capabilities")
    # Distinct required and preferred codes while there are enough; else each list as full
    # as the catalogue allows.
    required = capabilities[:MAX_CODES]
    rest = capabilities[MAX_CODES:]
    preferred = rest[:MAX_CODES] if len(rest) >= MAX_CODES else capabilities[-MAX_CODES:]
    lat, lon = (float(part) for part in VARESE.split(","))
    description = long_description(http)
    body = {
        "title": "Everything, everywhere",
        "description": description,
        "supply_chains": codes(http, "/api/v1/supply-chains"),
        "required_capabilities": required,
        "preferred_capabilities": preferred,
        "provinces": provinces(MAX_CODES),
        "size_classes": ["micro", "small", "medium", "large"],
        "near": {"lat": lat, "lon": lon, "radius_km": 500},
    }
    created: dict[str, int] = {}

    def create(c: httpx.Client) -> int:
        response = c.post("/api/v1/scouting-requests", json=body, headers=headers)
        if response.status_code == 201:
            created["id"] = response.json()["id"]
        return response.status_code

    def matches(c: httpx.Client) -> int:
        if "id" not in created:
            return 0  # the request was not created
        path = f"/api/v1/scouting-requests/{created['id']}/matches"
        return c.get(path, headers=headers).status_code

    about = (
        f"scouting request at the caps: {len(body['supply_chains'])} chains, "
        f"{len(required)} required + {len(preferred)} preferred capabilities "
        f"({len(set(required) | set(preferred))} distinct), {len(body['provinces'])} provinces, "
        f"4 size classes, near Varese 500 km, description of {len(description.split())} "
        f"distinct words ({len(description)} characters), no certification"
    )
    return (
        Hostile((201,), create),
        Hostile(ANSWERED, matches, within=SCOUTING_AT_CAPS_WITHIN),
        about,
    )


def hostile_requests(http: httpx.Client, buyer: Headers) -> tuple[dict[str, Hostile], str]:
    capabilities = codes(http, "/api/v1/capabilities")
    standards = codes(http, "/api/v1/certification-standards")
    fifty = (capabilities * MAX_CODES)[:50]
    cursor = forged_cursor(http)
    create, matches, about = scouting_at_caps(http, buyer)

    def ask(params: dict) -> Hostile:
        return Hostile(ANSWERED, lambda c: status_of(c, params))

    def refused(params: dict) -> Hostile:
        return Hostile((REFUSED,), lambda c: status_of(c, params), within=1.0)

    return {
        "q: 250 one-letter words joined by dots": refused({"q": ".".join(["e"] * 250)}),
        "capability=% repeated 50 times": refused({"capability": ["%"] * 50}),
        "51 comma-separated capabilities in one value": refused(
            {"capability": ",".join((capabilities * 51)[:51])}
        ),
        "forged cursor with i = 10**30": refused({"cursor": cursor}),
        "q=e + all facets": ask({"q": "e", "facets": ALL_FACETS}),
        "q: 32 common short words + all facets": ask(
            {"q": " ".join(COMMON_WORDS), "facets": ALL_FACETS}
        ),
        "q: 16 common words joined by ' or '": ask({"q": " or ".join(COMMON_WORDS[:16])}),
        "q=-e (exclusion only)": ask({"q": "-e"}),
        f"{len(set(fifty))} distinct capabilities + all facets": ask(
            {"capability": fifty, "facets": ALL_FACETS}
        ),
        f"all {len(standards)} certification standards + all facets": ask(
            {"certification": standards, "facets": ALL_FACETS}
        ),
        "all facets, no filter": ask({"facets": ALL_FACETS}),
        "near, radius 20,000 km, by distance + all facets": ask(
            {"near": "45.8,8.8", "radius_km": 20000, "sort": "distance", "facets": ALL_FACETS}
        ),
        "50 provinces + near, by distance + all facets": ask(
            {
                "province": provinces(50),
                "near": "45.8,8.8",
                "radius_km": 20000,
                "sort": "distance",
                "facets": ALL_FACETS,
            }
        ),
        "36-char q, updated since 2000, newest + all facets": ask(
            {
                "q": "lavorazioni meccaniche di precisione",
                "updated_since": "2000-01-01",
                "sort": "-updated_at",
                "facets": ALL_FACETS,
            }
        ),
        "scouting at the caps: create (buyer)": create,
        "scouting at the caps: first matches page (buyer)": matches,
    }, about


def time_worst(
    http: httpx.Client, *, buyer: Headers, write: Callable[[], None]
) -> tuple[Worst, str]:
    """Ask each worst input once, right after a supplier write (nothing cached still holds)."""
    requests, about = hostile_requests(http, buyer)
    results: Worst = {}
    for name, hostile in requests.items():
        write()
        started = time.perf_counter()
        status = hostile.ask(http)
        results[name] = (status, (time.perf_counter() - started) * 1000, hostile)
    return results, about


def hostile_problems(status: int, ms: float, hostile: Hostile, deadline: float) -> list[str]:
    """What is wrong with one worst input's answer (nothing, usually)."""
    problems = []
    if status not in hostile.expected:
        expected = " or ".join(map(str, hostile.expected))
        problems.append(f"status {status}, expected {expected}")
    if hostile.within is not None and ms >= hostile.within * 1000:
        problems.append(f"{ms:.0f} ms, promised under {hostile.within:g} s")
    elif hostile.within is None and ms > (deadline + DEADLINE_SLACK) * 1000:
        problems.append(f"{ms:.0f} ms, past the {deadline:g} s deadline")
    return problems
