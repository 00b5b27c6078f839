"""`/synonyms`: the search glossary of acronyms and synonyms (anyone reads, admins write)."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status

from app.auth.deps import AdminDep
from app.db import SessionDep
from app.errors import problem_responses
from app.search import synonyms as service
from app.search.schemas import SynonymCreate, SynonymPublic, SynonymUpdate

router = APIRouter(prefix="/synonyms", tags=["synonyms"])

SynonymId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Synonym group id.")]
_ADMIN = problem_responses(401, 403)


@router.get("", response_model=list[SynonymPublic])
def list_synonyms(
    session: SessionDep,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=80,
            pattern=r"^[^\x00]*$",
            description="Only groups with a term containing this text (case and accents "
            "ignored: `controlli` finds `Controlli non distruttivi`, `qualita` finds "
            "`qualità`).",
        ),
    ] = None,
) -> list[SynonymPublic]:
    """The whole glossary in id order (at most 2000 groups, so no paging), or the groups
    matching `q`. Each group's terms are equivalent when searching suppliers."""
    return [SynonymPublic.model_validate(s) for s in service.list_synonyms(session=session, q=q)]


@router.get("/{synonym_id}", response_model=SynonymPublic, responses=problem_responses(404))
def get_synonym(synonym_id: SynonymId, session: SessionDep) -> SynonymPublic:
    """One synonym group."""
    return SynonymPublic.model_validate(service.get_synonym(session=session, synonym_id=synonym_id))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=SynonymPublic,
    responses={**_ADMIN, **problem_responses(409)},
)
def create_synonym(
    body: SynonymCreate,
    session: SessionDep,
    caller: AdminDep,
    request: Request,
    response: Response,
) -> SynonymPublic:
    """Add a group of equivalent terms (admin); no release needed. 409 when the glossary
    already holds 2000 groups."""
    created = service.create_synonym(session=session, data=body, actor=caller)
    response.headers["Location"] = str(request.url_for("get_synonym", synonym_id=created.id))
    return SynonymPublic.model_validate(created)


@router.patch(
    "/{synonym_id}",
    response_model=SynonymPublic,
    responses={**_ADMIN, **problem_responses(404)},
)
def update_synonym(
    synonym_id: SynonymId, body: SynonymUpdate, session: SessionDep, caller: AdminDep
) -> SynonymPublic:
    """Change a group's terms (the list is replaced) or note (admin)."""
    found = service.get_synonym(session=session, synonym_id=synonym_id)
    return SynonymPublic.model_validate(
        service.update_synonym(session=session, synonym=found, data=body, actor=caller)
    )


@router.delete(
    "/{synonym_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**_ADMIN, **problem_responses(404)},
)
def delete_synonym(synonym_id: SynonymId, session: SessionDep, caller: AdminDep) -> Response:
    """Remove a group (admin); its terms stop standing for each other."""
    found = service.get_synonym(session=session, synonym_id=synonym_id)
    service.delete_synonym(session=session, synonym=found, actor=caller)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
