"""The demo data files (`app/demo/data/`), read once on import into typed tables.

Weights are relative (any positive numbers); likelihoods and shares of one are in [0, 1].
Texts for descriptions come in Italian and English: a `Phrase` maps "it" and "en" to them.
"""

import csv
import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from typing import Any, TypeVar

DATA = files("app.demo") / "data"

Phrase = Mapping[str, str]  # language code ("it", "en") -> text
T = TypeVar("T")
Pairs = tuple[tuple[T, float], ...]  # (value, weight or likelihood), in a fixed order


def _json(name: str) -> Any:
    """The parsed JSON data file `name`."""
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def _csv(name: str) -> list[dict[str, str]]:
    """The rows of the CSV data file `name`, by column name."""
    return list(csv.DictReader((DATA / name).read_text(encoding="utf-8").splitlines()))


def _pairs(items: list[list[Any]]) -> Pairs[Any]:
    """JSON `[value, number]` lists as tuples."""
    return tuple((value, number) for value, number in items)


# ---------------------------------------------------------------- geography


@dataclass(frozen=True)
class Province:
    """A province of the cluster: its share of the suppliers and the words names take from it."""

    code: str
    share: float
    vat_office: str  # Partita IVA office code of the province's VAT numbers
    adjectives: Phrase  # gender and number ("ms", "fs", "mp", "fp") -> "Varesino"...
    place: str  # put before English words in names: "Varese Electronics"


@dataclass(frozen=True)
class City:
    """A town where suppliers are based."""

    name: str
    postal_code: str  # one code, or a "first-last" range for the larger cities
    lat: float
    lon: float
    area_code: str  # telephone area code


PROVINCES = tuple(
    Province(
        code=row["code"],
        share=float(row["share"]),
        vat_office=row["vat_office"],
        adjectives={form: row[f"adjective_{form}"] for form in ("ms", "fs", "mp", "fp")},
        place=row["place"],
    )
    for row in _csv("provinces.csv")
)


def _cities() -> dict[str, tuple[City, ...]]:
    """The towns of every province, in the file's order."""
    cities: dict[str, list[City]] = {}
    for row in _csv("cities.csv"):
        cities.setdefault(row["province"], []).append(
            City(
                name=row["city"],
                postal_code=row["postal_code"],
                lat=float(row["lat"]),
                lon=float(row["lon"]),
                area_code=row["area_code"],
            )
        )
    return {province: tuple(towns) for province, towns in cities.items()}


CITIES = _cities()

# ---------------------------------------------------------------- people and names

_NAMES = _json("names.json")
SURNAMES: tuple[str, ...] = tuple(_NAMES["surnames"])
FIRST_NAMES: tuple[str, ...] = tuple(_NAMES["first_names"])
BRAND_PREFIXES: tuple[str, ...] = tuple(_NAMES["brand_prefixes"])
BRAND_SUFFIXES: tuple[str, ...] = tuple(_NAMES["brand_suffixes"])
BRAND_TAILS: tuple[str, ...] = tuple(_NAMES["brand_tails"])  # the first for firms of any size
STREETS: tuple[str, ...] = tuple(_NAMES["streets"])
MAILBOXES: tuple[str, ...] = tuple(_NAMES["mailboxes"])  # contact addresses not of a person

# ---------------------------------------------------------------- size


@dataclass(frozen=True)
class Band:
    """A headcount band, its share of the suppliers and what firms of that size look like."""

    name: str
    level: int  # 0 for the smallest band
    share: float
    fewest: int  # employees
    most: int
    revenue_per_employee: tuple[int, int]
    legal_forms: Pairs[str]  # (legal form, weight)
    tiers: Pairs[str]  # (tier, weight)
    capabilities: tuple[int, int]  # fewest and most capabilities
    most_programs: int  # program tags named at most (one more by OEMs and tier 1)
    verified_share: float
    nadcap_likelihood: float  # factor of each Nadcap likelihood
    certificates: Mapping[str, float]  # management-system standard code -> likelihood


BANDS = tuple(
    Band(
        name=band["band"],
        level=level,
        share=band["share"],
        fewest=band["employees"][0],
        most=band["employees"][1],
        revenue_per_employee=(band["revenue_per_employee"][0], band["revenue_per_employee"][1]),
        legal_forms=_pairs(band["legal_forms"]),
        tiers=_pairs(band["tiers"]),
        capabilities=(band["capabilities"][0], band["capabilities"][1]),
        most_programs=band["most_programs"],
        verified_share=band["verified_share"],
        nadcap_likelihood=band["nadcap_likelihood"],
        certificates=band["certificates"],
    )
    for level, band in enumerate(_json("bands.json"))
)

# ---------------------------------------------------------------- what the firms do


@dataclass(frozen=True)
class Profile:
    """A kind of firm: its name words, capabilities and the supply chains it serves."""

    key: str
    weight: float  # 0: only among the biggest firms (MAJOR_PROFILES)
    words: tuple[tuple[str, str], ...]  # (word, gender and number "ms"... or "en" for English)
    noun: Phrase  # what the firm is, opening a description
    gender: str  # of the Italian noun: "m" or "f"
    core: tuple[str, ...]  # capability codes
    extra: tuple[str, ...]
    chains: Mapping[str, float]  # supply chain -> weight
    facts: Mapping[str, tuple[str, ...]]  # language -> sentences


_PROFILES = _json("profiles.json")
PROFILES = tuple(
    Profile(
        key=profile["key"],
        weight=profile["weight"],
        words=tuple((word, form) for word, form in profile["words"]),
        noun=profile["noun"],
        gender=profile["gender"],
        core=tuple(profile["core"]),
        extra=tuple(profile["extra"]),
        chains=profile["chains"],
        facts={language: tuple(facts) for language, facts in profile["facts"].items()},
    )
    for profile in _PROFILES["profiles"]
)
# Profiles of the biggest firms (1,000+ employees): (key, weight)
MAJOR_PROFILES: Pairs[str] = _pairs(_PROFILES["major"])

_CHAINS = _json("chains.json")
CHAINS: tuple[str, ...] = tuple(_CHAINS["chains"])
# chain -> (short phrase, used in lists), (longer phrase, used alone)
CHAIN_NOUNS: dict[str, tuple[Phrase, Phrase]] = {
    chain: (about["nouns"][0], about["nouns"][1]) for chain, about in _CHAINS["chains"].items()
}
PROGRAMS: dict[str, tuple[str, ...]] = {
    chain: tuple(about["programs"]) for chain, about in _CHAINS["chains"].items()
}
DEFENCE_PROGRAMS = frozenset(_CHAINS["defence_programs"])
# How many supply chains a firm serves: (count, weight)
CHAIN_COUNTS: Pairs[int] = _pairs(_CHAINS["counts"])
CHAIN_COUNTS_MAJOR: Pairs[int] = _pairs(_CHAINS["counts_major"])

# capability code -> phrase for descriptions; codes not here use their catalogue labels
CAPABILITY_PHRASES: dict[str, Phrase] = {
    row["code"]: {"it": row["it"], "en": row["en"]} for row in _csv("capability_phrases.csv")
}
# Phrases used instead when the firm also machines titanium (the titanium phrase is dropped).
TITANIUM_PHRASES: dict[str, Phrase] = {
    row["code"]: {"it": row["it"], "en": row["en"]} for row in _csv("titanium_phrases.csv")
}

# ---------------------------------------------------------------- certifications


@dataclass(frozen=True)
class Issuer:
    """A certification body of quality-management certificates."""

    name: str
    weight: float
    number: str  # format of its certificate numbers: {serial}, {short}, {extra}, {year}


_CERTIFICATES = _json("certificates.json")
ISSUERS = tuple(
    Issuer(name=issuer["name"], weight=issuer["weight"], number=issuer["number"])
    for issuer in _CERTIFICATES["issuers"]
)
# capability -> (Nadcap commodity code suffix, likelihood when the firm has the capability)
NADCAP_BY_CAPABILITY: dict[str, Pairs[str]] = {
    capability: _pairs(commodities) for capability, commodities in _CERTIFICATES["nadcap"].items()
}
VERIFICATION_UNVERIFIED: Pairs[str] = _pairs(_CERTIFICATES["verification"]["unverified"])
VERIFICATION_VERIFIED: Pairs[str] = _pairs(_CERTIFICATES["verification"]["verified"])
REGISTRY_KINDS = frozenset(_CERTIFICATES["registry_kinds"])  # kinds a registry can verify
EXPIRED_SHARE: float = _CERTIFICATES["expired_share"]
STATUSES: Pairs[str] = _pairs(_CERTIFICATES["statuses"])

# ---------------------------------------------------------------- descriptions


@dataclass(frozen=True)
class Language:
    """The sentences of descriptions in one language, as `str.format` templates."""

    code: str
    conjunction: str  # "and" of lists
    specialised: Phrase  # gender of the profile's noun -> participle
    openings: tuple[str, ...]  # {noun} {specialised} {city} {province} {what} {target} {name}...
    target: str  # the markets served: {markets}
    more: str  # capabilities beyond the first four: {more}
    programs: tuple[str, str]  # {tags} of one program, of several
    en_9100: str
    employees: str  # {employees}
    scope: str  # of management-system certificates: {capabilities}


LANGUAGES = {
    code: Language(
        code=code,
        conjunction=texts["and"],
        specialised=texts["specialised"],
        openings=tuple(texts["openings"]),
        target=texts["target"],
        more=texts["more"],
        programs=(texts["programs"][0], texts["programs"][1]),
        en_9100=texts["en_9100"],
        employees=texts["employees"],
        scope=texts["scope"],
    )
    for code, texts in _json("languages.json").items()
}
