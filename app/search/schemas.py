"""The search query (validated) and the search response envelope."""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
)

from app.catalogue.labels import Labels, labels_field
from app.suppliers.schemas import SupplierPublic, Verification
from app.types import BODY, ShortText, UtcDatetime, never_null, no_null_in_schema

FacetName = Literal["supply_chain", "capability", "certification", "province", "size_class", "tier"]
FACETS: tuple[FacetName, ...] = (
    "supply_chain",
    "capability",
    "certification",
    "province",
    "size_class",
    "tier",
)
SortName = Literal["relevance", "name", "-updated_at", "distance"]


@dataclass(frozen=True)
class GeoFilter:
    lat: float
    lon: float
    radius_km: float | None


@dataclass(frozen=True)
class SearchQuery:
    """A validated search: codes exist, lists are deduplicated, ranges are consistent."""

    valid_on: date
    sort: SortName
    limit: int
    q: str | None = None
    supply_chains: tuple[str, ...] = ()
    capabilities: tuple[str, ...] = ()
    certifications: tuple[str, ...] = ()
    provinces: tuple[str, ...] = ()
    size_classes: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    near: GeoFilter | None = None
    min_employees: int | None = None
    max_employees: int | None = None
    verified: bool | None = None
    updated_since: datetime | None = None
    verification: Verification | None = None
    cursor: str | None = None
    facets: tuple[FacetName, ...] = field(default=())

    def _fields(self, *skip: str) -> tuple[tuple[str, Any], ...]:
        return tuple(sorted((k, v) for k, v in self.__dict__.items() if k not in skip))

    def fingerprint(self) -> str:
        """Identifies the result set and order, so a cursor cannot be replayed elsewhere."""
        return repr(list(self._fields("limit", "cursor", "facets")))

    def counts_key(self) -> tuple[tuple[str, Any], ...]:
        """Identifies the total and facet counts: the result set and the requested facets."""
        return self._fields("limit", "cursor", "sort")

    def ranking_key(self) -> tuple[tuple[str, Any], ...]:
        """Identifies the result set in its order: what the cached head of a ranking holds."""
        return self._fields("limit", "cursor", "facets")


class Highlights(BaseModel):
    name: str = Field(
        description="The name, HTML-escaped, with the words the query matched in `<mark>`."
    )
    description: str = Field(
        description="About 160 characters of the description around the words the query "
        "matched (in `<mark>`, the rest HTML-escaped), `…` where text was left out."
    )


class SearchItem(SupplierPublic):
    distance_km: float | None = Field(
        default=None, description="Great-circle distance from `near`, when `near` is given."
    )
    score: float | None = Field(
        default=None,
        description="Relevance, with `q` (null without): 1000 per query word or phrase the "
        "supplier matches, plus up to about 15 per word for how well it matches (the word, "
        "an inflection or a synonym above a word merely starting with its stem, above a typo "
        "correction; name, then capabilities and programs, then description) and 3 per pair "
        "of query words found side by side; a company name within a typo of the query counts "
        "as every word plus up to 1, the exact name adds 100000. Comparable within one query "
        "only.",
    )
    highlights: Highlights | None = Field(
        default=None, description="With `q`: where the query matched (null without `q`)."
    )


class SearchPage(BaseModel):
    items: list[SearchItem]
    total: int = Field(description="Exact number of suppliers matching the query.")
    next_cursor: str | None = Field(
        description="Opaque cursor for the next page (same query); null on the last page."
    )
    facets: dict[str, dict[str, int]] = Field(
        default_factory=dict,
        description="For each requested facet, how many suppliers of the whole result set "
        "have each value.",
    )
    labels: Labels = labels_field()


# ---------------------------------------------------------------- synonyms (glossary)

SYNONYM_MAX_TERMS = 20
SYNONYM_TERM_MAX_LENGTH = 80
SYNONYM_MAX_ENTRIES = 2000
_WHITESPACE = re.compile(r"\s+")


def _clean_term(value: str) -> str:
    """Trimmed, inner whitespace collapsed to one space; a letter or digit required."""
    value = _WHITESPACE.sub(" ", value).strip()
    if not value:
        raise ValueError("must not be empty or blank")
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise ValueError("must not contain control characters")
    if not any(ch.isalnum() for ch in value):
        raise ValueError("must contain at least one letter or digit")
    return value


SynonymTerm = Annotated[
    str,
    StringConstraints(min_length=1, max_length=SYNONYM_TERM_MAX_LENGTH),
    AfterValidator(_clean_term),
    WithJsonSchema(
        {
            "type": "string",
            "minLength": 1,
            "maxLength": SYNONYM_TERM_MAX_LENGTH,
            "pattern": r"[^\W_]",
        }
    ),
]


def _distinct_terms(terms: list[str]) -> list[str]:
    """Repeats (ignoring case) dropped, first spelling kept; at least two terms must remain."""
    seen: dict[str, str] = {}
    for term in terms:
        seen.setdefault(term.casefold(), term)
    if len(seen) < 2:
        raise ValueError("needs at least two different terms (repeats ignoring case count once)")
    return list(seen.values())


SynonymTerms = Annotated[
    list[SynonymTerm],
    Field(min_length=2, max_length=SYNONYM_MAX_TERMS),
    AfterValidator(_distinct_terms),
]
_TERMS_DESCRIPTION = (
    f"2-{SYNONYM_MAX_TERMS} words or phrases that mean the same to a buyer, in any language "
    f"(each 1-{SYNONYM_TERM_MAX_LENGTH} characters with a letter or digit; trimmed, inner "
    "spaces collapsed, repeats ignoring case dropped). Any of them stands for any other."
)


class SynonymCreate(BaseModel):
    model_config = BODY

    terms: SynonymTerms = Field(description=_TERMS_DESCRIPTION)
    note: ShortText | None = Field(
        default=None, description="Why the group exists or where it comes from (max 200)."
    )


class SynonymUpdate(BaseModel):
    """Partial update: absent fields stay; `terms` replaces the whole list; `note` null clears."""

    model_config = ConfigDict(**BODY, json_schema_extra=no_null_in_schema(("terms",)))

    terms: SynonymTerms | None = Field(
        default=None, description=_TERMS_DESCRIPTION + " Replaces the stored list."
    )
    note: ShortText | None = Field(default=None, description="New note; null removes it.")

    _not_null = never_null(("terms",))


class SynonymPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int = Field(description="Group id.")
    terms: list[str] = Field(description="Equivalent terms, as the admin wrote them.")
    note: str | None = Field(description="Why the group exists, if anyone said.")
    created_at: UtcDatetime = Field(description="When the group was added.")
    updated_at: UtcDatetime = Field(description="Latest change of the group.")
