"""HTTP plumbing shared by every route: request ids, security headers, body limit, CORS."""

import asyncio
import math
import re
from collections.abc import Callable
from typing import Any

from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import FastAPI, Request
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app.asgi import HttpMiddleware
from app.config import Settings
from app.errors import (
    PayloadTooLarge,
    ServiceUnavailable,
    field_error,
    invalid,
    problem_response,
)
from app.logs import AccessLog
from app.ratelimit import RateLimit

# Strict for the JSON API: nothing on a response may be loaded, framed or sniffed.
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "strict-transport-security": "max-age=31536000; includeSubDomains",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}
REQUEST_ID_HEADER = "X-Request-ID"
# Answered whatever the load: never queued for admission.
LIVENESS_PATHS = frozenset({"/healthz"})
# Routes that read (and limit) their own body: file uploads, spooled to disk as they arrive.
STREAMED_BODY_PATHS = frozenset({"/api/v1/suppliers/import"})
# The interactive docs run Swagger UI / ReDoc, served by this service (fastapi-offline), with
# an inline start-up script: this origin only, nothing from elsewhere.
DOCS_PATHS = ("/docs", "/redoc")
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)
DOCS_HEADERS = SECURITY_HEADERS | {"content-security-policy": DOCS_CSP}


class SecurityHeaders(HttpMiddleware):
    """Adds SECURITY_HEADERS to every HTTP response, errors included, without overriding."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        docs = scope["path"].startswith(DOCS_PATHS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [
                    (name.encode(), value.encode())
                    for name, value in (DOCS_HEADERS if docs else SECURITY_HEADERS).items()
                    if name.encode() not in present
                ]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit(HttpMiddleware):
    """413 problem+json for request bodies over `max_bytes`, announced or streamed.

    The body is read here, up to the limit, before the application sees any of it (FastAPI
    would turn an error raised while it reads the body into a 400), then handed on whole.
    Paths in `streamed` read their own body (file uploads) and enforce their own limit.
    """

    def __init__(
        self, app: ASGIApp, max_bytes: int, streamed: frozenset[str] = frozenset()
    ) -> None:
        super().__init__(app)
        self.max_bytes = max_bytes
        self.streamed = streamed

    def pass_on(self, scope: Scope) -> bool:
        return scope["path"] in self.streamed

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        announced = dict(scope.get("headers", [])).get(b"content-length", b"")
        if announced.isdigit() and int(announced) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                await self.app(scope, _replay([message], receive), send)
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:  # a chunked body without Content-Length
                await self._refuse(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        whole = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay([whole], receive), send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        problem = PayloadTooLarge(
            detail=f"The request body exceeds the limit of {self.max_bytes} bytes."
        )
        await problem_response(problem)(scope, receive, send)


class AllowHeader(HttpMiddleware):
    """A 405 lists every method the path supports in `Allow`.

    Starlette answers 405 from the first route whose path matches, so `Allow` would name only
    that route's methods (GET, not also POST, for `/suppliers`). The documented paths are the
    complete list (FastAPI nests included routers, so the route table is not flat).
    """

    def __init__(self, app: ASGIApp, paths: Callable[[], dict[str, Any]]) -> None:
        super().__init__(app)
        self.paths = paths
        self._table: list[tuple[bool, re.Pattern[str], set[str]]] | None = None

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_allow(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 405:
                documented = self._methods(scope["path"])
                if documented:  # else (the pages: `/`, `/docs`) the route's own `Allow` stands
                    methods = ", ".join(sorted(documented))
                    headers = [(k, v) for k, v in message["headers"] if k.lower() != b"allow"]
                    message["headers"] = [*headers, (b"allow", methods.encode())]
            await send(message)

        await self.app(scope, receive, send_allow)

    def _methods(self, path: str) -> set[str]:
        if self._table is None:
            self._table = [
                ("{" not in template, compile_path(template)[0], {m.upper() for m in operations})
                for template, operations in self.paths().items()
            ]
        matches = [(static, ms) for static, regex, ms in self._table if regex.match(path)]
        # A static path (`/suppliers/export`) is routed before a templated sibling.
        chosen = [ms for static, ms in matches if static] or [ms for _, ms in matches]
        methods = set().union(*chosen)
        return methods | {"HEAD"} if "GET" in methods else methods


class HeadAsGet(HttpMiddleware):
    """`HEAD` wherever `GET` works: answered as the `GET` would be, status and headers alike
    (`Content-Length`, `ETag`, `RateLimit-*`, a 404's problem type), without the body.

    FastAPI routes accept only the methods they declare, so HEAD was a 405 on every
    operation. The request goes on as a GET (layers outside this one, the access log and the
    metrics, still see HEAD). Once the headers are out, the response is ended and the
    application is told the client left, so a streamed export stops at its first chunk
    instead of being read to the end (ASGI servers of spec 2.3, uvicorn's; on others it runs
    to the end, its chunks dropped).
    """

    def pass_on(self, scope: Scope) -> bool:
        return bool(scope["method"] != "HEAD")

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        ended = asyncio.Event()

        async def send_head(message: Message) -> None:
            if ended.is_set():
                return
            if message["type"] == "http.response.body":
                ended.set()
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        async def receive_head() -> Message:
            if ended.is_set():
                return {"type": "http.disconnect"}
            incoming = asyncio.ensure_future(receive())
            stop = asyncio.ensure_future(ended.wait())
            await asyncio.wait({incoming, stop}, return_when=asyncio.FIRST_COMPLETED)
            stop.cancel()
            if incoming.done():
                return incoming.result()
            incoming.cancel()
            return {"type": "http.disconnect"}

        await self.app({**scope, "method": "GET"}, receive_head, send_head)


class Admission(HttpMiddleware):
    """At most `limit` requests are worked on at once in this worker; the others wait on the
    event loop, holding no thread and no database connection, for up to `timeout` seconds, then
    get a 503 problem with Retry-After.

    Without it every request took a worker thread (40 of them) and, once authenticated, a
    pooled connection, then queued for the next thread it needed while holding both: the pool
    ran dry and dozens of threads fought the event loop for the interpreter, so even `/healthz`
    took hundreds of milliseconds under load. Paths in `exempt` (liveness) are never held.
    """

    def __init__(
        self, app: ASGIApp, limit: int, timeout: float, exempt: frozenset[str] = frozenset()
    ) -> None:
        super().__init__(app)
        self.limit = limit
        self.timeout = timeout
        self.exempt = exempt
        self._slots: dict[asyncio.AbstractEventLoop, asyncio.Semaphore] = {}

    def pass_on(self, scope: Scope) -> bool:
        return scope["path"] in self.exempt

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        loop = asyncio.get_running_loop()
        slots = self._slots.get(loop)
        if slots is None:  # one per event loop (tests run several)
            slots = self._slots[loop] = asyncio.Semaphore(self.limit)
        try:
            await asyncio.wait_for(slots.acquire(), self.timeout)
        except TimeoutError:
            busy = ServiceUnavailable(
                detail="The service is busy; retry shortly.",
                headers={"Retry-After": str(max(1, math.ceil(self.timeout)))},
            )
            await problem_response(busy)(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            slots.release()


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A receive channel that first returns `messages`, then the original channel's."""
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed


async def reject_nul_in_query(request: Request) -> None:
    """422 for a NUL character in any query value (PostgreSQL text cannot hold one)."""
    bad = sorted({name for name, value in request.query_params.multi_items() if "\x00" in value})
    if bad:
        raise invalid(
            [field_error(["query", name], "must not contain NUL characters") for name in bad]
        )


def install_middleware(app: FastAPI, settings: Settings) -> None:
    # Added innermost first: CORS answers preflights, then the limit, then headers on all.
    # HEAD becomes GET only inside every other layer: rate limits and the access log see HEAD.
    app.add_middleware(HeadAsGet)
    if settings.cors_allow_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_allow_origins,
            allow_methods=["GET", "HEAD", "POST", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "If-Match", "If-None-Match"],
            expose_headers=[
                "ETag",
                "Location",
                "Retry-After",
                REQUEST_ID_HEADER,
                "RateLimit-Limit",
                "RateLimit-Remaining",
                "RateLimit-Reset",
            ],
            max_age=600,
        )
    app.add_middleware(AllowHeader, paths=lambda: app.openapi()["paths"])
    # Admitted after the body is read, so a slow upload holds no slot while it arrives.
    app.add_middleware(
        Admission,
        limit=settings.max_concurrent_requests,
        timeout=settings.db_pool_timeout,
        exempt=LIVENESS_PATHS,
    )
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, streamed=STREAMED_BODY_PATHS)
    if settings.rate_limit_enabled:  # before the body is read, after the headers are set
        app.add_middleware(RateLimit, settings=settings)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(AccessLog)  # inside the request id, so its lines carry it
    # Every response carries the request's id, the caller's own when it sends a valid UUID,
    # a new one otherwise; `asgi_correlation_id.correlation_id` holds it for logs.
    app.add_middleware(CorrelationIdMiddleware, header_name=REQUEST_ID_HEADER)
    if settings.trusted_proxies:
        # Outermost, so rate limits and the access log see the client: taken from
        # X-Forwarded-For (the rightmost entry that is not itself a trusted proxy) only when the
        # direct peer is a trusted proxy; any other peer is the client, whatever it sends.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
