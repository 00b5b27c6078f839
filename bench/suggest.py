"""Suggestions as you type in `make bench`: distinct prefixes of what buyers type (the first
2..6 letters of company names, capability labels in both languages, standards and programs,
of the whole text or of a later word, some with a typo), each asked once (cold), with a
supplier write before every WRITE_EVERY of them, so no per-query cache can answer."""

from collections.abc import Callable
from random import Random

import httpx

from app.demo.tables import PROGRAMS
from app.search.text import words_of
from bench.cold import WRITE_EVERY, Ask, timed
from bench.workload import Vocabulary, get_json

SUGGEST = "/api/v1/suggest"
PREFIX_LENGTHS = (2, 3, 3, 4, 4, 5, 6)
TYPO_SHARE = 0.35  # prefixes of 5 letters or more given a slip (a letter dropped or swapped)
LATER_WORD_SHARE = 0.3  # prefixes of a later word of the text rather than of its start


def sources(http: httpx.Client, v: Vocabulary) -> dict[str, list[str]]:
    """The texts buyers type the start of, by kind."""
    capabilities = get_json(http, "/api/v1/capabilities")
    standards = get_json(http, "/api/v1/certification-standards")
    return {
        "supplier": list(v.names),
        "capability": [c[f"name_{lang}"] for c in capabilities for lang in ("it", "en")],
        "standard": [s["name"] for s in standards],
        "program": sorted({tag for tags in PROGRAMS.values() for tag in tags}),
    }


def slip(rnd: Random, prefix: str) -> str:
    """A letter dropped or two neighbours swapped, never the first letter."""
    at = rnd.randrange(1, len(prefix) - 1)
    if rnd.random() < 0.5:
        return prefix[:at] + prefix[at + 1 :]
    return prefix[:at] + prefix[at + 1] + prefix[at] + prefix[at + 2 :]


def prefixes(rnd: Random, texts: dict[str, list[str]], count: int) -> list[tuple[str, str]]:
    """`count` distinct (q, shape) pairs; shape: `<kind> <letters>` plus `typo` or `later`."""
    asked: dict[str, str] = {}
    kinds = sorted(texts)
    attempts = 0
    while len(asked) < count and attempts < 50 * count:
        attempts += 1
        kind = rnd.choice(kinds)
        words = words_of(rnd.choice(texts[kind]))
        if not words:
            continue
        later = len(words) > 1 and rnd.random() < LATER_WORD_SHARE
        start = rnd.randrange(1, len(words)) if later else 0
        text = " ".join(words[start:])
        length = rnd.choice(PREFIX_LENGTHS)
        q = text[:length].strip()
        shape = f"{kind}, {len(q)} letters" + (", later word" if later else "")
        if len(q) >= 5 and rnd.random() < TYPO_SHARE:
            q = slip(rnd, q)
            shape = f"{kind}, typo"
        if q and q not in asked:
            asked[q] = shape
    return list(asked.items())


def time_suggestions(
    http: httpx.Client, v: Vocabulary, *, count: int, rnd: Random, write: Callable[[], None]
) -> list[Ask]:
    """Ask `count` distinct prefixes once each (alternately in Italian and English), with a
    supplier write before every WRITE_EVERY of them."""
    asks = []
    for n, (q, shape) in enumerate(prefixes(rnd, sources(http, v), count)):
        if n % WRITE_EVERY == 0:
            write()
        params = {"q": q, "lang": ("it", "en")[n % 2]}
        response, ms = timed(lambda params=params: http.get(SUGGEST, params=params))
        items = len(response.json()["items"]) if response.status_code == 200 else 0
        asks.append(Ask(response.status_code, ms, {**params, "shape": shape}, 1, items))
    return asks
