"""Bulk exchange for partner systems: `GET /suppliers/export`."""

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.responses import StreamingResponse
from sqlmodel import Session

from app.auth.caller import Caller
from app.auth.deps import require_roles
from app.db import get_session
from app.errors import problem_responses
from app.partners import service

router = APIRouter(prefix="/suppliers", tags=["partners"])

PartnerDep = Annotated[Caller, Depends(require_roles("admin", "partner", "buyer"))]
# Request scope: the session stays open while the response streams.
StreamingSessionDep = Annotated[Session, Depends(get_session)]

MEDIA_TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "Every live supplier, in id order, streamed.",
            "content": {
                "application/x-ndjson": {"schema": {"type": "string"}},
                "text/csv": {"schema": {"type": "string"}},
            },
        },
        **problem_responses(401, 403),
    },
)
def export_suppliers(
    session: StreamingSessionDep,
    caller: PartnerDep,
    format: Annotated[
        Literal["jsonl", "csv"],
        Query(description="`jsonl`: one record per line, as the API returns it; `csv`: flat."),
    ] = "jsonl",
) -> StreamingResponse:
    """Stream every live supplier as JSON lines or CSV (admin, partner, buyer)."""
    suppliers = service.live_suppliers(session=session, caller=caller)
    lines = service.jsonl_lines(suppliers) if format == "jsonl" else service.csv_lines(suppliers)
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    return StreamingResponse(
        lines,
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="suppliers-{stamp}.{format}"'},
    )


@router.api_route("/export", methods=["POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
def export_other_methods() -> None:
    """`/suppliers/export` is not a supplier id: other methods are 405, not a 422 on the id."""
    raise HTTPException(status_code=status.HTTP_405_METHOD_NOT_ALLOWED)
