"""API key issue, listing and revocation (audited); `app.auth.service` looks keys up."""

import secrets
from datetime import datetime

from sqlmodel import Session, col, select

from app.audit.service import record
from app.auth.caller import Caller
from app.auth.models import ApiKey
from app.auth.service import KEY_PREFIX, hash_key
from app.db import utcnow
from app.errors import NotFound, field_error, invalid
from app.suppliers.models import Supplier


def create_api_key(
    *,
    session: Session,
    actor: Caller,
    role: str,
    supplier_id: int | None = None,
    name: str = "",
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    """Store a new key and return it with its plaintext, which is never stored."""
    if supplier_id is not None:
        supplier = session.get(Supplier, supplier_id)
        if supplier is None or supplier.deleted_at is not None:
            raise invalid([field_error(["body", "supplier_id"], "no such supplier")])
    plaintext = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        name=name,
        prefix=plaintext[:12],
        key_hash=hash_key(plaintext),
        role=role,
        supplier_id=supplier_id,
        expires_at=expires_at,
    )
    session.add(key)
    session.flush()
    fields = ["role", "name"] + [f for f in ("supplier_id", "expires_at") if getattr(key, f)]
    record(
        session=session,
        actor=actor,
        action="create",
        entity="api_key",
        entity_id=key.id,  # type: ignore[arg-type]  # SQLModel types the key optional; a stored row has one
        fields=fields,
    )
    return key, plaintext


def list_api_keys(*, session: Session) -> list[ApiKey]:
    return list(session.exec(select(ApiKey).order_by(col(ApiKey.id))))


def revoke_api_key(*, session: Session, key_id: int, actor: Caller) -> ApiKey:
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(detail=f"No API key with id {key_id}.")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        session.flush()
        record(
            session=session,
            actor=actor,
            action="revoke",
            entity="api_key",
            entity_id=key_id,
            fields=["revoked_at"],
        )
    return key
