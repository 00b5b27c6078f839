"""Supplier search: filters, facets, sorting and keyset paging over the search index.

One code path for both databases: a search reads the index of this worker (brought up to the
data first, see `app.search.engine`), which answers the matching set, the exact total, the
facet counts and the page's supplier ids; the page's records then come from the database.
`valid_certificate` is the certificate rule in SQL, for scouting's one-supplier checks.
"""

import hashlib
import math
from bisect import bisect_right
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from pyroaring import BitMap
from sqlalchemy import ColumnElement, or_
from sqlmodel import Session, col

from app.auth.caller import Caller
from app.catalogue.labels import KINDS, LabelCodes, Language
from app.cursors import cursor_mismatch, decode_cursor, encode_cursor
from app.search.engine import engine_for
from app.search.highlight import Marker
from app.search.index import (
    EPOCH,
    SupplierIndex,
    TextMatch,
    first_k,
    haversines,
    micros,
    to_bitmap,
    to_numpy,
)
from app.search.query import SearchParams, read_query
from app.search.schemas import Highlights, SearchItem, SearchPage, SearchQuery
from app.search.text import fuzzy_names, name_needle, parse_query
from app.suppliers.models import SupplierCertification
from app.suppliers.schemas import VERIFICATION_LEVELS
from app.suppliers.service import public_records

EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE = 111.045
NO_DISTANCE = 2.0  # sort key of suppliers without coordinates: last (haversines are <= 1)


def valid_certificate(
    *, day: date, verification: str | None = None, standard: str | None = None
) -> list[ColumnElement[bool]]:
    """Conditions for a certificate that counts on `day`, at least at trust level
    `verification` (any level when None), of `standard` (any when None).

    Valid means: status `active`, issued on or before the day (or issue date unknown), not
    expired on the day (it still counts on its expiry date; no expiry date never expires).
    Scouting's knock-outs use the same conditions.
    """
    cert = SupplierCertification
    conditions = [
        col(cert.status) == "active",
        or_(col(cert.issued_on).is_(None), col(cert.issued_on) <= day),
        or_(col(cert.expires_on).is_(None), col(cert.expires_on) >= day),
    ]
    if standard is not None:
        conditions.append(col(cert.standard_code) == standard)
    if verification is not None:
        levels: tuple[str, ...] = VERIFICATION_LEVELS
        allowed = levels[levels.index(verification) :]
        conditions.append(col(cert.verification).in_(allowed))
    return conditions


def haversine_bound(radius_km: float) -> float:
    """The haversine term of a great-circle distance of `radius_km`."""
    return math.sin(min(math.pi / 2, radius_km / (2 * EARTH_RADIUS_KM))) ** 2


def great_circle_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return great_circle_km_of(h)


def great_circle_km_of(haversine: float) -> float:
    """Kilometres of a haversine term (sort keys of suppliers without coordinates: beyond)."""
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, max(0.0, haversine))))


# Bumped when the meaning of cursor sort keys changes (2: distance keys are haversine terms;
# 3: the search engine: name keys are Python lower case, relevance has its own scale;
# 4: relevance counts the groups matched, partial matches included),
# so a cursor from an older release is a clear 422 instead of a wrong page.
CURSOR_FORMAT = 4


def _fingerprint(query: SearchQuery) -> str:
    return hashlib.sha256(f"{CURSOR_FORMAT}|{query.fingerprint()}".encode()).hexdigest()[:16]


def _encode_key(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _decode_key(query: SearchQuery, raw: Any) -> Any:
    if query.sort == "-updated_at":
        return datetime.fromisoformat(raw)
    if query.sort in ("relevance", "distance"):
        return float(raw)
    return str(raw)


def _cursor_position(query: SearchQuery) -> tuple[Any, int] | None:
    """(sort key, id) after which the page starts; 422 for a cursor of another query."""
    if query.cursor is None:
        return None
    payload = decode_cursor(query.cursor)
    if payload.get("f") != _fingerprint(query) or not isinstance(payload.get("i"), int):
        raise cursor_mismatch()
    try:
        return _decode_key(query, payload.get("k")), payload["i"]
    except (TypeError, ValueError):
        raise cursor_mismatch() from None


def search(*, session: Session, caller: Caller, lang: Language, params: SearchParams) -> SearchPage:
    """`GET /suppliers`: the parameters read into a query, its page, the codes shown labelled."""
    query, descendants = read_query(session=session, params=params)
    page = search_suppliers(session=session, query=query, caller=caller, descendants=descendants)
    codes = LabelCodes()
    for item in page.items:
        codes.add_supplier(item)
    for name, counts in page.facets.items():
        if name in KINDS:  # every facet but province
            codes.add(name, counts)
    page.labels = codes.labels(session=session, lang=lang)
    return page


def search_suppliers(
    *, session: Session, query: SearchQuery, caller: Caller, descendants: dict[str, list[str]]
) -> SearchPage:
    """A page of suppliers, the exact total and facet counts, from the search index (brought
    up to date first); then the page's public records from the database."""
    position = _cursor_position(query)
    with engine_for(session).current(session) as index:
        matched, text = _matching(index, query=query, descendants=descendants)
        facets = _facets(index, query=query, matched=matched)
        rows, scores = _page(index, query=query, matched=matched, text=text, position=position)
        marker = Marker(*text.marks()) if text is not None else None
    next_cursor = None
    if len(rows) > query.limit:
        rows = rows[: query.limit]
        supplier_id, key = rows[-1]
        next_cursor = encode_cursor(
            {"f": _fingerprint(query), "k": _encode_key(key), "i": supplier_id}
        )
    records = public_records(session=session, ids=[r[0] for r in rows], caller=caller)
    items = []
    for supplier_id, _ in rows:
        if supplier_id not in records:  # deleted since the index was read
            continue
        item = SearchItem(**records[supplier_id].__dict__)
        if query.near is not None and item.location is not None:
            here = (item.location.lat, item.location.lon)
            item.distance_km = round(great_circle_km((query.near.lat, query.near.lon), here), 3)
        if marker is not None:
            item.score = round(scores[supplier_id], 3)
            item.highlights = Highlights(
                name=marker.mark(item.name), description=marker.snippet(item.description)
            )
        items.append(item)
    return SearchPage(items=items, total=len(matched), next_cursor=next_cursor, facets=facets)


def _matching(
    index: SupplierIndex, *, query: SearchQuery, descendants: dict[str, list[str]]
) -> tuple[BitMap, TextMatch | None]:
    """The documents matching every condition of the query, and the text match if any."""
    text = None
    if query.q:
        text = index.text_match(
            parse_query(query.q, index.synonyms),
            needle=name_needle(query.q),
            fuzzy=fuzzy_names(query.q),
        )
        matched = text.matched
    else:
        matched = index.live
    sets: list[BitMap] = []
    if query.supply_chains:
        sets.append(index.union("supply_chain", query.supply_chains))
    sets += [index.union("capability", descendants[code]) for code in query.capabilities]
    sets += [
        index.valid_certificates(
            standard=standard, day=query.valid_on, verification=query.verification
        )
        for standard in query.certifications
    ]
    for facet, values in (
        ("province", query.provinces),
        ("size_class", query.size_classes),
        ("tier", query.tiers),
    ):
        if values:
            sets.append(index.union(facet, values))
    for bitmap in sorted(sets, key=len):  # smallest first: every later step is cheaper
        matched = matched & bitmap
    if query.verified is True:
        matched = matched & index.verified
    elif query.verified is False:
        matched = matched - index.verified
    return _numeric(index, query=query, matched=matched), text


def _numeric(index: SupplierIndex, *, query: SearchQuery, matched: BitMap) -> BitMap:
    """Range filters (employees, update instant, distance), vectorised over the matches.
    Unknown values (NaN) never pass a bound."""
    near = query.near
    radius = near is not None and near.radius_km is not None
    ranges = (query.min_employees, query.max_employees, query.updated_since)
    if not radius and all(bound is None for bound in ranges):
        return matched
    docs = to_numpy(matched)
    keep = np.ones(len(docs), dtype=bool)
    if query.min_employees is not None:
        keep &= index.employees.data[docs] >= query.min_employees
    if query.max_employees is not None:
        keep &= index.employees.data[docs] <= query.max_employees
    if query.updated_since is not None:
        keep &= index.updated.data[docs] >= micros(query.updated_since)
    if near is not None and near.radius_km is not None:
        dlat = near.radius_km / KM_PER_DEGREE
        keep &= np.abs(index.lat.data[docs] - near.lat) <= dlat  # cheap box first
        inside = np.flatnonzero(keep)
        close = _haversine(index, near.lat, near.lon, docs[inside])
        keep[inside] = close <= haversine_bound(near.radius_km)
    return to_bitmap(docs[keep])


def _haversine(index: SupplierIndex, lat: float, lon: float, docs: np.ndarray) -> np.ndarray:
    """The haversine of each document's central angle from (lat, lon) (it grows with the
    great-circle distance); NaN without a location."""
    return haversines(lat, lon, index.lat.data[docs], index.lon.data[docs])


def _facets(
    index: SupplierIndex, *, query: SearchQuery, matched: BitMap
) -> dict[str, dict[str, int]]:
    """For each requested facet, how many matches have each value: most frequent first, then
    alphabetical, ready for a facet sidebar."""
    facets: dict[str, dict[str, int]] = {}
    for facet in query.facets:
        if facet == "certification":
            bitmaps = {
                standard: index.valid_certificates(
                    standard=standard, day=query.valid_on, verification=query.verification
                )
                for standard in index.certificates
            }
        else:
            bitmaps = index.values[facet]
        counts = {}
        if matched:
            for value, bitmap in bitmaps.items():
                count = matched.intersection_cardinality(bitmap)
                if count:
                    counts[value] = count
        facets[facet] = dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
    return facets


def _page(
    index: SupplierIndex,
    *,
    query: SearchQuery,
    matched: BitMap,
    text: TextMatch | None,
    position: tuple[Any, int] | None,
) -> tuple[list[tuple[int, Any]], dict[int, float]]:
    """(supplier id, sort key) of the page, plus one more row if there is a next page; and
    with a text query, the relevance score of each of them by supplier id.

    Every order is (key, supplier id) with a numeric key where smaller comes first: the name
    rank, minus the update instant, the haversine, minus the relevance score.
    """
    if not matched:
        return [], {}
    docs = to_numpy(matched)
    sids = index.supplier.data[docs]
    relevance = text.scores(docs) if text is not None else None
    if query.sort == "name":
        primary = index.name_order()[1][docs]
    elif query.sort == "-updated_at":
        primary = -index.updated.data[docs]
    elif query.sort == "distance" and query.near is not None:
        primary = _haversine(index, query.near.lat, query.near.lon, docs)
        primary = np.where(np.isnan(primary), NO_DISTANCE, primary)
    else:
        assert relevance is not None
        primary = -relevance
    if position is not None:
        after = _after(index, query=query, primary=primary, sids=sids, position=position)
        docs, sids, primary = docs[after], sids[after], primary[after]
        relevance = relevance[after] if relevance is not None else None
    chosen = first_k(primary, sids, query.limit + 1)
    rows = []
    scores = {}
    for i in chosen.tolist():
        doc, supplier_id, key = int(docs[i]), int(sids[i]), primary[i]
        rows.append((supplier_id, _sort_key(index, query=query, doc=doc, key=key)))
        if relevance is not None:
            scores[supplier_id] = float(relevance[i])
    return rows, scores


def _sort_key(index: SupplierIndex, *, query: SearchQuery, doc: int, key: Any) -> Any:
    """The cursor's key of a row: what a client could check it against."""
    if query.sort == "name":
        return index.lower_names[doc]
    if query.sort == "-updated_at":
        return EPOCH + timedelta(microseconds=-int(key))
    if query.sort == "relevance":
        return -float(key)
    return float(key)


def _after(
    index: SupplierIndex,
    *,
    query: SearchQuery,
    primary: np.ndarray,
    sids: np.ndarray,
    position: tuple[Any, int],
) -> np.ndarray:
    """Mask of the rows strictly after the cursor's (key, supplier id) in the page order."""
    value, last_id = position
    if query.sort == "name":
        # Position of the first name after the cursor's in the current order: the bound.
        order, _ = index.name_order()
        lower, sid = index.lower_names, index.supplier.data
        bound = bisect_right(order, (value, last_id), key=lambda d: (lower[d], int(sid[d])))
        return primary >= bound
    if query.sort == "-updated_at":
        bound = -micros(value)
    elif query.sort == "relevance":
        bound = -value
    else:
        bound = value
    after: np.ndarray = (primary > bound) | ((primary == bound) & (sids > last_id))  # numpy: Any
    return after
