"""The search glossary table."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel

from app.db import utcnow


class Synonym(SQLModel, table=True):
    """One equivalence group of the search glossary: any of its terms stands for any other.

    Terms are kept as the admin typed them (trimmed, inner whitespace collapsed, repeats
    dropped) and may be phrases ("controlli non distruttivi"). The search engine reads every
    group with `app.search.synonyms.load_synonyms` and expands queries with them.
    """

    __tablename__ = "search_synonym"

    id: int | None = Field(default=None, primary_key=True)
    terms: list[str] = Field(sa_column=Column(JSON, nullable=False))
    note: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
