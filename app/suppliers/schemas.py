"""Request and response models of the supplier registry."""

from datetime import date
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    HttpUrl,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from app.catalogue.labels import Labels, labels_field
from app.suppliers.validation import normalize_vat, validate_province
from app.types import (
    BODY,
    Code,
    IsoDate,
    LongText,
    Name,
    ShortText,
    Text,
    UtcDatetime,
    never_null,
    no_null_in_schema,
)

Tier = Literal["oem", "tier1", "tier2", "tier3"]
SizeClass = Literal["micro", "small", "medium", "large"]
CertificateStatus = Literal["active", "suspended", "withdrawn"]
Verification = Literal["self-declared", "document", "cluster-verified", "registry-verified"]
# Trust levels in increasing order; only admins may set a level above `document`.
VERIFICATION_LEVELS: tuple[Verification, ...] = (
    "self-declared",
    "document",
    "cluster-verified",
    "registry-verified",
)
SELF_SERVICE_MAX_VERIFICATION: Verification = "document"

VatNumber = Annotated[
    str,
    Text(30, min_length=1),
    AfterValidator(normalize_vat),
    Field(
        description="EU VAT number; an Italian Partita IVA is IT + 11 digits, check digit valid."
    ),
]
Province = Annotated[
    str,
    AfterValidator(validate_province),
    Field(description="2-letter Italian province code (sigla), e.g. VA, MI.", examples=["VA"]),
]
CountryCode = Annotated[
    str,
    Field(pattern=r"^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2 country code."),
    AfterValidator(str.upper),
]
ProgramTag = Annotated[str, Text(50, min_length=1)]


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


class Address(BaseModel):
    model_config = BODY

    street: ShortText | None = Field(default=None, description="Street and number.")
    city: Annotated[str, Text(100)] | None = Field(default=None, description="City or comune.")
    province: Province | None = None
    postal_code: Annotated[str, Field(pattern=r"^[0-9A-Za-z \-]{3,10}$")] | None = Field(
        default=None, description="Postal code (CAP in Italy)."
    )
    country: CountryCode = Field(default="IT", description="ISO 3166-1 alpha-2, default IT.")


class AddressUpdate(BaseModel):
    model_config = BODY

    street: ShortText | None = None
    city: Annotated[str, Text(100)] | None = None
    province: Province | None = None
    postal_code: Annotated[str, Field(pattern=r"^[0-9A-Za-z \-]{3,10}$")] | None = None
    country: CountryCode | None = None


class Location(BaseModel):
    model_config = BODY

    lat: float = Field(ge=-90, le=90, description="Latitude, WGS 84 degrees.")
    lon: float = Field(ge=-180, le=180, description="Longitude, WGS 84 degrees.")


class Contact(BaseModel):
    model_config = BODY

    name: ShortText | None = Field(default=None, description="Contact person.")
    email: EmailStr | None = Field(default=None, description="Contact e-mail address.")
    phone: Annotated[str, Field(pattern=r"^\+?[0-9 ()./\-]{5,40}$")] | None = Field(
        default=None, description="Phone number, international format preferred."
    )


class CertificationIn(BaseModel):
    model_config = BODY

    standard: Code = Field(description="Certification standard code, e.g. en-9100.")
    certificate_number: Annotated[str, Text(100)] | None = None
    issuer: ShortText | None = Field(default=None, description="Certification body.")
    issued_on: IsoDate | None = None
    expires_on: IsoDate | None = None
    status: CertificateStatus = "active"
    scope: Annotated[str, Text(1000)] | None = None
    verification: Verification = Field(
        default="self-declared",
        description="Trust level; only admins may set cluster-verified or registry-verified.",
    )

    @field_validator("expires_on")
    @classmethod
    def _expires_after_issue(cls, value: date | None, info: ValidationInfo) -> date | None:
        issued = info.data.get("issued_on")
        if value is not None and issued is not None and value <= issued:
            raise ValueError("expires_on must be after issued_on")
        return value


class CertificationPublic(BaseModel):
    id: int = Field(description="Identifier of this certificate record.")
    standard: str = Field(description="Certification standard code.")
    certificate_number: str | None
    issuer: str | None
    issued_on: date | None
    expires_on: date | None
    status: CertificateStatus
    scope: str | None
    verification: Verification


Codes = Annotated[list[Code], Field(max_length=200), AfterValidator(_unique)]
Programs = Annotated[list[ProgramTag], Field(max_length=100), AfterValidator(_unique)]


def _distinct_certificates(certificates: list[CertificationIn]) -> list[CertificationIn]:
    """One supplier holds a certificate (standard + number) once."""
    seen: dict[tuple[str, str], int] = {}
    for i, cert in enumerate(certificates):
        if cert.certificate_number is None:
            continue
        key = (cert.standard, cert.certificate_number)
        if key in seen:
            raise PydanticCustomError(
                "duplicate_certificate",
                "certificate {standard} {number} is listed twice (items {first} and {second})",
                {"standard": key[0], "number": key[1], "first": seen[key], "second": i},
            )
        seen[key] = i
    return certificates


Certifications = Annotated[
    list[CertificationIn], Field(max_length=200), AfterValidator(_distinct_certificates)
]


class SupplierBase(BaseModel):
    model_config = BODY

    legal_name: ShortText | None = Field(default=None, description="Registered company name.")
    description: LongText = Field(default="", description="Free text, Italian or English.")
    website: HttpUrl | None = Field(default=None, description="http(s) URL of the company site.")
    location: Location | None = Field(default=None, description="Coordinates of the main site.")
    employees: int | None = Field(default=None, ge=0, le=10_000_000)
    annual_revenue_eur: int | None = Field(default=None, ge=0, le=10**13)
    tier: Tier | None = None
    programs: Programs = Field(
        default_factory=list, description="Free tags such as AW139 or M-346."
    )
    contact: Contact | None = None


class SupplierCreate(SupplierBase):
    name: Name = Field(description="Trading name.")
    vat_number: VatNumber
    address: Address | None = None
    supply_chains: Codes = Field(default_factory=list, description="Supply-chain codes.")
    capabilities: Codes = Field(default_factory=list, description="Capability codes.")
    certifications: Certifications = Field(default_factory=list)
    verified: bool = Field(default=False, description="Set by admins only.")


# Fields that may be omitted in a PATCH but never set to null.
_NOT_NULLABLE = (
    "name",
    "vat_number",
    "description",
    "programs",
    "supply_chains",
    "capabilities",
    "certifications",
    "verified",
)


class SupplierUpdate(SupplierBase):
    """Partial update (JSON merge-patch semantics): absent fields are left as they are;
    `address` and `contact` merge field by field; lists replace the whole list."""

    model_config = ConfigDict(**BODY, json_schema_extra=no_null_in_schema(_NOT_NULLABLE))

    name: Name | None = None
    vat_number: VatNumber | None = None
    description: LongText | None = None  # type: ignore[assignment]  # a PATCH may omit what the base requires
    address: AddressUpdate | None = None
    programs: Programs | None = None  # type: ignore[assignment]  # a PATCH may omit what the base requires
    supply_chains: Codes | None = None
    capabilities: Codes | None = None
    certifications: Certifications | None = None
    verified: bool | None = None

    _not_null = never_null(_NOT_NULLABLE)


class AddressPublic(BaseModel):
    street: str | None
    city: str | None
    province: str | None
    postal_code: str | None
    country: str


class ContactPublic(BaseModel):
    name: str | None
    email: str | None
    phone: str | None


class SupplierPublic(BaseModel):
    id: int
    name: str
    legal_name: str | None
    vat_number: str
    description: str
    website: str | None
    address: AddressPublic
    location: Location | None
    employees: int | None
    annual_revenue_eur: int | None
    size_class: SizeClass | None = Field(
        description="EU SME class computed from employees and turnover (2003/361/EC)."
    )
    tier: Tier | None
    supply_chains: list[str]
    capabilities: list[str]
    certifications: list[CertificationPublic]
    programs: list[str]
    contact: ContactPublic | None = Field(
        description="Shown to admin, buyer and partner keys and to the supplier itself; "
        "null for anonymous callers."
    )
    verified: bool
    created_at: UtcDatetime
    updated_at: UtcDatetime
    version: int = Field(description="Incremented on every change; the ETag carries it.")


class SupplierDetail(SupplierPublic):
    """One supplier's record with the labels of its codes."""

    labels: Labels = labels_field()
