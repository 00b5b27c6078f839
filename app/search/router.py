"""`GET /suppliers`: faceted, full-text, geo and certification-aware supplier search."""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from app.auth.deps import OPTIONAL_KEY, CallerDep
from app.catalogue.labels import KINDS, LabelCodes, LanguageDep
from app.catalogue.models import CertificationStandard, SupplyChain
from app.catalogue.service import capability_subtrees, unknown_codes
from app.db import SessionDep, with_deadline
from app.errors import field_error, invalid, problem_responses
from app.search import service
from app.search.schemas import FACETS, GeoFilter, SearchPage, SearchQuery, SortName
from app.search.text import MAX_TERMS, query_words
from app.suppliers.schemas import SizeClass, Tier, Verification
from app.suppliers.validation import PROVINCES
from app.types import IsoDate, IsoDatetime

router = APIRouter(prefix="/suppliers", tags=["suppliers"], dependencies=[Depends(with_deadline)])

MAX_VALUES = 50
# Documents what `facets` accepts; the handler checks it, naming any unknown facet.
FACETS_PATTERN = r"^[\s,]*(?:(?:" + "|".join(FACETS) + r")\s*(?:,[\s,]*|$))*$"


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


@router.get(
    "", response_model=SearchPage, responses=problem_responses(401), openapi_extra=OPTIONAL_KEY
)
def search_suppliers(
    session: SessionDep,
    caller: CallerDep,
    lang: LanguageDep,
    q: Annotated[
        str | None,
        Query(
            max_length=500,
            description="Full text over name, legal name, description, capability labels (EN "
            "and IT) and programs. Suppliers matching every word rank first, then partial "
            "matches; Italian and English stemming, accents ignored, typos tolerated in every "
            "word (1 edit from 5 letters, 2 from 9) and in company names, the glossary's "
            "acronyms and synonyms (`/synonyms`), stop words left out. Items then carry `score` "
            'and `highlights`. Web-search syntax: "exact phrase", `or`, `-exclude`. At most '
            f"{MAX_TERMS} words, counted after splitting at punctuation.",
        ),
    ] = None,
    supply_chain: Annotated[
        list[str] | None,
        Query(max_length=MAX_VALUES, description="Supply-chain code; repeat for any of several."),
    ] = None,
    capability: Annotated[
        list[str] | None,
        Query(
            max_length=MAX_VALUES,
            description="Capability code (descendants match too); repeat: all of them.",
        ),
    ] = None,
    certification: Annotated[
        list[str] | None,
        Query(
            max_length=MAX_VALUES,
            description="Standard code of a certificate valid on `valid_on`; repeat: all.",
        ),
    ] = None,
    valid_on: Annotated[
        IsoDate | None,
        Query(
            description="Day on which certificates must be valid (active, issued, not "
            "expired; the expiry day still counts). Default: today (UTC)."
        ),
    ] = None,
    province: Annotated[
        list[str] | None,
        Query(max_length=MAX_VALUES, description="2-letter Italian province code; repeatable."),
    ] = None,
    near: Annotated[
        str | None,
        Query(
            pattern=r"^\s*-?\d+(\.\d+)?\s*,\s*-?\d+(\.\d+)?\s*$",
            max_length=64,
            description="`lat,lon` (WGS 84 degrees): adds `distance_km` to items, enables "
            "`sort=distance` and, with `radius_km`, filters by distance.",
        ),
    ] = None,
    radius_km: Annotated[
        float | None, Query(gt=0, le=20000, description="Maximum distance from `near`, km.")
    ] = None,
    size_class: Annotated[
        list[SizeClass] | None,
        Query(max_length=MAX_VALUES, description="EU SME size class; repeatable."),
    ] = None,
    tier: Annotated[
        list[Tier] | None, Query(max_length=MAX_VALUES, description="Supply tier; repeatable.")
    ] = None,
    min_employees: Annotated[int | None, Query(ge=0, le=10_000_000)] = None,
    max_employees: Annotated[int | None, Query(ge=0, le=10_000_000)] = None,
    verified: Annotated[bool | None, Query(description="Only (un)verified suppliers.")] = None,
    updated_since: Annotated[
        IsoDatetime | None,
        Query(description="Changed at or after this instant (ISO 8601)."),
    ] = None,
    verification: Annotated[
        Verification | None,
        Query(description="Minimum trust level a certificate needs to count."),
    ] = None,
    sort: Annotated[
        SortName | None,
        Query(
            description="`relevance` (default with `q`), `name` (default otherwise), "
            "`-updated_at` (newest first), `distance` (needs `near`). Ties break by id."
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="Page size.")] = 20,
    cursor: Annotated[
        str | None, Query(max_length=1024, description="`next_cursor` of the previous page.")
    ] = None,
    facets: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Comma list of facets to count over the result "
            "set: " + ", ".join(FACETS) + ".",
            json_schema_extra={"pattern": FACETS_PATTERN},
        ),
    ] = None,
) -> SearchPage:
    """Search suppliers with full text, filters, geo distance and facet counts; the codes
    shown are labelled in `labels`."""
    errors: list[dict[str, Any]] = []
    lists = {
        name: _values(name, raw, errors)
        for name, raw in (
            ("supply_chain", supply_chain),
            ("capability", capability),
            ("certification", certification),
            ("province", province),
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
    facet_names = _split([facets] if facets else None)
    bad_facets = [f for f in facet_names if f not in FACETS]
    if bad_facets:
        errors.append(
            field_error(
                ["query", "facets"],
                f"unknown facet(s): {', '.join(bad_facets)}; use {', '.join(FACETS)}",
            )
        )
    text = q.strip() if q else None  # NUL is refused app-wide (reject_nul_in_query)
    if text and len(query_words(text)) > MAX_TERMS:
        errors.append(
            field_error(["query", "q"], f"at most {MAX_TERMS} words (split at punctuation)")
        )
    geo = None
    if near is not None:
        lat, lon = (float(part) for part in near.split(","))
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            errors.append(
                field_error(["query", "near"], "lat must be in [-90, 90], lon in [-180, 180]")
            )
        geo = GeoFilter(lat=lat, lon=lon, radius_km=radius_km)
    elif radius_km is not None:
        errors.append(field_error(["query", "radius_km"], "needs `near`"))
    if min_employees is not None and max_employees is not None and min_employees > max_employees:
        errors.append(field_error(["query", "max_employees"], "must be >= min_employees"))
    order = sort or ("relevance" if text else "name")
    if order == "relevance" and not text:
        errors.append(field_error(["query", "sort"], "`relevance` needs `q`"))
    if order == "distance" and near is None:
        errors.append(field_error(["query", "sort"], "`distance` needs `near`"))
    if errors:
        raise invalid(errors)

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
        valid_on=valid_on or datetime.now(UTC).date(),
        provinces=tuple(lists["province"]),
        near=geo,
        size_classes=tuple(dict.fromkeys(size_class or [])),
        tiers=tuple(dict.fromkeys(tier or [])),
        min_employees=min_employees,
        max_employees=max_employees,
        verified=verified,
        updated_since=updated_since,
        verification=verification,
        sort=order,  # type: ignore[arg-type]
        limit=limit,
        cursor=cursor,
        facets=tuple(facet_names),  # type: ignore[arg-type]
    )
    page = service.search_suppliers(
        session=session, query=query, caller=caller, descendants=descendants
    )
    codes = LabelCodes()
    for item in page.items:
        codes.add_supplier(item)
    for name, counts in page.facets.items():
        if name in KINDS:  # every facet but province
            codes.add(name, counts)  # type: ignore[arg-type]
    page.labels = codes.labels(session=session, lang=lang)
    return page
