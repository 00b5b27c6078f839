"""Webhook test helpers: a real HTTP receiver on 127.0.0.1 and a worker driven by the test.

The worker runs in the test's own rolled-back transaction (its commits become savepoint
releases on the same connection), with a clock the test sets through `now`.
"""

import hashlib
import hmac
import json
import re
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlmodel import Session

from app.config import Settings, get_settings
from app.db import utcnow
from app.main import app
from app.webhooks.worker import RunReport, run_once

HOOKS = "/api/v1/webhooks"
SUPPLIER_EVENTS = ["supplier.created", "supplier.updated", "supplier.deleted"]

SETTINGS = Settings(
    rate_limit_enabled=False,
    webhooks_worker_enabled=False,
    webhooks_allow_http_loopback=True,
    webhooks_timeout_seconds=1,
)


SIGNATURE = re.compile(r"t=([0-9]{10}),v1=([0-9a-f]{64})")


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float = 0.0  # wall-clock time it arrived

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)

    @property
    def signed_at(self) -> int:
        """The timestamp of `X-Signature: t=<unix seconds>,v1=<hex>` (the exact format)."""
        match = SIGNATURE.fullmatch(self.headers.get("x-signature", ""))
        assert match is not None, self.headers.get("x-signature")
        return int(match[1])

    def signed_with(self, secret: str) -> bool:
        """Whether v1 is the HMAC-SHA256, keyed with `secret`, of `<t>.<body>`."""
        match = SIGNATURE.fullmatch(self.headers.get("x-signature", ""))
        assert match is not None, self.headers.get("x-signature")
        signed = f"{match[1]}.".encode() + self.body
        expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        return hmac.compare_digest(match[2], expected)


@dataclass
class Receiver:
    """Records every POST; answers from `script` ((status, delay seconds), ...), then 200."""

    scheme: str = "http"
    port: int = 0
    received: list[Received] = field(default_factory=list)
    script: list[tuple[int, float]] = field(default_factory=list)

    @property
    def url(self) -> str:
        host = "localhost" if self.scheme == "https" else "127.0.0.1"
        return f"{self.scheme}://{host}:{self.port}/hook"

    def answer(self, *behaviour: tuple[int, float]) -> None:
        self.script.extend(behaviour)


@contextmanager
def serving(tls: ssl.SSLContext | None = None) -> Iterator[Receiver]:
    """A receiver on 127.0.0.1 and a free port, over TLS when given a server context."""
    state = Receiver(scheme="https" if tls else "http")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                status, delay = state.script.pop(0) if state.script else (200, 0.0)
                headers = {k.lower(): v for k, v in self.headers.items()}
                state.received.append(Received(self.path, headers, body, at=time.time()))
            time.sleep(delay)
            try:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except OSError:
                pass  # the worker gave up waiting (timeout tests)

        def log_message(self, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def get_request(self) -> tuple[Any, Any]:
            sock, address = super().get_request()
            if tls is not None:
                sock.settimeout(5)
                try:
                    sock = tls.wrap_socket(sock, server_side=True)
                except (OSError, ssl.SSLError):
                    sock.close()  # a client that refused our certificate
                    raise
            return sock, address

        def handle_error(self, request: Any, client_address: Any) -> None:
            pass

    server = Server(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with serving() as state:
        yield state


@pytest.fixture
def dev_settings(client) -> Settings:
    """The API sees the development setting that allows loopback receivers."""
    app.dependency_overrides[get_settings] = lambda: SETTINGS
    return SETTINGS


class Driver:
    """Runs worker passes on the test's connection, at a time the test chooses."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.start = utcnow()

    def at(self, seconds: float = 0, **overrides: Any) -> RunReport:
        return self.run(now=self.start + timedelta(seconds=seconds), **overrides)

    def run(self, *, now: datetime, **overrides: Any) -> RunReport:
        settings = SETTINGS.model_copy(update=overrides)
        connection = self.session.bind

        def sessions() -> Session:
            return Session(
                bind=connection,  # type: ignore[arg-type]
                join_transaction_mode="create_savepoint",
                expire_on_commit=False,
            )

        report = run_once(sessions, now=now, settings=settings)
        self.session.expire_all()  # the API's session must not serve stale objects
        return report


@pytest.fixture
def worker(session: Session) -> Driver:
    return Driver(session)


def register(client, headers, url: str, events=None, **extra: Any):
    body = {"url": url, "events": events or SUPPLIER_EVENTS, **extra}
    return client.post(HOOKS, json=body, headers=headers)
