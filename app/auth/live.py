"""The hashes of live API keys, held by each worker: the rate limiter tells a valid key from a
guess by them, without a database look-up per request.

Authentication itself still looks every key up (app.auth.deps), so revocation takes effect at
once; a stale entry here only lets a dead key reach that look-up, which then fails.
"""

import asyncio
import logging
import math
import time
from datetime import datetime

from anyio import to_thread
from sqlmodel import Session

from app import db
from app.auth import service

logger = logging.getLogger("app.auth")


class LiveKeys:
    """Hashes of keys neither revoked nor expired, reloaded (at most every `max_age` seconds,
    one reload at a time, off the event loop) when a hash is not among them."""

    def __init__(self, max_age: float = 1.0) -> None:
        self.max_age = max_age
        self._expiries: dict[str, datetime | None] = {}
        self._loaded_at = -math.inf
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None

    async def contains(self, key_hash: str, *, fresh: bool = False) -> bool:
        """Whether `key_hash` is a live key's. A hash not in the set reloads it if it is stale;
        with `fresh`, after waiting until it is, so a key issued a moment ago is found too."""
        if self._holds(key_hash):
            return True
        if fresh:
            await asyncio.sleep(max(0.0, self._loaded_at + self.max_age - time.monotonic()))
        if self._stale():
            await self._reload()
        return self._holds(key_hash)

    def discard(self, key_hash: str) -> None:
        """Forget a key that failed authentication (revoked since the last reload)."""
        self._expiries.pop(key_hash, None)

    def _holds(self, key_hash: str) -> bool:
        if key_hash not in self._expiries:
            return False
        expiry = self._expiries[key_hash]
        return expiry is None or expiry > db.utcnow()

    def _stale(self) -> bool:
        return time.monotonic() - self._loaded_at >= self.max_age

    async def _reload(self) -> None:
        async with self._reload_lock():
            if not self._stale():  # reloaded while this request waited
                return
            self._loaded_at = time.monotonic()
            try:
                self._expiries = await to_thread.run_sync(_load)
            except Exception:  # keep the old set; keys not in it take the guarded path
                logger.warning("live API keys not reloaded", exc_info=True)

    def _reload_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock_loop is not loop:  # one per event loop
            self._lock, self._lock_loop = asyncio.Lock(), loop
        return self._lock


def _load() -> dict[str, datetime | None]:
    with Session(db.get_engine()) as session:
        return service.live_key_hashes(session=session)
