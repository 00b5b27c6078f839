"""The in-memory supplier index every search answers from: bitmaps, columns and postings.

Each version of a live supplier is one *document* with a number of its own. A write never
edits a document: the supplier's old document leaves the `live` set and a new one is added
(as Lucene does), so postings, value bitmaps and certificate rows are only ever appended
to, and everything a query computes is intersected with `live`. The numbers of dead
documents are reclaimed by rebuilding (`garbage` tells when it is worth it).

- Structured filters: one roaring bitmap of documents per value (supply chain, capability,
  province, size class, tier, verified); capability filters union a code's subtree.
- Numbers (employees, location, update instant) and the name order: numpy columns by
  document. Certificates: numpy columns per standard, so "valid on a day at a trust level"
  is a vectorised test.
- Text: per field (name, capability labels and programs, description) a posting bitmap per
  folded word, a sorted vocabulary for prefix lookups, adjacent-word pairs for phrases, and
  name trigrams for typos (see `app.search.text` for the query syntax).
"""

import array
import bisect
import itertools
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
from pyroaring import BitMap
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from app.search.text import (
    EXACT_NAME_BONUS,
    NO_SYNONYMS,
    PREFIX_MIN_LENGTH,
    Alternative,
    ParsedQuery,
    Synonyms,
    Term,
    forms,
    typo_budget,
    words_of,
)
from app.suppliers.schemas import VERIFICATION_LEVELS

FIELDS = ("name", "labels", "description")
# Relevance (`TextMatch.scores`): COVERAGE per query group a document matches, so documents
# with every word come first; then per group the best of its alternatives: a tier (the word
# or a word sharing its stem, or a glossary synonym at SYNONYM_FACTOR, above a word that only
# starts with its stem, above a typo correction) plus the weight of the most important field
# it is found in; PROXIMITY for query words found
# side by side; a company name within a typo of the query counts as every group plus
# NAME_HIT_BONUS times the similarity (less than the gap between a word's exact match and its
# correction: a correction never beats an exact match); an exact name gets EXACT_NAME_BONUS.
COVERAGE = 1000.0
EXACT_TIER = 10.0
TYPO_TIER = 5.0  # one edit; two edits score half
PARTIAL_TIER = 6.0  # an indexed word that only starts with the word's stem
SYNONYM_FACTOR = 0.9
CORRECTED_FACTOR = 0.6  # a glossary term within a typo of the word: 14 x 0.6 < any exact 11
FIELD_WEIGHTS = {"name": 4.0, "labels": 2.0, "description": 1.0, "phrase": 3.0}
PROXIMITY = 3.0
NAME_HIT_BONUS = 1.0
MAX_CORRECTIONS = 24  # indexed words a misspelt word may stand for, fewest edits first
PAIR_WORDS = 6  # indexed words per query word tried for adjacency
LEVEL: dict[str, int] = {name: i for i, name in enumerate(VERIFICATION_LEVELS)}
NO_DAY = (-1 << 40, 1 << 40)  # ordinals standing for an unknown issue / expiry date
BREAK = ""  # between two texts of one field: no phrase spans it
FUZZY_CANDIDATES = 200
FUZZY_MIN_SCORE = 80.0
RARE_GRAMS = 7


@dataclass
class Certificate:
    standard: str
    status: str
    issued_on: date | None
    expires_on: date | None
    verification: str


@dataclass
class Record:
    """What the index needs of one live supplier, as read from the database."""

    id: int
    name: str
    legal_name: str | None
    description: str
    programs: Sequence[str]
    province: str | None
    size_class: str | None
    tier: str | None
    employees: int | None
    verified: bool
    lat: float | None
    lon: float | None
    updated_at: datetime
    supply_chains: Sequence[str] = ()
    capabilities: Sequence[str] = ()
    certificates: Sequence[Certificate] = ()


def to_bitmap(values: np.ndarray | Sequence[int]) -> BitMap:
    """A bitmap of document numbers (numpy arrays go through the buffer protocol: fast)."""
    if isinstance(values, np.ndarray):
        return BitMap(array.array("I", values.astype(np.uint32, copy=False).tobytes()))
    return BitMap(values)


def to_numpy(bitmap: BitMap) -> np.ndarray:
    """The document numbers of a bitmap, ascending, as int64."""
    return np.frombuffer(bitmap.to_array(), dtype=np.uint32).astype(np.int64)


def first_k(primary: np.ndarray, ids: np.ndarray, k: int) -> np.ndarray:
    """Positions of the k smallest (primary, id) pairs, in order: linear time plus k log k."""
    n = len(primary)
    if n > k > 0:
        kth = np.partition(primary, k - 1)[k - 1]
        below = np.flatnonzero(primary < kth)
        ties = np.flatnonzero(primary == kth)
        need = k - len(below)
        if len(ties) > need:
            ties = ties[np.argpartition(ids[ties], need - 1)[:need]]
        chosen = np.concatenate([below, ties])
    elif k <= 0:
        chosen = np.zeros(0, dtype=np.int64)
    else:
        chosen = np.arange(n)
    return chosen[np.lexsort((ids[chosen], primary[chosen]))]


def haversines(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """The haversine of the central angle between (lat, lon) and each point, in degrees (it
    grows with the great-circle distance; NaN for an unknown point)."""
    half = math.pi / 360
    haversine: np.ndarray = (  # numpy types ufunc results as Any
        np.sin((lats - lat) * half) ** 2
        + math.cos(math.radians(lat)) * np.cos(lats * (2 * half)) * np.sin((lons - lon) * half) ** 2
    )
    return haversine


class _Column:
    """A growable numpy column indexed by document number."""

    def __init__(self, dtype: Any, fill: Any) -> None:
        self.fill = fill
        self.data = np.full(1024, fill, dtype=dtype)

    def set(self, doc: int, value: Any) -> None:
        if doc >= len(self.data):
            grown = np.full(max(doc + 1, 2 * len(self.data)), self.fill, dtype=self.data.dtype)
            grown[: len(self.data)] = self.data
            self.data = grown
        self.data[doc] = value


class _Rows:
    """Growable certificate columns of one standard: document, issued and expiry ordinals,
    trust level, active."""

    def __init__(self) -> None:
        self.size = 0
        self.doc = np.zeros(64, dtype=np.int64)
        self.issued = np.zeros(64, dtype=np.int64)
        self.expires = np.zeros(64, dtype=np.int64)
        self.level = np.zeros(64, dtype=np.int8)
        self.active = np.zeros(64, dtype=bool)

    def append(self, doc: int, cert: Certificate) -> None:
        if self.size == len(self.doc):
            for name in ("doc", "issued", "expires", "level", "active"):
                old = getattr(self, name)
                grown = np.zeros(2 * len(old), dtype=old.dtype)
                grown[: len(old)] = old
                setattr(self, name, grown)
        i = self.size
        self.doc[i] = doc
        self.issued[i] = cert.issued_on.toordinal() if cert.issued_on else NO_DAY[0]
        self.expires[i] = cert.expires_on.toordinal() if cert.expires_on else NO_DAY[1]
        self.level[i] = LEVEL.get(cert.verification, 0)
        self.active[i] = cert.status == "active"
        self.size += 1

    def valid(self, *, day: date, level: int, live: npt.NDArray[np.bool_]) -> np.ndarray:
        """Live documents holding a certificate that counts on `day` (unsorted, a document
        once per such certificate: bitmaps take them as they are)."""
        n = self.size
        doc = self.doc[:n]
        ordinal = day.toordinal()
        mask = (
            self.active[:n]
            & (self.issued[:n] <= ordinal)
            & (self.expires[:n] >= ordinal)
            & (self.level[:n] >= level)
        )
        docs = doc[mask]
        return docs[live[docs]]


@dataclass
class Labels:
    """The catalogue words a capability code brings into the `labels` field: the English and
    Italian labels of the code and of its ancestors."""

    words: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, labels: dict[str, tuple[str, str]]) -> "Labels":
        words: dict[str, tuple[str, ...]] = {}
        for code in labels:
            parts = code.split(".")
            chain = [".".join(parts[: i + 1]) for i in range(len(parts))]
            words[code] = tuple(
                w
                for a in chain
                if a in labels
                for label in labels[a]
                for w in (*words_of(label), BREAK)
            )
        return cls(words)


class _DocMap:
    """Supplier id -> its live document (-1: none), a numpy column: 4 bytes a supplier."""

    def __init__(self) -> None:
        self.column = _Column(np.int32, -1)

    def get(self, supplier_id: int, default: int | None = None) -> int | None:
        data = self.column.data
        doc = int(data[supplier_id]) if 0 <= supplier_id < len(data) else -1
        return default if doc < 0 else doc

    def __getitem__(self, supplier_id: int) -> int:
        doc = self.get(supplier_id)
        if doc is None:
            raise KeyError(supplier_id)
        return doc

    def __contains__(self, supplier_id: int) -> bool:
        return self.get(supplier_id) is not None

    def __setitem__(self, supplier_id: int, doc: int) -> None:
        self.column.set(supplier_id, doc)

    def pop(self, supplier_id: int, default: int | None = None) -> int | None:
        doc = self.get(supplier_id)
        if doc is None:
            return default
        self.column.data[supplier_id] = -1
        return doc


# Suppliers indexed per step of a bulk load: postings are built per step and merged.
LOAD_STEP = 50_000


class SupplierIndex:
    """All live suppliers, queryable by document sets (see the module docstring)."""

    def __init__(self, labels: Labels) -> None:
        self.labels = labels
        self.size = 0  # documents numbered so far (live and dead)
        self.live = BitMap()
        self.doc_of = _DocMap()
        self.supplier = _Column(np.int64, -1)  # document -> supplier id
        self.values: dict[str, dict[str, BitMap]] = {
            facet: {} for facet in ("supply_chain", "capability", "province", "size_class", "tier")
        }
        self.verified = BitMap()
        self.employees = _Column(np.float64, np.nan)
        self.lat = _Column(np.float64, np.nan)
        self.lon = _Column(np.float64, np.nan)
        self.updated = _Column(np.int64, 0)  # microseconds since the epoch
        self.lower_names: list[str] = []  # document -> lower-case name
        # Live documents in name order (lower-case name, then supplier id), and each
        # document's position in it; settled lazily after writes (`name_order`).
        self._by_name = np.zeros(0, dtype=np.int64)
        self._name_rank = _Column(np.int64, 0)
        self._unplaced: list[int] = []
        self._displaced = False
        self.certificates: dict[str, _Rows] = {}
        self.postings: dict[str, dict[str, BitMap]] = {f: {} for f in FIELDS}
        self.vocabulary: list[str] = []  # every indexed word, sorted, for prefix lookups
        self.pairs: dict[tuple[str, str], BitMap] = {}  # (word, next) -> documents: phrases
        self.trigrams: dict[str, BitMap] = {}  # of folded names
        self._live_mask: npt.NDArray[np.bool_] | None = None
        self._valid: dict[tuple[str, date, int], BitMap] = {}
        self._label_words: dict[tuple[str, ...], list[str]] = {}
        self._lengths: dict[int, list[str]] | None = None  # vocabulary by word length
        self.synonyms: Synonyms = NO_SYNONYMS  # the glossary, kept current by the engine
        self.synonyms_mark: tuple[Any, ...] | None = None  # fingerprint of that glossary
        # Program tags (suggestions): folded key -> documents, and the tag as first written.
        self.programs: dict[str, BitMap] = {}
        self.program_tags: dict[str, str] = {}

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_lengths"] = None  # derived from the vocabulary: rebuilt on first use
        state["synonyms"] = NO_SYNONYMS  # read from the database by the engine
        state["synonyms_mark"] = None
        return state

    # ------------------------------------------------------------------ writing

    @property
    def garbage(self) -> float:
        """Share of document numbers that belong to dead documents."""
        return 1 - len(self.live) / self.size if self.size else 0.0

    def load(self, records: Iterable[Record]) -> None:
        """Index many suppliers into a fresh index, LOAD_STEP at a time: each step's postings
        are built from plain lists and merged in, so memory holds one step's lists only."""
        batch: list[Record] = []
        for record in records:
            batch.append(record)
            if len(batch) == LOAD_STEP:
                self._load_step(batch)
                batch = []
        if batch:
            self._load_step(batch)
        self.vocabulary = sorted({w for postings in self.postings.values() for w in postings})
        self._changed()

    def _load_step(self, records: list[Record]) -> None:
        first = self.size
        grouped: dict[str, defaultdict[str, list[int]]] = {f: defaultdict(list) for f in FIELDS}
        pairs: defaultdict[tuple[str, str], list[int]] = defaultdict(list)
        grams: defaultdict[str, list[int]] = defaultdict(list)
        values: dict[str, defaultdict[str, list[int]]] = {f: defaultdict(list) for f in self.values}
        certificates: defaultdict[str, list[tuple[int, Certificate]]] = defaultdict(list)
        verified = []
        for doc, record in enumerate(records, start=first):
            self.lower_names.append(record.name.lower())
            for facet, value in (
                ("province", record.province),
                ("size_class", record.size_class),
                ("tier", record.tier),
            ):
                if value:
                    values[facet][value].append(doc)
            for code in record.supply_chains:
                values["supply_chain"][code].append(doc)
            for code in record.capabilities:
                values["capability"][code].append(doc)
            if record.verified:
                verified.append(doc)
            for cert in record.certificates:
                certificates[cert.standard].append((doc, cert))
            fields, own = self._fields(record)
            for name, words in fields.items():
                target = grouped[name]
                for word in set(words) - {BREAK}:
                    target[word].append(doc)
                for pair in set(itertools.pairwise(words)):
                    if BREAK not in pair:
                        pairs[pair].append(doc)
            for gram in _trigrams(" ".join(own)):
                grams[gram].append(doc)
        last = first + len(records)
        self.size = last
        self.live.add_range(first, last)
        ids = np.fromiter((r.id for r in records), dtype=np.int64, count=len(records))
        self.doc_of.column.set(int(ids.max()), -1)  # grow once, then fill at once
        self.doc_of.column.data[ids] = np.arange(first, last)
        self.supplier.set(last - 1, -1)  # grow once, then fill by slices
        self.supplier.data[first:last] = ids
        for column, raw in (
            (self.employees, (r.employees for r in records)),
            (self.lat, (r.lat if r.lon is not None else None for r in records)),
            (self.lon, (r.lon if r.lat is not None else None for r in records)),
        ):
            column.set(last - 1, np.nan)
            column.data[first:last] = np.fromiter(
                (np.nan if v is None else v for v in raw), dtype=np.float64, count=len(records)
            )
        self.updated.set(last - 1, 0)
        self.updated.data[first:last] = np.fromiter(
            (micros(r.updated_at) for r in records), dtype=np.int64, count=len(records)
        )
        self.verified |= to_bitmap(verified)
        for facet, found in values.items():
            _merge(self.values[facet], found)
        for name, postings in grouped.items():
            _merge(self.postings[name], postings)
        _merge(self.pairs, pairs)
        _merge(self.trigrams, grams)
        for standard, rows in certificates.items():
            held = self.certificates.setdefault(standard, _Rows())
            for doc, cert in rows:
                held.append(doc, cert)
        self._add_programs(first, records)
        self._unplaced.extend(range(first, last))

    def put(self, record: Record) -> None:
        """Index a new or changed supplier (its previous document, if any, dies)."""
        self.remove(record.id)
        doc = self._add_columns(record)
        self._add_programs(doc, [record])
        fields, own = self._fields(record)
        for name, words in fields.items():
            postings = self.postings[name]
            for word in set(words) - {BREAK}:
                if word not in postings:
                    postings[word] = BitMap()
                    if not self._known(word):
                        bisect.insort(self.vocabulary, word)
                        if self._lengths is not None:
                            self._lengths.setdefault(len(word), []).append(word)
                postings[word].add(doc)
            for pair in itertools.pairwise(words):
                if BREAK not in pair:
                    self.pairs.setdefault(pair, BitMap()).add(doc)
        for gram in _trigrams(" ".join(own)):
            self.trigrams.setdefault(gram, BitMap()).add(doc)
        self._unplaced.append(doc)
        self._changed()

    def remove(self, supplier_id: int) -> None:
        """Forget a supplier (deleted, or about to be indexed again)."""
        doc = self.doc_of.pop(supplier_id, None)
        if doc is None:
            return
        self.live.discard(doc)
        self._displaced = True
        self._changed()

    def _known(self, word: str) -> bool:
        i = bisect.bisect_left(self.vocabulary, word)
        return i < len(self.vocabulary) and self.vocabulary[i] == word

    def _add_columns(self, record: Record) -> int:
        doc = self.size
        self.size += 1
        self.doc_of[record.id] = doc
        self.live.add(doc)
        self.supplier.set(doc, record.id)
        for facet, values in (
            ("supply_chain", record.supply_chains),
            ("capability", record.capabilities),
            ("province", [record.province] if record.province else []),
            ("size_class", [record.size_class] if record.size_class else []),
            ("tier", [record.tier] if record.tier else []),
        ):
            bitmaps = self.values[facet]
            for value in values:
                bitmaps.setdefault(value, BitMap()).add(doc)
        if record.verified:
            self.verified.add(doc)
        located = record.lat is not None and record.lon is not None
        # Every column is set (unknown: NaN), so each is as long as the documents.
        self.employees.set(doc, np.nan if record.employees is None else record.employees)
        self.lat.set(doc, record.lat if located else np.nan)
        self.lon.set(doc, record.lon if located else np.nan)
        self.updated.set(doc, micros(record.updated_at))
        for cert in record.certificates:
            self.certificates.setdefault(cert.standard, _Rows()).append(doc, cert)
        self.lower_names.append(record.name.lower())
        return doc

    def _fields(self, record: Record) -> tuple[dict[str, list[str]], list[str]]:
        """The words of each text field (BREAK between two texts of one field: the name and
        the legal name, two labels or programs), and of the name alone (for typo lookups)."""
        codes = tuple(record.capabilities)
        labels = self._label_words.get(codes)
        if labels is None:
            labels = [w for code in codes for w in self.labels.words.get(code, ())]
            if len(self._label_words) < 100_000:
                self._label_words[codes] = labels
        if record.programs:
            labels = labels + [w for p in record.programs for w in (*words_of(p), BREAK)]
        own = words_of(record.name)
        fields = {
            "name": [*own, BREAK, *words_of(record.legal_name)] if record.legal_name else own,
            "labels": labels,
            "description": words_of(record.description),
        }
        return fields, own

    def name_order(self) -> tuple[np.ndarray, np.ndarray]:
        """(live documents in name order, each document's position in it), settled first:
        dead documents leave, new ones are merged in at their places (one pass of numpy
        work per batch of writes, plus a binary search per new document)."""
        if self._displaced or self._unplaced:
            order = self._by_name
            if self._displaced:
                order = order[self.live_mask()[order]]
            if self._unplaced:
                unplaced = [d for d in self._unplaced if d in self.live]
                lower, sid = self.lower_names, self.supplier.data

                def key(doc: Any) -> tuple[str, int]:
                    return lower[doc], int(sid[doc])

                unplaced.sort(key=key)
                if not len(order):
                    order = np.array(unplaced, dtype=np.int64)
                else:
                    at = [bisect.bisect_left(order, key(d), key=key) for d in unplaced]
                    order = np.insert(order, at, unplaced)
            self._by_name = order
            self._name_rank.set(max(self.size - 1, 0), 0)
            self._name_rank.data[order] = np.arange(len(order))
            self._unplaced = []
            self._displaced = False
        return self._by_name, self._name_rank.data

    def _changed(self) -> None:
        self._live_mask = None
        self._valid.clear()

    # ------------------------------------------------------------------ reading

    def live_mask(self) -> npt.NDArray[np.bool_]:
        if self._live_mask is None or len(self._live_mask) < self.size:
            mask = np.zeros(max(self.size, 1), dtype=bool)
            mask[to_numpy(self.live)] = True
            self._live_mask = mask
        return self._live_mask

    def union(self, facet: str, values: Iterable[str]) -> BitMap:
        bitmaps = [self.values[facet][v] for v in values if v in self.values[facet]]
        return BitMap.union(*bitmaps) if bitmaps else BitMap()

    def valid_certificates(self, *, standard: str, day: date, verification: str | None) -> BitMap:
        """Live documents holding a certificate of `standard` that counts on `day` at the trust
        level `verification` or above (any level when None): status active, issued on or
        before the day (or no issue date), expiring on or after it (or never)."""
        level = LEVEL[verification] if verification else 0
        key = (standard, day, level)
        if key not in self._valid:
            rows = self.certificates.get(standard)
            docs = (
                rows.valid(day=day, level=level, live=self.live_mask())
                if rows
                else np.zeros(0, dtype=np.int64)
            )
            self._valid[key] = to_bitmap(docs)
        return self._valid[key]

    def word(self, word: str, *, fields: Sequence[str] = FIELDS) -> dict[str, BitMap]:
        """Per field, the documents with an indexed word starting with one of the query
        word's forms (a short form must equal the indexed word)."""
        return self._words_like(forms(word), fields=fields)[0]

    def _words_like(
        self, prefixes: Iterable[str], *, fields: Sequence[str] = FIELDS
    ) -> tuple[dict[str, BitMap], list[str]]:
        """Per field, the documents with an indexed word starting with one of `prefixes`
        (shorter than PREFIX_MIN_LENGTH: equal to it), and those indexed words."""
        words = self._starting_with(prefixes)
        return self._postings_of(words, fields=fields), words

    def _starting_with(self, prefixes: Iterable[str]) -> list[str]:
        """The indexed words starting with one of `prefixes` (a short one: equal to it)."""
        words: list[str] = []
        vocabulary = self.vocabulary
        for form in prefixes:
            if len(form) >= PREFIX_MIN_LENGTH:
                start = bisect.bisect_left(vocabulary, form)
                end = start
                while end < len(vocabulary) and vocabulary[end].startswith(form):
                    end += 1
                words += vocabulary[start:end]
            else:
                words.append(form)
        return words

    def _postings_of(
        self, words: Sequence[str], *, fields: Sequence[str] = FIELDS
    ) -> dict[str, BitMap]:
        """Per field, the documents with one of `words`."""
        found = {}
        for name in fields:
            postings = self.postings[name]
            bitmaps = [postings[w] for w in words if w in postings]
            found[name] = BitMap.union(*bitmaps) if bitmaps else BitMap()
        return found

    def corrections(self, word: str) -> list[tuple[int, str]]:
        """(edits, indexed word) within the word's typo budget (`typo_budget`: insertion,
        deletion, substitution or transposition of adjacent letters), fewest edits first,
        then alphabetical; at most MAX_CORRECTIONS; the word itself excluded."""
        budget = typo_budget(word)
        if not budget:
            return []
        if self._lengths is None:
            lengths: dict[int, list[str]] = {}
            for known in self.vocabulary:
                lengths.setdefault(len(known), []).append(known)
            self._lengths = lengths
        found: list[tuple[int, str]] = []
        for length in range(len(word) - budget, len(word) + budget + 1):
            bucket = self._lengths.get(length)
            if not bucket:
                continue
            distances = process.cdist(
                [word], bucket, scorer=OSA.distance, score_cutoff=budget, dtype=np.int8
            )[0]
            for i in np.flatnonzero((distances <= budget) & (distances > 0)).tolist():
                found.append((int(distances[i]), bucket[i]))
        found.sort()
        return found[:MAX_CORRECTIONS]

    def starting(self, prefix: str, *, field: str) -> BitMap:
        """Live documents with a word of `field` that starts with `prefix` (duplicate matching
        asks for name words this way, without stems)."""
        postings = self.postings[field]
        start = bisect.bisect_left(self.vocabulary, prefix)
        hits = []
        for word in itertools.takewhile(lambda w: w.startswith(prefix), self.vocabulary[start:]):
            if word in postings:
                hits.append(postings[word])
        return BitMap.union(*hits) & self.live if hits else BitMap()

    def names_sharing_trigrams(
        self, needle: str, *, grams: int, most: int, budget: int
    ) -> np.ndarray:
        """Live documents whose name shares the most of `needle`'s rarest trigrams (at least
        `grams` of them, up to `most` while their postings stay within `budget`), most shared
        first, then by document."""
        present = sorted(
            (g for g in _trigrams(needle, limit=None) if g in self.trigrams),
            key=lambda g: (len(self.trigrams[g]), g),
        )
        chosen: list[str] = []
        postings = 0
        for gram in present:
            postings += len(self.trigrams[gram])
            if len(chosen) >= grams and (postings > budget or len(chosen) >= most):
                break
            chosen.append(gram)
        if not chosen:
            return np.zeros(0, dtype=np.int64)
        docs = np.concatenate([to_numpy(self.trigrams[g] & self.live) for g in chosen])
        found, counts = np.unique(docs, return_counts=True)
        return found[np.lexsort((found, -counts))]

    def phrase(self, words: tuple[str, ...]) -> BitMap:
        """Documents with `words` in a row within one field (a lone word: that exact word)."""
        if len(words) == 1:
            hits = [p[words[0]] for p in self.postings.values() if words[0] in p]
            return BitMap.union(*hits) if hits else BitMap()
        result: BitMap | None = None
        for pair in itertools.pairwise(words):
            docs = self.pairs.get(pair)
            if docs is None:
                return BitMap()
            result = docs.copy() if result is None else result & docs
        return result if result is not None else BitMap()

    def term_hits(self, term: Term, *, typos: bool = True) -> "TermHits":
        """Where a query term is found: exactly (a word's forms, a phrase) and, with `typos`,
        by the typo corrections of a word."""
        if term.phrase:
            return TermHits(exact={"phrase": self.phrase(term.words)}, marks=set(term.words))
        word = term.words[0]
        own = forms(word)
        stems = set(own)
        # The word itself or a word sharing a stem with it (`fresature` for `fresatura`) is
        # an exact match; a word that merely starts with a stem (`titanmec` for `titanio`,
        # `tita` typed half-way) is a partial one, ranked lower.
        whole: list[str] = []
        partial: list[str] = []
        for indexed in self._starting_with(own):
            same = indexed == word or not stems.isdisjoint(forms(indexed))
            (whole if same else partial).append(indexed)
        whole.sort(key=lambda w: (w != word, len(w), w))
        hits = TermHits(
            exact=self._postings_of(whole),
            partial=self._postings_of(partial),
            words=whole[:PAIR_WORDS],
            marks=set(own),
        )
        taken = set(own)
        for edits, correction in self.corrections(word) if typos else ():
            prefixes = [f for f in forms(correction) if f not in taken]
            if not prefixes:
                continue
            taken.update(prefixes)
            hits.marks.update(prefixes)
            found = self._words_like(prefixes)[0]
            hits.typos.append((edits, found))
        return hits

    def text_match(self, parsed: ParsedQuery, *, needle: str, fuzzy: bool) -> "TextMatch":
        """The documents matching one group of a parsed query or more, or a company name
        (exactly, or with `fuzzy` within a typo), less the excluded; and what scoring needs.
        Typed words tolerate typos; the glossary's synonyms and excluded words do not."""
        hits: dict[tuple[Term, bool], TermHits] = {}
        for group in parsed.groups:
            for alternative in group:
                for term in alternative.terms:
                    key = (term, not alternative.synonym)
                    if key not in hits:
                        hits[key] = self.term_hits(term, typos=key[1])
        found = [
            BitMap.union(*(_all_of(alternative, hits) for alternative in group))
            for group in parsed.groups
        ]
        names = self.name_hits(needle, fuzzy=fuzzy)
        if found:
            matched = BitMap.union(*found)
        else:
            matched = self.live.copy() if parsed.excluded else BitMap()
        matched = (matched | BitMap(names)) & self.live
        for alternative in parsed.excluded:
            excluded = {(t, False): self.term_hits(t, typos=False) for t in alternative.terms}
            matched -= _all_of(alternative._replace(synonym=True), excluded)
        adjacent = []
        for before, after in itertools.pairwise(parsed.groups):
            first, second = before[0].terms, after[0].terms
            if len(first) == 1 == len(second) and not first[0].phrase and not second[0].phrase:
                pairs = [
                    self.pairs[(a, b)]
                    for a in hits[(first[0], not before[0].synonym)].words
                    for b in hits[(second[0], not after[0].synonym)].words
                    if (a, b) in self.pairs
                ]
                if pairs:
                    adjacent.append(BitMap.union(*pairs) & matched)
        return TextMatch(matched=matched, parsed=parsed, hits=hits, names=names, adjacent=adjacent)

    def name_hits(self, needle: str, *, fuzzy: bool) -> dict[int, float]:
        """Live documents whose folded name equals `needle` (EXACT_NAME_BONUS) or, with
        `fuzzy`, is within a typo of it (similarity 0.8 to 1)."""
        wanted = _trigrams(needle, limit=None)
        grams = [g for g in wanted if g in self.trigrams]
        grams.sort(key=lambda g: (len(self.trigrams[g]), g))
        scored: dict[int, float] = {}
        if wanted and len(grams) == len(wanted):  # an equal name has every trigram
            same = self.live.copy()
            for gram in grams:
                same &= self.trigrams[gram]
                if len(same) <= FUZZY_CANDIDATES:
                    break
            for doc in same:
                if _folded(self.lower_names[doc]) == needle:
                    scored[doc] = EXACT_NAME_BONUS
        if not fuzzy or len(needle) < 4:
            return scored
        # Any RARE_GRAMS distinct trigrams still find a name two edits away (an edit breaks at
        # most three), and the rare ones single out the candidates.
        grams = grams[:RARE_GRAMS]
        if not grams:
            return scored
        docs = np.concatenate([to_numpy(self.trigrams[g] & self.live) for g in grams])
        if not len(docs):
            return scored
        candidates, counts = np.unique(docs, return_counts=True)
        if len(candidates) > FUZZY_CANDIDATES:
            order = np.lexsort((candidates, -counts))[:FUZZY_CANDIDATES]
            candidates = candidates[order]
        for doc in candidates.tolist():
            if doc in scored:
                continue
            folded = _folded(self.lower_names[doc])
            score = max(
                fuzz.ratio(folded, needle),
                fuzz.partial_ratio(needle, folded) if len(needle) >= 6 else 0.0,
            )
            if score >= FUZZY_MIN_SCORE:
                scored[doc] = score / 100.0
        return scored

    # ------------------------------------------------------------------ suggestions

    def _add_programs(self, first: int, records: Sequence[Record]) -> None:
        """Index the program tags of `records` (documents `first`, `first + 1`, ...) under
        their folded words run together (`AW 139` is `AW139`); only ever appended to,
        counted against `live`."""
        found: defaultdict[str, list[int]] = defaultdict(list)
        for doc, record in enumerate(records, start=first):
            for tag in record.programs:
                key = "".join(words_of(tag))
                if key:
                    found[key].append(doc)
                    self.program_tags.setdefault(key, tag.strip())
        _merge(self.programs, found)


@dataclass
class TermHits:
    """Documents a query term is found in, by field: exactly, and per typo correction (its
    number of edits); the indexed words found exactly (best first, for adjacency) and the
    forms a highlighted word starts with."""

    exact: dict[str, BitMap]
    partial: dict[str, BitMap] = field(default_factory=dict)  # words starting with a stem
    typos: list[tuple[int, dict[str, BitMap]]] = field(default_factory=list)
    words: list[str] = field(default_factory=list)
    marks: set[str] = field(default_factory=set)
    _everywhere: BitMap | None = None

    def everywhere(self) -> BitMap:
        """Every document the term is found in, exactly or by typo (computed once)."""
        if self._everywhere is None:
            found = [*self.exact.values(), *self.partial.values()]
            found += [b for _edits, fields in self.typos for b in fields.values()]
            self._everywhere = BitMap.union(*found) if found else BitMap()
        return self._everywhere


def _all_of(alternative: Alternative, hits: dict[tuple[Term, bool], TermHits]) -> BitMap:
    """Documents where every term of an alternative is found."""
    result: BitMap | None = None
    for term in alternative.terms:
        docs = hits[(term, not alternative.synonym)].everywhere()
        result = docs if result is None else result & docs
        if not result:
            break
    return result if result is not None else BitMap()


@dataclass
class TextMatch:
    matched: BitMap
    parsed: ParsedQuery
    hits: dict[tuple[Term, bool], TermHits]  # by (term, typos tolerated)
    names: dict[int, float]
    adjacent: list[BitMap] = field(default_factory=list)

    def scores(self, docs: np.ndarray) -> np.ndarray:
        """Relevance of each of `docs` (ascending document numbers; see COVERAGE above). It
        depends only on the supplier and the query, so a cursor stays valid while others
        change. Work is proportional to the hits, not to `docs` times the query's terms:
        every step touches only the positions of the documents a bitmap holds."""
        n = len(docs)
        if not n:
            return np.zeros(0, dtype=np.float64)
        within = to_bitmap(docs)
        rank = np.zeros(int(docs[-1]) + 1, dtype=np.int32)
        rank[docs] = np.arange(n, dtype=np.int32)

        def positions(bitmap: BitMap) -> np.ndarray:
            return rank[np.frombuffer(bitmap.to_array(), dtype=np.uint32)]

        coverage = np.zeros(n, dtype=np.float64)
        weights = np.zeros(n, dtype=np.float64)
        # Scratch arrays, zero between uses: a group's best, an alternative's sum.
        best = np.zeros(n, dtype=np.float64)
        total = np.zeros(n, dtype=np.float64)
        for group in self.parsed.groups:
            touched = []
            for alternative in group:
                found = self._alternative(alternative, within, positions, total)
                if found is None:
                    continue
                docs_found, at, score = found
                best[at] = np.maximum(best[at], score)
                touched.append(docs_found)
            if not touched:
                continue
            at = positions(BitMap.union(*touched))
            coverage[at] += 1
            weights[at] += best[at]
            best[at] = 0.0
        for bitmap in self.adjacent:
            weights[positions(bitmap & within)] += PROXIMITY
        scores = coverage * COVERAGE + weights
        every_group = len(self.parsed.groups) * COVERAGE
        for doc, similarity in self.names.items():
            place = int(np.searchsorted(docs, doc))
            if place < n and docs[place] == doc:
                scores[place] = max(scores[place], every_group)
                scores[place] += (
                    EXACT_NAME_BONUS
                    if similarity >= EXACT_NAME_BONUS
                    else NAME_HIT_BONUS * similarity
                )
        return scores

    def _alternative(
        self, alternative: Alternative, within: BitMap, positions: Any, total: np.ndarray
    ) -> tuple[BitMap, np.ndarray, np.ndarray] | None:
        """(documents, their positions, score) where an alternative is found among `within`:
        the mean over its terms of the best (tier + field) each is found with, times
        SYNONYM_FACTOR for a synonym; None where it is found nowhere. `total` is scratch."""
        term_hits = [self.hits[(t, not alternative.synonym)] for t in alternative.terms]
        docs = within
        for hits in term_hits:
            docs = docs & hits.everywhere()
            if not docs:
                return None
        at = positions(docs)
        for hits in term_hits:
            levels = [(EXACT_TIER + FIELD_WEIGHTS[f], b) for f, b in hits.exact.items()]
            levels += [(PARTIAL_TIER + FIELD_WEIGHTS[f], b) for f, b in hits.partial.items()]
            levels += [
                (TYPO_TIER / edits + FIELD_WEIGHTS[f], b)
                for edits, fields in hits.typos
                for f, b in fields.items()
            ]
            levels.sort(key=lambda level: -level[0])
            left = docs.copy()
            for value, bitmap in levels:  # best first: each document takes its best value
                hit = bitmap & left
                if hit:
                    total[positions(hit)] += value
                    left -= hit
                    if not left:
                        break
        score = total[at] / len(term_hits)
        total[at] = 0.0
        if alternative.synonym:
            score *= CORRECTED_FACTOR if alternative.corrected else SYNONYM_FACTOR
        return docs, at, score

    def marks(self) -> tuple[set[str], set[str]]:
        """(prefixes, whole words) a word of a matching document is highlighted for."""
        prefixes: set[str] = set()
        whole: set[str] = set()
        for group in self.parsed.groups:
            for alternative in group:
                for term in alternative.terms:
                    for mark in self.hits[(term, not alternative.synonym)].marks:
                        use_prefix = len(mark) >= PREFIX_MIN_LENGTH and not term.phrase
                        (prefixes if use_prefix else whole).add(mark)
        return prefixes, whole


def _merge(target: dict[Any, BitMap], found: dict[Any, list[int]]) -> None:
    """OR one load step's document lists into the index's bitmaps."""
    for key, docs in found.items():
        bitmap = to_bitmap(docs)
        if key in target:
            target[key] |= bitmap
        else:
            target[key] = bitmap


def _folded(name: str) -> str:
    return " ".join(words_of(name))


def _trigrams(value: str, limit: int | None = 64) -> list[str]:
    grams = {value[i : i + 3] for i in range(len(value) - 2)}
    return sorted(g for g in grams if g.strip())[:limit]


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def micros(moment: datetime) -> int:
    """Microseconds since the epoch, exactly (naive instants are UTC, as SQLite returns them)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - EPOCH) // timedelta(microseconds=1)
