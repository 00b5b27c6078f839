"""Request and response models of e-scouting: requests, matches, marks and responses."""

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from app.catalogue.labels import Labels, labels_field
from app.suppliers.schemas import ContactPublic, Province, SizeClass, Verification
from app.types import (
    BODY,
    Code,
    IsoDate,
    LongText,
    Name,
    Text,
    UtcDatetime,
    never_null,
    no_null_in_schema,
)

RequestStatus = Literal["open", "closed"]
MarkState = Literal["shortlisted", "excluded"]
MarkFilter = Literal["shortlisted", "excluded", "unmarked"]
ResponseStatus = Literal["interested", "declined"]
Criterion = Literal[
    "supply_chain",
    "required_certification",
    "required_capability",
    "preferred_capability",
    "text",
    "province",
    "near",
    "size_class",
    "certificate_lapses",
]
MAX_CODES = 50
MIN_VERIFICATION = (
    "The lowest trust level of a certificate that meets a required certification, in the "
    "order `self-declared` < `document` < `cluster-verified` < `registry-verified` (search's "
    "`verification`); default `self-declared` (every valid certificate counts)."
)
Note = Annotated[str, Text(2000)]


def _unique(values: list[Any]) -> list[Any]:
    return list(dict.fromkeys(values))


Codes = Annotated[list[Code], Field(max_length=MAX_CODES), AfterValidator(_unique)]
ChainCodes = Annotated[
    list[Code], Field(min_length=1, max_length=MAX_CODES), AfterValidator(_unique)
]
Provinces = Annotated[list[Province], Field(max_length=MAX_CODES), AfterValidator(_unique)]
SizeClasses = Annotated[list[SizeClass], Field(max_length=4), AfterValidator(_unique)]


class Near(BaseModel):
    model_config = BODY

    lat: float = Field(ge=-90, le=90, description="Latitude, WGS 84 degrees.")
    lon: float = Field(ge=-180, le=180, description="Longitude, WGS 84 degrees.")
    radius_km: float = Field(
        ge=1, le=500, description="Distance (km) at which proximity stops counting, 1..500."
    )


class ScoutingRequestCreate(BaseModel):
    model_config = BODY

    title: Name = Field(description="Short name of the need.")
    description: LongText = Field(
        default="", description="Free text, Italian or English; its words rank suppliers."
    )
    supply_chains: ChainCodes = Field(
        description="Supply-chain codes; a supplier must serve at least one (knock-out)."
    )
    required_capabilities: Codes = Field(
        default_factory=list,
        description="Capability codes (a more specific capability counts too); rank heaviest.",
    )
    preferred_capabilities: Codes = Field(
        default_factory=list, description="Capability codes that are nice to have; rank."
    )
    required_certifications: Codes = Field(
        default_factory=list,
        description="Certification standard codes; a supplier must hold every one, active and "
        "valid on `needed_by` (today without it) (knock-out).",
    )
    provinces: Provinces = Field(
        default_factory=list, description="2-letter province codes; rank (no knock-out)."
    )
    near: Near | None = Field(
        default=None, description="A point and radius; rank by distance (no knock-out)."
    )
    size_classes: SizeClasses = Field(
        default_factory=list, description="EU SME size classes wanted; rank (no knock-out)."
    )
    needed_by: IsoDate | None = Field(
        default=None, description="Day the supply is needed; certificates must be valid then."
    )
    min_verification: Verification = Field(
        default="self-declared",
        description=MIN_VERIFICATION,
    )


# The request's list fields (stored as lists, replaced whole by a PATCH).
LIST_FIELDS = (
    "supply_chains",
    "required_capabilities",
    "preferred_capabilities",
    "required_certifications",
    "provinces",
    "size_classes",
)
# Fields a PATCH may omit but never set to null.
_NOT_NULLABLE = ("title", "description", "min_verification", *LIST_FIELDS)


class ScoutingRequestUpdate(BaseModel):
    """Partial update while the request is open: absent fields stay; lists replace the list;
    `near` or `needed_by` null removes them."""

    model_config = ConfigDict(**BODY, json_schema_extra=no_null_in_schema(_NOT_NULLABLE))

    title: Name | None = Field(default=None, description="Short name of the need.")
    description: LongText | None = Field(default=None, description="Free text.")
    supply_chains: ChainCodes | None = Field(default=None, description="Supply-chain codes.")
    required_capabilities: Codes | None = Field(default=None, description="Capability codes.")
    preferred_capabilities: Codes | None = Field(default=None, description="Capability codes.")
    required_certifications: Codes | None = Field(default=None, description="Standard codes.")
    provinces: Provinces | None = Field(default=None, description="Province codes.")
    near: Near | None = Field(default=None, description="Point and radius; null removes it.")
    size_classes: SizeClasses | None = Field(default=None, description="Size classes.")
    needed_by: IsoDate | None = Field(default=None, description="Day needed; null removes it.")
    min_verification: Verification | None = Field(
        default=None, description="Lowest certificate trust level that counts (never null)."
    )

    _not_null = never_null(_NOT_NULLABLE)


class ResponsePublic(BaseModel):
    supplier_id: int = Field(description="The responding supplier.")
    supplier_name: str = Field(description="Its trading name.")
    status: ResponseStatus = Field(description="`interested` or `declined`.")
    message: str = Field(description="The supplier's message to the buyer.")
    created_at: UtcDatetime = Field(description="First answer.")
    updated_at: UtcDatetime = Field(description="Latest change of the answer.")


class ScoutingRequestPublic(BaseModel):
    id: int = Field(description="Request id.")
    title: str = Field(description="Short name of the need.")
    description: str = Field(description="Free text, Italian or English.")
    supply_chains: list[str] = Field(description="Supply chains (knock-out: any of them).")
    required_capabilities: list[str] = Field(description="Required capability codes.")
    preferred_capabilities: list[str] = Field(description="Preferred capability codes.")
    required_certifications: list[str] = Field(
        description="Required standards (knock-out: all of them)."
    )
    provinces: list[str] = Field(description="Preferred provinces.")
    near: Near | None = Field(description="Preferred point and radius.")
    size_classes: list[str] = Field(description="Preferred size classes.")
    needed_by: date | None = Field(description="Day the supply is needed.")
    min_verification: Verification = Field(description=MIN_VERIFICATION)
    status: RequestStatus = Field(description="`open` (suppliers may respond) or `closed`.")
    created_at: UtcDatetime = Field(description="Creation instant.")
    updated_at: UtcDatetime = Field(description="Latest change.")
    closed_at: UtcDatetime | None = Field(description="When it was closed.")
    version: int = Field(description="Incremented on every change; the ETag carries it.")
    responses: list[ResponsePublic] = Field(
        description="Suppliers' answers (the owner and admins see all; a supplier its own)."
    )


class ScoutingRequestDetail(ScoutingRequestPublic):
    """One scouting request with the labels of its codes."""

    labels: Labels = labels_field()


class ScoutingRequestPage(BaseModel):
    items: list[ScoutingRequestPublic] = Field(description="Requests, newest first.")
    next_cursor: str | None = Field(description="Cursor of the next page; null on the last.")
    labels: Labels = labels_field()


class Explanation(BaseModel):
    criterion: Criterion = Field(description="Which criterion of the request.")
    code: str | None = Field(default=None, description="The code concerned, if any.")
    detail: str = Field(description="In words.")
    verification: Verification | None = Field(
        default=None,
        description="For a met `required_certification`: the trust level of the certificate "
        "that met it (at least the request's `min_verification`); null otherwise.",
    )


class SupplierSummary(BaseModel):
    id: int = Field(description="Supplier id.")
    name: str = Field(description="Trading name.")
    province: str | None = Field(description="Province code.")
    city: str | None = Field(description="City.")
    size_class: SizeClass | None = Field(description="EU SME size class.")
    supply_chains: list[str] = Field(description="Supply chains served.")
    capabilities: list[str] = Field(description="Capability codes.")
    verified: bool = Field(description="Checked by the cluster.")
    distance_km: float | None = Field(description="From the request's point, if it has one.")
    contact: ContactPublic | None = Field(description="Contact details (buyers and admins).")


class MarkIn(BaseModel):
    model_config = BODY

    state: MarkState = Field(description="`shortlisted` or `excluded`.")
    note: Note = Field(default="", description="The buyer's note.")


class MarkPublic(BaseModel):
    supplier_id: int = Field(description="The marked supplier.")
    state: MarkState = Field(description="`shortlisted` or `excluded`.")
    note: str = Field(description="The buyer's note.")
    updated_at: UtcDatetime = Field(description="Latest change.")


class MatchResponse(BaseModel):
    status: ResponseStatus = Field(description="`interested` or `declined`.")
    message: str = Field(description="The supplier's message.")


class Match(BaseModel):
    supplier: SupplierSummary = Field(description="The supplier.")
    score: float = Field(ge=0, le=1, description="0..1, higher is better (see README).")
    components: dict[str, float] = Field(
        description="The score's components that apply to this request, each 0..1."
    )
    matched: list[Explanation] = Field(description="Criteria the supplier meets.")
    missing: list[Explanation] = Field(description="Criteria it does not meet.")
    warnings: list[Explanation] = Field(description="Certificates that lapse before `needed_by`.")
    mark: MarkPublic | None = Field(description="The buyer's mark, if any.")
    response: MatchResponse | None = Field(description="The supplier's answer, if any.")


class MatchPage(BaseModel):
    items: list[Match] = Field(description="Best first; ties by supplier id.")
    total: int = Field(description="Matches (with the `state` filter applied).")
    next_cursor: str | None = Field(description="Cursor of the next page; null on the last.")
    labels: Labels = labels_field()


class ResponseIn(BaseModel):
    model_config = BODY

    status: ResponseStatus = Field(description="`interested` or `declined`.")
    message: Note = Field(default="", description="A message to the buyer.")
