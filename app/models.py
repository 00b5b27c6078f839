"""Every table model, imported in one place so the metadata is complete (Alembic, tests)."""

from app.audit.models import AuditEvent
from app.auth.models import ApiKey
from app.catalogue.models import Capability, CertificationStandard, SupplyChain
from app.db import metadata
from app.scouting.models import ScoutingMark, ScoutingRequest, ScoutingResponse
from app.search.models import Synonym
from app.suppliers.models import (
    ChangeEvent,
    DataGeneration,
    Supplier,
    SupplierCapability,
    SupplierCertification,
    SupplierSupplyChain,
)
from app.webhooks.models import (
    CertificateExpiryNotice,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)

__all__ = [
    "ApiKey",
    "AuditEvent",
    "Capability",
    "CertificateExpiryNotice",
    "CertificationStandard",
    "ChangeEvent",
    "DataGeneration",
    "ScoutingMark",
    "ScoutingRequest",
    "ScoutingResponse",
    "Supplier",
    "SupplierCapability",
    "SupplierCertification",
    "SupplierSupplyChain",
    "SupplyChain",
    "Synonym",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookSubscription",
    "metadata",
]
