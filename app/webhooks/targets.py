"""Where a webhook may point: public addresses only, checked when registered and when sent.

Server-side request forgery protection. A URL must be `https` (`http` only for a loopback
host, and only with the development setting `WEBHOOKS_ALLOW_HTTP_LOOPBACK`). Its host must
resolve, and every address it resolves to must be public: private, loopback (unless the
development setting), link-local, multicast, reserved, unspecified, shared (CGNAT) addresses
and IPv6 forms that embed one of them (IPv4-mapped, 6to4, Teredo, NAT64) are refused. The
check runs again at connection time and the connection goes to the very address checked, so
a name that later resolves elsewhere (DNS rebinding) is refused too.
"""

import ipaddress
import socket
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_LOOPBACK_NAMES = ("localhost", "localhost.")
# A few threads for name look-ups, so a slow resolver costs a bounded wait, not a hang.
_resolver_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="webhook-dns")


class RefusedTarget(ValueError):
    """The URL or an address it resolves to may not receive webhooks; the message says why."""


@dataclass(frozen=True)
class Target:
    """A checked URL, split for the HTTP client."""

    scheme: str  # "https" or "http"
    host: str  # ASCII host name (IDNA) or IP address without brackets
    port: int
    path: str  # path and query, ASCII

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def parse(url: str) -> Target:
    """Split and syntax-check a webhook URL (no name look-up)."""
    if any(ord(c) <= 32 or ord(c) == 127 for c in url):
        raise RefusedTarget("must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise RefusedTarget("is not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise RefusedTarget("must be an https URL")
    if not parts.hostname:
        raise RefusedTarget("must name a host")
    if parts.username is not None or parts.password is not None:
        raise RefusedTarget("must not contain credentials")
    if parts.fragment:
        raise RefusedTarget("must not contain a fragment")
    host = parts.hostname.rstrip(".") if parts.hostname != "." else ""
    if _ip(host) is None:
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise RefusedTarget("has an invalid host name") from None
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if not host or not path.isascii():
        raise RefusedTarget("must be ASCII (percent-encode the path) and name a host")
    return Target(
        scheme=scheme, host=host, port=port or (443 if scheme == "https" else 80), path=path
    )


def _ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def resolve(host: str, port: int, *, timeout: float) -> list[IPAddress]:
    """Every address of `host`; literal addresses and `localhost` need no look-up."""
    literal = _ip(host)
    if literal is not None:
        return [literal]
    name = host.lower()
    if name in _LOOPBACK_NAMES or name.endswith(".localhost"):
        return [ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")]
    if name.endswith(".invalid"):  # RFC 6761: never resolves
        raise RefusedTarget("host name does not resolve")
    future = _resolver_pool.submit(socket.getaddrinfo, name, port, type=socket.SOCK_STREAM)
    try:
        infos = future.result(timeout=max(timeout, 0.01))
    except FutureTimeout:
        raise RefusedTarget("host name look-up timed out") from None
    except (OSError, UnicodeError):
        raise RefusedTarget("host name does not resolve") from None
    found: list[IPAddress] = []
    for *_rest, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    if not found:
        raise RefusedTarget("host name does not resolve")
    return found


def _embedded(address: IPAddress) -> list[IPAddress]:
    """The address and any IPv4 address an IPv6 form carries (mapped, 6to4, Teredo, NAT64)."""
    found: list[IPAddress] = [address]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            found.append(address.ipv4_mapped)
        if address.sixtofour is not None:
            found.append(address.sixtofour)
        if address.teredo is not None:
            found.extend(address.teredo)
        if address in _NAT64:
            found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def refusal(address: IPAddress, *, allow_loopback: bool) -> str | None:
    """Why an address may not receive webhooks, or None if it may."""
    for candidate in _embedded(address):
        if candidate.is_loopback:
            if allow_loopback:
                continue
            return "is a loopback address"
        if candidate.is_link_local:
            return "is a link-local address"
        if candidate.is_multicast:
            return "is a multicast address"
        if candidate.is_unspecified:
            return "is an unspecified address"
        if candidate.is_reserved:
            return "is a reserved address"
        if candidate.is_private:
            return "is a private address"
        if not candidate.is_global:
            return "is not a public address"
    return None


def check_addresses(
    target: Target, addresses: list[IPAddress], *, allow_http_loopback: bool
) -> None:
    """Refuse unless every address is allowed for the target's scheme."""
    for address in addresses:
        reason = refusal(address, allow_loopback=allow_http_loopback)
        if reason is not None:
            raise RefusedTarget(f"resolves to {address}, which {reason}")
    if target.scheme == "http" and not (
        allow_http_loopback and all(a.is_loopback for a in addresses)
    ):
        raise RefusedTarget("must be an https URL (http only for loopback in development)")


def vet(url: str, *, allow_http_loopback: bool, resolve_timeout: float) -> Target:
    """Parse, resolve and check a URL; RefusedTarget says what is wrong."""
    target = parse(url)
    if target.scheme == "http" and not allow_http_loopback:
        raise RefusedTarget("must be an https URL")
    addresses = resolve(target.host, target.port, timeout=resolve_timeout)
    check_addresses(target, addresses, allow_http_loopback=allow_http_loopback)
    return target
