"""Opaque, signed keyset cursors: tampered or foreign cursors are rejected with a 422."""

import base64
import binascii
import hashlib
import hmac
import json
import math
from collections.abc import Sequence
from typing import Any, TypeVar

from app.errors import field_error, invalid
from app.signing import signing_key

Row = TypeVar("Row")


def _signature(payload: bytes) -> bytes:
    key = signing_key().encode()
    return hmac.new(key, payload, hashlib.sha256).digest()[:12]


def _storable(value: Any) -> bool:
    """A value any database can compare with: 64-bit integers, finite floats, short strings,
    flat lists of those. A cursor is signed, but its keys still reach SQL: a huge number must
    be a 422, not a driver overflow."""
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, int):
        return -(2**63) <= value < 2**63
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, str):
        return len(value) <= 1000
    if isinstance(value, list):
        return len(value) <= 10 and all(
            not isinstance(v, list | dict) and _storable(v) for v in value
        )
    return False


def encode_cursor(payload: dict[str, Any]) -> str:
    raw = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(_signature(raw) + raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any]:
    """The payload of a cursor made by `encode_cursor`; anything else is a 422 on `cursor`."""
    try:
        blob = base64.urlsafe_b64decode(cursor.encode("ascii") + b"=" * (-len(cursor) % 4))
        signature, raw = blob[:12], blob[12:]
        if not hmac.compare_digest(signature, _signature(raw)):
            raise ValueError("bad signature")
        payload = json.loads(raw)
        if not isinstance(payload, dict) or not all(map(_storable, payload.values())):
            raise ValueError("not an object of storable values")
    except (ValueError, UnicodeError, binascii.Error, RecursionError):
        raise invalid([field_error(["query", "cursor"], "malformed or tampered cursor")]) from None
    return payload


def cursor_mismatch() -> Exception:
    return invalid(
        [field_error(["query", "cursor"], "cursor belongs to a different query or sort order")]
    )


def page_of(rows: Sequence[Row], limit: int) -> tuple[list[Row], bool]:
    """Of `rows` fetched one past `limit`: the page (the first `limit`) and whether more follow."""
    return list(rows[:limit]), len(rows) > limit
