"""Strict query parameters: an operation refuses query parameters it does not declare.

(Also the declarations of the paging parameters list operations share: `Limit`, `Cursor`.)

A misspelt filter (`supply_chian=space`) used to be ignored, so a buyer got the unfiltered
registry and believed it filtered. Every operation of the OpenAPI document now answers 422
naming each unknown parameter, with the closest declared name when there is one, in the same
shape as unknown fields of a JSON body. A parameter that takes one value (`limit`, `cursor`,
`sort`) given twice is refused too, instead of silently keeping the last; repeatable ones
(`supply_chain`, `tier`...) still take repeats.

The declared parameters are the route's own and those of its dependencies (FastAPI's
dependant tree), the same ones its OpenAPI operation lists, plus any `in: query` parameter
added through `openapi_extra`. Routes left out of the OpenAPI document are exempt, as are
HTML routes: the interactive docs, the buyer page at `/` (whose URL carries the search for
its own scripts to read) and the 405 answerers of `app/partners/router.py`.
"""

import difflib
from collections import Counter
from dataclasses import dataclass
from typing import Annotated, Any, TypeGuard

from fastapi import Query, Request
from fastapi._compat import ModelField
from fastapi._compat.shared import field_annotation_is_sequence
from fastapi.dependencies.models import Dependant
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel

from app.errors import field_error, invalid

# The paging parameters of list operations.
Limit = Annotated[int, Query(ge=1, le=100, description="Page size.")]
Cursor = Annotated[
    str | None, Query(max_length=1024, description="`next_cursor` of the previous page.")
]
# Logs read newest first (the audit trail, a webhook's deliveries): short cursors.
LogCursor = Annotated[str | None, Query(max_length=200, description="From `next_cursor`.")]

UNKNOWN = "extra_forbidden"  # pydantic's type for an unknown body field
REPEATED = "repeated"


@dataclass(frozen=True)
class QueryParameters:
    """The query parameters an operation declares: all names, and those taking one value."""

    names: frozenset[str]
    single: frozenset[str]


def _fields(dependant: Dependant) -> list[ModelField]:
    """Query parameters of a dependant and of all its sub-dependencies."""
    found: list[ModelField] = []
    pending = [dependant]
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        found.extend(current.query_params)
        pending.extend(current.dependencies)
    return found


def _model(field: ModelField) -> type[BaseModel] | None:
    """The model of a query parameter model (`Annotated[Model, Query()]`), if it is one."""
    annotation = field.field_info.annotation
    return (
        annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
    )


# Per route (routes are not hashable): the route itself, kept so its id is never reused.
_DECLARED: dict[int, tuple[APIRoute, QueryParameters]] = {}


def declared(route: APIRoute) -> QueryParameters:
    """What `route` accepts in its query string (computed once per route)."""
    cached = _DECLARED.get(id(route))
    if cached is None:
        cached = _DECLARED[id(route)] = (route, _declared(route))
    return cached[1]


def _declared(route: APIRoute) -> QueryParameters:
    names: set[str] = set()
    single: set[str] = set()
    for field in _fields(route.dependant):
        model = _model(field)
        pairs: list[tuple[str, Any]] = (
            [(f.alias or name, f.annotation) for name, f in model.model_fields.items()]
            if model is not None
            else [(field.alias, field.field_info.annotation)]
        )
        for name, annotation in pairs:
            names.add(name)
            if not field_annotation_is_sequence(annotation):
                single.add(name)
    for parameter in (route.openapi_extra or {}).get("parameters", []):
        if parameter.get("in") == "query" and "name" in parameter:
            names.add(parameter["name"])
    return QueryParameters(frozenset(names), frozenset(single))


def is_strict(route: Any) -> TypeGuard[APIRoute]:
    """Operations of the API are strict; HTML pages and undocumented routes are not."""
    if not isinstance(route, APIRoute) or not route.include_in_schema:
        return False
    response_class = getattr(route.response_class, "value", route.response_class)
    return not (isinstance(response_class, type) and issubclass(response_class, HTMLResponse))


# How close (difflib's ratio) a declared name must be to be suggested: typos (`limt`,
# `supply-chain`, `capabilities`) pass, unrelated names sharing letters do not.
CLOSE_ENOUGH = 0.7
# Names other APIs use for what this one calls otherwise, suggested when the operation has it.
COMMON_NAMES = {
    "page_size": "limit",
    "per_page": "limit",
    "offset": "cursor",
    "page": "cursor",
    "query": "q",
    "search": "q",
    "text": "q",
    "sort_by": "sort",
    "order_by": "sort",
    "order": "sort",
}


def closest(name: str, known: frozenset[str]) -> str | None:
    """The declared name `name` most likely meant, if any."""
    close = difflib.get_close_matches(name.lower(), sorted(known), n=1, cutoff=CLOSE_ENOUGH)
    if close:
        return close[0]
    common = COMMON_NAMES.get(name.lower())
    return common if common in known else None


def _unknown_message(name: str, known: frozenset[str]) -> str:
    if not known:
        return "unknown parameter; this operation takes no query parameters"
    close = closest(name, known)
    if close:
        return f"unknown parameter; did you mean `{close}`?"
    return "unknown parameter; this operation takes " + ", ".join(f"`{n}`" for n in sorted(known))


def query_errors(query: list[tuple[str, str]], accepted: QueryParameters) -> list[dict[str, Any]]:
    """Field errors for the unknown and the repeated single-value parameters of `query`."""
    counts = Counter(name for name, _value in query)
    errors = []
    for name, count in counts.items():  # in the order the caller wrote them
        if name not in accepted.names:
            errors.append(
                field_error(["query", name], _unknown_message(name, accepted.names), UNKNOWN)
            )
        elif count > 1 and name in accepted.single:
            errors.append(
                field_error(["query", name], f"given {count} times; takes one value", REPEATED)
            )
    return errors


async def reject_unknown_query(request: Request) -> None:
    """422 for a query parameter the operation does not declare, or a single-value one
    repeated (app-wide dependency: runs before the route's own parameters are read)."""
    route = request.scope.get("route")
    if not request.query_params or not is_strict(route):
        return
    errors = query_errors(request.query_params.multi_items(), declared(route))
    if errors:
        raise invalid(errors)
