"""`GET /suggest`: completions and corrections of what a search box's user is typing."""

from datetime import UTC, datetime
from typing import Annotated, Any, get_args

from fastapi import APIRouter, Depends, Header, Query, Response

from app.auth.deps import OPTIONAL_KEY, CallerDep
from app.db import SessionDep, with_deadline
from app.errors import field_error, invalid, problem_responses
from app.search.suggest import (
    KINDS,
    MAX_LIMIT,
    MAX_Q,
    Language,
    SuggestKind,
    SuggestPage,
    suggest,
)

router = APIRouter(prefix="/suggest", tags=["suppliers"], dependencies=[Depends(with_deadline)])

LANGUAGES: tuple[str, ...] = get_args(Language)
MAX_KIND_VALUES = 8  # values of `kind` (repeats), each at most MAX_KIND_LENGTH characters
MAX_KIND_LENGTH = 100
# Documents what one `kind` value accepts (a comma list of kinds); the handler checks it,
# naming any unknown kind.
KIND_PATTERN = r"^[\s,]*(?:(?:" + "|".join(KINDS) + r")\s*(?:,[\s,]*|$))*$"


def language(accept_language: str | None) -> Language:
    """The first of `it` / `en` in an Accept-Language header by preference (q-values, then
    order); `en` when neither is there."""
    best: tuple[float, int, str] | None = None
    for position, part in enumerate((accept_language or "").split(",")[:50]):
        tag, *params = (piece.strip() for piece in part.split(";"))
        primary = tag.lower().split("-")[0]
        weight = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if primary in LANGUAGES and weight > 0:
            candidate = (-weight, position, primary)
            best = candidate if best is None or candidate < best else best
    return best[2] if best else "en"  # type: ignore[return-value]


@router.get(
    "", response_model=SuggestPage, responses=problem_responses(401), openapi_extra=OPTIONAL_KEY
)
def suggest_as_you_type(
    session: SessionDep,
    caller: CallerDep,
    response: Response,
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
    lang: Annotated[
        Language | None,
        Query(
            description="Language of capability labels (`it` or `en`); default: the first of "
            "them in `Accept-Language`, else `en`."
        ),
    ] = None,
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
    accept_language: Annotated[str | None, Header(max_length=1000)] = None,
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
    chosen: list[SuggestKind] = list(dict.fromkeys(kinds)) or list(KINDS)  # type: ignore[arg-type]
    lang = lang or language(accept_language)
    response.headers["Content-Language"] = lang
    response.headers["Vary"] = "Accept-Language"
    return suggest(
        session=session,
        q=q,
        limit=limit,
        lang=lang,
        kinds=chosen,
        day=datetime.now(UTC).date(),
    )
