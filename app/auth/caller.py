"""Who is calling: the identity every authorization and audit decision is made on."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Caller:
    """Who is calling: anonymous (role None) or the holder of a key."""

    role: str | None = None
    key_id: int | None = None
    supplier_id: int | None = None

    @property
    def is_admin(self) -> bool:
        return self.role in ("admin", "system")

    def is_supplier(self, supplier_id: int) -> bool:
        """Whether this is the key of supplier `supplier_id` itself."""
        return self.role == "supplier" and self.supplier_id == supplier_id

    def may_see_contact_of(self, supplier_id: int) -> bool:
        return self.role in ("admin", "system", "buyer", "partner") or self.is_supplier(supplier_id)


SYSTEM = Caller(role="system")
"""The command line and other in-process writers (no API key)."""
