"""`GET /me`: who the caller is, as the service sees it, and what is left of its rate budget."""

import math
import time
from typing import Literal, cast

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from app.auth.deps import OPTIONAL_KEY, CallerDep
from app.auth.models import ApiKey
from app.db import SessionDep
from app.errors import problem_responses
from app.ratelimit import BUDGET_STATE, Budget
from app.types import UtcDatetime

router = APIRouter(prefix="/me", tags=["me"])


class RateBudget(BaseModel):
    """The rate budget this request drew on, as it stands after counting this request."""

    applies_to: Literal["key", "address"] = Field(
        description="`key`: the budget of the API key presented; `address`: without a key, "
        "the budget of the client address (IPv4 address or IPv6 /64 network)."
    )
    limit: int = Field(description="Requests allowed per window (`RateLimit-Limit`).")
    window_seconds: int = Field(description="Length of the sliding window, in seconds.")
    remaining: int = Field(
        description="Requests left in the window after this one: the value of this response's "
        "`RateLimit-Remaining` header."
    )
    reset_seconds: int = Field(
        description="Seconds until the budget is whole again (`RateLimit-Reset`)."
    )
    policy: str = Field(description="The budget as configured, e.g. `1200 per 1 minute`.")


MeRole = Literal["anonymous", "admin", "buyer", "partner", "supplier"]


class Me(BaseModel):
    """The caller: its role, its key and its rate budget."""

    role: MeRole = Field(
        description="`anonymous` without a key; otherwise the role of the key presented."
    )
    key_id: int | None = Field(description="Id of the API key presented; null when anonymous.")
    key_name: str | None = Field(
        description="Name given to the key when it was created (may be empty); null when anonymous."
    )
    key_prefix: str | None = Field(
        description="First characters of the key, as `GET /api-keys` lists it; null when anonymous."
    )
    supplier_id: int | None = Field(
        description="For `supplier` keys, the one supplier whose profile the key may edit; "
        "null otherwise."
    )
    expires_at: UtcDatetime | None = Field(
        description="When the key stops working; null when it never expires or anonymous."
    )
    rate_limit: RateBudget | None = Field(
        description="What is left of the rate budget this request drew on; null when rate "
        "limiting is off (`RATE_LIMIT_ENABLED=false`) or its store could not be reached."
    )


def _budget(request: Request) -> RateBudget | None:
    budget: Budget | None = request.scope.get("state", {}).get(BUDGET_STATE)
    if budget is None:
        return None
    return RateBudget(
        applies_to="key" if budget.whose == "key" else "address",
        limit=budget.limit.amount,
        window_seconds=budget.limit.get_expiry(),
        remaining=budget.remaining,
        reset_seconds=max(0, math.ceil(budget.reset_at - time.time())),
        policy=str(budget.limit),
    )


@router.get(
    "",
    response_model=Me,
    responses=problem_responses(401),
    openapi_extra=OPTIONAL_KEY,
)
def get_me(request: Request, session: SessionDep, caller: CallerDep) -> Me:
    """Who you are: your role (`anonymous` without a key), your key and supplier, and what is
    left of your rate budget. Counts against the budget like any request."""
    key = session.get(ApiKey, caller.key_id) if caller.key_id is not None else None
    return Me(
        role=cast(MeRole, caller.role or "anonymous"),  # an API key's role, or none
        key_id=key.id if key else None,
        key_name=key.name if key else None,
        key_prefix=key.prefix if key else None,
        supplier_id=caller.supplier_id,
        expires_at=key.expires_at if key else None,
        rate_limit=_budget(request),
    )
