"""Catalogue queries and code checks used by the other domains."""

from collections.abc import Iterable

from sqlmodel import Session, col, select

from app.catalogue.labels import Language
from app.catalogue.models import Capability, CertificationStandard, SupplyChain
from app.catalogue.schemas import (
    CapabilityNode,
    CapabilityPublic,
    CertificationStandardPublic,
    SupplyChainPublic,
)


def list_supply_chains(*, session: Session) -> list[SupplyChain]:
    return list(session.exec(select(SupplyChain).order_by(SupplyChain.code)))


def list_capabilities(*, session: Session, root: str | None = None) -> list[Capability]:
    query = select(Capability).order_by(Capability.code)
    if root is not None:
        # autoescape: a code is a literal, never a LIKE pattern (`%` matches nothing).
        query = query.where(
            (col(Capability.code) == root)
            | col(Capability.code).startswith(f"{root}.", autoescape=True)
        )
    return list(session.exec(query))


def capability_subtrees(*, session: Session, codes: Iterable[str]) -> dict[str, list[str]]:
    """Each code with its descendants, from one read of the taxonomy; an unknown code maps to
    an empty list. Codes are compared as literals."""
    wanted = list(dict.fromkeys(codes))
    if not wanted:
        return {}
    known = list(session.exec(select(Capability.code).order_by(Capability.code)))
    return {
        root: [code for code in known if code == root or code.startswith(f"{root}.")]
        for root in wanted
    }


def supply_chain_public(row: SupplyChain, *, lang: Language) -> SupplyChainPublic:
    """A supply chain with its label in `lang`."""
    label = row.name_it if lang == "it" else row.name_en
    return SupplyChainPublic.model_validate({**row.model_dump(), "label": label})


def capability_public(row: Capability, *, lang: Language) -> CapabilityPublic:
    """A capability with its label in `lang`."""
    label = row.name_it if lang == "it" else row.name_en
    return CapabilityPublic.model_validate({**row.model_dump(), "label": label})


def standard_public(row: CertificationStandard, *, lang: Language) -> CertificationStandardPublic:
    """A certification standard with its label in `lang`."""
    label = row.name_it if lang == "it" else row.name
    return CertificationStandardPublic.model_validate({**row.model_dump(), "label": label})


def capability_tree(capabilities: list[Capability], *, lang: Language) -> list[CapabilityNode]:
    """Nest a flat, code-ordered list under its roots (parents sort before children)."""
    nodes = {
        c.code: CapabilityNode(**capability_public(c, lang=lang).model_dump()) for c in capabilities
    }
    roots: list[CapabilityNode] = []
    for node in nodes.values():
        parent = nodes.get(node.parent) if node.parent else None
        (parent.children if parent else roots).append(node)
    return roots


def list_certification_standards(*, session: Session) -> list[CertificationStandard]:
    return list(session.exec(select(CertificationStandard).order_by(CertificationStandard.code)))


def unknown_codes(
    *,
    session: Session,
    model: type[SupplyChain] | type[Capability] | type[CertificationStandard],
    codes: Iterable[str],
) -> set[str]:
    """The subset of `codes` that is not in the catalogue table `model` (keyed by `code`)."""
    wanted = set(codes)
    if not wanted:
        return set()
    code_col = col(model.code)
    found = set(session.exec(select(code_col).where(code_col.in_(wanted))))
    return wanted - found
