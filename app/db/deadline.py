"""Request deadlines: the instant past which the current request's statements are cut off."""

import time
from contextvars import ContextVar
from typing import Any

from app.config import get_settings

# The monotonic instant past which the current request's statements are cut off (None: no
# deadline). Set by `with_deadline` on the routes whose cost depends on what the caller asks
# (search, facets, scouting, matching); read by each backend's engine hooks in whatever
# thread runs the statement (the thread pool copies the request's context).
DEADLINE: ContextVar[float | None] = ContextVar("escouting_deadline", default=None)


class DeadlineExceeded(Exception):
    """The request's deadline passed before (or while) a statement ran."""


def past_deadline() -> bool:
    deadline = DEADLINE.get()
    return deadline is not None and time.monotonic() > deadline


def refuse_late_statements(conn: Any, cursor: Any, *_args: Any) -> None:
    """Engine hook: no statement starts after the deadline."""
    if past_deadline():
        raise DeadlineExceeded


async def with_deadline() -> None:
    """Route dependency: the request's statements must finish within REQUEST_DEADLINE_SECONDS
    (503 with Retry-After past it). Async, so the deadline is set in the request's own
    context, which the threads running its statements copy."""
    DEADLINE.set(time.monotonic() + get_settings().request_deadline_seconds)
