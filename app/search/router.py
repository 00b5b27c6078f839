"""`GET /suppliers`: faceted, full-text, geo and certification-aware supplier search."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.auth.deps import OPTIONAL_KEY, CallerDep
from app.catalogue.labels import LanguageDep
from app.db import SessionDep, with_deadline
from app.errors import problem_responses
from app.params import Cursor, Limit
from app.search import service
from app.search.query import FACETS_PATTERN, MAX_VALUES, SearchParams
from app.search.schemas import FACETS, SearchPage, SortName
from app.search.text import MAX_TERMS
from app.suppliers.schemas import SizeClass, Tier, Verification
from app.types import IsoDate, IsoDatetime

router = APIRouter(prefix="/suppliers", tags=["suppliers"], dependencies=[Depends(with_deadline)])


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
    limit: Limit = 20,
    cursor: Cursor = None,
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
    params = SearchParams(
        q=q,
        supply_chain=supply_chain,
        capability=capability,
        certification=certification,
        valid_on=valid_on,
        province=province,
        near=near,
        radius_km=radius_km,
        size_class=size_class,
        tier=tier,
        min_employees=min_employees,
        max_employees=max_employees,
        verified=verified,
        updated_since=updated_since,
        verification=verification,
        sort=sort,
        limit=limit,
        cursor=cursor,
        facets=facets,
    )
    return service.search(session=session, caller=caller, lang=lang, params=params)
