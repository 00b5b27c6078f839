"""The ranking of a whole request in SQL: every candidate's score from one statement.

`app.scouting.ranking` says what a score is, for one supplier and with its explanation; this
module computes the same weighted mean for every supplier that passes the knock-outs inside
the database, so ranking 30,000 candidates costs set-based scans instead of 30,000 Python
assessments. The weights and trust levels are read from `ranking` (the one place they live).

The statement has two steps. `facts` (materialized) holds, per candidate, how many required
and preferred capabilities it covers, which description words its profile mentions (a bit
mask), the summed trust of its required certificates, its distance from the requested point,
and whether its province and size class are among those asked for. Capabilities come from
one grouped pass over `supplier_capability` (a count and bit masks per supplier, joined in;
see `_coverage`), so 100 requested codes cost about what 5 do. Words are membership tests of
the candidate's id in sets read once (a word's FTS5 rowids on SQLite), or on PostgreSQL a
test of the candidate's own `tsvector`; the trust of each required standard comes from one
grouped scan of the certificate index, joined in. The outer query folds the facts into the
score.
"""

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Float,
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    column,
    func,
    literal,
    or_,
    select,
    table,
    text,
    values,
)
from sqlmodel import Session, col

from app.scouting import ranking
from app.search.service import EARTH_RADIUS_KM, haversine_term, valid_certificate
from app.search.text import fts5_query
from app.suppliers.models import Supplier, SupplierCapability, SupplierCertification

# (-score, supplier id, bit mask of the description words its profile mentions), page order
Ranked = list[tuple[float, int, int]]

# PostgreSQL's full-text table (revision 0005; not a model: SQLite has FTS5 instead).
_SEARCH = table("supplier_search", column("supplier_id", Integer))
_FTS = table("supplier_fts", column("rowid", Integer))  # SQLite FTS5 (revision 0002)


def qualifying_certificate(
    rule: ranking.CertificateRule, standard: str | None = None
) -> list[ColumnElement[bool]]:
    """Conditions on `supplier_certification` for a certificate that `rule` admits (of
    `standard`, if given): search's `valid_certificate` on the rule's day at its trust level,
    the SQL twin of `ranking.CertificateRule.qualifies`. At the lowest level every
    certificate counts, and no condition on `verification` is added (a useless `IN` of every
    level cost SQLite 15% of a typical ranking)."""
    level = None if rule.counts_every_level else rule.min_verification
    return valid_certificate(day=rule.day, verification=level, standard=standard)


def _number(value: float) -> ColumnElement[float]:
    return literal(value, Float)


def _bit(condition: ColumnElement[bool], value: int = 1) -> ColumnElement[int]:
    return case((condition, literal(value, Integer)), else_=literal(0, Integer))


def _total(terms: Sequence[ColumnElement[Any]]) -> ColumnElement[Any]:
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def _tsquery(name: str) -> str:
    return (
        f"(websearch_to_tsquery('escouting_it', :{name}) "
        f"|| websearch_to_tsquery('escouting_en', :{name}))"
    )


def _words_mask(dialect: str, terms: Sequence[str], only: Select[Any] | None) -> ColumnElement[int]:
    """Bit i set when the supplier's profile mentions description word i, by the database's
    full-text machinery (Italian and English stemming on both databases).

    PostgreSQL tests each word against the candidate's own `search_vector` (joined in by the
    caller), which is cheaper than one index scan per common word; SQLite reads each word's
    rowids from FTS5 once and probes them per candidate, or for `only` a few suppliers asks
    FTS5 about each one's rowid.
    """
    bits = []
    for i, term in enumerate(terms):
        name = f"w{i}"
        if dialect == "postgresql":
            # A scalar subquery is evaluated once; the functions themselves would be per row.
            hit = text(f"supplier_search.search_vector @@ (SELECT {_tsquery(name)})").bindparams(
                **{name: term}
            )
        else:
            match = text(f"supplier_fts MATCH :{name}").bindparams(
                **{name: fts5_query(term)[0] or '""'}
            )
            if only is None:
                hit = col(Supplier.id).in_(select(_FTS.c.rowid).where(match))
            else:  # a few suppliers: FTS5 looks the word up at each one's rowid
                hit = select(_FTS.c.rowid).where(match, _FTS.c.rowid == col(Supplier.id)).exists()
        bits.append(_bit(hit, 1 << i))  # type: ignore[arg-type]
    return _total(bits)


def _restricted(query: Select[Any], owner: Any, only: Select[Any] | None) -> Select[Any]:
    return query if only is None else query.where(owner.in_(only))


# Bits of one capability mask (a signed 64-bit integer on both databases).
_MASK_BITS = 62


def _coverage(
    criteria: ranking.Request, only: Select[Any] | None
) -> tuple[Any, dict[str, ColumnElement[int]]]:
    """How many of the requested capabilities each supplier covers, from one pass over
    `supplier_capability`: (a subquery per supplier holding any of them, the count of covered
    required and preferred codes as expressions over its columns).

    A requested code without narrower ones is covered by holding it: those are counted by
    summing a weight per held code. A broader one is covered by holding any code of its
    subtree: every code inside such a subtree gets a bit, a supplier's mask is the sum of the
    bits of the codes it holds (each code once per supplier, so the sum is their union), and
    the code is covered when the mask meets its subtree's bits. One membership test per
    requested code and supplier cost seconds at the caps; this grows with the rows read.
    """
    wanted = {
        kind: {code: criteria.subtrees.get(code, frozenset({code})) for code in codes}
        for kind, codes in (
            ("required", criteria.required_capabilities),
            ("preferred", criteria.preferred_capabilities),
        )
    }
    leaves = {kind: {c for c, sub in w.items() if sub == {c}} for kind, w in wanted.items()}
    broad = [sub for w in wanted.values() for c, sub in w.items() if sub != {c}]
    bit = {code: i for i, code in enumerate(sorted(set().union(*broad)))}
    chunks = range((len(bit) + _MASK_BITS - 1) // _MASK_BITS)

    def bits_of(codes: frozenset[str], chunk: int) -> int:
        return sum(1 << bit[c] % _MASK_BITS for c in codes if bit[c] // _MASK_BITS == chunk)

    held = (
        values(
            column("code", String),
            *(column(kind, Integer) for kind in wanted),
            *(column(f"b{k}", BigInteger) for k in chunks),
            name="capability_weights",
        )
        .data(
            [
                (
                    code,
                    *(int(code in leaves[kind]) for kind in wanted),
                    *(bits_of(frozenset({code}), k) if code in bit else 0 for k in chunks),
                )
                for code in sorted(set().union(*leaves.values(), bit))
            ]
        )
        .cte("capability_weights")
    )
    cap = SupplierCapability
    query = select(
        col(cap.supplier_id).label("supplier_id"),
        *(func.sum(held.c[kind]).label(kind) for kind in wanted),
        *(cast(func.sum(held.c[f"b{k}"]), BigInteger).label(f"m{k}") for k in chunks),
    ).join(held, held.c.code == col(cap.capability_code))
    grouped = _restricted(query, col(cap.supplier_id), only).group_by(col(cap.supplier_id))
    per_supplier = grouped.subquery("capability_coverage")
    c = per_supplier.c

    def covered(subtree: frozenset[str]) -> ColumnElement[int]:
        tests = [
            c[f"m{k}"].op("&")(literal(bits_of(subtree, k), BigInteger)) != 0
            for k in chunks
            if bits_of(subtree, k)
        ]
        return _bit(or_(*tests))

    counts = {
        kind: _total(
            [
                func.coalesce(c[kind], literal(0, Integer)),
                *(covered(sub) for code, sub in w.items() if code not in leaves[kind]),
            ]
        )
        for kind, w in wanted.items()
        if w
    }
    return per_supplier, counts


def _trust(criteria: ranking.Request, standard: str, only: Select[Any] | None) -> Any:
    """(supplier id, trust of its best valid certificate of `standard`) per holder."""
    cert = SupplierCertification
    level = case(
        *(
            (col(cert.verification) == name, _number(value))
            for name, value in ranking.TRUST.items()
        ),
        else_=_number(0.0),
    )
    query = select(col(cert.supplier_id).label("supplier_id"), func.max(level).label("trust"))
    query = query.where(*qualifying_certificate(criteria.rule, standard))
    return (
        _restricted(query, col(cert.supplier_id), only).group_by(col(cert.supplier_id)).subquery()
    )


def ranking_statement(
    *,
    session: Session,
    criteria: ranking.Request,
    where: list[ColumnElement[bool]],
    only: Select[Any] | None = None,
) -> Select[Any]:
    """(supplier id, score, words mask) of every supplier meeting `where` (the knock-outs).

    `only` (a query of supplier ids) restricts the statement to those suppliers, down to every
    set it reads: rescoring a few suppliers then costs little.
    """
    s = Supplier
    dialect = session.get_bind().dialect.name
    facts: dict[str, ColumnElement[Any]] = {"id": col(s.id)}
    coverage = None
    if criteria.required_capabilities or criteria.preferred_capabilities:
        coverage, counts = _coverage(criteria, only)
        facts |= counts  # a supplier without any of them: masks NULL, nothing covered
    if criteria.terms:
        facts["words"] = _words_mask(dialect, criteria.terms, only)
    if criteria.required_certifications:
        trusts = [_trust(criteria, std, only) for std in criteria.required_certifications]
        facts["trust"] = _total([t.c.trust for t in trusts])
    if criteria.near is not None:
        lat, lon, _ = criteria.near
        haversine = haversine_term(lat, lon)
        bounded = case((haversine > 1, _number(1.0)), else_=haversine)
        facts["distance"] = _number(2 * EARTH_RADIUS_KM) * func.asin(func.sqrt(bounded))
    if criteria.provinces:
        facts["in_province"] = _bit(col(s.province).in_(criteria.provinces))
    if criteria.size_classes:
        facts["size_fit"] = _bit(col(s.size_class).in_(criteria.size_classes))
    query = select(*(value.label(name) for name, value in facts.items())).where(*where)
    query = _restricted(query, col(s.id), only)
    if coverage is not None:
        query = query.outerjoin(coverage, coverage.c.supplier_id == col(s.id))
    if criteria.terms and dialect == "postgresql":
        query = query.outerjoin(_SEARCH, _SEARCH.c.supplier_id == col(s.id))
    if criteria.required_certifications:
        for t in trusts:  # every candidate holds one (knock-out): an inner join
            query = query.join(t, t.c.supplier_id == col(s.id))
    table = query.cte("facts").prefix_with("MATERIALIZED")
    f = table.c
    components: dict[str, ColumnElement[Any]] = {}
    if criteria.required_capabilities:
        components["required_capabilities"] = f.required / _number(
            len(criteria.required_capabilities)
        )
    if criteria.preferred_capabilities:
        components["preferred_capabilities"] = f.preferred / _number(
            len(criteria.preferred_capabilities)
        )
    words = f.words if criteria.terms else literal(0, Integer)
    if criteria.terms:
        hits = _total([_bit(f.words.op("&")(1 << i) != 0) for i in range(len(criteria.terms))])
        components["text"] = hits / _number(len(criteria.terms))
    near: ColumnElement[Any] | None = None
    if criteria.near is not None:
        radius = criteria.near[2]
        near = case(
            (and_(f.distance.is_not(None), f.distance < radius), 1 - f.distance / radius),
            else_=_number(0.0),
        )
    if criteria.provinces:
        outside = near if near is not None else _number(0.0)
        near = case((f.in_province == 1, _number(1.0)), else_=outside)
    if near is not None:
        components["proximity"] = near
    if criteria.size_classes:
        components["size"] = f.size_fit * _number(1.0)
    if criteria.required_certifications:
        components["certificate_trust"] = f.trust / _number(len(criteria.required_certifications))
    weight = sum(ranking.WEIGHTS[name] for name in components)
    score = (
        _total([_number(ranking.WEIGHTS[name] / weight) * v for name, v in components.items()])
        if components
        else _number(1.0)
    )
    return select(f.id, score.label("score"), words.label("words"))


def rank_all(
    *,
    session: Session,
    criteria: ranking.Request,
    where: list[ColumnElement[bool]],
    only: Select[Any] | None = None,
) -> Ranked:
    """Every supplier meeting `where` (and in `only`, if given), best first: score (rounded as
    shown) down, then id."""
    statement = ranking_statement(session=session, criteria=criteria, where=where, only=only)
    with _serial_plan(session, whole=only is None), _no_collection():
        rows = session.connection().execute(statement).all()
        return sorted(
            (-round(score, ranking.SCORE_DIGITS), sid, words) for sid, score, words in rows
        )


@contextmanager
def _no_collection() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a ranking's rows are read and sorted.

    Up to 100,000 rows make as many tuples, none in a cycle: the collections they trigger
    free nothing but walk every live object of the worker, and cost up to a third of a
    typical ranking (measured on SQLite)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# PostgreSQL settings for ranking every candidate: JIT-compiling the statement's expressions
# cost more than it saved (0.5 s of 2.8 s at the caps, 100,000 suppliers), and each parallel
# worker builds every hash table of the statement again, tripling the CPU spent for little.
_WHOLE_RANKING_SETTINGS = {"jit": "off", "max_parallel_workers_per_gather": "0"}


@contextmanager
def _serial_plan(session: Session, *, whole: bool) -> Iterator[None]:
    """For the statement ranking every candidate on PostgreSQL: `_WHOLE_RANKING_SETTINGS`,
    set for this transaction only and put back as they were afterwards. (When the statement
    fails, the transaction is rolled back, and the settings with it.)"""
    connection = session.connection()
    if not whole or connection.dialect.name != "postgresql":
        yield
        return
    names = list(_WHOLE_RANKING_SETTINGS)
    before = {name: connection.execute(_SHOW, {"name": name}).scalar_one() for name in names}
    for name, value in _WHOLE_RANKING_SETTINGS.items():
        connection.execute(_SET, {"name": name, "value": value})
    yield
    for name, value in before.items():
        connection.execute(_SET, {"name": name, "value": value})


_SHOW = text("SELECT current_setting(:name)")
_SET = text("SELECT set_config(:name, :value, true)")
