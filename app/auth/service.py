"""API key look-up: whose key was presented. Keys are random; only their SHA-256 is stored."""

import hashlib
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from app.auth.models import ApiKey
from app.db import utcnow

KEY_PREFIX = "esk_"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def authenticate(*, session: Session, plaintext: str) -> ApiKey | None:
    """The live key matching `plaintext`, or None if unknown, revoked or expired."""
    key = session.exec(select(ApiKey).where(ApiKey.key_hash == hash_key(plaintext))).first()
    if key is None or key.revoked_at is not None:
        return None
    if key.expires_at is not None and _aware(key.expires_at) <= utcnow():
        return None
    return key


def live_key_hashes(*, session: Session) -> dict[str, datetime | None]:
    """The hash of every key neither revoked nor expired, with its expiry (None: never)."""
    now = utcnow()
    rows = session.exec(
        select(ApiKey.key_hash, ApiKey.expires_at).where(col(ApiKey.revoked_at).is_(None))
    )
    expiries = {key_hash: _aware(e) if e else None for key_hash, e in rows}
    return {key_hash: e for key_hash, e in expiries.items() if e is None or e > now}
