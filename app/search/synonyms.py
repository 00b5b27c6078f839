"""The search glossary: groups of equivalent terms (acronyms, translations). Services flush only.

Revision 0013 seeds the glossary; admins change it through `/api/v1/synonyms` without a
release. The search engine reads it with `load_synonyms` (and tells whether it changed
since with `stamp_columns`).
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, func
from sqlmodel import Session, col, select

from app.audit.service import record
from app.auth.caller import Caller
from app.db import utcnow
from app.errors import Conflict, NotFound
from app.search.models import Synonym
from app.search.schemas import SYNONYM_MAX_ENTRIES, SynonymCreate, SynonymUpdate
from app.search.text import fold as fold_text

_TABLE: sa.Table = Synonym.__table__  # type: ignore[attr-defined]  # __table__ is set by SQLAlchemy, undeclared in SQLModel


def fold(text: str) -> str:
    """Lower case without accents (the search's own folding), spaces collapsed: how `q`
    compares with terms."""
    return " ".join(fold_text(text).split())


def list_synonyms(*, session: Session, q: str | None = None) -> list[Synonym]:
    """Every group in id order; with `q`, those with a term containing it (case and accents
    ignored). At most `SYNONYM_MAX_ENTRIES` groups exist, so the filter runs here, the same on
    both databases."""
    rows = list(session.exec(select(Synonym).order_by(col(Synonym.id))))
    if q is None or not fold(q):
        return rows
    needle = fold(q)
    return [row for row in rows if any(needle in fold(term) for term in row.terms)]


def get_synonym(*, session: Session, synonym_id: int) -> Synonym:
    found = session.get(Synonym, synonym_id)
    if found is None:
        raise NotFound(detail=f"No synonym group with id {synonym_id}.")
    return found


def create_synonym(*, session: Session, data: SynonymCreate, actor: Caller) -> Synonym:
    """Add a group; 409 once the glossary holds `SYNONYM_MAX_ENTRIES` groups."""
    held = session.scalar(select(func.count()).select_from(Synonym)) or 0
    if held >= SYNONYM_MAX_ENTRIES:
        raise Conflict(
            detail=f"The glossary already holds {held} synonym groups, the most allowed "
            f"({SYNONYM_MAX_ENTRIES}); merge or delete some first."
        )
    synonym = Synonym(terms=list(data.terms), note=data.note or None)
    session.add(synonym)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="create",
        entity="synonym",
        entity_id=synonym.id,  # type: ignore[arg-type]  # SQLModel types the key optional; a stored row has one
        fields=["terms", *(["note"] if synonym.note else [])],
    )
    return synonym


def update_synonym(
    *, session: Session, synonym: Synonym, data: SynonymUpdate, actor: Caller
) -> Synonym:
    """Merge-patch a group. Values equal to the stored ones change nothing (no new
    `updated_at`, no audit event)."""
    sent = data.model_fields_set
    changed: dict[str, Any] = {}
    if "terms" in sent and data.terms is not None and list(data.terms) != synonym.terms:
        changed["terms"] = list(data.terms)
    if "note" in sent and (data.note or None) != synonym.note:
        changed["note"] = data.note or None
    if not changed:
        return synonym
    for field, value in changed.items():
        setattr(synonym, field, value)
    synonym.updated_at = utcnow()
    session.add(synonym)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="update",
        entity="synonym",
        entity_id=synonym.id,  # type: ignore[arg-type]  # SQLModel types the key optional; a stored row has one
        fields=list(changed),
    )
    return synonym


def delete_synonym(*, session: Session, synonym: Synonym, actor: Caller) -> None:
    synonym_id = synonym.id
    session.delete(synonym)
    session.flush()
    record(
        session=session,
        actor=actor,
        action="delete",
        entity="synonym",
        entity_id=synonym_id,  # type: ignore[arg-type]  # SQLModel types the key optional; a stored row has one
    )


def load_synonyms(connection: Connection) -> list[list[str]]:
    """Every group's terms, in id order: what the search engine expands queries with."""
    rows: Sequence[Any] = (
        connection.execute(sa.select(_TABLE.c.terms).order_by(_TABLE.c.id)).scalars().all()
    )
    return [list(terms) for terms in rows]


def stamp_columns() -> list[Any]:
    """(groups, highest id, latest `updated_at`) as scalar subqueries: they change whenever a
    group is added, changed or deleted. The search engine reads them in the statement that
    checks the change feed, and the glossary again only when they changed."""
    return [
        sa.select(func.count()).select_from(_TABLE).scalar_subquery(),
        sa.select(func.max(_TABLE.c.id)).scalar_subquery(),
        sa.select(func.max(_TABLE.c.updated_at)).scalar_subquery(),
    ]


def synonyms_stamp(connection: Connection) -> tuple[int, int | None, datetime | None]:
    """The glossary's fingerprint (`stamp_columns`), on its own."""
    count, top, latest = connection.execute(sa.select(*stamp_columns())).one()
    return int(count), top, latest
