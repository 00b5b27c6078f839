"""Suggestions as you type (`GET /suggest`): supplier names, capabilities, certification
standards and program tags that complete, or correct, what the caller is typing.

Everything is compared as folded words (`app.search.text.words_of`: lower case, accents
removed, split at punctuation). The query's last word is the prefix being typed; every
earlier word must start a word of the candidate (whole or as a prefix). A candidate
*completes* the query when one of its words starts with the last word; it *corrects* it when
one of its words starts with something within OSA edits (insertion, deletion, substitution,
transposition of neighbours) of the last word: one edit from CORRECTION_MIN_LETTERS letters,
two from TWO_EDITS_FROM letters, never for a last word with fewer letters (numbers are not
corrected: `9100` is not a typo of `9110`). Corrections only fill the room completions leave
(company names are not even looked up for them when completions fill the page).

Ranking, within completions and then within corrections: fewer edits; the whole text starting
with the query (`tita` -> "Titanium machining") before a later word starting with it
("Lavorazione del titanio"); a capability label matched in the other language than the
caller's after both (it is shown in the caller's language); then more live suppliers found;
then the text. Kinds are mixed: each kind present gets an equal share of the page first, and
what a kind leaves unused goes to the others in rank order. Entries that find no live
supplier are left out, and suppliers sharing a name are suggested once.

Costs are bounded whatever the query: a prefix expands to at most EXPANSION indexed words
(scanning at most SCAN vocabulary entries), at most CANDIDATES suppliers per tier are
checked, and typo candidates among supplier names are only words sharing the last word's
first or second letter (a typo in the first letter of a company name is not corrected; the
catalogues and program tags, which are small, are compared whole).
"""

import bisect
import math
import weakref
from collections.abc import Collection, Container, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field
from pyroaring import BitMap
from rapidfuzz import process
from rapidfuzz.distance import OSA
from sqlmodel import Session, col, select

from app.catalogue.labels import Language, catalogue_labels
from app.search.engine import engine_for
from app.search.index import SupplierIndex, first_k, to_numpy
from app.search.text import words_of
from app.suppliers.models import Supplier

SuggestKind = Literal["supplier", "capability", "standard", "program"]
KINDS: tuple[SuggestKind, ...] = ("capability", "standard", "program", "supplier")
MAX_Q = 100
MAX_LIMIT = 20
CORRECTION_MIN_LETTERS = 4
TWO_EDITS_FROM = 8
EXPANSION = 128  # indexed words one query word may expand to
SCAN = 20_000  # vocabulary entries looked at per query word (corrections: per first letter)
CANDIDATES = 256  # supplier documents checked per tier
HEAD_WORDS = 16  # typo-corrected words whose names are also looked up in name order
SMALL = 5_000  # word lists up to this size are compared whole for typos
OTHER_LANGUAGE = 2  # tier offset of a capability matched in the other language


class SuggestItem(BaseModel):
    kind: SuggestKind = Field(
        description="`supplier` (a company name), `capability`, `standard` (a certification "
        "standard) or `program` (a program tag such as `AW139`)."
    )
    text: str = Field(
        description="What to show: the company name, the capability label in the response's "
        "language, the standard's name in that language, or the program tag."
    )
    value: str = Field(
        description="What to search with: the supplier id (`GET /suppliers/{id}`), the "
        "capability or standard code (`capability=` / `certification=`), or the program tag "
        "(`q=`)."
    )
    count: int | None = Field(
        description="Live suppliers the value finds (a capability with its descendants; a "
        "standard: certificates valid today); null for a supplier."
    )
    corrected: bool = Field(
        description="True when the item corrects a typo in the last word rather than "
        "completing it; corrections always follow completions."
    )


class SuggestPage(BaseModel):
    q: str = Field(description="The query as received, to match answers to keystrokes.")
    items: list[SuggestItem] = Field(
        description="Completions first, then corrections; kinds mixed, best first."
    )


@dataclass(frozen=True)
class _Query:
    done: tuple[str, ...]  # words typed in full (each must start a word of the candidate)
    last: str  # the word being typed
    edits: int  # typo allowance of `last` (0: no corrections)


@dataclass(order=True)
class _Hit:
    key: tuple[int, int, int, str, int, str] = field(init=False, repr=False)
    kind: SuggestKind = field(compare=False)
    text: str = field(compare=False)
    value: str = field(compare=False)
    count: int | None = field(compare=False)
    distance: int = field(compare=False)  # 0: a completion
    tier: int = field(compare=False)

    def __post_init__(self) -> None:
        self.key = (
            self.distance,
            self.tier,
            -(self.count if self.count is not None else 1),
            " ".join(words_of(self.text)),
            KINDS.index(self.kind),
            self.value,
        )


@dataclass(frozen=True)
class _Entry:
    """A catalogue entry or program tag: its word lists (each with a tier offset)."""

    kind: SuggestKind
    value: str
    text: str
    forms: tuple[tuple[tuple[str, ...], int], ...]


def allowed_edits(word: str) -> int:
    """Typos tolerated in the word being typed: by its number of letters."""
    letters = sum(ch.isalpha() for ch in word)
    if letters >= TWO_EDITS_FROM:
        return 2
    return 1 if letters >= CORRECTION_MIN_LETTERS else 0


def parse(q: str) -> _Query | None:
    words = words_of(q)
    if not words:
        return None
    return _Query(tuple(dict.fromkeys(words[:-1])), words[-1], allowed_edits(words[-1]))


# ---------------------------------------------------------------- matching one word list


def _tier(words: Sequence[str], query: _Query, last_at: Iterable[int]) -> int:
    """0 when the words start with the query's words in order (the last one at a position of
    `last_at`), else 1."""
    n = len(query.done)
    sequential = all(words[i].startswith(d) for i, d in enumerate(query.done))
    return 0 if n < len(words) and sequential and n in set(last_at) else 1


def _done_match(words: Sequence[str], query: _Query) -> bool:
    return all(any(w.startswith(d) for w in words) for d in query.done)


def completion_tier(words: Sequence[str], query: _Query) -> int | None:
    """The tier of `words` completing the query, or None."""
    at = [i for i, w in enumerate(words) if w.startswith(query.last)]
    if not at or not _done_match(words, query):
        return None
    return _tier(words, query, at)


def correction(words: Sequence[str], query: _Query, near: dict[str, int]) -> tuple[int, int] | None:
    """(edits, tier) of `words` correcting the query's last word, or None; `near` holds the
    words close to it (`close_words`)."""
    if not query.edits or not near or not _done_match(words, query):
        return None
    far = query.edits + 1
    distances = [near.get(w, far) for w in words]
    best = min(distances, default=far)
    if best > query.edits:
        return None
    at = [i for i, d in enumerate(distances) if d == best]
    return best, _tier(words, query, at)


def close_words(words: Sequence[str], last: str, edits: int) -> dict[str, int]:
    """Of `words`, those with a prefix within `edits` (but not 0) of `last`: word -> edits.
    One C-speed comparison per distinct prefix."""
    n = len(last)
    owners: dict[str, list[str]] = {}
    for word in words:
        if len(word) < n - edits:
            continue
        for length in range(max(1, n - edits), min(len(word), n + edits) + 1):
            owners.setdefault(word[:length], []).append(word)
    found: dict[str, int] = {}
    for prefix, distance, _ in process.extract(
        last, list(owners), scorer=OSA.distance, score_cutoff=edits, limit=None
    ):
        for word in owners[prefix]:
            found[word] = min(found.get(word, edits + 1), int(distance))
    return {w: d for w, d in found.items() if d > 0 and d <= edits}


# ---------------------------------------------------------------- sorted word lists


def prefixed(words: Sequence[str], prefix: str, *, keep: Container[str] | None = None) -> list[str]:
    """Words of the sorted `words` starting with `prefix` (and in `keep`, a container, when
    given): at most EXPANSION of them, scanning at most SCAN entries."""
    start = bisect.bisect_left(words, prefix)
    found = []
    for word in _from(words, start):
        if not word.startswith(prefix):
            break
        if keep is None or word in keep:
            found.append(word)
            if len(found) == EXPANSION:
                break
    return found


def _from(words: Sequence[str], start: int) -> Iterator[str]:
    """Up to SCAN words of `words` from position `start` (without walking up to it)."""
    for i in range(start, min(len(words), start + SCAN)):
        yield words[i]


def typo_pool(words: Sequence[str], last: str, *, keep: Container[str] | None = None) -> list[str]:
    """Words of the sorted `words` that may be a typo away from `last`: all of a small list,
    else those starting with its first or second letter (SCAN entries each at most)."""
    if len(words) <= SMALL and keep is None:
        return list(words)
    pool: list[str] = []
    for letter in dict.fromkeys(last[:2]):
        for word in _from(words, bisect.bisect_left(words, letter)):
            if not word.startswith(letter):
                break
            if keep is None or word in keep:
                pool.append(word)
    return pool


# ---------------------------------------------------------------- catalogue and programs


def _entry_hits(
    entries: Iterable[_Entry], query: _Query, counts: "Counter", near: dict[str, int]
) -> list[_Hit]:
    hits = []
    for entry in entries:
        best: tuple[int, int] | None = None
        for words, offset in entry.forms:
            tier = completion_tier(words, query)
            found = (0, tier + offset) if tier is not None else None
            if found is None:
                fixed = correction(words, query, near)
                found = (fixed[0], fixed[1] + offset) if fixed else None
            if found is not None and (best is None or found < best):
                best = found
        if best is None:
            continue
        count = counts(entry)
        if count:
            hits.append(_Hit(entry.kind, entry.text, entry.value, count, *best))
    return hits


class Counter:
    """Live suppliers each entry finds, from the index."""

    def __init__(self, index: SupplierIndex, *, day: date, subtrees: dict[str, list[str]]):
        self.index, self.day, self.subtrees = index, day, subtrees

    def __call__(self, entry: _Entry) -> int:
        index = self.index
        if entry.kind == "capability":
            bitmaps = index.values["capability"]
            found = [bitmaps[c] for c in self.subtrees.get(entry.value, ()) if c in bitmaps]
            return index.live.intersection_cardinality(BitMap.union(*found)) if found else 0
        if entry.kind == "standard":
            valid = index.valid_certificates(standard=entry.value, day=self.day, verification=None)
            return len(valid)
        key = "".join(words_of(entry.value))
        tagged = index.programs.get(key)
        return index.live.intersection_cardinality(tagged) if tagged is not None else 0


def _compact(words: Sequence[str]) -> tuple[tuple[str, ...], int] | None:
    """The words run together (`M-346` -> `m346`, `en-9100` -> `en9100`), as a form."""
    return ((("".join(words)),), 0) if len(words) > 1 else None


Rows = tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Catalogue:
    """The catalogue entries in one language, their words, and each capability's subtree
    (itself and its descendants)."""

    entries: tuple[_Entry, ...]
    words: tuple[str, ...]
    subtrees: dict[str, list[str]]


def catalogue(session: Session, *, lang: Language) -> Catalogue:
    """Capabilities and standards (labelled in `lang`, matched in both languages), from the
    per-process catalogue labels (`app.catalogue.labels.catalogue_labels`: no statement per
    request); what is built of them is kept while they are the same."""
    known = catalogue_labels(session)

    def rows(kind: str) -> Rows:
        return tuple((code, en, it) for code, (en, it) in sorted(known[kind].items()))

    return _catalogue(lang, rows("capability"), rows("certification"))


@lru_cache(maxsize=8)
def _catalogue(lang: Language, capabilities: Rows, standards: Rows) -> Catalogue:
    entries: list[_Entry] = []
    codes = [code for code, _, _ in capabilities]
    subtrees = {c: [x for x in codes if x == c or x.startswith(f"{c}.")] for c in codes}
    for code, name_en, name_it in capabilities:
        own, other = (name_it, name_en) if lang == "it" else (name_en, name_it)
        both = ((tuple(words_of(own)), 0), (tuple(words_of(other)), OTHER_LANGUAGE))
        entries.append(_Entry("capability", code, own, both))
    for code, name_en, name_it in standards:
        name, other = (name_it, name_en) if lang == "it" else (name_en, name_it)
        code_words = tuple(words_of(code))
        forms = [(tuple(words_of(name)), 0), (code_words, 0)]
        if other != name:
            forms.append((tuple(words_of(other)), OTHER_LANGUAGE))
        compact = _compact(code_words)
        if compact:
            forms.append(compact)
        entries.append(_Entry("standard", code, name, tuple(forms)))
    words = sorted({w for e in entries for form, _ in e.forms for w in form})
    return Catalogue(tuple(entries), tuple(words), subtrees)


class _Tags:
    """The program tags of an index as a sorted word list (word -> folded tags), rebuilt when
    a new tag appears (tags are only ever added; their counts come from `live`)."""

    def __init__(self, index: SupplierIndex) -> None:
        self.size = len(index.programs)
        owners: dict[str, list[str]] = {}
        self.entries: dict[str, _Entry] = {}
        for key, tag in index.program_tags.items():
            words = tuple(words_of(tag))
            forms = [(words, 0)]
            compact = _compact(words)
            if compact:
                forms.append(compact)
            self.entries[key] = _Entry("program", tag, tag, tuple(forms))
            for form, _ in forms:
                for word in form:
                    owners.setdefault(word, []).append(key)
        self.words = sorted(owners)
        self.owners = owners


_tags: "weakref.WeakKeyDictionary[SupplierIndex, _Tags]" = weakref.WeakKeyDictionary()


def program_entries(index: SupplierIndex, query: _Query) -> tuple[list[_Entry], dict[str, int]]:
    """The program tags with a word that completes or corrects the last word, and the tag
    words close to it."""
    tags = _tags.get(index)
    if tags is None or tags.size != len(index.programs):
        tags = _tags[index] = _Tags(index)
    words = prefixed(tags.words, query.last)
    near = {}
    if query.edits:
        near = close_words(typo_pool(tags.words, query.last), query.last, query.edits)
    keys = dict.fromkeys(key for word in [*words, *near] for key in tags.owners[word])
    return [tags.entries[key] for key in keys], near


# ---------------------------------------------------------------- supplier names


def _names_starting(index: SupplierIndex, word: str) -> BitMap:
    """Documents with a name (or legal name) word starting with `word` (bounded)."""
    postings = index.postings["name"]
    found = [postings[w] for w in prefixed(index.vocabulary, word, keep=postings)]
    return BitMap.union(*found) if found else BitMap()


def _alphabetical(index: SupplierIndex, docs: BitMap, rank: np.ndarray) -> list[int]:
    """The CANDIDATES documents of `docs` first in name order."""
    array = to_numpy(docs)
    first: list[int] = array[first_k(rank[array], array, CANDIDATES)].tolist()  # numpy: Any
    return first


def supplier_hits(index: SupplierIndex, query: _Query, *, want: int) -> list[_Hit]:
    """Suppliers whose name completes the query (and, while fewer than `want`, corrects it):
    at most `want` of each, the display name left to the caller (the lower-case one here)."""
    if len(index.live) == 0:
        return []
    order, rank = index.name_order()
    lower = index.lower_names
    within = index.live
    for word in sorted(query.done, key=len, reverse=True):  # the most selective first
        within = within & _names_starting(index, word)
        if not within:
            return []
    completing = within & _names_starting(index, query.last)
    # The names that start with the query, exactly in name order (a short prefix matches too
    # many names to check them all; these come first), then the first others in name order.
    heads = _heads(index, order, (*query.done, query.last), CANDIDATES)
    found: list[tuple[int, int, str, int]] = []  # (edits, tier, name, document)
    for doc in dict.fromkeys([*heads, *_alphabetical(index, completing, rank)]):
        tier = completion_tier(words_of(lower[doc]), query)
        if tier is not None:
            found.append((0, tier, lower[doc], doc))
    hits = _best(index, found, want)
    if len(hits) >= want or not query.edits:
        return hits
    postings = index.postings["name"]
    pool = typo_pool(index.vocabulary, query.last, keep=postings)
    close = close_words(pool, query.last, query.edits)
    nearest = sorted(close, key=lambda w: (close[w], w))[:EXPANSION]
    if not nearest:
        return hits
    correcting = (BitMap.union(*(postings[w] for w in nearest)) & within) - completing
    heads = [
        doc
        for word in nearest[:HEAD_WORDS]
        for doc in _heads(index, order, (*query.done, word), want)
    ]
    found = []
    for doc in dict.fromkeys([*heads, *_alphabetical(index, correcting, rank)]):
        if doc in completing:
            continue
        fixed = correction(words_of(lower[doc]), query, close)
        if fixed is not None:
            found.append((*fixed, lower[doc], doc))
    taken = {h.text for h in hits}
    return hits + _best(index, [r for r in found if r[2] not in taken], want)


def _heads(index: SupplierIndex, order: np.ndarray, words: Sequence[str], most: int) -> list[int]:
    """Up to `most` live documents whose lower-case name starts with `words` (one space
    apart), in name order: a binary search in the name order."""
    lower = index.lower_names
    needle = " ".join(words)
    start = bisect.bisect_left(order, needle, key=lambda d: lower[d])
    heads = []
    for doc in order[start : start + most].tolist():
        if not lower[doc].startswith(needle):
            break
        heads.append(doc)
    return heads


def _best(index: SupplierIndex, rows: list[tuple[int, int, str, int]], want: int) -> list[_Hit]:
    """The first `want` of (edits, tier, lower-case name, document) rows as hits; suppliers
    sharing a name are suggested once (the first in name order, i.e. the lowest id)."""
    hits: list[_Hit] = []
    seen: set[str] = set()
    for distance, tier, name, doc in sorted(rows):
        if name in seen:
            continue
        seen.add(name)
        supplier_id = str(int(index.supplier.data[doc]))
        hits.append(_Hit("supplier", name, supplier_id, None, distance, tier))
        if len(hits) == want:
            break
    return hits


# ---------------------------------------------------------------- the page


def mix(hits: list[_Hit], limit: int) -> list[_Hit]:
    """Completions, then corrections while there is room; within each, every kind present
    gets an equal share first, the rest goes by rank; each part in rank order."""
    chosen: list[_Hit] = []
    for corrected in (False, True):
        room = limit - len(chosen)
        group = sorted(h for h in hits if (h.distance > 0) == corrected)
        if room <= 0 or not group:
            continue
        share = math.ceil(room / len({h.kind for h in group}))
        taken: dict[str, int] = {}
        picked: list[_Hit] = []
        for hit in group:
            if len(picked) < room and taken.get(hit.kind, 0) < share:
                taken[hit.kind] = taken.get(hit.kind, 0) + 1
                picked.append(hit)
        for hit in group:
            if len(picked) >= room:
                break
            if not any(p is hit for p in picked):
                picked.append(hit)
        chosen += sorted(picked)
    return chosen


def suggest(
    *,
    session: Session,
    q: str,
    limit: int,
    lang: Language,
    kinds: Collection[SuggestKind],
    day: date,
) -> SuggestPage:
    """Up to `limit` completions and corrections of `q` of the given kinds (see the module
    docstring), labelled in `lang`; counts from the search index, brought up to date."""
    query = parse(q)
    if query is None:
        return SuggestPage(q=q, items=[])
    known = catalogue(session, lang=lang)
    near = close_words(known.words, query.last, query.edits) if query.edits else {}
    with engine_for(session).current(session) as index:
        counts = Counter(index, day=day, subtrees=known.subtrees)
        candidates = [e for e in known.entries if e.kind in kinds]
        if "program" in kinds:
            programs, close = program_entries(index, query)
            candidates += programs
            near = {**close, **near}
        hits = _entry_hits(candidates, query, counts, near)
        if "supplier" in kinds:
            hits += supplier_hits(index, query, want=limit)
    chosen = mix(hits, limit)
    ids = [int(h.value) for h in chosen if h.kind == "supplier"]
    names = (
        dict(
            session.exec(
                select(Supplier.id, Supplier.name).where(
                    col(Supplier.id).in_(ids), col(Supplier.deleted_at).is_(None)
                )
            ).all()
        )
        if ids
        else {}
    )
    items = []
    for hit in chosen:
        if hit.kind == "supplier":
            name = names.get(int(hit.value))
            if name is None:  # deleted since the index was read
                continue
            hit.text = name
        items.append(
            SuggestItem(
                kind=hit.kind,
                text=hit.text,
                value=hit.value,
                count=hit.count,
                corrected=hit.distance > 0,
            )
        )
    return SuggestPage(q=q, items=items)
