"""Sending one delivery: a signed POST that connects only to vetted addresses, within a deadline.

Built on httpcore (the transport under httpx) because its network backend is the one place
where the address a connection goes to is chosen: the host is resolved and checked there and
the socket connects to that very address, so there is no window between check and use. Every
read and write also gets the time left of one overall deadline, so a receiver that trickles
its answer cannot hold the worker longer than the timeout.
"""

import hashlib
import hmac
import logging
import ssl
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import certifi
import httpcore

from app.webhooks.targets import RefusedTarget, Target, check_addresses, parse, resolve

USER_AGENT = "escouting-webhooks/1.0"

logger = logging.getLogger("app.webhooks")


def signature(secret: str, body: bytes, *, timestamp: int) -> str:
    """The `X-Signature` header value, `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
    (Stripe's scheme): the signed timestamp lets a receiver refuse replayed deliveries."""
    signed = f"{timestamp}.".encode("ascii") + body
    digest = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to."""

    ok: bool
    status_code: int | None
    error: str | None
    duration_ms: int


@lru_cache
def _ssl_context() -> ssl.SSLContext:
    return ssl.create_default_context(cafile=certifi.where())


class _DeadlineStream(httpcore.NetworkStream):
    """A stream whose every operation ends by the delivery's deadline."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: float) -> None:
        self._inner = inner
        self._deadline = deadline

    def _left(self, timeout: float | None, error: type[Exception]) -> float:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise error("the delivery deadline passed")
        return left if timeout is None else min(timeout, left)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        left = self._left(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(
            self._inner.start_tls(ssl_context, server_hostname, left), self._deadline
        )

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _VettedBackend(httpcore.NetworkBackend):
    """Resolves and checks the host at connect time, then connects to a checked address."""

    def __init__(
        self, *, target: Target, deadline: float, allow_http_loopback: bool, resolve_timeout: float
    ) -> None:
        self._target = target
        self._deadline = deadline
        self._allow = allow_http_loopback
        self._resolve_timeout = resolve_timeout
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        left = self._deadline - time.monotonic()
        addresses = resolve(host, port, timeout=min(self._resolve_timeout, left))
        check_addresses(self._target, addresses, allow_http_loopback=self._allow)
        error: Exception = httpcore.ConnectError("no address to connect to")
        for address in addresses:
            left = self._deadline - time.monotonic()
            if left <= 0:
                raise httpcore.ConnectTimeout("the delivery deadline passed")
            try:
                stream = self._inner.connect_tcp(
                    str(address),
                    port,
                    timeout=left if timeout is None else min(timeout, left),
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
                continue
            return _DeadlineStream(stream, self._deadline)
        raise error

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        raise RefusedTarget("unix sockets are not webhook targets")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def send(
    *,
    url: str,
    body: bytes,
    headers: dict[str, str],
    timeout: float,
    allow_http_loopback: bool,
    resolve_timeout: float,
) -> Outcome:
    """POST `body` to `url` once; never raises for anything the receiver or network does."""
    started = time.monotonic()
    deadline = started + timeout

    def outcome(ok: bool, status: int | None, error: str | None) -> Outcome:
        elapsed = int((time.monotonic() - started) * 1000)
        return Outcome(ok=ok, status_code=status, error=error, duration_ms=elapsed)

    try:
        target = parse(url)
        backend = _VettedBackend(
            target=target,
            deadline=deadline,
            allow_http_loopback=allow_http_loopback,
            resolve_timeout=resolve_timeout,
        )
        request_headers = [
            ("Host", target.host_header),
            ("Content-Length", str(len(body))),
            ("User-Agent", USER_AGENT),
            *headers.items(),
        ]
        with (
            httpcore.ConnectionPool(
                ssl_context=_ssl_context(), network_backend=backend, retries=0, max_connections=1
            ) as pool,
            pool.stream(
                "POST",
                httpcore.URL(
                    scheme=target.scheme.encode(),
                    host=target.host.encode("ascii"),
                    port=target.port,
                    target=target.path.encode("ascii"),
                ),
                headers=request_headers,
                content=body,
                extensions={
                    "timeout": dict.fromkeys(("connect", "read", "write", "pool"), timeout),
                    "sni_hostname": target.host,
                },
            ) as response,
        ):
            status = response.status  # the body is not read: nothing in it matters
        if 200 <= status < 300:
            return outcome(True, status, None)
        return outcome(False, status, f"HTTP {status}")
    except RefusedTarget as exc:
        return outcome(False, None, f"refused: URL {exc}")
    except httpcore.TimeoutException:
        return outcome(False, None, f"timeout: no answer within {timeout:g} s")
    except httpcore.ConnectError as exc:
        return outcome(False, None, f"connection failed: {_short(exc)}")
    except (httpcore.NetworkError, httpcore.ProtocolError, ssl.SSLError, OSError) as exc:
        return outcome(False, None, f"{type(exc).__name__}: {_short(exc)}")
    except Exception:  # a bug here must cost one attempt, never the worker
        logger.exception("webhook delivery failed unexpectedly")
        return outcome(False, None, "internal error while sending; it has been logged")


def _short(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text[:300]
