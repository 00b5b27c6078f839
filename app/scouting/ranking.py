"""How suppliers that pass a request's knock-outs are ranked: the one place of the weights.

Everything here is a pure function of plain values, so the ranking can be read, tested and
explained without a database. `app.scouting.scoring` computes the same score on the search
index for every supplier that passes the knock-outs (reading WEIGHTS and TRUST from here); the
suppliers of a page are explained by `assess`, and tests/scouting/test_scoring.py holds the two
together.

A supplier's score is a weighted mean of six components, each in 0..1; a component the
request does not ask about (no preferred capabilities, no location, no size classes, no
certifications, no meaningful words in the description) is left out and the other weights
share its place, so a supplier that meets everything asked scores 1.

| component | weight | 1 means | 0 means |
| --- | --- | --- | --- |
| required capabilities | 0.40 | has every required capability (or a more specific one) | has none |
| preferred capabilities | 0.15 | has every preferred capability | has none |
| text relevance | 0.15 | its profile mentions every meaningful word of the description | none |
| proximity | 0.10 | at the requested point, or in a requested province | at the radius or beyond |
| size fit | 0.10 | in a requested size class | in another class, or size unknown |
| certificate trust | 0.10 | every required certificate registry-verified | never (0.25) |

Every weight is positive, so covering one more required capability (all else equal) always
raises the score: a supplier that covers more never ranks below one that covers less.
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.search.service import great_circle_km
from app.search.text import fold
from app.suppliers.schemas import VERIFICATION_LEVELS

WEIGHTS: Mapping[str, float] = {
    "required_capabilities": 0.40,
    "preferred_capabilities": 0.15,
    "text": 0.15,
    "proximity": 0.10,
    "size": 0.10,
    "certificate_trust": 0.10,
}
# How far a certificate is trusted, by who checked it (`verification`).
TRUST: Mapping[str, float] = {
    "self-declared": 0.25,
    "document": 0.50,
    "cluster-verified": 0.75,
    "registry-verified": 1.00,
}
# Scores are rounded, so they print, compare and travel in cursors exactly.
SCORE_DIGITS = 6
# At most this many words of a description count towards text relevance.
MAX_TERMS = 12
MIN_TERM_LENGTH = 3


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Italian and English stop words (PostgreSQL's snowball lists, accents folded): words that say
# nothing about a supplier's profile, left out on both databases alike.
STOP_WORDS = _words(
    "abbia abbiamo abbiano abbiate about above after again against agl agli all alla alle "
    "allo anche and any are avemmo avendo avesse avessero avessi avessimo aveste avesti "
    "avete aveva avevamo avevano avevate avevi avevo avra avrai avranno avrebbe avrebbero "
    "avrei avremmo avremo avreste avresti avrete avro avuta avute avuti avuto because "
    "been before being below between both but can che chi coi col come con contro cui "
    "dagl dagli dai dal dall dalla dalle dallo degl degli dei del dell della delle dello "
    "did does doing don dov dove down during each ebbe ebbero ebbi era erano eravamo "
    "eravate eri ero essendo faccia facciamo facciano facciate faccio facemmo facendo "
    "facesse facessero facessi facessimo faceste facesti faceva facevamo facevano "
    "facevate facevi facevo fai fanno fara farai faranno farebbe farebbero farei faremmo "
    "faremo fareste faresti farete faro fece fecero feci few for fosse fossero fossi "
    "fossimo foste fosti from fui fummo furono further gli had hai hanno has have having "
    "her here hers herself him himself his how into its itself just lei loro lui mia mie "
    "miei mio more most myself negl negli nei nel nell nella nelle nello noi non nor "
    "nostra nostre nostri nostro not now off once only other our ours ourselves out over "
    "own per perche piu quale quanta quante quanti quanto quella quelle quelli quello "
    "questa queste questi questo same sara sarai saranno sarebbe sarebbero sarei saremmo "
    "saremo sareste saresti sarete saro sei she should sia siamo siano siate siete some "
    "sono sta stai stando stanno stara starai staranno starebbe starebbero starei "
    "staremmo staremo stareste staresti starete staro stava stavamo stavano stavate stavi "
    "stavo stemmo stesse stessero stessi stessimo steste stesti stette stettero stetti "
    "stia stiamo stiano stiate sto sua such sue sugl sugli sui sul sull sulla sulle sullo "
    "suo suoi than that the their theirs them themselves then there these they this those "
    "through too tra tua tue tuo tuoi tutti tutto una under uno until very voi vostra "
    "vostre vostri vostro was were what when where which while who whom why will with you "
    "your yours yourself yourselves "
)
# Words of the request itself rather than of the job ("we are looking for suppliers ...").
REQUEST_WORDS = _words(
    "cerchiamo cerca cercasi cercare fornitore fornitori fornitura richiesta richiesto "
    "richiesti servono serve need needs needed looking seeking supplier suppliers require "
    "required requires request"
)
_WORD = re.compile(r"[^\W_]+")


def score(components: Mapping[str, float | None]) -> float:
    """Weighted mean of the applicable components (None: not asked for), rounded; 1 if none."""
    applicable = [(WEIGHTS[name], value) for name, value in components.items() if value is not None]
    total = sum(weight for weight, _ in applicable)
    if not applicable or total <= 0:
        return 1.0
    mean = sum(weight * min(1.0, max(0.0, value)) for weight, value in applicable) / total
    return round(mean, SCORE_DIGITS)


def coverage(wanted: Sequence[str], covered: Iterable[str]) -> float | None:
    """Share of `wanted` codes that are covered; None when nothing is wanted."""
    if not wanted:
        return None
    have = set(covered)
    return sum(1 for code in wanted if code in have) / len(wanted)


def proximity(
    *,
    distance_km: float | None,
    radius_km: float | None,
    in_province: bool | None,
) -> float | None:
    """1 at the point falling linearly to 0 at the radius; 1 in a requested province.

    With both a point and provinces, the better of the two counts. None when neither is asked.
    """
    values: list[float] = []
    if radius_km is not None:
        if distance_km is None:  # no location on record
            values.append(0.0)
        else:
            values.append(max(0.0, 1.0 - distance_km / radius_km))
    if in_province is not None:
        values.append(1.0 if in_province else 0.0)
    return max(values) if values else None


def size_fit(*, wanted: Sequence[str], size_class: str | None) -> float | None:
    if not wanted:
        return None
    return 1.0 if size_class in wanted else 0.0


def certificate_trust(levels: Sequence[str]) -> float | None:
    """Mean trust of the best valid certificate held for each required standard."""
    if not levels:
        return None
    return sum(TRUST.get(level, 0.0) for level in levels) / len(levels)


def text_relevance(*, terms: Sequence[str], hits: Iterable[int]) -> float | None:
    """Share of the description's meaningful words (`terms`) that the profile mentions."""
    if not terms:
        return None
    return len(set(hits)) / len(terms)


def description_terms(description: str) -> list[str]:
    """The meaningful words of a description: folded, no stop words or short words, each word
    once (first occurrence wins), at most MAX_TERMS."""
    terms: list[str] = []
    for word in _WORD.findall(fold(description)):
        if (
            len(word) < MIN_TERM_LENGTH
            or word in STOP_WORDS
            or word in REQUEST_WORDS
            or word.isdigit()
        ):
            continue
        if word not in terms:
            terms.append(word)
        if len(terms) == MAX_TERMS:
            break
    return terms


# ---------------------------------------------------------------- one supplier, explained


@dataclass(frozen=True)
class Certificate:
    standard: str
    number: str | None
    status: str
    issued_on: date | None
    expires_on: date | None
    verification: str

    @classmethod
    def of(cls, row: Any) -> "Certificate":
        """From a `supplier_certification` row or object."""
        return cls(
            standard=row.standard_code,
            number=row.certificate_number,
            status=row.status,
            issued_on=row.issued_on,
            expires_on=row.expires_on,
            verification=row.verification,
        )


_LEVEL = {name: rank for rank, name in enumerate(VERIFICATION_LEVELS)}


@dataclass(frozen=True)
class CertificateRule:
    """Which certificates meet a required standard: active, issued on or before `day` (or
    issue unknown), not expired on `day`, checked at least at `min_verification` (the order of
    `VERIFICATION_LEVELS`).

    The one definition of the knock-out. `qualifies` applies it to one certificate; the
    matches use the search index's `valid_certificates` and one supplier's probe the SQL
    `app.scouting.service.qualifying_certificate` (search's `valid_certificate`), both with
    the same day and trust level; tests hold them together.
    """

    day: date
    min_verification: str = VERIFICATION_LEVELS[0]

    @property
    def counts_every_level(self) -> bool:
        return self.min_verification == VERIFICATION_LEVELS[0]

    def qualifies(self, certificate: Certificate) -> bool:
        return (
            certificate.status == "active"
            and (certificate.issued_on is None or certificate.issued_on <= self.day)
            and (certificate.expires_on is None or certificate.expires_on >= self.day)
            and (
                self.counts_every_level
                or _LEVEL.get(certificate.verification, -1) >= _LEVEL[self.min_verification]
            )
        )


def passes_knockouts(
    *,
    supply_chains: Iterable[str],
    certificates: Sequence[Certificate],
    wanted_chains: Sequence[str],
    required_certifications: Sequence[str],
    rule: CertificateRule,
) -> bool:
    """Serves at least one wanted chain and holds, for every required standard, a certificate
    the rule admits."""
    if not set(supply_chains) & set(wanted_chains):
        return False
    held = {c.standard for c in certificates if rule.qualifies(c)}
    return all(standard in held for standard in required_certifications)


@dataclass(frozen=True)
class Request:
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


@dataclass
class Facts:
    """What the ranking knows of one supplier that passed the knock-outs."""

    id: int
    lat: float | None = None
    lon: float | None = None
    province: str | None = None
    size_class: str | None = None
    supply_chains: set[str] = field(default_factory=set)  # requested chains it serves
    capabilities: set[str] = field(default_factory=set)  # its codes in the requested subtrees
    certificates: list[Certificate] = field(default_factory=list)  # required or lapsing ones
    text_hits: set[int] = field(default_factory=set)  # indexes into Request.terms


# One line of an explanation: criterion, code, detail (and for certificates, verification).
Note = dict[str, str | None]


@dataclass
class Assessment:
    score: float
    components: dict[str, float]
    matched: list[Note]
    missing: list[Note]
    warnings: list[Note]
    distance_km: float | None


def _note(criterion: str, code: str | None, detail: str, **more: str) -> Note:
    return {"criterion": criterion, "code": code, "detail": detail, **more}


def _covered_by(code: str, request: Request, held: set[str]) -> str | None:
    """The supplier's capability that covers `code`: the code itself, else a descendant."""
    if code in held:
        return code
    within = sorted(held & request.subtrees.get(code, frozenset({code})))
    return within[0] if within else None


def assess(request: Request, facts: Facts) -> Assessment:
    """Score one supplier and say why: what it meets, what it misses, what will lapse.

    `app.scouting.scoring` computes the same score for every candidate on the search index;
    this is the explained version for the suppliers of one page.
    """
    matched: list[Note] = []
    missing: list[Note] = []
    warnings: list[Note] = []
    for chain in request.supply_chains:
        if chain in facts.supply_chains:
            matched.append(_note("supply_chain", chain, f"serves the {chain} supply chain"))

    best: dict[str, Certificate] = {}
    for cert in facts.certificates:
        if cert.standard in request.required_certifications and request.rule.qualifies(cert):
            current = best.get(cert.standard)
            if current is None or TRUST.get(cert.verification, 0) > TRUST.get(
                current.verification, 0
            ):
                best[cert.standard] = cert
    _explain_certificates(request, facts, best, matched, missing, warnings)

    covered: dict[str, list[str]] = {"required": [], "preferred": []}
    for kind, codes in (
        ("required", request.required_capabilities),
        ("preferred", request.preferred_capabilities),
    ):
        criterion = f"{kind}_capability"
        for code in codes:
            via = _covered_by(code, request, facts.capabilities)
            if via is None:
                detail = f"no {code} capability (nor a narrower one)"
                missing.append(_note(criterion, code, detail))
                continue
            covered[kind].append(code)
            detail = f"has {code}" if via == code else f"has {via}, within {code}"
            matched.append(_note(criterion, code, detail))

    words = [request.terms[i] for i in sorted(facts.text_hits) if i < len(request.terms)]
    absent = [t for i, t in enumerate(request.terms) if i not in facts.text_hits]
    if words:
        matched.append(_note("text", None, "profile mentions: " + ", ".join(words)))
    if absent:
        missing.append(_note("text", None, "profile does not mention: " + ", ".join(absent)))

    in_province = None
    if request.provinces:
        in_province = facts.province in request.provinces
        if in_province:
            matched.append(_note("province", facts.province, f"located in {facts.province}"))
        else:
            where = f"located in {facts.province}" if facts.province else "province unknown"
            wanted = ", ".join(request.provinces)
            missing.append(_note("province", facts.province, f"{where}, not in {wanted}"))
    distance = None
    radius = None
    if request.near is not None:
        lat, lon, radius = request.near
        if facts.lat is None or facts.lon is None:
            missing.append(_note("near", None, "no location on record"))
        else:
            distance = great_circle_km((lat, lon), (facts.lat, facts.lon))
            detail = f"{distance:.1f} km from the requested point (radius {radius:g} km)"
            (matched if distance <= radius else missing).append(_note("near", None, detail))
    if request.size_classes:
        if facts.size_class in request.size_classes:
            matched.append(_note("size_class", facts.size_class, f"{facts.size_class} company"))
        else:
            what = f"{facts.size_class} company" if facts.size_class else "size class unknown"
            wanted = ", ".join(request.size_classes)
            missing.append(_note("size_class", facts.size_class, f"{what}, not {wanted}"))

    components = {
        "required_capabilities": coverage(request.required_capabilities, covered["required"]),
        "preferred_capabilities": coverage(request.preferred_capabilities, covered["preferred"]),
        "text": text_relevance(terms=request.terms, hits=facts.text_hits),
        "proximity": proximity(distance_km=distance, radius_km=radius, in_province=in_province),
        "size": size_fit(wanted=request.size_classes, size_class=facts.size_class),
        "certificate_trust": certificate_trust([c.verification for c in best.values()]),
    }
    return Assessment(
        score=score(components),
        components={k: round(v, SCORE_DIGITS) for k, v in components.items() if v is not None},
        matched=matched,
        missing=missing,
        warnings=warnings,
        distance_km=None if distance is None else round(distance, 3),
    )


def _explain_certificates(
    request: Request,
    facts: Facts,
    best: dict[str, Certificate],
    matched: list[Note],
    missing: list[Note],
    warnings: list[Note],
) -> None:
    for standard in request.required_certifications:
        cert = best.get(standard)
        day = request.rule.day.isoformat()
        if cert is None:  # cannot happen after the knock-outs; said for completeness
            detail = f"no certificate valid on {day} at {request.rule.min_verification} or above"
            missing.append(_note("required_certification", standard, detail))
            continue
        expiry = f", expires {cert.expires_on.isoformat()}" if cert.expires_on else ""
        matched.append(
            _note(
                "required_certification",
                standard,
                f"certificate {cert.number or '(no number)'}, {cert.verification}, valid on "
                f"{day}{expiry}",
                verification=cert.verification,
            )
        )
    if request.needed_by is None:
        return
    for cert in facts.certificates:
        if (
            cert.status == "active"
            and cert.expires_on is not None
            and request.today <= cert.expires_on < request.needed_by
            and cert.standard not in best  # a required standard still covered is no worry
        ):
            warnings.append(
                _note(
                    "certificate_lapses",
                    cert.standard,
                    f"certificate {cert.number or '(no number)'} expires on "
                    f"{cert.expires_on.isoformat()}, before needed_by "
                    f"{request.needed_by.isoformat()}",
                )
            )
