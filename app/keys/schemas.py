"""Request and response models for API keys."""

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.auth.schemas import Role
from app.types import BODY, IsoDatetime, ShortText, UtcDatetime


class ApiKeyCreate(BaseModel):
    model_config = BODY

    role: Role
    supplier_id: int | None = Field(
        default=None,
        ge=1,
        le=2**31 - 1,
        description="Required for, and only allowed with, role supplier.",
    )
    name: ShortText = Field(
        default="", description="What the key is for, e.g. 'Leonardo buyer portal'."
    )
    expires_at: IsoDatetime | None = Field(
        default=None, description="Optional expiry (UTC); must be in the future."
    )

    @field_validator("expires_at")
    @classmethod
    def _in_the_future(cls, value: datetime | None) -> datetime | None:
        if value is not None and value <= datetime.now(UTC):
            raise ValueError("must be in the future: a key created expired could never be used")
        return value

    @model_validator(mode="after")
    def _binding(self) -> "ApiKeyCreate":
        if (self.role == "supplier") != (self.supplier_id is not None):
            raise ValueError("supplier_id is required for role supplier and allowed only for it")
        return self


class ApiKeyPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str = Field(description="First characters of the key, to recognise it.")
    role: Role
    supplier_id: int | None
    created_at: UtcDatetime
    expires_at: UtcDatetime | None
    revoked_at: UtcDatetime | None


class ApiKeyCreated(ApiKeyPublic):
    key: str = Field(description="The secret key. Shown only in this response; store it now.")
