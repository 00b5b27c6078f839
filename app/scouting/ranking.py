"""The ranking of a whole request on the search index: knock-outs as bitmaps, scores in numpy.

`criteria_of` reads what a request asks as the ranking needs it (`Criteria`). `app.scouting.
weights` says what a score is; this module computes that weighted mean for every supplier that
passes the knock-outs, on this worker's search index (`app.search.engine`, brought up to the
data the session sees first), so ranking 50,000 candidates costs a few bitmap operations and
vectorised passes instead of a SQL statement or 50,000 Python assessments (the suppliers of a
page are explained by `app.scouting.explanations`).

Knock-outs: the live documents of the requested supply chains, intersected with, for every
required standard, the documents holding a certificate the request's rule admits. Facts per
candidate, each from one pass: how many requested capabilities it covers (a code is covered by
the union of its subtree's bitmaps), which description words its profile mentions (bit i: the
search engine's match of word i, a prefix of its stems in any field), the best trust of its
qualifying certificates of each required standard, its great-circle distance from the
requested point, and whether its province and size class are among those asked for.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from pyroaring import BitMap
from sqlmodel import Session

from app.catalogue.service import capability_subtrees
from app.scouting import weights
from app.scouting.knockouts import CertificateRule, certificate_rule, today
from app.scouting.models import ScoutingRequest
from app.search.engine import engine_for
from app.search.index import LEVEL, SupplierIndex, first_k, haversines, to_bitmap
from app.search.service import EARTH_RADIUS_KM, KM_PER_DEGREE
from app.suppliers.schemas import VERIFICATION_LEVELS

Row = tuple[float, int, int]  # (-score, supplier id, bit mask of the words it mentions)


@dataclass(frozen=True)
class Criteria:
    """What a scouting request asks, as the ranking needs it."""

    supply_chains: tuple[str, ...]
    required_capabilities: tuple[str, ...]
    preferred_capabilities: tuple[str, ...]
    required_certifications: tuple[str, ...]
    provinces: tuple[str, ...]
    size_classes: tuple[str, ...]
    near: tuple[float, float, float] | None  # lat, lon, radius_km
    needed_by: date | None
    terms: tuple[str, ...]  # meaningful words of the description
    rule: CertificateRule  # on needed_by, or today; at the request's min_verification
    today: date
    subtrees: Mapping[str, frozenset[str]] = field(default_factory=dict)  # code -> descendants


def criteria_of(*, session: Session, request: ScoutingRequest) -> Criteria:
    wanted = [*request.required_capabilities, *request.preferred_capabilities]
    subtrees = {
        code: frozenset(subtree)
        for code, subtree in capability_subtrees(session=session, codes=wanted).items()
    }
    near = None
    if request.near_lat is not None and request.near_lon is not None and request.radius_km:
        near = (request.near_lat, request.near_lon, request.radius_km)
    day = today()
    return Criteria(
        supply_chains=tuple(request.supply_chains),
        required_capabilities=tuple(request.required_capabilities),
        preferred_capabilities=tuple(request.preferred_capabilities),
        required_certifications=tuple(request.required_certifications),
        provinces=tuple(request.provinces),
        size_classes=tuple(request.size_classes),
        near=near,
        needed_by=request.needed_by,
        terms=tuple(weights.description_terms(request.description)),
        rule=certificate_rule(request, day=day),
        today=day,
        subtrees=subtrees,
    )


@dataclass(frozen=True)
class Ranking:
    """Every match of a request as parallel arrays, in no particular order: minus the score
    (rounded as shown), the supplier id and the index document. Pages are picked from it in
    the order (-score, id) without sorting it all; the bit mask of the description words a
    row's profile mentions is read for the rows of a page only (`terms`: the candidates that
    mention word i, for bit i)."""

    neg: np.ndarray  # float64
    ids: np.ndarray  # int64
    docs: np.ndarray  # uint32
    terms: tuple[BitMap, ...] = ()

    def __len__(self) -> int:
        return len(self.ids)

    def where(self, keep: np.ndarray) -> "Ranking":
        return Ranking(
            neg=self.neg[keep], ids=self.ids[keep], docs=self.docs[keep], terms=self.terms
        )

    def page(self, *, after: tuple[float, int] | None, limit: int) -> list[Row]:
        """The first `limit` rows after the (-score, id) position `after` (from the start
        when None), in page order."""
        neg, ids, docs = self.neg, self.ids, self.docs
        if after is not None:
            bound, last = after
            keep = (neg > bound) | ((neg == bound) & (ids > last))
            neg, ids, docs = neg[keep], ids[keep], docs[keep]
        chosen = first_k(neg, ids, limit)
        return [
            (score, supplier_id, self._words(doc))
            for score, supplier_id, doc in zip(
                neg[chosen].tolist(), ids[chosen].tolist(), docs[chosen].tolist(), strict=True
            )
        ]

    def rows(self) -> list[Row]:
        """Every row, in page order."""
        return self.page(after=None, limit=len(self))

    def _words(self, doc: int) -> int:
        return sum(1 << i for i, found in enumerate(self.terms) if doc in found)


def rank(*, session: Session, criteria: Criteria) -> Ranking:
    """Every supplier that passes the request's knock-outs, scored, as the data `session`
    sees it: ranked on the search index on every call (fast enough on the first ask that no
    cache is kept)."""
    with engine_for(session).current(session) as index:
        return rank_index(index, criteria)


def candidates(
    index: SupplierIndex, criteria: Criteria
) -> tuple[BitMap, np.ndarray, list[np.ndarray]]:
    """The candidates: live documents serving one of the chains and holding, for every
    required standard, a certificate the request's rule admits. As a bitmap and as an array
    of documents, with, per required standard, the level of each one's most trusted admitted
    certificate (what the trust component reads)."""
    matched = index.live & index.union("supply_chain", criteria.supply_chains)
    docs = _array(matched)
    levels: list[np.ndarray] = []
    for standard in criteria.required_certifications:
        level = _best_level(index, criteria.rule, standard)[docs]
        held = level >= 0
        if not held.all():
            docs, level = docs[held], level[held]
            levels = [other[held] for other in levels]
        levels.append(level)
    if len(docs) < len(matched):
        matched = to_bitmap(docs)
    return matched, docs, levels


def rank_index(index: SupplierIndex, criteria: Criteria) -> Ranking:
    """`rank` on an index already brought up to date (and held).

    Facts are gathered into arrays by document number (one byte each where that suffices, so
    they stay in cache) and read for the candidates once."""
    matched, docs, levels = candidates(index, criteria)
    n = len(docs)
    size = index.size

    def member(bitmap: BitMap) -> np.ndarray:
        """Whether each candidate is in `bitmap`."""
        dense = np.zeros(size, dtype=bool)
        dense[_array(bitmap & matched)] = True
        members: np.ndarray = dense[docs]
        return members

    components: dict[str, np.ndarray] = {}
    for name, codes in (
        ("required_capabilities", criteria.required_capabilities),
        ("preferred_capabilities", criteria.preferred_capabilities),
    ):
        if codes:
            covered = np.zeros(size, dtype=np.uint8)  # at most MAX_CODES (50) codes
            for code in codes:
                subtree = criteria.subtrees.get(code, frozenset({code}))
                covered[_array(index.union("capability", subtree) & matched)] += 1
            components[name] = covered[docs] / len(codes)
    terms: list[BitMap] = []
    if criteria.terms:
        hits = np.zeros(size, dtype=np.uint8)  # at most weights.MAX_TERMS (12) words
        for term in criteria.terms:
            found = BitMap.union(*index.word(term).values()) & matched
            terms.append(found)
            hits[_array(found)] += 1
        components["text"] = hits[docs] / len(criteria.terms)
    near = None
    if criteria.near is not None:
        near = _proximity(index, criteria.near, docs)
    if criteria.provinces:
        in_province = member(index.union("province", criteria.provinces))
        near = np.where(in_province, 1.0, near if near is not None else 0.0)
    if near is not None:
        components["proximity"] = near
    if criteria.size_classes:
        components["size"] = member(index.union("size_class", criteria.size_classes)) * 1.0
    if criteria.required_certifications:
        trust = np.zeros(n, dtype=np.float64)
        for level in levels:
            trust += _TRUST[level]
        components["certificate_trust"] = trust / len(criteria.required_certifications)
    score = _score(components, n)
    ids = index.supplier.data[docs]
    return Ranking(neg=-score, ids=ids, docs=docs, terms=tuple(terms))


def _array(bitmap: BitMap) -> np.ndarray:
    """The documents of a bitmap, ascending, as uint32 (no copy: an index array as it is)."""
    return np.frombuffer(bitmap.to_array(), dtype=np.uint32)


def _score(components: dict[str, np.ndarray], n: int) -> np.ndarray:
    """`weights.score` of every candidate: the weighted mean of the components asked for (in
    the order of WEIGHTS, as `score` adds them), rounded. Every component is in 0..1 as
    computed, so `score`'s clamp changes nothing and is left out."""
    asked = [name for name in weights.WEIGHTS if name in components]
    total = sum(weights.WEIGHTS[name] for name in asked)
    if not asked or total <= 0:
        return np.ones(n, dtype=np.float64)
    mean = np.zeros(n, dtype=np.float64)
    for name in asked:
        mean += weights.WEIGHTS[name] * components[name]
    return np.round(mean / total, weights.SCORE_DIGITS)


# Trust by level (an index of VERIFICATION_LEVELS; the last entry, -1: no certificate), and
# the levels by ascending trust.
_TRUST = np.array([*(weights.TRUST.get(name, 0.0) for name in VERIFICATION_LEVELS), 0.0])
_BY_TRUST = sorted(range(len(VERIFICATION_LEVELS)), key=lambda level: _TRUST[level])


def _best_level(index: SupplierIndex, rule: CertificateRule, standard: str) -> np.ndarray:
    """By document: the level of its most trusted certificate of `standard` that `rule`
    admits (-1 without one). Dead documents' rows count too; only live candidates are read."""
    best = np.full(index.size, -1, dtype=np.int8)
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
    for level in _BY_TRUST:  # a more trusted level overwrites a less trusted one
        best[doc[admitted & (levels == level)]] = level
    return best


def _proximity(
    index: SupplierIndex, near: tuple[float, float, float], docs: np.ndarray
) -> np.ndarray:
    """1 - distance / radius inside the radius (great-circle km), else 0 (also without a
    location). Only candidates in the box around the circle (its bands of latitude and
    longitude) are measured: outside it they are farther than the radius."""
    lat, lon, radius = near
    lats = _column(index.lat.data, docs)
    with np.errstate(invalid="ignore"):  # NaN: no location, outside
        band = np.flatnonzero(np.abs(lats - lat) <= radius / KM_PER_DEGREE)
    lats, lons = lats[band], _column(index.lon.data, docs[band])
    reach = _longitude_reach(lat, radius)
    if reach is not None:
        close = np.abs((lons - lon + 180) % 360 - 180) <= reach
        band, lats, lons = band[close], lats[close], lons[close]
    haversine = haversines(lat, lon, lats, lons)
    distance = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(haversine, 1.0)))
    proximity = np.zeros(len(docs), dtype=np.float64)
    proximity[band] = np.where(distance < radius, 1 - distance / radius, 0.0)
    return proximity


def _longitude_reach(lat: float, radius_km: float) -> float | None:
    """The largest difference in longitude (degrees, with a margin) of a point within
    `radius_km` of latitude `lat`; None when the circle holds a pole (any longitude)."""
    angle = radius_km / EARTH_RADIUS_KM
    ratio = math.sin(min(angle, math.pi / 2)) / max(math.cos(math.radians(lat)), 1e-12)
    if angle >= math.pi / 2 or ratio >= 1:
        return None
    return math.degrees(math.asin(ratio)) * 1.001 + 1e-9


def _column(data: np.ndarray, docs: np.ndarray) -> np.ndarray:
    """`data[docs]` of a float column that grows only when set: documents past its end were
    never set (NaN)."""
    if len(docs) and int(docs.max()) >= len(data):
        values = np.full(len(docs), np.nan)
        within = docs < len(data)
        values[within] = data[docs[within]]
        return values
    taken: np.ndarray = data[docs]
    return taken
