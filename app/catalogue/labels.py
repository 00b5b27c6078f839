"""Labels of codes in the caller's language: the `Accept-Language` / `lang` choice (one parser
for every endpoint), the `Content-Language` and `Vary` headers, and the `labels` object that
maps each code a response shows to its label.

The catalogue (supply chains, capabilities, certification standards) changes only by
migration, so each process reads it once per database and keeps it; size classes, tiers,
verification levels and certificate statuses are fixed enums labelled here.
"""

from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal, get_args

from fastapi import Depends, Header, Query, Response, status
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlmodel import Session, col

from app.catalogue.models import Capability, CertificationStandard, SupplyChain

Language = Literal["en", "it"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
DEFAULT_LANGUAGE: Language = "en"

# code -> (English, Italian)
SIZE_CLASS_LABELS: dict[str, tuple[str, str]] = {
    "micro": ("Micro enterprise", "Micro impresa"),
    "small": ("Small enterprise", "Piccola impresa"),
    "medium": ("Medium-sized enterprise", "Media impresa"),
    "large": ("Large enterprise", "Grande impresa"),
}
TIER_LABELS: dict[str, tuple[str, str]] = {
    "oem": ("OEM (original equipment manufacturer)", "OEM (costruttore del prodotto finito)"),
    "tier1": ("Tier 1 supplier", "Fornitore di primo livello (Tier 1)"),
    "tier2": ("Tier 2 supplier", "Fornitore di secondo livello (Tier 2)"),
    "tier3": ("Tier 3 supplier", "Fornitore di terzo livello (Tier 3)"),
}
VERIFICATION_LABELS: dict[str, tuple[str, str]] = {
    "self-declared": ("Self-declared", "Autodichiarato"),
    "document": ("Certificate document provided", "Documento del certificato fornito"),
    "cluster-verified": ("Verified by the cluster", "Verificato dal cluster"),
    "registry-verified": (
        "Verified in the issuer's registry",
        "Verificato nel registro dell'ente di certificazione",
    ),
}
CERTIFICATE_STATUS_LABELS: dict[str, tuple[str, str]] = {
    "active": ("Active", "Attivo"),
    "suspended": ("Suspended", "Sospeso"),
    "withdrawn": ("Withdrawn", "Revocato"),
}

LabelKind = Literal[
    "supply_chain",
    "capability",
    "certification",
    "size_class",
    "tier",
    "verification",
    "certificate_status",
]
KINDS: tuple[LabelKind, ...] = get_args(LabelKind)
_FIXED: dict[str, dict[str, tuple[str, str]]] = {
    "size_class": SIZE_CLASS_LABELS,
    "tier": TIER_LABELS,
    "verification": VERIFICATION_LABELS,
    "certificate_status": CERTIFICATE_STATUS_LABELS,
}


def language(accept_language: str | None) -> Language:
    """The first of `it` / `en` in an Accept-Language header by preference (q-values, then
    order); `en` when neither is there."""
    best: tuple[float, int, Language] | None = None
    for position, part in enumerate((accept_language or "").split(",")[:50]):
        tag, *params = (piece.strip() for piece in part.split(";"))
        primary = tag.lower().split("-")[0]
        weight = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if primary in LANGUAGES and weight > 0:
            candidate = (-weight, position, primary)
            best = candidate if best is None or candidate < best else best
    return best[2] if best else DEFAULT_LANGUAGE


def add_vary(response: Response, *names: str) -> None:
    """Add header names to `Vary`, keeping those already there."""
    present = [v.strip() for v in response.headers.get("Vary", "").split(",") if v.strip()]
    lower = {v.lower() for v in present}
    present += [n for n in names if n.lower() not in lower]
    response.headers["Vary"] = ", ".join(present)


def labelled_etag(tag: str, lang: Language) -> str:
    """The ETag of the representation `tag` with labels in `lang`: Italian labels are another
    representation, hence another tag (`If-Match` reads the version before the first `-`)."""
    return f'"{tag}-it"' if lang == "it" else f'"{tag}"'


def not_modified(lang: Language, headers: dict[str, str] | None = None) -> Response:
    """A 304 answering a conditional GET of a representation with labels in `lang`."""
    response = Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    response.headers["Content-Language"] = lang
    add_vary(response, "Accept-Language")
    return response


def negotiated_language(
    response: Response,
    lang: Annotated[
        Language | None,
        Query(
            description="Language of labels (`it` or `en`); default: the first of them in "
            "`Accept-Language` by preference, else `en`."
        ),
    ] = None,
    accept_language: Annotated[
        str | None,
        Header(
            max_length=1000,
            description="Preferred languages with q-values; the first of `it` / `en` is used "
            "when `lang` is absent.",
        ),
    ] = None,
) -> Language:
    """The response language (`lang`, else `Accept-Language`), announced in `Content-Language`
    with `Vary: Accept-Language`."""
    chosen: Language = lang or language(accept_language)
    response.headers["Content-Language"] = chosen
    add_vary(response, "Accept-Language")
    return chosen


LanguageDep = Annotated[Language, Depends(negotiated_language)]

_LABELS_DESCRIPTION = (
    "Each code this response shows (in its items and facets), by kind, mapped to its label "
    "in the response language (`Content-Language`)."
)


class Labels(BaseModel):
    """Labels of the codes a response shows, in the response language."""

    supply_chain: dict[str, str] = Field(
        default_factory=dict, description="Supply-chain code -> label."
    )
    capability: dict[str, str] = Field(
        default_factory=dict, description="Capability code -> label."
    )
    certification: dict[str, str] = Field(
        default_factory=dict, description="Certification standard code -> label."
    )
    size_class: dict[str, str] = Field(
        default_factory=dict, description="EU SME size class -> label."
    )
    tier: dict[str, str] = Field(default_factory=dict, description="Supply tier -> label.")
    verification: dict[str, str] = Field(
        default_factory=dict, description="Certificate trust level -> label."
    )
    certificate_status: dict[str, str] = Field(
        default_factory=dict, description="Certificate status -> label."
    )


def labels_field() -> Any:
    """The `labels` field of a response envelope (`Any`, as pydantic's `Field` returns)."""
    return Field(default_factory=Labels, description=_LABELS_DESCRIPTION)


# ---------------------------------------------------------------- the catalogue, per process

CatalogueLabels = Mapping[str, Mapping[str, tuple[str, str]]]
_catalogues: dict[str, CatalogueLabels] = {}  # by database URL


def _read_catalogue(session: Session) -> CatalogueLabels:
    """Supply chains, capabilities and standards with their English and Italian names."""
    read: dict[str, dict[str, tuple[str, str]]] = {}
    for kind, code, english, italian in (
        ("supply_chain", col(SupplyChain.code), col(SupplyChain.name_en), col(SupplyChain.name_it)),
        ("capability", col(Capability.code), col(Capability.name_en), col(Capability.name_it)),
        (
            "certification",
            col(CertificationStandard.code),
            col(CertificationStandard.name),
            col(CertificationStandard.name_it),
        ),
    ):
        rows = session.execute(select(code, english, italian))
        read[kind] = {c: (en, it) for c, en, it in rows}
    return read


def catalogue_labels(session: Session, *, refresh: bool = False) -> CatalogueLabels:
    """The catalogue's labels for the session's database, read on first use in this process
    (the catalogue changes only by migration) or again with `refresh`."""
    bind = session.get_bind()
    key = str(getattr(bind, "url", None) or bind.engine.url)
    found = None if refresh else _catalogues.get(key)
    if found is None:  # two threads may both read it; either result is the same
        found = _catalogues[key] = _read_catalogue(session)
    return found


_CERTIFICATE_CODES = (
    ("certification", "standard"),
    ("certificate_status", "status"),
    ("verification", "verification"),
)


def _attribute(thing: object, name: str) -> Any:
    return getattr(thing, name, None)


class LabelCodes:
    """Collects the codes a response shows, by kind, then labels them."""

    __slots__ = ("codes",)

    def __init__(self) -> None:
        self.codes: dict[str, set[str]] = {kind: set() for kind in KINDS}

    def add(self, kind: LabelKind, codes: Iterable[str | None]) -> "LabelCodes":
        self.codes[kind].update(c for c in codes if c is not None)
        return self

    def add_supplier(self, supplier: object) -> "LabelCodes":
        """The codes of a supplier record: `SupplierPublic` and its kin, or its JSON form
        (as change events store it)."""
        get: Any = dict.get if isinstance(supplier, dict) else _attribute
        codes = self.codes
        codes["supply_chain"].update(get(supplier, "supply_chains") or ())
        codes["capability"].update(get(supplier, "capabilities") or ())
        for kind in ("size_class", "tier"):
            value = get(supplier, kind)
            if value is not None:
                codes[kind].add(value)
        for cert in get(supplier, "certifications") or ():
            of: Any = dict.get if isinstance(cert, dict) else _attribute
            for kind, name in _CERTIFICATE_CODES:
                value = of(cert, name)
                if value is not None:
                    codes[kind].add(value)
        return self

    def labels(self, *, session: Session, lang: Language) -> Labels:
        """Each collected code mapped to its label in `lang`. A catalogue code this process
        has not seen (a migration added it since) has the catalogue read again; a code still
        unknown keeps itself as label."""
        catalogue = catalogue_labels(session)
        if any(not self.codes[kind] <= catalogue[kind].keys() for kind in catalogue):
            catalogue = catalogue_labels(session, refresh=True)
        which = 1 if lang == "it" else 0
        found: dict[str, dict[str, str]] = {}
        for kind, codes in self.codes.items():
            names = _FIXED.get(kind) or catalogue.get(kind, {})
            found[kind] = {
                code: (names[code][which] if code in names else code) for code in sorted(codes)
            }
        return Labels(**found)
