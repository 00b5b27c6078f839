"""Drawing demo suppliers from the data tables: one seeded random stream, no database."""

import math
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from itertools import accumulate
from random import Random
from typing import Any, TypeVar

from app.demo.tables import (
    BANDS,
    BRAND_PREFIXES,
    BRAND_SUFFIXES,
    BRAND_TAILS,
    CHAIN_COUNTS,
    CHAIN_COUNTS_MAJOR,
    CHAIN_NOUNS,
    CHAINS,
    CITIES,
    DEFENCE_PROGRAMS,
    EXPIRED_SHARE,
    FIRST_NAMES,
    ISSUERS,
    LANGUAGES,
    MAILBOXES,
    MAJOR_PROFILES,
    NADCAP_BY_CAPABILITY,
    PROFILES,
    PROGRAMS,
    PROVINCES,
    REGISTRY_KINDS,
    STATUSES,
    STREETS,
    SURNAMES,
    TITANIUM_PHRASES,
    VERIFICATION_UNVERIFIED,
    VERIFICATION_VERIFIED,
    Band,
    Language,
    Phrase,
    Profile,
)
from app.suppliers.writing import SupplierWrite

BATCH_SIZE = 2_000  # suppliers handed to the writer at a time

T = TypeVar("T")
Weighted = tuple[list[T], list[float]]  # values and cumulative weights, for `Generator.weighted`
Row = dict[str, Any]

ITALIAN, ENGLISH = LANGUAGES["it"], LANGUAGES["en"]
CERTIFICATE_FORMATS = {issuer.name: issuer.number for issuer in ISSUERS}
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_DOUBLED = tuple(sum(divmod(2 * d, 10)) for d in range(10))


def _cum(pairs: Sequence[tuple[T, float]]) -> Weighted[T]:
    """Values and cumulative weights (the second item of each pair), for `Generator.weighted`."""
    return [value for value, _weight in pairs], list(accumulate(weight for _v, weight in pairs))


def _allocate(*, total: int, shares: Sequence[float]) -> list[int]:
    """Split `total` in proportion to `shares` (largest remainder), so the shape is exact."""
    scale = sum(shares)
    exact = [total * share / scale for share in shares]
    counts = [math.floor(x) for x in exact]
    order = sorted(range(len(shares)), key=lambda i: (counts[i] - exact[i], i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _slug(text: str) -> list[str]:
    """ASCII lower-case words of a company name, for domains and e-mail addresses."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return [word for word in _NON_ALNUM.split(ascii_text.replace("&", " ")) if word]


def _luhn_digit(body: str) -> str:
    """The Luhn check digit of a string of digits (`stdnum.luhn.calc_check_digit`, faster)."""
    digits = [ord(c) - 48 for c in reversed(body)]
    total = sum(digits[1::2]) + sum(_DOUBLED[d] for d in digits[::2])
    return str(-total % 10)


def _join(items: Sequence[str], *, last: str) -> str:
    """`a, b and c`; the Italian `e` becomes `ed` before another e."""
    if len(items) == 1:
        return items[0]
    if last == "e" and items[-1][:1].lower() == "e":
        last = "ed"
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


@dataclass
class Catalogue:
    """The catalogue codes of the database, with the words the generator needs for them."""

    chains: list[str]
    phrases: dict[str, Phrase]  # capability code -> phrase for descriptions
    labels: dict[str, tuple[str, str]]  # capability code -> (name_en, name_it)
    roots: set[str]
    standards: dict[str, tuple[str, str]]  # code -> (name, kind)


@dataclass(frozen=True, slots=True)
class Firm:
    """What the draws say of one supplier, for its certificates and its description."""

    name: str
    band: Band
    profile: Profile
    language: Language
    city: str
    province: str
    employees: int
    chains: list[str]
    capabilities: list[str]
    programs: list[str]


@dataclass
class Batch:
    """BATCH_SIZE suppliers with their links, for the supplier writer."""

    writes: list[SupplierWrite] = field(default_factory=list)
    employees: int = 0


class Generator:
    """Draws suppliers one by one from a single seeded random stream."""

    def __init__(
        self,
        *,
        seed: int,
        total: int,
        today: date,
        catalogue: Catalogue,
        taken_vats: set[str],
        taken_names: set[str],
    ) -> None:
        self.rng = Random(seed)
        # Only random() is drawn per supplier: the helpers below build on it and are fast.
        self.rnd = self.rng.random
        # VAT numbers have their own stream, so redrawing a taken one shifts nothing else.
        self.vat_rnd = Random(f"vat-{seed}").random
        self.today = today
        self.midnight = datetime.combine(today, dt_time(0), tzinfo=UTC)
        self.catalogue = catalogue
        self.taken_vats = taken_vats
        self.taken_names = taken_names
        self.homonyms: dict[str, int] = {}  # name -> the lowest number it may still take
        self.chain_draws: dict[tuple[float, ...], Weighted[int]] = {}
        known = catalogue.phrases
        self.profiles = {
            p.key: replace(
                p,
                core=tuple(c for c in p.core if c in known),
                extra=tuple(c for c in p.extra if c in known),
            )
            for p in PROFILES
        }
        self.leaves = [code for code in known if not any(o.startswith(code + ".") for o in known)]
        self.general_profiles = _cum([(p.key, p.weight) for p in PROFILES if p.weight])
        self.major_profiles = _cum(MAJOR_PROFILES)
        self.issuers = _cum([(issuer.name, issuer.weight) for issuer in ISSUERS])
        self.statuses = _cum(STATUSES)
        self.trust_unverified = _cum(VERIFICATION_UNVERIFIED)
        self.trust_verified = _cum(VERIFICATION_VERIFIED)
        self.chain_counts = _cum(CHAIN_COUNTS)
        self.chain_counts_major = _cum(CHAIN_COUNTS_MAJOR)
        self.legal_forms = {band.name: _cum(band.legal_forms) for band in BANDS}
        self.tiers = {band.name: _cum(band.tiers) for band in BANDS}
        self.province_info = {p.code: p for p in PROVINCES}
        self.headcounts = self._headcounts(total)
        self.provinces = self._provinces(total)

    # -------------------------------------------------------------- draws

    def pick(self, seq: Sequence[T]) -> T:
        """One item, uniformly."""
        return seq[int(self.rnd() * len(seq))]

    def between(self, low: int, high: int) -> int:
        """An integer in [low, high]."""
        return low + int(self.rnd() * (high - low + 1))

    def weighted(self, table: Weighted[T]) -> T:
        """One value of a `_cum` table, with the probability of its weight."""
        values, cumulative = table
        return values[bisect_right(cumulative, self.rnd() * cumulative[-1])]

    def sample(self, seq: Sequence[T], count: int) -> list[T]:
        """`count` distinct items in random order (partial Fisher-Yates)."""
        pool = list(seq)
        size = len(pool)
        count = min(count, size)
        for i in range(count):
            j = i + int(self.rnd() * (size - i))
            pool[i], pool[j] = pool[j], pool[i]
        return pool[:count]

    # -------------------------------------------------------------- shape of the whole set

    def _headcounts(self, total: int) -> list[int]:
        """Employees of every supplier: exact band shares, stratified draws within each band."""
        values: list[int] = []
        counts = _allocate(total=total, shares=[band.share for band in BANDS])
        for band, count in zip(BANDS, counts, strict=True):
            ratio = (band.most + 1) / band.fewest
            for k in range(count):
                values.append(
                    min(band.most, int(band.fewest * ratio ** ((k + self.rnd()) / count)))
                )
        self.rng.shuffle(values)
        return values

    def _provinces(self, total: int) -> list[str]:
        """Province of every supplier, in the exact shares of PROVINCES."""
        counts = _allocate(total=total, shares=[p.share for p in PROVINCES])
        values = [p.code for p, count in zip(PROVINCES, counts, strict=True) for _ in range(count)]
        self.rng.shuffle(values)
        return values

    # -------------------------------------------------------------- one supplier

    def batches(self, *, first_id: int | None) -> Iterator[Batch]:
        """The suppliers with their links, BATCH_SIZE at a time: ids from `first_id` on, or
        (None) drawn by the writer when it writes them."""
        batch = Batch()
        for index, employees in enumerate(self.headcounts):
            self._supplier(
                batch=batch,
                supplier_id=None if first_id is None else first_id + index,
                employees=employees,
                province=self.provinces[index],
            )
            if len(batch.writes) >= BATCH_SIZE:
                yield batch
                batch = Batch()
        if batch.writes:
            yield batch

    def _supplier(
        self,
        *,
        batch: Batch,
        supplier_id: int | None,
        employees: int,
        province: str,
    ) -> None:
        """Append one supplier and its links to `batch`."""
        rnd = self.rnd
        band = next(b for b in BANDS if employees <= b.most)
        rpe_low, rpe_high = band.revenue_per_employee
        profile = self.profiles[
            self.weighted(self.major_profiles if band.name == "major" else self.general_profiles)
        ]
        revenue: int | None = None
        if band.name in ("major", "large") or rnd() > 0.08:
            per_employee = rpe_low + rnd() * (rpe_high - rpe_low)
            revenue = max(50_000, round(employees * per_employee / 10_000) * 10_000)
        tier = "oem" if employees >= 2_500 else self.weighted(self.tiers[band.name])
        chains = self._chains(profile=profile, band=band)
        capabilities = self._capabilities(profile=profile, band=band)
        programs = self._programs(chains=chains, band=band, tier=tier)
        name, surname = self._name(profile=profile, province=province, employees=employees)
        form = self.weighted(self.legal_forms[band.name])
        if surname and form in ("S.n.c.", "S.a.s."):
            legal_name = f"{name} di {surname} {self.pick(FIRST_NAMES)} & C. {form}"
        else:
            legal_name = f"{name} {form}"

        city = self.pick(CITIES[province])
        postal_code = city.postal_code
        if "-" in postal_code:
            first, last = postal_code.split("-")
            postal_code = str(self.between(int(first), int(last)))
        # About 1.5 km of jitter around the town centre.
        lat = round(city.lat + (rnd() - 0.5) * 0.028, 6)
        lon = round(city.lon + (rnd() - 0.5) * 0.04, 6)

        words = _slug(name)
        domain = "".join(words)
        if len(domain) > 22:
            domain = "".join(w[0] for w in words[:-1]) + words[-1]
        domain += ".it"
        website = f"https://www.{domain}/" if band.name != "micro" or rnd() < 0.8 else None
        contact_first = self.pick(FIRST_NAMES)
        contact_last = surname if surname and rnd() < 0.4 else self.pick(SURNAMES)
        local = f"{contact_first}.{contact_last}".lower() if rnd() < 0.6 else self.pick(MAILBOXES)
        digits = 10 - len(city.area_code)
        phone = f"+39 {city.area_code} {self.between(2 * 10 ** (digits - 1), 10**digits - 1)}"

        verified = rnd() < band.verified_share
        firm = Firm(
            name=name,
            band=band,
            profile=profile,
            language=ITALIAN if rnd() < 0.6 else ENGLISH,
            city=city.name,
            province=province,
            employees=employees,
            chains=chains,
            capabilities=capabilities,
            programs=programs,
        )
        certifications = self._certifications(firm, verified=verified)
        founded = (
            self.between(1950, 2015)
            if band.name in ("large", "major")
            else self.between(1965, 2021)
        )
        description = self._description(
            firm,
            founded=founded,
            en_9100=any(c["standard_code"] == "en-9100" for c in certifications),
        )
        age = self.between(86_400, 6 * 365 * 86_400)
        created_at = self.midnight - timedelta(seconds=age)
        updated_at = created_at + timedelta(seconds=self.between(0, age - 1))

        values: Row = {
            "name": name,
            "legal_name": legal_name,
            "vat_number": self._vat(province=province),
            "description": description,
            "website": website,
            "street": f"{self.pick(STREETS)} {self.between(1, 180)}",
            "city": city.name,
            "province": province,
            "postal_code": postal_code,
            "country": "IT",
            "lat": lat,
            "lon": lon,
            "employees": employees,
            "annual_revenue_eur": revenue,
            "tier": tier,
            "programs": programs,
            "contact_name": f"{contact_first} {contact_last}",
            "contact_email": f"{local}@{domain}",
            "contact_phone": phone,
            "verified": verified,
            "created_at": created_at,
            "updated_at": updated_at,
        }
        batch.writes.append(
            SupplierWrite(
                kind="created",
                values=values,
                supply_chains=chains,
                capabilities=capabilities,
                certifications=certifications,
                supplier_id=supplier_id,
            )
        )
        batch.employees += employees

    def _vat(self, *, province: str) -> str:
        """A valid Partita IVA registered at the province's office, unused by live suppliers."""
        office = self.province_info[province].vat_office
        while True:
            body = f"{1 + int(self.vat_rnd() * 9_999_999):07d}{office}"
            vat = f"IT{body}{_luhn_digit(body)}"
            if vat not in self.taken_vats:
                self.taken_vats.add(vat)
                return vat

    def _name(self, *, profile: Profile, province: str, employees: int) -> tuple[str, str | None]:
        """A unique trading name (no legal form) and the family name in it, if any."""
        rnd, pick, taken = self.rnd, self.pick, self.taken_names
        name, surname = pick(BRAND_PREFIXES) + pick(BRAND_SUFFIXES), None
        for attempt in range(40):
            word, form = pick(profile.words)
            surname = None
            pattern = rnd() if attempt < 12 else 1.0
            if pattern < 0.28:
                surname = pick(SURNAMES)
                name = f"{word} {surname}"
            elif pattern < 0.42:
                surname = pick(SURNAMES)
                name = f"{surname} {word}"
            elif pattern < 0.62:
                where = province if rnd() < 0.9 else pick(PROVINCES).code
                info = self.province_info[where]
                name = f"{info.place} {word}" if form == "en" else f"{word} {info.adjectives[form]}"
            elif pattern < 0.74:
                brand = pick(BRAND_PREFIXES) + pick(BRAND_SUFFIXES)
                tail = pick(BRAND_TAILS if employees >= 50 else BRAND_TAILS[:1])
                name = brand if rnd() < 0.5 else f"{brand} {tail}"
            elif pattern < 0.84:
                surname, partner = pick(SURNAMES), pick(SURNAMES)
                if partner == surname:
                    continue
                name = f"{word} {surname} & {partner}"
            elif pattern < 0.92:
                surname = pick(SURNAMES)
                name = f"{word} F.lli {surname}"
            else:
                surname = pick(SURNAMES)
                name = f"{word} {surname} {pick(FIRST_NAMES)}"
            if name not in taken:
                taken.add(name)
                return name, surname
        # A saturated name space (hundreds of thousands of firms): number the homonyms, from
        # the last number given to this name on (the lower ones are all taken).
        serial = self.homonyms.get(name, 2)
        while f"{name} {serial}" in taken:
            serial += 1
        self.homonyms[name] = serial + 1
        taken.add(f"{name} {serial}")
        return f"{name} {serial}", surname

    def _chains(self, *, profile: Profile, band: Band) -> list[str]:
        """1-3 supply chains, weighted by what the profile's firms usually serve."""
        available = self.catalogue.chains
        weighted = [
            (chain, weight)
            for chain in CHAINS
            if (weight := profile.chains.get(chain, 0)) and chain in available
        ] or [(chain, 1.0) for chain in available]
        wanted = self.weighted(
            self.chain_counts_major if band.name == "major" else self.chain_counts
        )
        chosen: list[str] = []
        while weighted and len(chosen) < wanted:
            weights = tuple(w for _c, w in weighted)
            draw = self.chain_draws.get(weights)
            if draw is None:
                draw = self.chain_draws[weights] = _cum(list(enumerate(weights)))
            index = self.weighted(draw)
            chosen.append(weighted.pop(index)[0])
        if profile.key == "space" and self.rnd() < 0.15:
            # Space firms sometimes serve aircraft too.
            other = self.pick([c for c in available if c != "space"] or available)
            if other not in chosen:
                chosen.append(other)
        return chosen

    def _capabilities(self, *, profile: Profile, band: Band) -> list[str]:
        """2-8 codes: some of the profile's core, topped up from its related capabilities."""
        wanted = self.between(*band.capabilities)
        core = list(profile.core) or self.leaves
        chosen = self.sample(core, self.between(1, 3))
        rest = self.sample([c for c in core if c not in chosen] + list(profile.extra), 99)
        chosen += rest[: max(0, wanted - len(chosen))]
        if self.rnd() < 0.12:
            root = chosen[0].split(".")[0]
            if root in self.catalogue.roots and root not in chosen:
                chosen.append(root)
        return chosen[:8]

    def _programs(self, *, chains: list[str], band: Band, tier: str) -> list[str]:
        """Program tags of the firm's supply chains; bigger firms name more."""
        if self.rnd() < (0.3 if band.name in ("micro", "small") else 0.08):
            return []
        pool = [tag for chain in chains for tag in PROGRAMS.get(chain, ())]
        most = band.most_programs
        if tier in ("oem", "tier1"):
            most += 1
        return self.sample(pool, self.between(1, most)) if pool else []

    def _certifications(self, firm: Firm, *, verified: bool) -> list[Row]:
        """Certificates fitting size, capabilities and programs; some expired or suspended."""
        rnd = self.rnd
        band, profile, language = firm.band, firm.profile, firm.language
        capabilities = firm.capabilities
        level = band.level
        codes: list[str] = []
        if profile.key == "mro":
            codes.append("en-9110")
            if rnd() < 0.5:
                codes.append("en-9100")
        elif rnd() < band.certificates["en-9100"]:
            codes.append("en-9100")
        if rnd() < (0.3 if codes else 0.85):
            codes.append("iso-9001")
        if rnd() < 0.03:
            codes.append("en-9120")
        for code in ("iso-14001", "iso-45001"):
            if rnd() < band.certificates[code]:
                codes.append(code)
        if (profile.key == "mro" and rnd() < 0.9) or (level >= 3 and rnd() < 0.3):
            codes.append("easa-part-145")
        if (level >= 3 and rnd() < 0.6) or (
            profile.key in ("assembly", "avionics") and level == 2 and rnd() < 0.15
        ):
            codes.append("easa-part-21g")
        defence = any(tag in DEFENCE_PROGRAMS for tag in firm.programs)
        if rnd() < (0.3 if defence and level >= 1 else 0.03):
            codes.append("aqap-2110")
        phrases = self.catalogue.phrases
        nadcap_scope: dict[str, str] = {}
        for capability in capabilities:
            for commodity, likelihood in NADCAP_BY_CAPABILITY.get(capability, ()):
                code = f"nadcap-{commodity}"
                if code not in nadcap_scope and rnd() < likelihood * band.nadcap_likelihood:
                    nadcap_scope[code] = phrases[capability][language.code]
        codes += nadcap_scope
        issuer = self.weighted(self.issuers)
        trust = self.trust_verified if verified else self.trust_unverified
        scope_items = [phrases[c][language.code] for c in capabilities[:3]]
        general_scope = language.scope.format(
            capabilities=_join(scope_items, last=language.conjunction)
        )
        result: list[Row] = []
        for code in codes:
            if code not in self.catalogue.standards:
                continue
            name, kind = self.catalogue.standards[code]
            serial = self.between(1, 99_999)
            scope = general_scope
            validity: int | None = 1095  # management-system certificates run three years
            cert_issuer = issuer
            if kind == "airworthiness-approval":
                cert_issuer, validity = "ENAC", None
            elif kind == "nadcap-special-process":
                cert_issuer, validity = "PRI Nadcap", self.pick((365, 730))
                scope = f"{name.removeprefix('Nadcap ')}: {nadcap_scope[code]}"
            elif rnd() < 0.1:
                cert_issuer = self.weighted(self.issuers)
            if validity is None:
                issued_on = self.today - timedelta(days=self.between(60, 6_000))
                expires_on = None
            elif rnd() < EXPIRED_SHARE:
                expires_on = self.today - timedelta(days=self.between(1, 900))
                issued_on = expires_on - timedelta(days=validity)
            else:
                expires_on = self.today + timedelta(days=self.between(1, validity))
                issued_on = expires_on - timedelta(days=validity)
            if cert_issuer == "ENAC":
                number = f"IT.{'21G' if code.endswith('21g') else '145'}.{serial % 10_000:04d}"
            elif cert_issuer == "PRI Nadcap":
                number = f"{serial:05d}"
            else:
                number = CERTIFICATE_FORMATS[cert_issuer].format(
                    serial=serial,
                    short=serial % 10_000,
                    year=issued_on.year % 100,
                    extra=serial % 900 + 100,
                )
            verification = self.weighted(trust)
            if verification == "registry-verified" and kind not in REGISTRY_KINDS:
                verification = "cluster-verified"
            result.append(
                {
                    "standard_code": code,
                    "certificate_number": number,
                    "issuer": cert_issuer,
                    "issued_on": issued_on,
                    "expires_on": expires_on,
                    "status": self.weighted(self.statuses),
                    "scope": scope[:1000],
                    "verification": verification,
                }
            )
        return result

    def _description(self, firm: Firm, *, founded: int, en_9100: bool) -> str:
        """A few sentences in the firm's language naming its capabilities in plain words."""
        rnd, pick = self.rnd, self.pick
        profile, language, capabilities = firm.profile, firm.language, firm.capabilities
        chains, programs = firm.chains, firm.programs
        titanium = "machining.titanium" in capabilities
        merged = titanium and any(c in TITANIUM_PHRASES for c in capabilities)
        phrases = [
            (TITANIUM_PHRASES if titanium and code in TITANIUM_PHRASES else self.catalogue.phrases)[
                code
            ][language.code]
            for code in capabilities
            if not (merged and code == "machining.titanium")
        ]
        main, more = phrases[:4], phrases[4:]
        variant = 0 if len(chains) > 1 else int(rnd() * 2)
        markets = [CHAIN_NOUNS[c][variant][language.code] for c in chains if c in CHAIN_NOUNS]
        facts = profile.facts[language.code]
        conjunction = language.conjunction
        target = language.target.format(markets=_join(markets, last=conjunction)) if markets else ""
        sentences = [
            pick(language.openings).format(
                noun=profile.noun[language.code],
                specialised=language.specialised[profile.gender],
                city=firm.city,
                province=firm.province,
                name=firm.name,
                founded=founded,
                what=_join(main, last=conjunction),
                target=target,
            )
        ]
        if more:
            sentences.append(language.more.format(more=_join(more, last=conjunction)))
        if facts and rnd() < 0.5:
            sentences.append(pick(facts))
        if programs and rnd() < 0.6:
            template = language.programs[0 if len(programs) == 1 else 1]
            sentences.append(template.format(tags=_join(programs[:3], last=conjunction)))
        if en_9100 and rnd() < 0.5:
            sentences.append(language.en_9100)
        if rnd() < 0.3:
            sentences.append(language.employees.format(employees=firm.employees))
        return " ".join(sentences)
