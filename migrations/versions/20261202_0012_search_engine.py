"""The search engine replaces the databases' text and sort structures: drop them.

Searches, scouting and duplicate matching answer from the in-process search index
(`app.search.index`), so the full-text machinery of revisions 0002, 0004 and 0005 goes:
SQLite's FTS5 tables, their vocabulary and triggers; PostgreSQL's `supplier_search` side
table, its triggers and functions and the text search configurations; `supplier.search_extra`
(capability labels and programs flattened for those indexes); and the sort, bounding-box and
link-code indexes the SQL search walked. The data generation token and its triggers (revision 0003)
stay: they order the change feed and tell the index when it must catch up. Writers get
cheaper: no trigger and no text index to maintain per supplier row.

Downgrade puts the structures of revision 0011 back and refills them from the data.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SORT_INDEXES = ("ix_supplier_sort_updated", "ix_supplier_lat_lon", "ix_supplier_sort_name")
# Model indexes only the SQL search used: (table, index, columns).
SEARCH_INDEXES = (
    ("supplier", "ix_supplier_name", ["name"]),
    ("supplier", "ix_supplier_updated_at", ["updated_at"]),
    ("supplier_supply_chain", "ix_supplier_supply_chain_code", ["supply_chain_code", "supplier_id"]),
    ("supplier_capability", "ix_supplier_capability_code", ["capability_code", "supplier_id"]),
)

PG_UP = [
    "DROP TRIGGER IF EXISTS supplier_search_changed ON supplier",
    "DROP TRIGGER IF EXISTS supplier_search_added ON supplier",
    "DROP FUNCTION IF EXISTS escouting_search_changed()",
    "DROP FUNCTION IF EXISTS escouting_search_added()",
    "DROP TABLE IF EXISTS supplier_search",
    "DROP FUNCTION IF EXISTS escouting_search_vector(text, text, text, text)",
    "DROP FUNCTION IF EXISTS escouting_fold(text)",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS escouting_en",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS escouting_it",
]
SQLITE_UP = [
    "DROP TRIGGER IF EXISTS supplier_search_au",
    "DROP TRIGGER IF EXISTS supplier_search_ad",
    "DROP TRIGGER IF EXISTS supplier_search_ai",
    "DROP TABLE IF EXISTS supplier_name_trgm_vocab",
    "DROP TABLE IF EXISTS supplier_name_trgm",
    "DROP TABLE IF EXISTS supplier_fts",
]


def _revision(stem: str) -> ModuleType:
    """An earlier revision's module, whose statements the downgrade replays."""
    path = next(Path(__file__).parent.glob(f"*_{stem}.py"))
    spec = importlib.util.spec_from_file_location(f"_revision_{stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in PG_UP if dialect == "postgresql" else SQLITE_UP:
        op.execute(statement)
    for name in SORT_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    for table, name, _ in SEARCH_INDEXES:
        op.drop_index(name, table_name=table)
    op.execute("ALTER TABLE supplier DROP COLUMN search_extra")


def downgrade() -> None:
    search, vocabulary = _revision("search"), _revision("trigram_vocabulary")
    side_table = _revision("search_side_table")
    for table, name, columns in SEARCH_INDEXES:
        op.create_index(name, table, columns)
    op.execute("ALTER TABLE supplier ADD COLUMN search_extra TEXT DEFAULT '' NOT NULL")
    search._backfill_search_extra()
    for statement in search.COMMON_UP:
        op.execute(statement)
    if op.get_bind().dialect.name == "postgresql":
        # 0002's configurations and folding function, then 0005's side table and triggers
        # (its last three statements removed what 0002 had put in `supplier` itself).
        for statement in search.PG_UP:
            if "search_vector" not in statement and "ix_supplier_name_trgm" not in statement:
                op.execute(statement)
        for statement in side_table.PG_UP[:-3]:
            op.execute(statement)
    else:
        for statement in search.SQLITE_UP:
            op.execute(statement)
        vocabulary.upgrade()
        for statement in side_table.SQLITE_UP:
            op.execute(statement)
