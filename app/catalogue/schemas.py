"""Response models of the catalogue endpoints."""

from pydantic import BaseModel, ConfigDict, Field

LABEL = (
    "The name in the response language (`Accept-Language` or `lang`: `it` or `en`, default "
    "`en`; see `Content-Language`)."
)


class SupplyChainPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str = Field(description="Stable code, e.g. rotary-wing.")
    name_en: str
    name_it: str
    description: str
    label: str = Field(description=LABEL)


class CapabilityPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str = Field(description="Dot-separated from the root, e.g. machining.milling-5-axis.")
    parent: str | None = Field(description="Code of the parent node; null for a root.")
    name_en: str
    name_it: str
    label: str = Field(description=LABEL)


class CapabilityNode(CapabilityPublic):
    children: list["CapabilityNode"] = Field(default_factory=list)


class CertificationStandardPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str = Field(description="Stable code, e.g. en-9100 or nadcap-heat-treating.")
    name: str = Field(description="English name.")
    name_it: str = Field(description="Italian name.")
    kind: str = Field(description="Family: quality-management, nadcap-special-process, ...")
    label: str = Field(description=LABEL)
