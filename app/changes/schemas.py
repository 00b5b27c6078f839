"""Response models of the change feed."""

from typing import Literal

from pydantic import BaseModel, Field

from app.catalogue.labels import Labels, labels_field
from app.suppliers.schemas import SupplierPublic
from app.types import UtcDatetime

EventType = Literal["supplier.created", "supplier.updated", "supplier.deleted"]


class ChangeEventPublic(BaseModel):
    id: str = Field(description="Event id: unique, increasing in commit order; de-duplicate on it.")
    type: EventType = Field(description="What happened to the supplier.")
    occurred_at: UtcDatetime = Field(description="When the change was made.")
    supplier_id: int = Field(description="The supplier changed.")
    version: int = Field(description="The supplier's version after the change.")
    supplier: SupplierPublic | None = Field(
        description="The supplier's record after the change, with its current `contact` "
        "(null once the supplier is deleted); null for `supplier.deleted` (a tombstone: drop "
        "your copy)."
    )


class ChangePage(BaseModel):
    items: list[ChangeEventPublic] = Field(description="Events in commit order.")
    next_cursor: str = Field(
        description="Pass as `after` for the events that follow. Never null: when `has_more` "
        "is false you are up to date; store it and poll with it later."
    )
    has_more: bool = Field(description="More events follow right now.")
    labels: Labels = labels_field()
