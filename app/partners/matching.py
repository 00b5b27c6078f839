"""Duplicate matching: the live suppliers that are probably the same company as a candidate.

Partners call `POST /suppliers/match` with a record of theirs before importing it. Two steps:

1. Candidates, from indexes only (never a scan of the registry): the supplier with the same
   VAT number (partial unique index); from the search index (`app.search.index`), suppliers
   whose name or legal name has a word starting like each word of the candidate's normalised
   name or legal name, so a typo late in a word is no obstacle, and suppliers whose name
   shares the most of its rarest trigrams, typos anywhere; and, when the candidate names a
   province, the suppliers of that province (index) in the same city or postal code with the
   same street or website. At most MAX_CANDIDATES in all.
2. Scoring of those in Python, by hand, with the weights below:

   - name evidence: the best RapidFuzz similarity (`ratio` or `token_sort_ratio`) between the
     candidate's name or legal name and the supplier's name or legal name, all normalised
     (case, accents, punctuation and legal forms such as S.r.l., S.p.A., GmbH removed); names
     whose numbers differ (`Meccanica 2` / `Meccanica 3`) count NUMBER_MISMATCH of it. Up to
     NAME_FLOOR it is no evidence; from there to 1 it grows linearly to NAME_WEIGHT.
   - address evidence: ADDRESS_WEIGHTS for each part in common (same province counts only
     without the same city, which implies it).
   - the sum, capped at WITHOUT_VAT_CAP: no amount of name and address evidence is as sure
     as a shared VAT number. The same name alone gives 0.8; with the same city 0.86.
   - same VAT number: VAT_EQUAL plus the rest of the way to 1 in proportion to the other
     evidence; two valid, different VAT numbers: at most VAT_DIFFERENT_CAP (two companies of
     one group may share name and address; they never share a VAT number).
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
from pyroaring import BitMap
from rapidfuzz import fuzz, process
from sqlalchemy import func, or_, select
from sqlmodel import Session, col

from app.auth.caller import Caller
from app.catalogue.labels import LabelCodes, Language
from app.partners.schemas import (
    DuplicateMatchPage,
    MatchItem,
    MatchReason,
    MatchRequest,
    ReasonCode,
    website_host,
)
from app.search.engine import engine_for
from app.search.index import to_numpy
from app.search.text import fold
from app.suppliers.models import Supplier
from app.suppliers.service import public_records
from app.suppliers.validation import normalize_vat

# ---------------------------------------------------------------- scoring weights

VAT_EQUAL = 0.95  # same VAT number: at least this
VAT_DIFFERENT_CAP = 0.40  # two valid, different VAT numbers: at most this
WITHOUT_VAT_CAP = 0.94  # without the same VAT number: at most this
NAME_WEIGHT = 0.80  # identical normalised names
NAME_FLOOR = 0.60  # name similarity up to this is no evidence (nor a reason)
NUMBER_MISMATCH = 0.50  # factor of the similarity of names with different numbers
ADDRESS_WEIGHTS = {  # added for each part in common
    "same_website": 0.15,
    "same_street": 0.08,
    "same_city": 0.06,
    "same_postal_code": 0.05,
    "same_province": 0.02,
}

# ---------------------------------------------------------------- candidate retrieval limits

MAX_CANDIDATES = 200
NAME_BRANCH_LIMIT = 40  # per needle (name, legal name) and index (words, trigrams): 160 at most
ADDRESS_LIMIT = MAX_CANDIDATES - 4 * NAME_BRANCH_LIMIT - 1
MIN_GRAMS = 4
MAX_GRAMS = 8
GRAM_POSTINGS_BUDGET = 6000
MAX_WORDS = 12
# Words are matched by their first characters: a typo further on does not lose the match.
WORD_PREFIX = 4

# ---------------------------------------------------------------- normalisation

_WORD = re.compile(r"[^\W_]+")
_LEGAL_FORM_WORDS = frozenset(
    {
        # Italian
        "spa",
        "srl",
        "srls",
        "srlu",
        "snc",
        "sas",
        "sapa",
        "ss",
        "scarl",
        "scrl",
        "scpa",
        "societa",
        "soc",
        "coop",
        "cooperativa",
        "unipersonale",
        # other European and English-speaking countries
        "gmbh",
        "mbh",
        "ag",
        "kg",
        "ohg",
        "ug",
        "ltd",
        "limited",
        "plc",
        "llc",
        "llp",
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "co",
        "sa",
        "sarl",
        "sasu",
        "sl",
        "slu",
        "bv",
        "nv",
        "oy",
        "ab",
    }
)
_LEGAL_FORM_PHRASES = sorted(
    (
        tuple(phrase.split())
        for phrase in (
            "societa per azioni",
            "societa a responsabilita limitata semplificata",
            "societa a responsabilita limitata",
            "societa in nome collettivo",
            "societa in accomandita semplice",
            "societa in accomandita per azioni",
            "societa cooperativa",
            "a responsabilita limitata",
            "s p a",
            "s r l s",
            "s r l",
            "s n c",
            "s a s",
            "a r l",
        )
    ),
    key=len,
    reverse=True,
)
_NAME_ABBREVIATIONS = {"flli": "fratelli"}
_STREET_ABBREVIATIONS = {
    "v": "via",
    "vle": "viale",
    "pza": "piazza",
    "pzza": "piazza",
    "p": "piazza",
    "cso": "corso",
    "str": "strada",
    "loc": "localita",
    "fraz": "frazione",
}
_HOUSE_NUMBER_WORDS = frozenset({"n", "nr", "num", "civ", "civico"})


def _words(value: str) -> list[str]:
    """Folded words; dots vanish first, so `S.r.l.` is one word `srl` and `F.lli` is `flli`."""
    return _WORD.findall(fold(value).casefold().replace(".", ""))


def normalise_name(value: str) -> str:
    """Company name for comparison: `Aerotecnica Lombarda S.r.l.` -> `aerotecnica lombarda`.

    Case and accents folded, punctuation removed, legal forms dropped (unless nothing else is
    left), a few abbreviations written out.
    """
    words = [_NAME_ABBREVIATIONS.get(w, w) for w in _words(value.replace("&", " "))]
    kept: list[str] = []
    i = 0
    while i < len(words):
        phrase = next((p for p in _LEGAL_FORM_PHRASES if tuple(words[i : i + len(p)]) == p), None)
        if phrase is not None:
            i += len(phrase)
            continue
        if words[i] not in _LEGAL_FORM_WORDS:
            kept.append(words[i])
        i += 1
    while kept and kept[-1] == "c":  # `... & C. S.n.c.`
        kept.pop()
    return " ".join(kept or words)


def normalise_street(value: str) -> str:
    """`V.le Europa, n. 12` -> `viale europa 12`."""
    words = _words(value)
    if words:
        words[0] = _STREET_ABBREVIATIONS.get(words[0], words[0])
    return " ".join(
        w
        for i, w in enumerate(words)
        if not (w in _HOUSE_NUMBER_WORDS and i + 1 < len(words) and words[i + 1][:1].isdigit())
    )


def normalise_place(value: str) -> str:
    return " ".join(_words(value))


def _host_or_none(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return website_host(value)
    except ValueError:
        return None


def _valid_vat(value: str) -> bool:
    try:
        normalize_vat(value)
    except ValueError:
        return False
    return True


def name_similarity(a: str, b: str) -> float:
    """Similarity of two normalised names, 0..1."""
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    score = max(fuzz.ratio(a, b), fuzz.token_sort_ratio(a, b)) / 100
    numbers_a = {w for w in a.split() if w.isdigit()}
    numbers_b = {w for w in b.split() if w.isdigit()}
    if numbers_a != numbers_b:
        score *= NUMBER_MISMATCH
    return score


@dataclass(frozen=True)
class Record:
    """One side of a comparison, normalised (the candidate, or a stored supplier)."""

    name: str
    legal_name: str | None
    name_key: str
    legal_key: str | None
    vat: str | None
    vat_valid: bool
    street: str | None
    city: str | None
    province: str | None
    postal_code: str | None
    host: str | None
    shown: dict[str, str]  # address parts as written, for the reasons

    @classmethod
    def of(cls, data: Any, *, vat: str | None, host: str | None) -> "Record":
        """From anything with the supplier's name and address attributes."""
        return cls(
            name=data.name,
            legal_name=data.legal_name,
            name_key=normalise_name(data.name),
            legal_key=normalise_name(data.legal_name) if data.legal_name else None,
            vat=vat,
            vat_valid=bool(vat and _valid_vat(vat)),
            street=normalise_street(data.street) if data.street else None,
            city=normalise_place(data.city) if data.city else None,
            province=data.province.upper() if data.province else None,
            postal_code=data.postal_code.replace(" ", "").upper() if data.postal_code else None,
            host=host,
            shown={
                "street": data.street or "",
                "city": data.city or "",
                "province": data.province or "",
                "postal_code": data.postal_code or "",
                "website": host or "",
            },
        )


@dataclass(frozen=True)
class _Flat:
    """The candidate's fields, flat like a supplier row."""

    name: str
    legal_name: str | None
    street: str | None
    city: str | None
    province: str | None
    postal_code: str | None


def candidate_record(body: MatchRequest) -> Record:
    address = body.address
    return Record.of(
        _Flat(
            name=body.name,
            legal_name=body.legal_name,
            street=address.street if address else None,
            city=address.city if address else None,
            province=address.province if address else None,
            postal_code=address.postal_code if address else None,
        ),
        vat=body.vat_number,
        host=_host_or_none(body.website),
    )


# ---------------------------------------------------------------- scoring


def _name_reasons(candidate: Record, supplier: Record) -> tuple[float, list[MatchReason]]:
    """The best name similarity and the reasons that report it."""
    pairs: list[tuple[str, str | None, str, str, str | None, str]] = [
        ("name", candidate.name, candidate.name_key, "name", supplier.name, supplier.name_key)
    ]
    if supplier.legal_key:
        pairs.append(
            (
                "name",
                candidate.name,
                candidate.name_key,
                "legal name",
                supplier.legal_name,
                supplier.legal_key,
            )
        )
    if candidate.legal_key:
        pairs.append(
            (
                "legal name",
                candidate.legal_name,
                candidate.legal_key,
                "name",
                supplier.name,
                supplier.name_key,
            )
        )
    reasons: list[MatchReason] = []
    best_name = max(((name_similarity(p[2], p[5]), p) for p in pairs), key=lambda scored: scored[0])
    best = best_name[0]
    if best > NAME_FLOOR:
        ours, our_value, _, theirs, their_value, _ = best_name[1]
        reasons.append(
            _similar_names(
                "name_similar",
                f"{ours.capitalize()} {our_value!r}",
                f"{theirs} {their_value!r}",
                best,
            )
        )
    if candidate.legal_key and supplier.legal_key:
        legal = name_similarity(candidate.legal_key, supplier.legal_key)
        best = max(best, legal)
        if legal > NAME_FLOOR:
            reasons.append(
                _similar_names(
                    "legal_name_similar",
                    f"Legal name {candidate.legal_name!r}",
                    repr(supplier.legal_name),
                    legal,
                )
            )
    return best, reasons


def _similar_names(code: ReasonCode, ours: str, theirs: str, similarity: float) -> MatchReason:
    """The reason saying the candidate's name `ours` is like the registered `theirs`."""
    return MatchReason(
        code=code,
        detail=f"{ours} is like the registered {theirs} (similarity {similarity:.2f}).",
        similarity=round(similarity, 3),
    )


def _address_reasons(candidate: Record, supplier: Record) -> list[MatchReason]:
    found: list[MatchReason] = []

    def same(part: str, ours: str | None, theirs: str | None, what: str) -> bool:
        if not (ours and theirs and ours == theirs):
            return False
        given, registered = candidate.shown[part], supplier.shown[part]
        detail = f"Same {what}: {registered!r}" + (
            f" (given as {given!r})." if given.strip() != registered else "."
        )
        code = cast(ReasonCode, f"same_{part}")  # a part named by a `same_...` reason code
        found.append(MatchReason(code=code, detail=detail))
        return True

    same("website", candidate.host, supplier.host, "website host")
    same("street", candidate.street, supplier.street, "street")
    same("postal_code", candidate.postal_code, supplier.postal_code, "postal code")
    if not same("city", candidate.city, supplier.city, "city"):
        same("province", candidate.province, supplier.province, "province")
    return found


def score(candidate: Record, supplier: Record) -> tuple[float, list[MatchReason]]:
    """Confidence (0..1) that the candidate is this supplier, and why."""
    similarity, reasons = _name_reasons(candidate, supplier)
    name_evidence = max(0.0, (similarity - NAME_FLOOR) / (1 - NAME_FLOOR))
    address = _address_reasons(candidate, supplier)
    reasons += address
    evidence = NAME_WEIGHT * name_evidence + sum(ADDRESS_WEIGHTS[r.code] for r in address)
    confidence = min(WITHOUT_VAT_CAP, evidence)
    if candidate.vat and candidate.vat == supplier.vat:
        confidence = VAT_EQUAL + (1 - VAT_EQUAL) * confidence / WITHOUT_VAT_CAP
        reasons.insert(0, MatchReason(code="vat_equal", detail=f"Same VAT number {supplier.vat}."))
    elif candidate.vat_valid and supplier.vat_valid:
        confidence = min(confidence, VAT_DIFFERENT_CAP)
        reasons.insert(
            0,
            MatchReason(
                code="vat_different",
                detail=f"Different valid VAT numbers ({candidate.vat} given, {supplier.vat} "
                "registered): probably another company, perhaps of the same group.",
            ),
        )
    return round(confidence, 3), reasons


# ---------------------------------------------------------------- candidates


def _prefixes(words: list[str]) -> list[str]:
    """Each word cut to WORD_PREFIX characters (numbers whole): `lavorzioni` -> `lavo`."""
    return list(dict.fromkeys(w if w.isdigit() else w[:WORD_PREFIX] for w in words))


def _name_ids(*, session: Session, needles: list[str]) -> list[int]:
    """From the search index: for each needle, suppliers whose name or legal name has a word
    starting like each of its words (the closest names first when there are more), and those
    whose name shares the most of its rarest trigrams (typos anywhere)."""
    found: dict[int, None] = {}
    with engine_for(session).current(session) as index:
        for needle in needles:
            docs: BitMap | None = None
            for prefix in _prefixes(needle.split()[:MAX_WORDS]):
                if prefix.isdigit() or len(prefix) < WORD_PREFIX:
                    postings = index.postings["name"]
                    hits = postings[prefix] & index.live if prefix in postings else BitMap()
                else:
                    hits = index.starting(prefix, field="name")
                docs = hits if docs is None else docs & hits
            words = to_numpy(docs) if docs else np.zeros(0, dtype=np.int64)
            if len(words) > NAME_BRANCH_LIMIT:
                names = {int(d): index.lower_names[d] for d in words.tolist()}
                best = process.extract(needle, names, scorer=fuzz.ratio, limit=NAME_BRANCH_LIMIT)
                words = np.array([doc for _, _, doc in best], dtype=np.int64)
            close = index.names_sharing_trigrams(
                needle, grams=MIN_GRAMS, most=MAX_GRAMS, budget=GRAM_POSTINGS_BUDGET
            )[:NAME_BRANCH_LIMIT]
            for doc in [*words.tolist(), *close.tolist()]:
                found[int(index.supplier.data[doc])] = None
    return list(found)


def _address_ids(*, session: Session, candidate: Record, raw: MatchRequest) -> Iterable[int]:
    """Same province (indexed), same city or postal code, same street or website host."""
    address = raw.address
    if candidate.province is None or address is None:
        return []
    place = []
    if address.postal_code:
        place.append(col(Supplier.postal_code) == address.postal_code.strip())
    if address.city:
        place.append(func.lower(col(Supplier.city)) == address.city.strip().lower())
    same = []
    if address.street:
        same.append(func.lower(col(Supplier.street)) == address.street.strip().lower())
    if candidate.host:
        same.append(func.lower(col(Supplier.website)).like(f"%{candidate.host}%"))
    if not place or not same:
        return []
    return session.execute(
        select(col(Supplier.id))
        .where(
            col(Supplier.deleted_at).is_(None),
            col(Supplier.province) == candidate.province,
            or_(*place),
            or_(*same),
        )
        .order_by(col(Supplier.id))
        .limit(ADDRESS_LIMIT)
    ).scalars()


def candidate_ids(*, session: Session, candidate: Record, raw: MatchRequest) -> list[int]:
    """Ids of live suppliers worth scoring, at most MAX_CANDIDATES, from indexes only."""
    found: dict[int, None] = {}
    if candidate.vat:
        found.update(
            dict.fromkeys(
                session.execute(
                    select(col(Supplier.id)).where(
                        col(Supplier.vat_number) == candidate.vat,
                        col(Supplier.deleted_at).is_(None),
                    )
                ).scalars()
            )
        )
    needles = list(dict.fromkeys(k for k in (candidate.name_key, candidate.legal_key) if k))
    found.update(dict.fromkeys(_name_ids(session=session, needles=needles)))
    found.update(dict.fromkeys(_address_ids(session=session, candidate=candidate, raw=raw)))
    return list(found)[:MAX_CANDIDATES]


# ---------------------------------------------------------------- the service


def match_suppliers(
    *,
    session: Session,
    body: MatchRequest,
    caller: Caller,
    limit: int,
    min_confidence: float,
    lang: Language,
) -> DuplicateMatchPage:
    """Live suppliers that are probably the candidate, most confident first (then by id); the
    codes shown labelled."""
    items = _matches(
        session=session, body=body, caller=caller, limit=limit, min_confidence=min_confidence
    )
    codes = LabelCodes()
    for item in items:
        codes.add_supplier(item.supplier)
    return DuplicateMatchPage(items=items, labels=codes.labels(session=session, lang=lang))


def _matches(
    *, session: Session, body: MatchRequest, caller: Caller, limit: int, min_confidence: float
) -> list[MatchItem]:
    candidate = candidate_record(body)
    ids = candidate_ids(session=session, candidate=candidate, raw=body)
    if not ids:
        return []
    s = Supplier
    rows = session.execute(
        select(
            col(s.id),
            col(s.name),
            col(s.legal_name),
            col(s.vat_number),
            col(s.street),
            col(s.city),
            col(s.province),
            col(s.postal_code),
            col(s.website),
        ).where(col(s.id).in_(ids), col(s.deleted_at).is_(None))
    ).all()
    scored = []
    for row in rows:
        supplier = Record.of(row, vat=row.vat_number, host=_host_or_none(row.website))
        confidence, reasons = score(candidate, supplier)
        if confidence > 0 and confidence >= min_confidence:  # no evidence: never a match
            scored.append((-confidence, row.id, confidence, reasons))
    best = sorted(scored)[:limit]
    records = public_records(session=session, ids=[item[1] for item in best], caller=caller)
    return [
        MatchItem(supplier=records[supplier_id], confidence=confidence, reasons=reasons)
        for _, supplier_id, confidence, reasons in best
    ]
