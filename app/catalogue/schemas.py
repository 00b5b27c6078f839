"""Response models of the catalogue endpoints."""

from pydantic import BaseModel, ConfigDict, Field


class SupplyChainPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str = Field(description="Stable code, e.g. rotary-wing.")
    name_en: str
    name_it: str
    description: str


class CapabilityPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str = Field(description="Dot-separated from the root, e.g. machining.milling-5-axis.")
    parent: str | None = Field(description="Code of the parent node; null for a root.")
    name_en: str
    name_it: str


class CapabilityNode(CapabilityPublic):
    children: list["CapabilityNode"] = Field(default_factory=list)


class CertificationStandardPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str = Field(description="Stable code, e.g. en-9100 or nadcap-heat-treating.")
    name: str
    kind: str = Field(description="Family: quality-management, nadcap-special-process, ...")
