"""Supplier search: shared filters, facets, sorting and keyset paging on both databases.

Only the text match differs per database (`app.search.text`); everything here is one SQL
code path. A search runs two statements: the page (with its sort keys) and one UNION ALL that
returns the exact total and every requested facet over a materialized set of matching ids.
"""

import hashlib
import math
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    String,
    and_,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlmodel import Session, col

from app.auth.deps import Caller
from app.search.cursors import cursor_mismatch, decode_cursor, encode_cursor
from app.search.schemas import SearchItem, SearchPage, SearchQuery
from app.search.text import matcher_for
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
NO_DISTANCE = 1.0e9  # sort key of suppliers without coordinates: last


def valid_certificate(query: SearchQuery, standard: str | None = None) -> list[ColumnElement[bool]]:
    """Conditions for a certificate that counts on `valid_on` at the requested trust level.

    Valid means: status `active`, issued on or before the day (or issue date unknown), not
    expired on the day (it still counts on its expiry date; no expiry date never expires).
    """
    cert = SupplierCertification
    conditions = [
        col(cert.status) == "active",
        or_(col(cert.issued_on).is_(None), col(cert.issued_on) <= query.valid_on),
        or_(col(cert.expires_on).is_(None), col(cert.expires_on) >= query.valid_on),
    ]
    if standard is not None:
        conditions.append(col(cert.standard_code) == standard)
    if query.verification is not None:
        allowed = VERIFICATION_LEVELS[VERIFICATION_LEVELS.index(query.verification) :]
        conditions.append(col(cert.verification).in_(allowed))
    return conditions


def distance_km(lat: float, lon: float, dialect: str) -> ColumnElement[float]:
    """Haversine great-circle distance from (lat, lon) to each supplier, in SQL."""
    s = Supplier
    half_dlat = func.radians(col(s.lat) - lat) / 2
    half_dlon = func.radians(col(s.lon) - lon) / 2
    a = func.power(func.sin(half_dlat), 2) + func.cos(func.radians(lat)) * func.cos(
        func.radians(col(s.lat))
    ) * func.power(func.sin(half_dlon), 2)
    clamp = func.least if dialect == "postgresql" else func.min  # SQLite: scalar min()
    return (2 * EARTH_RADIUS_KM * func.asin(func.sqrt(clamp(1.0, a)))).cast(Float)


def _filters(
    query: SearchQuery, *, descendants: dict[str, list[str]], dialect: str
) -> list[ColumnElement[bool]]:
    s = Supplier
    conditions: list[ColumnElement[bool]] = [col(s.deleted_at).is_(None)]
    # Each link filter is an uncorrelated `id IN (...)` set, answered from a covering index.
    if query.supply_chains:
        link = SupplierSupplyChain
        conditions.append(
            col(s.id).in_(
                select(link.supplier_id).where(col(link.supply_chain_code).in_(query.supply_chains))
            )
        )
    for code in query.capabilities:  # all of them, each with its descendants
        cap = SupplierCapability
        conditions.append(
            col(s.id).in_(
                select(cap.supplier_id).where(col(cap.capability_code).in_(descendants[code]))
            )
        )
    for standard in query.certifications:  # all of them, each valid on `valid_on`
        cert = SupplierCertification
        conditions.append(
            col(s.id).in_(select(cert.supplier_id).where(*valid_certificate(query, standard)))
        )
    for values, column in (
        (query.provinces, s.province),
        (query.size_classes, s.size_class),
        (query.tiers, s.tier),
    ):
        if values:
            conditions.append(col(column).in_(values))
    if query.min_employees is not None:
        conditions.append(col(s.employees) >= query.min_employees)
    if query.max_employees is not None:
        conditions.append(col(s.employees) <= query.max_employees)
    if query.verified is not None:
        conditions.append(col(s.verified).is_(query.verified))
    if query.updated_since is not None:
        conditions.append(col(s.updated_at) >= query.updated_since)
    near = query.near
    if near is not None and near.radius_km is not None:
        # A bounding box first (indexable), then the exact great-circle distance.
        dlat = near.radius_km / KM_PER_DEGREE
        conditions += [col(s.lat).between(near.lat - dlat, near.lat + dlat)]
        cos_lat = max(0.01, abs(math.cos(math.radians(near.lat))))
        dlon = near.radius_km / (KM_PER_DEGREE * cos_lat)
        if dlon < 180:
            conditions += [col(s.lon).between(near.lon - dlon, near.lon + dlon)]
        conditions.append(distance_km(near.lat, near.lon, dialect) <= near.radius_km)
    return conditions


def _sort(query: SearchQuery, rank: Any, distance: Any) -> tuple[Any, bool]:
    """(sort key expression, descending) for the requested order; `id` breaks ties."""
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


def _fingerprint(query: SearchQuery) -> str:
    return hashlib.sha256(query.fingerprint().encode()).hexdigest()[:16]


def _encode_key(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _decode_key(query: SearchQuery, raw: Any) -> Any:
    if query.sort == "-updated_at":
        return datetime.fromisoformat(raw)
    if query.sort in ("relevance", "distance"):
        return float(raw)
    return str(raw)


def search_suppliers(
    *, session: Session, query: SearchQuery, caller: Caller, descendants: dict[str, list[str]]
) -> SearchPage:
    dialect = session.get_bind().dialect.name
    conditions = _filters(query, descendants=descendants, dialect=dialect)
    base: Select = select(col(Supplier.id)).select_from(Supplier)
    counted = base  # the total and facets need the matching ids, not their ranks
    rank: Any = literal(0.0)
    if query.q:
        matcher = matcher_for(dialect)
        match = matcher.match(session=session, q=query.q, ranked=query.sort == "relevance")
        base = base.join(match, match.c.id == Supplier.id)
        rank = match.c.rank if query.sort == "relevance" else rank
        hits = matcher.match(session=session, q=query.q, ranked=False)
        counted = counted.join(hits, hits.c.id == Supplier.id)
    distance: Any = cast(null(), Float)
    if query.near is not None:
        distance = distance_km(query.near.lat, query.near.lon, dialect)
    key, descending = _sort(query, rank, distance)

    linked = bool(query.supply_chains or query.capabilities or query.certifications)
    columns = [col(Supplier.id), key.label("sort_key"), distance.label("distance")]
    # A narrowed search computes its whole match set anyway: count it in the same statement.
    window_total = (linked or bool(query.q)) and not query.facets
    if window_total:
        columns.append(func.count().over().label("total"))
    page_query = base.with_only_columns(*columns)
    if linked:
        # Filter first, then sort: otherwise PostgreSQL may walk a sort index hoping to meet
        # matches early, which is slow whenever matches cluster away from the start.
        filtered = (
            select(col(Supplier.id)).where(*conditions).cte("filtered").prefix_with("MATERIALIZED")
        )
        page_query = page_query.join(filtered, filtered.c.id == Supplier.id)
    else:
        page_query = page_query.where(*conditions)
    ident: Any = col(Supplier.id)
    if window_total:  # keyset and order apply outside the window, which sees every match
        inner = page_query.subquery("matches")
        page_query = select(inner)
        key, ident = inner.c.sort_key, inner.c.id
    if query.cursor is not None:
        payload = decode_cursor(query.cursor)
        if payload.get("f") != _fingerprint(query) or not isinstance(payload.get("i"), int):
            raise cursor_mismatch()
        try:
            value = _decode_key(query, payload.get("k"))
        except (TypeError, ValueError):
            raise cursor_mismatch() from None
        page_query = page_query.where(_after(key, ident, descending, value, payload["i"]))
    order = key.desc() if descending else key.asc()
    rows = session.execute(page_query.order_by(order, ident.asc()).limit(query.limit + 1)).all()
    total = rows[0].total if window_total and rows else None

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
        if query.near is not None and row.distance is not None:
            item.distance_km = round(row.distance, 3)
        items.append(item)

    if total is None:
        total, facets = _counts(session=session, base=counted.where(*conditions), query=query)
    else:
        facets = {}
    return SearchPage(items=items, total=total, next_cursor=next_cursor, facets=facets)


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


def _counts(
    *, session: Session, base: Select, query: SearchQuery
) -> tuple[int, dict[str, dict[str, int]]]:
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
                .where(*valid_certificate(query))
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
