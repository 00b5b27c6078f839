"""The parameters of a supplier search, read into a `SearchQuery`: split, checked, defaulted.

Every problem with the parameters is collected and answered as one 422 naming each parameter.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session

from app.catalogue.models import CertificationStandard, SupplyChain
from app.catalogue.service import capability_subtrees, unknown_codes
from app.errors import field_error, invalid
from app.search.schemas import FACETS, GeoFilter, SearchQuery, SortName
from app.search.text import MAX_TERMS, query_words
from app.suppliers.schemas import SizeClass, Tier, Verification
from app.suppliers.validation import PROVINCES

MAX_VALUES = 50
# Documents what `facets` accepts; `read_query` checks it, naming any unknown facet.
FACETS_PATTERN = r"^[\s,]*(?:(?:" + "|".join(FACETS) + r")\s*(?:,[\s,]*|$))*$"


@dataclass(frozen=True)
class SearchParams:
    """The query parameters of `GET /suppliers` as received (repeatable ones may hold comma
    lists)."""

    q: str | None = None
    supply_chain: list[str] | None = None
    capability: list[str] | None = None
    certification: list[str] | None = None
    valid_on: date | None = None
    province: list[str] | None = None
    near: str | None = None
    radius_km: float | None = None
    size_class: list[SizeClass] | None = None
    tier: list[Tier] | None = None
    min_employees: int | None = None
    max_employees: int | None = None
    verified: bool | None = None
    updated_since: datetime | None = None
    verification: Verification | None = None
    sort: SortName | None = None
    limit: int = 20
    cursor: str | None = None
    facets: str | None = None


def _split(values: list[str] | None) -> list[str]:
    """Repeatable parameters also accept comma-separated values: `tier=tier1,tier2`."""
    items = (part.strip() for value in values or [] for part in value.split(","))
    return list(dict.fromkeys(item for item in items if item))


def _values(name: str, raw: list[str] | None, errors: list[dict[str, Any]]) -> list[str]:
    """The distinct values of a repeatable parameter; more than MAX_VALUES (repeats and comma
    lists counted after splitting) is an error naming it."""
    count = sum(1 for value in raw or [] for part in value.split(",") if part.strip())
    if count > MAX_VALUES:
        errors.append(field_error(["query", name], f"at most {MAX_VALUES} values"))
        return []
    return _split(raw)


def read_query(
    *, session: Session, params: SearchParams
) -> tuple[SearchQuery, dict[str, list[str]]]:
    """The validated query, and each capability code's subtree (itself and its descendants);
    422 naming every parameter in error."""
    errors: list[dict[str, Any]] = []
    lists = {
        name: _values(name, raw, errors)
        for name, raw in (
            ("supply_chain", params.supply_chain),
            ("capability", params.capability),
            ("certification", params.certification),
            ("province", params.province),
        )
    }
    lists["province"] = [p.upper() for p in lists["province"]]
    # A capability code's subtree (itself and its descendants) is empty exactly when it is
    # unknown, so one read of the taxonomy both validates the codes and expands them.
    descendants = capability_subtrees(session=session, codes=lists["capability"])
    unknown_capabilities = {code for code, subtree in descendants.items() if not subtree}
    for name, unknown in (
        (
            "supply_chain",
            unknown_codes(session=session, model=SupplyChain, codes=lists["supply_chain"]),
        ),
        ("capability", unknown_capabilities),
        (
            "certification",
            unknown_codes(
                session=session, model=CertificationStandard, codes=lists["certification"]
            ),
        ),
    ):
        if unknown:
            errors.append(
                field_error(["query", name], f"unknown code(s): {', '.join(sorted(unknown))}")
            )
    bad_provinces = [p for p in lists["province"] if p not in PROVINCES]
    if bad_provinces:
        errors.append(
            field_error(["query", "province"], f"unknown province(s): {', '.join(bad_provinces)}")
        )
    facet_names = _split([params.facets] if params.facets else None)
    bad_facets = [f for f in facet_names if f not in FACETS]
    if bad_facets:
        errors.append(
            field_error(
                ["query", "facets"],
                f"unknown facet(s): {', '.join(bad_facets)}; use {', '.join(FACETS)}",
            )
        )
    text = params.q.strip() if params.q else None  # NUL is refused app-wide (reject_nul_in_query)
    if text and len(query_words(text)) > MAX_TERMS:
        errors.append(
            field_error(["query", "q"], f"at most {MAX_TERMS} words (split at punctuation)")
        )
    geo = None
    if params.near is not None:
        lat, lon = (float(part) for part in params.near.split(","))
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            errors.append(
                field_error(["query", "near"], "lat must be in [-90, 90], lon in [-180, 180]")
            )
        geo = GeoFilter(lat=lat, lon=lon, radius_km=params.radius_km)
    elif params.radius_km is not None:
        errors.append(field_error(["query", "radius_km"], "needs `near`"))
    low, high = params.min_employees, params.max_employees
    if low is not None and high is not None and low > high:
        errors.append(field_error(["query", "max_employees"], "must be >= min_employees"))
    order = params.sort or ("relevance" if text else "name")
    if order == "relevance" and not text:
        errors.append(field_error(["query", "sort"], "`relevance` needs `q`"))
    if order == "distance" and params.near is None:
        errors.append(field_error(["query", "sort"], "`distance` needs `near`"))
    if errors:
        raise invalid(errors)

    updated_since = params.updated_since
    if updated_since is not None:  # compare in UTC, the timezone everything is stored in
        updated_since = (
            updated_since.replace(tzinfo=UTC)
            if updated_since.tzinfo is None
            else updated_since.astimezone(UTC)
        )
    query = SearchQuery(
        q=text or None,
        supply_chains=tuple(lists["supply_chain"]),
        capabilities=tuple(lists["capability"]),
        certifications=tuple(lists["certification"]),
        valid_on=params.valid_on or datetime.now(UTC).date(),
        provinces=tuple(lists["province"]),
        near=geo,
        size_classes=tuple(dict.fromkeys(params.size_class or [])),
        tiers=tuple(dict.fromkeys(params.tier or [])),
        min_employees=params.min_employees,
        max_employees=params.max_employees,
        verified=params.verified,
        updated_since=updated_since,
        verification=params.verification,
        sort=order,
        limit=params.limit,
        cursor=params.cursor,
        facets=tuple(facet_names),  # type: ignore[arg-type]  # each name was checked against the facet names above
    )
    return query, descendants
