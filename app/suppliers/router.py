"""Supplier registry endpoints."""

from typing import Annotated

from fastapi import APIRouter, Header, Path, Request, Response, status

from app.auth.deps import OPTIONAL_KEY, AdminDep, CallerDep, SupplierEditorDep
from app.catalogue.labels import Language, LanguageDep, add_vary, labelled_etag, not_modified
from app.db import SessionDep
from app.errors import problem_responses
from app.suppliers import service
from app.suppliers.schemas import SupplierCreate, SupplierDetail, SupplierPublic, SupplierUpdate

router = APIRouter(prefix="/suppliers", tags=["suppliers"])

SupplierId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Supplier id.")]


def _etag(supplier: SupplierPublic, lang: Language) -> str:
    # The redacted (no contact) view is another representation, hence another tag.
    tag = str(supplier.version) if supplier.contact is not None else f"{supplier.version}-p"
    return labelled_etag(tag, lang)


def _with_caching_headers(response: Response, public: SupplierPublic, lang: Language) -> None:
    response.headers["ETag"] = _etag(public, lang)
    add_vary(response, "Authorization")


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=SupplierDetail,
    responses=problem_responses(401, 403, 409),
)
def create_supplier(
    body: SupplierCreate,
    session: SessionDep,
    admin: AdminDep,
    request: Request,
    response: Response,
    lang: LanguageDep,
) -> SupplierDetail:
    """Register a supplier (admin)."""
    public = service.create_detail(session=session, data=body, actor=admin, lang=lang)
    response.headers["Location"] = str(request.url_for("get_supplier", supplier_id=public.id))
    _with_caching_headers(response, public, lang)
    return public


@router.get(
    "/{supplier_id}",
    response_model=SupplierDetail,
    responses={
        304: {"description": "Not modified (If-None-Match matched the ETag)."},
        **problem_responses(401, 404, 410),
    },
    openapi_extra=OPTIONAL_KEY,
)
def get_supplier(
    supplier_id: SupplierId,
    session: SessionDep,
    caller: CallerDep,
    response: Response,
    lang: LanguageDep,
    if_none_match: Annotated[str | None, Header(max_length=1024)] = None,
) -> SupplierDetail | Response:
    """Read one supplier, its codes labelled; send `If-None-Match` with its ETag to get 304
    when unchanged."""
    public = service.get_detail(session=session, supplier_id=supplier_id, caller=caller, lang=lang)
    etag = _etag(public, lang)
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        if "*" in tags or etag in tags:
            unchanged = not_modified(lang)
            _with_caching_headers(unchanged, public, lang)
            return unchanged
    _with_caching_headers(response, public, lang)
    return public


@router.patch(
    "/{supplier_id}",
    response_model=SupplierDetail,
    responses=problem_responses(401, 403, 404, 409, 410, 412),
)
def update_supplier(
    supplier_id: SupplierId,
    body: SupplierUpdate,
    session: SessionDep,
    caller: SupplierEditorDep,
    response: Response,
    lang: LanguageDep,
    if_match: Annotated[str | None, Header(max_length=1024)] = None,
) -> SupplierDetail:
    """Change a supplier (admin, or the supplier's own key); honours `If-Match`."""
    public = service.update_detail(
        session=session,
        supplier_id=supplier_id,
        data=body,
        caller=caller,
        if_match=if_match,
        lang=lang,
    )
    _with_caching_headers(response, public, lang)
    return public


@router.delete(
    "/{supplier_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(401, 403, 404, 410, 412),
)
def delete_supplier(
    supplier_id: SupplierId,
    session: SessionDep,
    admin: AdminDep,
    if_match: Annotated[str | None, Header(max_length=1024)] = None,
) -> Response:
    """Soft-delete a supplier (admin); it then reads as 410 Gone."""
    service.delete_supplier(
        session=session, supplier_id=supplier_id, actor=admin, if_match=if_match
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
