"""RFC 9457 problem details: the error types the service raises and how they are rendered."""

import logging
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi_problem.error import StatusProblem
from fastapi_problem.handler import add_exception_handler, new_exception_handler
from sqlalchemy.exc import (
    DBAPIError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette_problem.handler import http_exception_handler_

from app.db import DeadlineExceeded, interrupted, statement_fault

logger = logging.getLogger("app.errors")

PROBLEM_MEDIA_TYPE = "application/problem+json"


class NotFound(StatusProblem):
    type_ = "not-found"
    title = "Resource not found."
    status = 404


class Gone(StatusProblem):
    type_ = "gone"
    title = "Resource was deleted."
    status = 410


class Conflict(StatusProblem):
    type_ = "conflict"
    title = "Conflict with the current state of the resource."
    status = 409


class PreconditionFailed(StatusProblem):
    type_ = "precondition-failed"
    title = "The resource changed since the version you hold (If-Match)."
    status = 412


class Unauthorized(StatusProblem):
    type_ = "unauthorized"
    title = "A valid API key is required."
    status = 401
    headers_ = {"WWW-Authenticate": 'Bearer realm="escouting"'}


class Forbidden(StatusProblem):
    type_ = "forbidden"
    title = "Your API key does not allow this operation."
    status = 403


class PayloadTooLarge(StatusProblem):
    type_ = "payload-too-large"
    title = "The request body is too large."
    status = 413


class UnsupportedMediaType(StatusProblem):
    type_ = "unsupported-media-type"
    title = "The request body's media type is not accepted here."
    status = 415


class TooManyRequests(StatusProblem):
    type_ = "too-many-requests"
    title = "Too many requests; slow down."
    status = 429


class ServiceUnavailable(StatusProblem):
    type_ = "service-unavailable"
    title = "The service is temporarily unavailable."
    status = 503
    headers_ = {"Retry-After": "5"}


class InternalError(StatusProblem):
    type_ = "internal-error"
    title = "Internal server error."
    status = 500


class ValidationProblem(StatusProblem):
    """422 naming every bad field, in the same shape as request validation errors."""

    type_ = "request-validation-failed"
    title = "Request validation failed."
    status = 422


_PROBLEM_DESCRIPTIONS = {
    401: "No API key, or an unknown, revoked or expired one.",
    403: "The API key's role or binding does not allow this.",
    404: "No such resource.",
    409: "Conflicts with existing data (e.g. a VAT number already registered).",
    410: "The resource was deleted.",
    412: "`If-Match` did not name the current version.",
    413: "The request body is too large.",
    415: "The body's `Content-Type` is not one this operation reads.",
    422: "A parameter or body field is invalid, or a query parameter unknown or repeated; "
    "`errors` names each one.",
    429: "Too many requests; `Retry-After` says when to retry.",
    503: "The database is unreachable or busy; `Retry-After` says when to retry.",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for problem documents, to declare on routes."""
    return {
        status: {
            "description": _PROBLEM_DESCRIPTIONS[status],
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


def problem_response(problem: StatusProblem) -> JSONResponse:
    """A problem rendered outside FastAPI's exception handling (in ASGI middleware)."""
    return JSONResponse(
        problem.marshal(),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=dict(problem.headers or {}),
    )


def check_if_match(if_match: str | None, *, version: int, subject: str) -> None:
    """412 unless an `If-Match` header (if any) names `version` (or is `*`)."""
    if if_match is None:
        return
    tags = [t.strip() for t in if_match.split(",")]
    if "*" in tags:
        return
    versions = {t.removeprefix("W/").strip('"').split("-")[0] for t in tags}
    if str(version) not in versions:
        raise PreconditionFailed(
            detail=f"{subject} is at version {version}; you sent If-Match {if_match}.",
            current_version=version,
        )


def field_error(loc: Sequence[str | int], msg: str, type_: str = "value_error") -> dict[str, Any]:
    return {"loc": list(loc), "msg": msg, "type": type_}


def invalid(errors: list[dict[str, Any]]) -> ValidationProblem:
    """Build a 422 problem from field errors made with `field_error`."""
    return ValidationProblem(detail=_summary(errors), errors=errors)


def _summary(errors: list[dict[str, Any]]) -> str:
    parts = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors[:5]]
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return "; ".join(parts) + more


def _request_validation(_eh: Any, _request: Request, exc: RequestValidationError) -> StatusProblem:
    # Never echo the offending input back (it may be huge or binary); keep location and reason.
    errors = [
        field_error(err.get("loc", ()), str(err.get("msg", "invalid")), str(err.get("type", "")))
        for err in exc.errors()
    ]
    return invalid(errors)


def _integrity(_eh: Any, _request: Request, exc: IntegrityError) -> StatusProblem:
    logger.warning("integrity error: %s", exc.orig)
    return Conflict(detail="The change conflicts with existing data.")


def _operational(_eh: Any, _request: Request, exc: OperationalError) -> StatusProblem:
    # Connection failures and lock time-outs are temporary (503); anything else SQLite calls
    # "operational" (a bad statement) is our bug and stays a 500.
    if statement_fault(exc.orig):
        logger.error("database error: %s", exc.orig)
        return InternalError(detail="An unexpected error occurred; it has been logged.")
    logger.error("database unavailable: %s", exc.orig)
    return ServiceUnavailable(detail="The database is unreachable; retry shortly.")


def _unavailable(_eh: Any, _request: Request, exc: Exception) -> StatusProblem:
    # No pooled connection free in time, or a connection that died under the request.
    logger.error("database unavailable: %s", exc)
    return ServiceUnavailable(detail="The database is busy or unreachable; retry shortly.")


def _dbapi(eh: Any, request: Request, exc: DBAPIError) -> StatusProblem:
    if exc.connection_invalidated:
        return _unavailable(eh, request, exc)
    logger.error("database error: %s", exc.orig)
    return InternalError(detail="An unexpected error occurred; it has been logged.")


def _stale(_eh: Any, _request: Request, _exc: StaleDataError) -> StatusProblem:
    return PreconditionFailed(
        detail="Another request changed the resource first; reload and retry."
    )


def _http(eh: Any, request: Request, exc: HTTPException) -> Any:
    # FastAPI answers 400 when the body cannot even be decoded (bad UTF-8, nesting too deep
    # for the parser); say so in the same shape as every other invalid body.
    if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
        return invalid(
            [field_error(["body"], "not valid JSON (undecodable or nested too deeply)", "json")]
        )
    return http_exception_handler_(eh, request, exc)


def _unhandled(_eh: Any, _request: Request, exc: Exception) -> StatusProblem | None:
    if isinstance(exc, HTTPException | RequestValidationError):
        return None  # rendered by the library's own handlers
    return InternalError(detail="An unexpected error occurred; it has been logged.")


class ServerErrors:
    """ASGI middleware: an exception no handler took becomes a 500 problem right here.

    Starlette would answer it from its outermost layer, past the middleware that adds the
    security headers, the request id and the access log line; this keeps them on every 500.
    """

    def __init__(self, app: ASGIApp, handler: Callable[[Request, Exception], Response]) -> None:
        self.app = app
        self.handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def note_start(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, note_start)
        except Exception as exc:
            if started:  # too late for a problem document; let the server close the stream
                raise
            await self.handler(Request(scope), exc)(scope, receive, send)


def _drop_dangling_validation_schema(app: FastAPI) -> None:
    """fastapi-problem always adds an `HTTPValidationError` schema that refers to FastAPI's
    `ValidationError`; every operation here documents its 422 as a `Problem`, so FastAPI
    emits neither and the reference would dangle (client generators refuse it): drop it."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        document = build()
        schemas = document.get("components", {}).get("schemas", {})
        if "ValidationError" not in schemas:
            schemas.pop("HTTPValidationError", None)
        return document

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented hook for a custom schema


def install_problem_handlers(app: FastAPI) -> None:
    handler = new_exception_handler(
        logger=logger,
        handlers={
            IntegrityError: _integrity,
            OperationalError: _operational,
            InterfaceError: _unavailable,
            PoolTimeout: _unavailable,
            DBAPIError: _dbapi,
            StaleDataError: _stale,
            Exception: _unhandled,  # type: ignore[dict-item]  # starlette-problem skips a None answer (falls through) but types handlers as returning a Problem
        },
        request_validation_handler=_request_validation,
        http_exception_handler=_http,
    )
    add_exception_handler(app, handler)
    _drop_dangling_validation_schema(app)

    def database_errors(request: Request, exc: Exception) -> Response:
        # A deadline is the service doing its job, not a fault: a warning, no traceback.
        if isinstance(exc, DeadlineExceeded) or interrupted(getattr(exc, "orig", None)):
            logger.warning("request deadline exceeded: %s %s", request.method, request.url.path)
            return problem_response(
                ServiceUnavailable(
                    detail="The request took longer than the service allows and was stopped; "
                    "retry later, or narrow the query."
                )
            )
        return handler(request, exc)

    # Database errors are answered inside the middleware stack like any problem (503, 409,
    # 412), not from Starlette's outermost error layer.
    app.add_exception_handler(SQLAlchemyError, database_errors)
    app.add_exception_handler(DeadlineExceeded, database_errors)
    app.add_middleware(ServerErrors, handler=handler)
