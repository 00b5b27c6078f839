"""Supplier search: shared filters, facets, sorting and keyset paging on both databases.

Only the text match differs per database (`app.search.text`); everything here is one SQL
code path. A search runs two statements: one UNION ALL that returns the exact total and every
requested facet over a materialized set of matching ids (cached until the data changes, see
`app.search.cache`), then the page, whose plan depends on how many suppliers match.
"""

import hashlib
import math
from bisect import bisect_right
from collections.abc import Callable, Hashable
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    String,
    and_,
    cast,
    exists,
    func,
    intersect,
    literal,
    null,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session, col

from app.auth.deps import Caller
from app.search.cache import (
    Counts,
    Ranking,
    cached,
    count_cache,
    generation_key,
    ranking_cache,
)
from app.search.cursors import cursor_mismatch, decode_cursor, encode_cursor
from app.search.schemas import SearchItem, SearchPage, SearchQuery
from app.search.text import TextMatcher, matcher_for
from app.suppliers.models import (
    Supplier,
    SupplierCapability,
    SupplierCertification,
    SupplierSupplyChain,
)
from app.suppliers.schemas import VERIFICATION_LEVELS
from app.suppliers.service import public_records

EARTH_RADIUS_KM = 6371.0088
KM_PER_DEGREE = 111.045
HALF_CIRCUMFERENCE_KM = math.pi * EARTH_RADIUS_KM
NO_DISTANCE = 2.0  # sort key of suppliers without coordinates: last (haversines are <= 1)
# From this many matches on, a search sorted by name or date walks the sort index (see _page).
WALK_MIN_MATCHES = 1000
# Rows of a relevance ranking computed (and cached) at once: the first pages of a search.
RANKING_WINDOW = 200
# Up to this many capability filters are one semi-join each (PostgreSQL plans that many joins
# exhaustively, as its join_collapse_limit); more are one INTERSECT (see _holding_all).
JOINED_CAPABILITIES = 8


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
        allowed = VERIFICATION_LEVELS[VERIFICATION_LEVELS.index(verification) :]  # type: ignore[arg-type]
        conditions.append(col(cert.verification).in_(allowed))
    return conditions


def haversine_term(lat: float, lon: float) -> ColumnElement[float]:
    """The haversine of each supplier's central angle from (lat, lon), in SQL.

    It grows with the great-circle distance, so filters and sorts use it as it is: no asin,
    no square root, constants folded in Python. Kilometres are computed for the page only.
    """
    s = Supplier
    half_radian = math.pi / 360
    cos_lat = math.cos(math.radians(lat))
    return func.power(func.sin((col(s.lat) - lat) * half_radian), 2) + cos_lat * func.cos(
        col(s.lat) * (2 * half_radian)
    ) * func.power(func.sin((col(s.lon) - lon) * half_radian), 2)


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


class unindexed(FunctionElement):
    """`+column` on SQLite: the same value, but the planner will not pick an index for it.

    Used when a search walks the sort index: a filter index would make SQLite collect every
    match and sort them, which is slow exactly when there are many matches.
    """

    inherit_cache = True

    def __init__(self, column: ColumnElement[Any]) -> None:
        super().__init__(column)
        self.type = column.type


@compiles(unindexed)
def _compile_plain(element: unindexed, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(unindexed, "sqlite")
def _compile_unindexed(element: unindexed, compiler: Any, **kw: Any) -> str:
    return "+" + compiler.process(element.clauses, **kw)


def _filters(
    query: SearchQuery, *, descendants: dict[str, list[str]], walk: bool = False
) -> list[ColumnElement[bool]]:
    """The structured filters, as conditions on `supplier`.

    Two shapes of the same conditions. By default each link filter is an uncorrelated
    `id IN (...)` set, answered from a covering index: best for collecting every match.
    With `walk`, link filters are correlated EXISTS probes and no column filter uses an index,
    so the database walks the sort index and stops after one page: best when matches are many.
    """
    s = Supplier
    column = unindexed if walk else (lambda c: c)
    # Liveness first and always; `_text_alone` relies on it being the only one without filters.
    conditions: list[ColumnElement[bool]] = [column(col(s.deleted_at)).is_(None)]

    def linked(link: Any, *where: ColumnElement[bool]) -> ColumnElement[bool]:
        if walk:
            return exists().where(col(link.supplier_id) == col(s.id), *where)
        return col(s.id).in_(select(col(link.supplier_id)).where(*where))

    if query.supply_chains:
        link = SupplierSupplyChain
        conditions.append(linked(link, col(link.supply_chain_code).in_(query.supply_chains)))
    cap = SupplierCapability
    if walk or len(query.capabilities) <= JOINED_CAPABILITIES:
        for code in query.capabilities:  # all of them, each with its descendants
            conditions.append(linked(cap, col(cap.capability_code).in_(descendants[code])))
    else:
        conditions.append(col(s.id).in_(_holding_all(query.capabilities, descendants)))
    for standard in query.certifications:  # all of them, each valid on `valid_on`
        valid = valid_certificate(
            day=query.valid_on, verification=query.verification, standard=standard
        )
        conditions.append(linked(SupplierCertification, *valid))
    for values, attribute in (
        (query.provinces, s.province),
        (query.size_classes, s.size_class),
        (query.tiers, s.tier),
    ):
        if values:
            conditions.append(column(col(attribute)).in_(values))
    if query.min_employees is not None:
        conditions.append(column(col(s.employees)) >= query.min_employees)
    if query.max_employees is not None:
        conditions.append(column(col(s.employees)) <= query.max_employees)
    if query.verified is not None:
        conditions.append(column(col(s.verified)).is_(query.verified))
    if query.updated_since is not None:
        conditions.append(column(col(s.updated_at)) >= query.updated_since)
    near = query.near
    if near is not None and near.radius_km is not None:
        conditions += _within(near.lat, near.lon, near.radius_km, column)
    return conditions


def _holding_all(codes: tuple[str, ...], descendants: dict[str, list[str]]) -> Any:
    """Ids of suppliers holding, for every code, the code or one of its descendants: one
    INTERSECT of the codes' holders. With one semi-join per code, PostgreSQL planned fifty codes
    as a fifty-way join and ran for seconds; the INTERSECT reads each code's index range once."""
    cap = SupplierCapability
    return intersect(
        *(
            select(col(cap.supplier_id)).where(col(cap.capability_code).in_(descendants[root]))
            for root in codes
        )
    )


def _text_alone(conditions: list[ColumnElement[bool]]) -> bool:
    """True when the text match is the whole search: `_filters` gave only liveness."""
    return len(conditions) == 1


def _within(
    lat: float, lon: float, radius_km: float, column: Callable[[Any], Any] = lambda c: c
) -> list[ColumnElement[bool]]:
    """Suppliers within `radius_km` of (lat, lon): a bounding box (indexable), then the exact
    great-circle distance."""
    s = Supplier
    dlat = radius_km / KM_PER_DEGREE
    conditions = [column(col(s.lat)).between(lat - dlat, lat + dlat)]
    dlon = radius_km / (KM_PER_DEGREE * max(0.01, abs(math.cos(math.radians(lat)))))
    if dlon < 180:
        conditions.append(column(col(s.lon)).between(lon - dlon, lon + dlon))
    conditions.append(haversine_term(lat, lon) <= haversine_bound(radius_km))
    return conditions


def _sort(query: SearchQuery, rank: Any, distance: Any) -> tuple[Any, bool]:
    """(sort key expression, descending) for the requested order; `id` breaks ties."""
    # `distance` is the haversine term, which orders suppliers as kilometres would.
    if query.sort == "relevance":
        return rank, True
    if query.sort == "-updated_at":
        return col(Supplier.updated_at), True
    if query.sort == "distance":
        return func.coalesce(distance, NO_DISTANCE), False
    return func.lower(col(Supplier.name)), False


def _after(key: Any, ident: Any, descending: bool, value: Any, last_id: int) -> ColumnElement[bool]:
    """Rows strictly after (value, last_id) in the order (key desc|asc, id asc)."""
    if descending:
        return or_(key < value, and_(key == value, ident > last_id))
    return tuple_(key, ident) > tuple_(literal(value, type_=_key_type(value)), literal(last_id))


def _key_type(value: Any) -> Any:
    return Float() if isinstance(value, float) else String() if isinstance(value, str) else None


# Bumped when the meaning of cursor sort keys changes (2: distance keys are haversine terms),
# so a cursor from an older release is a clear 422 instead of a wrong page.
CURSOR_FORMAT = 2


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


def search_suppliers(
    *, session: Session, query: SearchQuery, caller: Caller, descendants: dict[str, list[str]]
) -> SearchPage:
    dialect = session.get_bind().dialect.name
    position = _cursor_position(query)
    matcher = matcher_for(dialect) if query.q else None

    def count() -> Counts:
        conditions = _filters(query, descendants=descendants)
        matching = select(col(Supplier.id)).select_from(Supplier)
        if matcher is not None and query.q:
            hits = matcher.match(session=session, q=query.q, ranked=False)
            if _text_alone(conditions) and not any(f in _COLUMN_FACETS for f in query.facets):
                base = select(hits.c.id.label("id"))  # the match holds live suppliers only
                return _counts(session=session, base=base, query=query)
            matching = matching.join(hits, hits.c.id == Supplier.id)
        return _counts(session=session, base=matching.where(*conditions), query=query)

    generation = generation_key(session)
    key = query.counts_key()
    total, facets = cached(count_cache(), generation=generation, query_key=key, compute=count)
    page = {
        "session": session,
        "query": query,
        "matcher": matcher,
        "descendants": descendants,
        "total": total,
    }
    rows: list[Any] = []
    if total and query.sort == "relevance":
        rows = _ranked_page(position=position, generation=generation, **page)
    elif total:
        walk = total >= WALK_MIN_MATCHES and query.sort in ("name", "-updated_at")
        rows = _page(position=position, walk=walk, **page)

    next_cursor = None
    if len(rows) > query.limit:
        rows = rows[: query.limit]
        last = rows[-1]
        next_cursor = encode_cursor(
            {"f": _fingerprint(query), "k": _encode_key(last.sort_key), "i": last.id}
        )
    records = public_records(session=session, ids=[r.id for r in rows], caller=caller)
    items = []
    for row in rows:
        item = SearchItem(**records[row.id].__dict__)
        if query.near is not None and item.location is not None:
            here = (item.location.lat, item.location.lon)
            item.distance_km = round(great_circle_km((query.near.lat, query.near.lon), here), 3)
        items.append(item)
    return SearchPage(items=items, total=total, next_cursor=next_cursor, facets=facets)


class PageRow(NamedTuple):
    id: int
    sort_key: Any


def _ranked_page(
    *, position: tuple[Any, int] | None, generation: Hashable | None, **page: Any
) -> list[Any]:
    """A relevance page, cut from the cached head of the ranking when it lies within it.

    Ranking scores every match before the best are known, so the first RANKING_WINDOW rows
    are computed at once and cached per data generation; later pages run `_page` as usual.
    """
    query: SearchQuery = page["query"]

    def head() -> Ranking:
        rows = _page(position=None, walk=False, size=RANKING_WINDOW, **page)
        ranking = [(row.id, row.sort_key) for row in rows[:RANKING_WINDOW]]
        return ranking, len(rows) <= RANKING_WINDOW

    ranking, complete = cached(
        ranking_cache(), generation=generation, query_key=query.ranking_key(), compute=head
    )
    start = 0
    if position is not None:  # first row after (rank, id) in the order rank desc, id asc
        rank, last_id = position
        start = bisect_right(ranking, (-rank, last_id), key=lambda row: (-row[1], row[0]))
    rows = ranking[start : start + query.limit + 1]
    if len(rows) > query.limit or complete:
        return [PageRow(*row) for row in rows]
    return _page(position=position, walk=False, **page)


def _page(
    *,
    session: Session,
    query: SearchQuery,
    matcher: TextMatcher | None,
    descendants: dict[str, list[str]],
    position: tuple[Any, int] | None,
    walk: bool,
    total: int,
    size: int | None = None,
) -> list[Any]:
    """One page of `size` (default: the query's limit) (id, sort_key) rows, plus one more row
    if there is a next page.

    `walk` (many matches, an indexed sort): walk the sort index and probe each supplier until
    the page is full. Otherwise collect the matches first, then sort them: with few matches,
    walking the index could visit most suppliers before filling a page.
    """
    size = query.limit if size is None else size
    conditions = _filters(query, descendants=descendants, walk=walk)
    page: Select = select(col(Supplier.id)).select_from(Supplier)
    rank: Any = literal(0.0)
    if matcher is not None and query.q:
        ranked = query.sort == "relevance"
        alone = ranked and _text_alone(conditions)
        match = matcher.match(session=session, q=query.q, ranked=ranked, alone=alone)
        if alone:  # rank order straight from the match, which holds live suppliers only
            page = select(match.c.id, match.c.rank.label("sort_key"))
            if position is not None:
                page = page.where(_after(match.c.rank, match.c.id, True, *position))
            page = page.order_by(match.c.rank.desc(), match.c.id.asc()).limit(size + 1)
            return list(session.execute(page))
        page = page.join(match, match.c.id == Supplier.id)
        rank = match.c.rank if ranked else rank
    distance: Any = cast(null(), Float)
    if query.near is not None:
        distance = haversine_term(query.near.lat, query.near.lon)
    key, descending = _sort(query, rank, distance)
    page = page.add_columns(key.label("sort_key"))

    if not walk and (query.supply_chains or query.capabilities or query.certifications):
        # Filter first, then sort: otherwise PostgreSQL may walk a sort index hoping to meet
        # matches early, which is slow whenever matches are few or cluster away from the start.
        filtered = (
            select(col(Supplier.id)).where(*conditions).cte("filtered").prefix_with("MATERIALIZED")
        )
        page = page.join(filtered, filtered.c.id == Supplier.id)
    else:
        page = page.where(*conditions)
    if position is not None:
        page = page.where(_after(key, col(Supplier.id), descending, *position))
    order = key.desc() if descending else key.asc()
    page = page.order_by(order, col(Supplier.id).asc()).limit(size + 1)
    near = query.near
    if query.sort == "distance" and near is not None and total >= WALK_MIN_MATCHES:
        # Nearest first: try a small circle around the page's start, where the page is
        # expected to fit, and widen it until the page is full. A full page from a circle is
        # exactly the page of the whole search, and the bounding box of a small circle lets
        # the (lat, lon) index skip the distant suppliers.
        full = near.radius_km or HALF_CIRCUMFERENCE_KM
        start = great_circle_km_of(position[0]) if position is not None else 0.0
        step = full * math.sqrt(min(1.0, 4 * (size + 1) / total))
        while start + step < full:
            rows = list(session.execute(page.where(*_within(near.lat, near.lon, start + step))))
            if len(rows) > size:
                return rows
            step *= 2
    return list(session.execute(page))


# facet -> (link table's supplier_id, link table's code) for facets stored as link rows
_LINK_FACETS = {
    "supply_chain": (SupplierSupplyChain.supplier_id, SupplierSupplyChain.supply_chain_code),
    "capability": (SupplierCapability.supplier_id, SupplierCapability.capability_code),
}


_COLUMN_FACETS = {
    "province": Supplier.province,
    "size_class": Supplier.size_class,
    "tier": Supplier.tier,
}


def _counts(*, session: Session, base: Select, query: SearchQuery) -> Counts:
    """Exact total and facet counts over the matching set, in one statement."""
    if not query.facets:
        return session.execute(select(func.count()).select_from(base.subquery())).scalar_one(), {}
    column_facets = [f for f in query.facets if f in _COLUMN_FACETS]
    # The set carries the supplier's own facet columns, so they group without another join.
    matched = (
        base.add_columns(*(col(_COLUMN_FACETS[f]).label(f) for f in column_facets))
        .cte("matched")
        .prefix_with("MATERIALIZED")
    )
    ids = matched.c.id
    label = literal
    branches: list[Select] = [
        select(label("_total"), literal(None, type_=String()), func.count()).select_from(matched)
    ]
    for facet in query.facets:
        if facet in _LINK_FACETS:
            owner, code = _LINK_FACETS[facet]
            branches.append(
                select(label(facet), col(code), func.count())
                .select_from(matched)
                .join(owner.class_, col(owner) == ids)
                .group_by(col(code))
            )
        elif facet == "certification":
            cert = SupplierCertification
            branches.append(
                select(label(facet), col(cert.standard_code), func.count(func.distinct(ids)))
                .select_from(matched)
                .join(cert, col(cert.supplier_id) == ids)
                .where(*valid_certificate(day=query.valid_on, verification=query.verification))
                .group_by(col(cert.standard_code))
            )
        else:
            value = matched.c[facet]
            branches.append(
                select(label(facet), value, func.count()).where(value.is_not(None)).group_by(value)
            )
    facets: dict[str, dict[str, int]] = {facet: {} for facet in query.facets}
    total = 0
    for facet, value, count in session.execute(union_all(*branches)):
        if facet == "_total":
            total = count
        else:
            facets[facet][value] = count
    # Most frequent values first, then alphabetical: ready for a facet sidebar.
    ordered = {
        facet: dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
        for facet, counts in facets.items()
    }
    return total, ordered
