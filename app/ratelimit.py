"""Rate limiting per API key, and per client address for anonymous callers.

Budgets live in memory (one worker) or in Redis when `REDIS_URL` is set, so every worker
behind the load balancer draws on the same budget. A sliding-window counter (the `limits`
library) bounds each caller; over budget, a 429 problem says when to retry.
"""

import hashlib
import logging
import math
import time

from limits import RateLimitItem, parse
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import Settings
from app.errors import TooManyRequests, problem_response

logger = logging.getLogger("app.ratelimit")

# Probes and scrapes must never be throttled.
EXEMPT_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
NAMESPACE = "escouting"


def storage_uri(redis_url: str | None) -> str:
    if not redis_url:
        return "async+memory://"
    return "async+" + redis_url.removeprefix("async+")


class RateLimit:
    """ASGI middleware: one budget per presented key, one per address without a key.

    A presented key is counted by its hash before it is checked, so random keys cannot be
    used to get fresh budgets: every 401 also draws on the address's failure budget, and an
    address that has used it up gets 429 for any keyed request until the window moves on.
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        options = {"implementation": "redispy"} if settings.redis_url else {}
        storage = storage_from_string(storage_uri(settings.redis_url), **options)
        self.limiter = SlidingWindowCounterRateLimiter(storage)  # type: ignore[arg-type]
        self.anonymous = parse(settings.rate_limit_anonymous)
        self.keyed = parse(settings.rate_limit_key)
        self.auth_failures = parse(settings.rate_limit_auth_failures)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"] in EXEMPT_PATHS
            or scope["method"] == "OPTIONS"  # CORS preflights carry no key
        ):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        address = scope["client"][0] if scope.get("client") else "unknown"
        scheme, _, token = headers.get("authorization", "").partition(" ")
        keyed = scheme.lower() == "bearer" and bool(token.strip())
        refusal: tuple[RateLimitItem, float, str] | None = None
        try:
            if keyed:
                failures = await self.limiter.get_window_stats(
                    self.auth_failures, NAMESPACE, "auth", address
                )
                if failures.remaining < 1:
                    refusal = (
                        self.auth_failures,
                        failures.reset_time,
                        "failed authentications from your address",
                    )
            if refusal is None:
                limit, identity = (
                    (self.keyed, ("key", hashlib.sha256(token.strip().encode()).hexdigest()[:32]))
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

        async def send_with_budget(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *budget]
                if keyed and message["status"] == 401:
                    await self._count_failure(address)
            await send(message)

        await self.app(scope, receive, send_with_budget)

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
