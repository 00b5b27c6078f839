"""The ranking of a whole request on the search index: knock-outs as bitmaps, scores in numpy.

`app.scouting.ranking` says what a score is, for one supplier and with its explanation; this
module computes the same weighted mean for every supplier that passes the knock-outs, on this
worker's search index (`app.search.engine`, brought up to the data the session sees first), so
ranking 50,000 candidates costs a few bitmap operations and vectorised passes instead of a SQL
statement or 50,000 Python assessments. The weights and trust levels are read from `ranking`
(the one place they live).

Knock-outs: the live documents of the requested supply chains, intersected with, for every
required standard, the documents holding a certificate the request's rule admits. Facts per
candidate, each from one pass: how many requested capabilities it covers (a code is covered by
the union of its subtree's bitmaps), which description words its profile mentions (bit i: the
search engine's match of word i, a prefix of its stems in any field), the best trust of its
qualifying certificates of each required standard, its great-circle distance from the
requested point, and whether its province and size class are among those asked for.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pyroaring import BitMap
from sqlmodel import Session

from app.scouting import ranking
from app.search.engine import engine_for
from app.search.index import LEVEL, SupplierIndex, to_numpy
from app.search.service import EARTH_RADIUS_KM
from app.suppliers.schemas import VERIFICATION_LEVELS

Row = tuple[float, int, int]  # (-score, supplier id, bit mask of the words it mentions)


@dataclass(frozen=True)
class Ranking:
    """Every match of a request as parallel arrays, in no particular order: minus the score
    (rounded as shown), the supplier id, and the bit mask of the description words its profile
    mentions. Pages are picked from it in the order (-score, id) without sorting it all."""

    neg: np.ndarray  # float64
    ids: np.ndarray  # int64
    words: np.ndarray  # int64

    def __len__(self) -> int:
        return len(self.ids)

    def where(self, keep: np.ndarray) -> "Ranking":
        return Ranking(neg=self.neg[keep], ids=self.ids[keep], words=self.words[keep])

    def page(self, *, after: tuple[float, int] | None, limit: int) -> list[Row]:
        """The first `limit` rows after the (-score, id) position `after` (from the start
        when None), in page order."""
        neg, ids, words = self.neg, self.ids, self.words
        if after is not None:
            bound, last = after
            keep = (neg > bound) | ((neg == bound) & (ids > last))
            neg, ids, words = neg[keep], ids[keep], words[keep]
        chosen = _first(neg, ids, limit)
        rows = zip(neg[chosen].tolist(), ids[chosen].tolist(), words[chosen].tolist(), strict=True)
        return list(rows)

    def rows(self) -> list[Row]:
        """Every row, in page order."""
        return self.page(after=None, limit=len(self))


def _first(primary: np.ndarray, ids: np.ndarray, k: int) -> np.ndarray:
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


def rank_all(*, session: Session, criteria: ranking.Request) -> Ranking:
    """Every supplier that passes the request's knock-outs, scored, as the data `session`
    sees it."""
    with engine_for(session).current(session) as index:
        return rank_index(index, criteria)


def candidates(index: SupplierIndex, criteria: ranking.Request) -> BitMap:
    """The knock-outs: live documents serving one of the chains and holding, for every
    required standard, a certificate the request's rule admits."""
    rule = criteria.rule
    level = None if rule.counts_every_level else rule.min_verification
    sets = [
        index.valid_certificates(standard=standard, day=rule.day, verification=level)
        for standard in criteria.required_certifications
    ]
    sets.append(index.union("supply_chain", criteria.supply_chains))
    matched = index.live
    for bitmap in sorted(sets, key=len):  # smallest first: every later step is cheaper
        matched = matched & bitmap
        if not matched:
            break
    return matched


def rank_index(index: SupplierIndex, criteria: ranking.Request) -> Ranking:
    """`rank_all` on an index already brought up to date (and held)."""
    matched = candidates(index, criteria)
    docs = to_numpy(matched)
    n = len(docs)
    size = index.size

    def member(bitmap: BitMap) -> np.ndarray:
        """Whether each candidate is in `bitmap`."""
        dense = np.zeros(size, dtype=bool)
        dense[to_numpy(bitmap & matched)] = True
        return dense[docs]

    components: dict[str, np.ndarray] = {}
    for name, codes in (
        ("required_capabilities", criteria.required_capabilities),
        ("preferred_capabilities", criteria.preferred_capabilities),
    ):
        if codes:
            components[name] = _covered(index, criteria, codes, matched, docs) / len(codes)
    words = np.zeros(n, dtype=np.int64)
    if criteria.terms:
        dense = np.zeros(size, dtype=np.int64)
        hits = np.zeros(size, dtype=np.int64)
        for i, term in enumerate(criteria.terms):
            found = to_numpy(BitMap.union(*index.word(term).values()) & matched)
            dense[found] |= 1 << i
            hits[found] += 1
        words = dense[docs]
        components["text"] = hits[docs] / len(criteria.terms)
    near = None
    if criteria.near is not None:
        lat, lon, radius = criteria.near
        distance = _distance_km(index, lat, lon, docs)
        with np.errstate(invalid="ignore"):
            inside = distance < radius  # no location (NaN): never inside
        near = np.where(inside, 1 - distance / radius, 0.0)
    if criteria.provinces:
        in_province = member(index.union("province", criteria.provinces))
        near = np.where(in_province, 1.0, near if near is not None else 0.0)
    if near is not None:
        components["proximity"] = near
    if criteria.size_classes:
        components["size"] = member(index.union("size_class", criteria.size_classes)) * 1.0
    if criteria.required_certifications:
        trust = np.zeros(n, dtype=np.float64)
        for standard in criteria.required_certifications:
            trust += _best_trust(index, criteria.rule, standard)[docs]
        components["certificate_trust"] = trust / len(criteria.required_certifications)
    score = _score(components, n)
    return Ranking(neg=-score, ids=index.supplier.data[docs], words=words)


def _score(components: dict[str, np.ndarray], n: int) -> np.ndarray:
    """`ranking.score` of every candidate: the weighted mean of the components asked for (in
    the order of WEIGHTS, as `score` adds them), rounded."""
    asked = [name for name in ranking.WEIGHTS if name in components]
    total = sum(ranking.WEIGHTS[name] for name in asked)
    if not asked or total <= 0:
        return np.ones(n, dtype=np.float64)
    mean = np.zeros(n, dtype=np.float64)
    for name in asked:
        mean += ranking.WEIGHTS[name] * np.clip(components[name], 0.0, 1.0)
    return np.round(mean / total, ranking.SCORE_DIGITS)


def _covered(
    index: SupplierIndex,
    criteria: ranking.Request,
    codes: Sequence[str],
    matched: BitMap,
    docs: np.ndarray,
) -> np.ndarray:
    """How many of `codes` each candidate covers: holds the code or one below it."""
    count = np.zeros(index.size, dtype=np.int16)
    for code in codes:
        subtree = criteria.subtrees.get(code, frozenset({code}))
        count[to_numpy(index.union("capability", subtree) & matched)] += 1
    return count[docs]


# Trust of each level (an index of VERIFICATION_LEVELS), levels by ascending trust.
_TRUST = np.array([ranking.TRUST.get(name, 0.0) for name in VERIFICATION_LEVELS])
_BY_TRUST = sorted(range(len(VERIFICATION_LEVELS)), key=lambda level: _TRUST[level])


def _best_trust(index: SupplierIndex, rule: ranking.CertificateRule, standard: str) -> np.ndarray:
    """By document: the trust of its best certificate of `standard` that `rule` admits (0
    without one). Dead documents' rows count too; only live candidates are read."""
    best = np.zeros(index.size, dtype=np.float64)
    rows = index.certificates.get(standard)
    if rows is None:
        return best
    n = rows.size
    day = rule.day.toordinal()
    levels = rows.level[:n]
    admitted = rows.active[:n] & (rows.issued[:n] <= day) & (rows.expires[:n] >= day)
    if not rule.counts_every_level:
        admitted &= levels >= LEVEL[rule.min_verification]
    doc = rows.doc[:n]
    for level in _BY_TRUST:  # a better level overwrites a worse one
        best[doc[admitted & (levels == level)]] = _TRUST[level]
    return best


def _distance_km(index: SupplierIndex, lat: float, lon: float, docs: np.ndarray) -> np.ndarray:
    """Great-circle kilometres of each document from (lat, lon); NaN without a location."""
    lats = _column(index.lat.data, docs)
    lons = _column(index.lon.data, docs)
    half = math.pi / 360
    haversine = (
        np.sin((lats - lat) * half) ** 2
        + math.cos(math.radians(lat)) * np.cos(lats * (2 * half)) * np.sin((lons - lon) * half) ** 2
    )
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(haversine, 1.0)))


def _column(data: np.ndarray, docs: np.ndarray) -> np.ndarray:
    """`data[docs]` of a float column that grows only when set: documents past its end were
    never set (NaN)."""
    if len(docs) and docs[-1] >= len(data):
        values = np.full(len(docs), np.nan)
        within = docs < len(data)
        values[within] = data[docs[within]]
        return values
    return data[docs]
