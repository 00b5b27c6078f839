"""Catalogue endpoints: the vocabularies used to describe and search suppliers."""

from typing import Literal

from fastapi import APIRouter, Query

from app.catalogue import service
from app.catalogue.labels import LanguageDep
from app.catalogue.models import Capability
from app.catalogue.schemas import (
    CapabilityNode,
    CapabilityPublic,
    CertificationStandardPublic,
    SupplyChainPublic,
)
from app.db import SessionDep
from app.errors import NotFound

router = APIRouter(tags=["catalogue"])


@router.get("/supply-chains", response_model=list[SupplyChainPublic])
def list_supply_chains(session: SessionDep, lang: LanguageDep) -> list[SupplyChainPublic]:
    """List the cluster's supply chains, each with its `label` in the response language."""
    return [
        service.supply_chain_public(s, lang=lang)
        for s in service.list_supply_chains(session=session)
    ]


@router.get("/capabilities", response_model=list[CapabilityPublic] | list[CapabilityNode])
def list_capabilities(
    session: SessionDep,
    lang: LanguageDep,
    format: Literal["flat", "tree"] = Query(
        "flat", description="`flat`: one item per code with its `parent`; `tree`: nested children."
    ),
    root: str | None = Query(
        None, max_length=100, description="Only this code and its descendants."
    ),
) -> list[CapabilityPublic] | list[CapabilityNode]:
    """List the capability taxonomy, flat (with `parent`) or as a tree, labelled."""
    if root is not None and service.unknown_codes(session=session, model=Capability, codes=[root]):
        raise NotFound(detail=f"Unknown capability code {root!r}.")
    rows = service.list_capabilities(session=session, root=root)
    if format == "tree":
        return service.capability_tree(rows, lang=lang)
    return [service.capability_public(c, lang=lang) for c in rows]


@router.get("/certification-standards", response_model=list[CertificationStandardPublic])
def list_certification_standards(
    session: SessionDep, lang: LanguageDep
) -> list[CertificationStandardPublic]:
    """List the certification standards suppliers can hold, Nadcap commodities included."""
    return [
        service.standard_public(s, lang=lang)
        for s in service.list_certification_standards(session=session)
    ]
