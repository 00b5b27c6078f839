"""RFC 9457 problem details: the error types the service raises and how they are rendered."""

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi_problem.error import StatusProblem
from fastapi_problem.handler import add_exception_handler, new_exception_handler
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException

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


_TRANSIENT_SQLITE = ("database is locked", "unable to open database", "disk i/o error")


def _operational(_eh: Any, _request: Request, exc: OperationalError) -> StatusProblem:
    # Connection failures and lock time-outs are temporary (503); anything else SQLite calls
    # "operational" (a bad statement) is our bug and stays a 500.
    message = str(exc.orig).lower()
    if type(exc.orig).__module__.startswith("sqlite3") and not message.startswith(
        _TRANSIENT_SQLITE
    ):
        logger.error("database error: %s", exc.orig)
        return InternalError(detail="An unexpected error occurred; it has been logged.")
    logger.error("database unavailable: %s", exc.orig)
    return ServiceUnavailable(detail="The database is unreachable; retry shortly.")


def _stale(_eh: Any, _request: Request, _exc: StaleDataError) -> StatusProblem:
    return PreconditionFailed(
        detail="Another request changed the resource first; reload and retry."
    )


def _unhandled(_eh: Any, _request: Request, exc: Exception) -> StatusProblem | None:
    if isinstance(exc, HTTPException | RequestValidationError):
        return None  # rendered by the library's own handlers
    return InternalError(detail="An unexpected error occurred; it has been logged.")


def install_problem_handlers(app: FastAPI) -> None:
    handler = new_exception_handler(
        logger=logger,
        handlers={
            IntegrityError: _integrity,
            OperationalError: _operational,
            StaleDataError: _stale,
            Exception: _unhandled,
        },
        request_validation_handler=_request_validation,
    )
    add_exception_handler(app, handler)
