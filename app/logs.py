"""Structured logs: one JSON object per line, each carrying the request id it belongs to."""

import logging
import sys
import time
from typing import IO, Any

import structlog
from asgi_correlation_id import correlation_id
from starlette.types import Message, Receive, Scope, Send
from structlog.typing import EventDict, Processor

from app.asgi import HttpMiddleware
from app.config import Settings

access_logger = structlog.get_logger("app.access")


def _request_id(_logger: Any, _method: str, event: EventDict) -> EventDict:
    request_id = correlation_id.get()
    if request_id is not None:
        event.setdefault("request_id", request_id)
    return event


_SHARED: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    _request_id,
]


class _OurHandler(logging.StreamHandler[IO[str]]):
    """Marks the handler this module installs, so configuring twice replaces it."""


def configure_logging(settings: Settings, *, stream: IO[str] | None = None) -> None:
    """Route structlog and standard logging (uvicorn, SQLAlchemy, ours) through one renderer."""
    structlog.configure(
        processors=[*_SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    renderer = (
        structlog.processors.JSONRenderer()
        if settings.log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = _OurHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if not isinstance(h, _OurHandler)] + [handler]
    root.setLevel(settings.log_level)
    # uvicorn's own access lines would duplicate ours, without the request id.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True


class AccessLog(HttpMiddleware):
    """ASGI middleware: one `request` event per HTTP request, with status and duration."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        status = 500  # if the application fails before it answers

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            access_logger.info(
                "request",
                method=scope["method"],
                path=scope["path"],
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
                client=scope["client"][0] if scope.get("client") else None,
            )
