"""The searchable text of a supplier that does not live in its own columns.

Full-text search covers name, legal name and description (columns of `supplier`) plus the
English and Italian labels of the supplier's capabilities and their ancestors, and its
programs. Those last two are flattened into `supplier.search_extra` by `build_search_extra`
whenever capabilities or programs change (service writes, demo seeding, imports); the database
indexes it from there (PostgreSQL generated tsvector, SQLite FTS5 triggers).
"""

from collections.abc import Iterable, Mapping

from sqlmodel import Session, select

from app.catalogue.models import Capability

Labels = Mapping[str, tuple[str, str]]


def ancestors_and_self(code: str) -> list[str]:
    """`a.b.c` -> [`a`, `a.b`, `a.b.c`]."""
    parts = code.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def build_search_extra(
    *, capabilities: Iterable[str], programs: Iterable[str], labels: Labels
) -> str:
    codes = dict.fromkeys(a for c in capabilities for a in ancestors_and_self(c))
    words = [f"{labels[c][0]} {labels[c][1]}" for c in codes if c in labels]
    return " ".join([*words, *programs])


def capability_labels(*, session: Session) -> dict[str, tuple[str, str]]:
    """code -> (name_en, name_it) for the whole taxonomy (a few dozen rows)."""
    rows = session.exec(select(Capability.code, Capability.name_en, Capability.name_it))
    return {code: (en, it) for code, en, it in rows}
