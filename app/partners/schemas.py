"""Request and response models of duplicate matching (`POST /suppliers/match`)."""

import re
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, Field

from app.catalogue.labels import Labels, labels_field
from app.suppliers.schemas import Address, SupplierPublic
from app.suppliers.validation import eu_vat
from app.types import BODY, Name, ShortText, Text

_VAT_SEPARATORS = re.compile(r"[\s.\-/]")
_HOST = re.compile(r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+[a-z0-9\-]{2,63}$")


def lenient_vat(value: str) -> str:
    """A VAT number in canonical form (`CC` + number) without checking its check digit.

    Spaces, dots, dashes and slashes go, letters are upper-cased, eleven bare digits are an
    Italian Partita IVA. A partner's data may hold a mistyped number, still worth matching;
    only something that is not shaped like an EU VAT number at all is rejected.
    """
    compact = _VAT_SEPARATORS.sub("", value).upper()
    if compact.isdigit() and len(compact) == 11:
        compact = "IT" + compact
    country, number = compact[:2], compact[2:]
    if country == "IT":
        if not re.fullmatch(r"\d{11}", number):
            raise ValueError("not a Partita IVA: expected IT followed by 11 digits")
        return country + number
    return eu_vat(
        country,
        number,
        not_eu="not a VAT number: expected an EU country code such as IT, DE or FR",
    )


def website_host(value: str) -> str:
    """The host of a web address, lower case, without `www.`: `https://www.X.it/a` -> `x.it`.

    Accepts a bare host too (`www.x.it`), as partner data often has it.
    """
    url = value.strip()
    if "://" not in url:
        url = "http://" + url
    try:
        host = (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:
        host = ""
    host = host.removeprefix("www.")
    if not _HOST.fullmatch(host):
        raise ValueError("not a web address: expected a URL or host name such as www.example.it")
    return host


def _valid_website(value: str) -> str:
    website_host(value)
    return value


LenientVat = Annotated[
    str,
    Text(30, min_length=1),
    AfterValidator(lenient_vat),
    Field(
        description="VAT number, normalised leniently: spaces and dots ignored, 11 bare digits "
        "read as an Italian Partita IVA (IT prefix), a wrong check digit accepted. Must still "
        "be shaped like an EU VAT number.",
        examples=["IT 0123456 0017"],
    ),
]


class MatchRequest(BaseModel):
    """A candidate supplier record, as a partner holds it, to be matched against the registry."""

    model_config = BODY

    name: Name = Field(description="Trading name (1-200 characters).", examples=["ATL S.r.l."])
    vat_number: LenientVat | None = None
    legal_name: ShortText | None = Field(default=None, description="Registered company name.")
    address: Address | None = Field(
        default=None, description="Address; the more fields given, the more evidence."
    )
    website: Annotated[str, Text(500), AfterValidator(_valid_website)] | None = Field(
        default=None,
        description="Web address or bare host name; compared by host (without `www.`).",
        examples=["https://www.example.it/"],
    )


ReasonCode = Literal[
    "vat_equal",
    "vat_different",
    "name_similar",
    "legal_name_similar",
    "same_city",
    "same_province",
    "same_postal_code",
    "same_street",
    "same_website",
]


class MatchReason(BaseModel):
    code: ReasonCode = Field(
        description="What was found: `vat_equal` (near certainty), `vat_different` (both "
        "numbers valid and different: evidence against, caps the confidence), "
        "`name_similar`, `legal_name_similar`, or a shared address part or website host."
    )
    detail: str = Field(description="The evidence in words, naming both values.")
    similarity: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="For name reasons: similarity of the normalised names (case, accents, "
        "punctuation and legal forms ignored), 0 to 1; null for other reasons.",
    )


class MatchItem(BaseModel):
    supplier: SupplierPublic = Field(
        description="The existing supplier, as `GET /suppliers/{id}` shows it to the caller."
    )
    confidence: float = Field(
        ge=0,
        le=1,
        description="How likely the candidate is this supplier: 0.95 or more with the same "
        "VAT number; at most 0.94 otherwise; at most 0.4 when the VAT numbers differ.",
    )
    reasons: list[MatchReason] = Field(description="The evidence behind the confidence.")


class DuplicateMatchPage(BaseModel):
    """Answer of `POST /suppliers/match` (not the scouting `MatchPage`)."""

    items: list[MatchItem] = Field(
        description="Probable duplicates, highest confidence first (then lowest id)."
    )
    labels: Labels = labels_field()
