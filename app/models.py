"""Every table model, imported in one place so the metadata is complete (Alembic, tests)."""

from app.audit.models import AuditEvent
from app.auth.models import ApiKey
from app.catalogue.models import Capability, CertificationStandard, SupplyChain
from app.changes.models import ChangeEvent
from app.db import metadata
from app.search.models import DataGeneration
from app.suppliers.models import (
    Supplier,
    SupplierCapability,
    SupplierCertification,
    SupplierSupplyChain,
)

__all__ = [
    "ApiKey",
    "AuditEvent",
    "Capability",
    "CertificationStandard",
    "ChangeEvent",
    "DataGeneration",
    "Supplier",
    "SupplierCapability",
    "SupplierCertification",
    "SupplierSupplyChain",
    "SupplyChain",
    "metadata",
]
