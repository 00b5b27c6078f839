"""Rate limiting per API key, and per client address for anonymous callers.

Budgets live in memory (one worker) or in Redis when `REDIS_URL` is set, so every worker
behind the load balancer draws on the same budget. A sliding-window counter (the `limits`
library) bounds each caller; over budget, a 429 problem says when to retry.
"""

import asyncio
import ipaddress
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.asgi import HttpMiddleware
from app.auth.live import LiveKeys
from app.auth.service import hash_key
from app.config import Settings
from app.errors import TooManyRequests, problem_response

logger = logging.getLogger("app.ratelimit")

# Probes must never be throttled (`/metrics` is: a scraper holds a key or the metrics token).
EXEMPT_PATHS = frozenset({"/healthz", "/readyz"})
NAMESPACE = "escouting"
IPV6_PREFIX = 64  # one subscriber's share of IPv6 space: a budget per address would be none


def storage_uri(redis_url: str | None) -> str:
    if not redis_url:
        return "async+memory://"
    return "async+" + redis_url.removeprefix("async+")


def client_identity(scope: Scope) -> str:
    """Whose address budgets a request draws on: the client's IPv4 address (IPv4-mapped IPv6
    included) or its IPv6 /64 network."""
    host = scope["client"][0] if scope.get("client") else "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:  # not an address (a Unix socket, a test client's name)
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((int(address), IPV6_PREFIX), strict=False))
    return str(address)


BUDGET_STATE = "rate_budget"  # key of the request state holding this request's `Budget`


@dataclass(frozen=True)
class Budget:
    """A caller's rate budget right after the request was counted."""

    whose: str  # "key" or "addr"
    limit: RateLimitItem
    remaining: int
    reset_at: float  # epoch seconds when the budget is whole again


class _Gate:
    """Requests from one address with keys not known to be live, let through one at a time."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0


class RateLimit(HttpMiddleware):
    """ASGI middleware: one budget per presented key, one per address without a key.

    A presented key is counted by its hash before it is checked, so random keys cannot be
    used to get fresh budgets: every 401 also draws on the address's failure budget. A key
    whose hash is among the live keys (`LiveKeys`) always goes on, so a valid key is never
    locked out. Any other key goes on only while its address has failure budget left, and
    one at a time per address, so the failure is counted before the next is looked up: N
    concurrent bad keys cost at most the budget in database look-ups, not N.
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        super().__init__(app)
        options = {"implementation": "redispy"} if settings.redis_url else {}
        storage = storage_from_string(storage_uri(settings.redis_url), **options)
        self.limiter = SlidingWindowCounterRateLimiter(storage)
        self.anonymous = parse(settings.rate_limit_anonymous)
        self.keyed = parse(settings.rate_limit_key)
        self.auth_failures = parse(settings.rate_limit_auth_failures)
        self.live_keys = LiveKeys()
        # Valid bearers that are not API keys: the metrics token.
        self.other_valid = {hash_key(settings.metrics_token)} if settings.metrics_token else set()
        self._gates: dict[str, _Gate] = {}

    def pass_on(self, scope: Scope) -> bool:
        # CORS preflights carry no key.
        return scope["path"] in EXEMPT_PATHS or scope["method"] == "OPTIONS"

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        address = client_identity(scope)
        scheme, _, token = headers.get("authorization", "").partition(" ")
        keyed = scheme.lower() == "bearer" and bool(token.strip())
        key_hash = hash_key(token.strip()) if keyed else ""
        leave_gate: Callable[[], None] | None = None
        try:
            refusal: tuple[RateLimitItem, float, str] | None = None
            try:
                if keyed and not (
                    key_hash in self.other_valid or await self.live_keys.contains(key_hash)
                ):
                    refusal = await self._failures_spent(address)
                    if refusal is None:
                        leave_gate = await self._enter_gate(address)
                        refusal = await self._failures_spent(address)  # spent while it waited
                        if refusal is not None:
                            leave_gate()
                    if refusal is not None and await self.live_keys.contains(key_hash, fresh=True):
                        refusal = None  # issued since the last reload: still never locked out
                if refusal is None:
                    limit, identity = (
                        (self.keyed, ("key", key_hash[:32]))
                        if keyed
                        else (self.anonymous, ("addr", address))
                    )
                    allowed = await self.limiter.hit(limit, NAMESPACE, *identity)
                    stats = await self.limiter.get_window_stats(limit, NAMESPACE, *identity)
                    if not allowed:
                        refusal = (limit, stats.reset_time, "requests")
            except Exception:  # the shared store is down: serve rather than fail every request
                logger.warning("rate limit storage unavailable; request not counted", exc_info=True)
                await self.app(scope, receive, send)
                return
            if refusal is not None:
                await self._refuse(*refusal, scope, receive, send)
                return
            budget = _budget_headers(limit, stats.remaining, stats.reset_time)
            # For `GET /me`: the budget as this request left it (no second look-up).
            scope.setdefault("state", {})[BUDGET_STATE] = Budget(
                whose=identity[0],
                limit=limit,
                remaining=max(0, stats.remaining),
                reset_at=stats.reset_time,
            )

            async def send_with_budget(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message["headers"] = [*message.get("headers", []), *budget]
                    if keyed and message["status"] == 401:
                        self.live_keys.discard(key_hash)
                        await self._count_failure(address)
                    if leave_gate is not None:
                        leave_gate()  # the outcome is counted: the next key may be looked up
                await send(message)

            await self.app(scope, receive, send_with_budget)
        finally:
            if leave_gate is not None:
                leave_gate()

    async def _failures_spent(self, address: str) -> tuple[RateLimitItem, float, str] | None:
        failures = await self.limiter.get_window_stats(
            self.auth_failures, NAMESPACE, "auth", address
        )
        if failures.remaining >= 1:
            return None
        return (self.auth_failures, failures.reset_time, "failed authentications from your address")

    async def _enter_gate(self, address: str) -> Callable[[], None]:
        """Wait for this address's turn; returns the (idempotent) function that ends it."""
        gate = self._gates.setdefault(address, _Gate())
        gate.users += 1
        try:
            await gate.lock.acquire()
        except BaseException:  # cancelled while waiting
            self._forget(address, gate)
            raise
        left = False

        def leave() -> None:
            nonlocal left
            if not left:
                left = True
                gate.lock.release()
                self._forget(address, gate)

        return leave

    def _forget(self, address: str, gate: _Gate) -> None:
        gate.users -= 1
        if not gate.users:  # nobody waits: drop it, so idle addresses hold no memory
            del self._gates[address]

    async def _count_failure(self, address: str) -> None:
        try:
            await self.limiter.hit(self.auth_failures, NAMESPACE, "auth", address)
        except Exception:
            logger.warning("rate limit storage unavailable", exc_info=True)

    @staticmethod
    async def _refuse(
        limit: RateLimitItem, reset: float, what: str, scope: Scope, receive: Receive, send: Send
    ) -> None:
        retry_after = max(1, math.ceil(reset - time.time()))
        problem = TooManyRequests(
            detail=f"More than {limit} {what}; retry in {retry_after} s.",
            headers={"Retry-After": str(retry_after)},
        )
        response = problem_response(problem)
        for name, value in _budget_headers(limit, 0, reset):
            response.headers[name.decode()] = value.decode()
        await response(scope, receive, send)


def _budget_headers(
    limit: RateLimitItem, remaining: int, reset: float
) -> list[tuple[bytes, bytes]]:
    """IETF RateLimit header fields (draft): the budget, what is left, seconds to reset."""
    seconds = max(0, math.ceil(reset - time.time()))
    return [
        (b"ratelimit-limit", str(limit.amount).encode()),
        (b"ratelimit-remaining", str(max(0, remaining)).encode()),
        (b"ratelimit-reset", str(seconds).encode()),
    ]
