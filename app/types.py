"""Reusable constrained types for request schemas."""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any

from annotated_types import GroupedMetadata
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Strict,
    StringConstraints,
    field_validator,
)

# Request bodies: unknown fields are refused, and JSON values are taken as the types they are
# ("true" is not a boolean, "5" is not a number). Dates and times still come as ISO 8601
# strings: `IsoDate` and `IsoDatetime` opt out of strictness for that.
BODY = ConfigDict(extra="forbid", strict=True)


def _no_control_nul(value: str) -> str:
    # PostgreSQL cannot store NUL in text; reject it up front as a client error.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


@dataclass(frozen=True, slots=True)
class Text(GroupedMetadata):
    """`Annotated[str, Text(n)]`: a stripped string without NUL bytes, between the given lengths."""

    max_length: int
    min_length: int = 0

    def __iter__(self) -> Iterator[object]:
        # Pydantic expands grouped metadata in place: the same as writing both annotations.
        yield from StringConstraints(
            strip_whitespace=True, min_length=self.min_length, max_length=self.max_length
        )
        yield AfterValidator(_no_control_nul)


ShortText = Annotated[str, Text(200)]
Name = Annotated[str, Text(200, min_length=1)]
Code = Annotated[str, Text(100, min_length=1)]
LongText = Annotated[str, Text(20_000)]


def _as_utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything is stored in UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(_as_utc)]


def _not_a_number(value: object) -> object:
    # Pydantic would read "0" as 1970-01-01 and "1700000000" as a Unix time; the API documents
    # ISO 8601 only, so a number is a mistake worth naming.
    if isinstance(value, int | float) or (
        isinstance(value, str) and value.strip().lstrip("+-").replace(".", "", 1).isdigit()
    ):
        raise ValueError("expected an ISO 8601 date or date-time, not a number")
    return value


IsoDate = Annotated[date, Strict(False), BeforeValidator(_not_a_number)]
IsoDatetime = Annotated[
    datetime, Strict(False), BeforeValidator(_not_a_number), AfterValidator(_as_utc)
]


def no_null_in_schema(names: Iterable[str]) -> Callable[[dict[str, Any]], None]:
    """A `json_schema_extra` hook that documents fields a PATCH may omit but never null."""
    names = tuple(names)

    def hook(schema: dict[str, Any]) -> None:
        for name in names:
            field = schema["properties"][name]
            branches = [b for b in field.pop("anyOf", []) if b != {"type": "null"}]
            field.pop("default", None)
            if len(branches) == 1:
                field.update(branches[0])
            elif branches:
                field["anyOf"] = branches

    return hook


def _not_null(cls: Any, value: Any) -> Any:
    # Runs only for fields the client sent; absent fields keep their stored value.
    if value is None:
        raise ValueError("cannot be null; omit the field to leave it unchanged")
    return value


def never_null(names: Iterable[str]) -> Any:
    """A validator (assign it in a PATCH model) refusing null for fields that may be omitted;
    `no_null_in_schema` documents the same fields."""
    return field_validator(*names)(_not_null)
