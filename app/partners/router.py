"""Partner systems: `GET /suppliers/export`, `POST /suppliers/import`, `POST /suppliers/match`."""

import tempfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import IO, Annotated, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request, status
from fastapi.responses import StreamingResponse
from sqlmodel import Session

from app.auth.caller import Caller
from app.auth.deps import AdminDep, require_roles
from app.catalogue.labels import LanguageDep
from app.config import get_settings
from app.db import SessionDep, get_session, with_deadline
from app.errors import PayloadTooLarge, problem_responses
from app.partners import importing, matching, service
from app.partners.schemas import DuplicateMatchPage, MatchRequest

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
    lines = service.export_lines(session=session, caller=caller, fmt=format)
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    return StreamingResponse(
        lines,
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="suppliers-{stamp}.{format}"'},
    )


SPOOL_IN_MEMORY = 8 * 1024 * 1024


async def uploaded_file(request: Request) -> AsyncIterator[IO[bytes]]:
    """The request body, spooled to a temporary file as it arrives (limit: IMPORT_MAX_BYTES)."""
    limit = get_settings().import_max_bytes
    too_large = PayloadTooLarge(detail=f"The file exceeds the import limit of {limit} bytes.")
    announced = request.headers.get("content-length", "")
    if announced.isdigit() and int(announced) > limit:
        raise too_large
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise too_large
            spool.write(chunk)
        spool.seek(0)
        yield spool


_CSV_EXAMPLE = (
    "vat_number,name,city,province,capabilities,employees\r\n"
    "IT00743110157,Officine Meccaniche Lombarde,Varese,VA,"
    "machining.milling-5-axis;machining.titanium,45\r\n"
    "IT02086430121,,,,,60\r\n"
)
_JSONL_EXAMPLE = (
    '{"vat_number": "IT00743110157", "name": "Officine Meccaniche Lombarde", '
    '"capabilities": ["machining.milling-5-axis"], "employees": 45}\n'
)
# The body is read as a stream (see uploaded_file), so FastAPI cannot describe it: say here
# what it is. `format: binary` makes generated clients (openapi-python-client) send it as
# raw bytes; openapi/client-config.yaml maps the CSV and JSON lines types to
# application/octet-stream, which that generator supports. Its client sends the last media
# type listed, octet-stream, which the service sniffs, so CSV and JSON lines both work.
_IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "description": "The file, sent as the raw body (not multipart): CSV in the export "
        "layout or JSON lines in the record shape, UTF-8, at most `IMPORT_MAX_BYTES`. Other "
        "media types are a 415; `?format=` overrides the `Content-Type`.",
        "content": {
            "text/csv": {
                "schema": {
                    "type": "string",
                    "format": "binary",
                    "description": "CSV (RFC 4180), header row first. Columns as in "
                    "`GET /suppliers/export?format=csv`; only `vat_number` is required, a "
                    "column left out keeps the stored value. List cells (`supply_chains`, "
                    "`capabilities`, `programs`) are joined with `;`, `certifications` is a "
                    "JSON array. An empty cell leaves the stored value unchanged (no value for "
                    "a new supplier); the cell `-` clears the field or empties the list.",
                },
                "example": _CSV_EXAMPLE,
            },
            "application/x-ndjson": {
                "schema": {
                    "type": "string",
                    "format": "binary",
                    "description": "JSON lines: one JSON object per line in the shape of "
                    "`POST /suppliers` (read-only fields such as `id` ignored). A field left "
                    "out keeps the stored value; `null` clears it, `[]` empties a list.",
                },
                "example": _JSONL_EXAMPLE,
            },
            "application/octet-stream": {
                "schema": {
                    "type": "string",
                    "format": "binary",
                    "description": "Either of the above, told apart by the first byte: `{` "
                    "starts JSON lines, anything else is CSV (also for a body sent without a "
                    "`Content-Type`, or as curl's default form type).",
                },
            },
        },
    }
}


@router.post(
    "/import",
    response_model=importing.ImportReport,
    openapi_extra=_IMPORT_BODY,
    responses=problem_responses(401, 403, 409, 413, 415, 422),
)
def import_suppliers(
    session: SessionDep,
    caller: AdminDep,
    file: Annotated[IO[bytes], Depends(uploaded_file)],
    content_type: Annotated[str | None, Header(include_in_schema=False)] = None,
    dry_run: Annotated[
        bool, Query(description="Validate and report what would change; write nothing.")
    ] = False,
    format: Annotated[
        Literal["csv", "jsonl"] | None,
        Query(description="Overrides the body's `Content-Type` (text/csv, application/x-ndjson)."),
    ] = None,
) -> importing.ImportReport:
    """Upsert suppliers by VAT number from CSV or JSON lines, all or nothing (admin)."""
    return importing.import_upload(
        session=session,
        file=file,
        content_type=content_type,
        fmt=format,
        actor=caller,
        dry_run=dry_run,
    )


@router.api_route("/export", methods=["POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
@router.api_route("/import", methods=["GET", "PUT", "PATCH", "DELETE"], include_in_schema=False)
@router.api_route("/match", methods=["GET", "PUT", "PATCH", "DELETE"], include_in_schema=False)
def other_methods() -> None:
    """These paths are not supplier ids: other methods are 405, not a 422 on the id."""
    raise HTTPException(status_code=status.HTTP_405_METHOD_NOT_ALLOWED)


MatcherDep = Annotated[Caller, Depends(require_roles("admin", "partner"))]


@router.post(
    "/match",
    response_model=DuplicateMatchPage,
    responses=problem_responses(401, 403, 422),
    dependencies=[Depends(with_deadline)],
)
def match_suppliers(
    body: MatchRequest,
    session: SessionDep,
    caller: MatcherDep,
    lang: LanguageDep,
    limit: Annotated[int, Query(ge=1, le=50, description="Most matches returned.")] = 10,
    min_confidence: Annotated[
        float, Query(ge=0, le=1, description="Leave out matches less confident than this.")
    ] = 0.5,
) -> DuplicateMatchPage:
    """Live suppliers that are probably the same company as a candidate (admin, partner)."""
    return matching.match_suppliers(
        session=session,
        body=body,
        caller=caller,
        limit=limit,
        min_confidence=min_confidence,
        lang=lang,
    )
