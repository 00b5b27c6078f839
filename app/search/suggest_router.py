"""`GET /suggest`: completions and corrections of what a search box's user is typing."""

from datetime import UTC, datetime
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Query

from app.auth.deps import OPTIONAL_KEY, CallerDep
from app.catalogue.labels import LanguageDep
from app.db import SessionDep, with_deadline
from app.errors import field_error, invalid, problem_responses
from app.search.suggest import (
    KINDS,
    MAX_LIMIT,
    MAX_Q,
    SuggestKind,
    SuggestPage,
    suggest,
)

router = APIRouter(prefix="/suggest", tags=["suppliers"], dependencies=[Depends(with_deadline)])

MAX_KIND_VALUES = 8  # values of `kind` (repeats), each at most MAX_KIND_LENGTH characters
MAX_KIND_LENGTH = 100
# Documents what one `kind` value accepts (a comma list of kinds); the handler checks it,
# naming any unknown kind.
KIND_PATTERN = r"^[\s,]*(?:(?:" + "|".join(KINDS) + r")\s*(?:,[\s,]*|$))*$"


@router.get(
    "", response_model=SuggestPage, responses=problem_responses(401), openapi_extra=OPTIONAL_KEY
)
def suggest_as_you_type(
    session: SessionDep,
    caller: CallerDep,
    lang: LanguageDep,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=MAX_Q,
            pattern=r"^[^\x00]*$",
            description="What the user has typed so far: earlier words must start words of "
            "a suggestion, the last one is completed (or, from 4 letters, corrected: one "
            "typo, two from 8 letters). NUL characters are refused.",
        ),
    ],
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Most suggestions returned.")] = 10,
    kind: Annotated[
        list[str],
        Query(
            max_length=MAX_KIND_VALUES,
            description="Only these kinds (repeat or comma-separate): "
            + ", ".join(KINDS)
            + ". Default: all.",
            json_schema_extra={
                "items": {"type": "string", "maxLength": MAX_KIND_LENGTH, "pattern": KIND_PATTERN}
            },
        ),
    ] = [],  # noqa: B006 (never mutated)
) -> SuggestPage:
    """Complete or correct a prefix into supplier names, capabilities, standards and programs."""
    del caller  # anonymous callers may suggest; a key that is presented must be valid
    errors: list[dict[str, Any]] = []
    values = kind
    if any(len(value) > MAX_KIND_LENGTH for value in values):
        errors.append(field_error(["query", "kind"], f"at most {MAX_KIND_LENGTH} characters"))
        values = []
    kinds = [part.strip() for value in values for part in value.split(",") if part.strip()]
    unknown = list(dict.fromkeys(k for k in kinds if k not in KINDS))
    if unknown:
        errors.append(
            field_error(
                ["query", "kind"],
                f"unknown kind(s): {', '.join(unknown[:5])}; use {', '.join(KINDS)}",
            )
        )
    if errors:
        raise invalid(errors)
    given = cast(list[SuggestKind], list(dict.fromkeys(kinds)))  # unknown kinds were refused
    chosen = given or list(KINDS)
    return suggest(
        session=session,
        q=q,
        limit=limit,
        lang=lang,
        kinds=chosen,
        day=datetime.now(UTC).date(),
    )
