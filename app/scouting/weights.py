"""What a match's score is: the weights, the components, the description's words.

Everything here is a pure function of plain values, so the score can be read, tested and
explained without a database: the one place of the weights. `app.scouting.ranking` computes
the same score on the search index for every supplier that passes the knock-outs (reading
WEIGHTS and TRUST from here); `app.scouting.explanations` explains it for the suppliers of a
page, and tests/scouting/test_scoring.py holds the two together.

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

from app.search.text import fold

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
