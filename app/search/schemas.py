"""The search query (validated) and the search response envelope."""

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from app.suppliers.schemas import SupplierPublic, Verification

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

    def _fields(self, *skip: str) -> tuple:
        return tuple(sorted((k, v) for k, v in self.__dict__.items() if k not in skip))

    def fingerprint(self) -> str:
        """Identifies the result set and order, so a cursor cannot be replayed elsewhere."""
        return repr(list(self._fields("limit", "cursor", "facets")))

    def counts_key(self) -> tuple:
        """Identifies the total and facet counts: the result set and the requested facets."""
        return self._fields("limit", "cursor", "sort")

    def ranking_key(self) -> tuple:
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
        "supplier matches, plus up to about 20 per word for how well it matches (exact or "
        "synonym above typo correction; name, then capabilities and programs, then "
        "description) and 3 per pair of query words found side by side; a company name "
        "within a typo of the query counts as every word plus up to 1, the exact name adds "
        "100000. Comparable within "
        "one query only.",
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
