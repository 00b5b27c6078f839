"""Full-text, trigram and sort structures for supplier search.

PostgreSQL: unaccent-folding Italian and English text search configurations, a weighted
generated tsvector column with a GIN index, a trigram GIN index on the folded name.
SQLite: FTS5 external-content tables (word and trigram) kept in sync by triggers.
Both: `supplier.search_extra` (capability labels and programs, backfilled here) and indexes
for sorting and geo bounding boxes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PG_UP = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE TEXT SEARCH CONFIGURATION escouting_it (COPY = pg_catalog.italian)",
    "ALTER TEXT SEARCH CONFIGURATION escouting_it ALTER MAPPING FOR hword, hword_part, word "
    "WITH unaccent, italian_stem",
    "CREATE TEXT SEARCH CONFIGURATION escouting_en (COPY = pg_catalog.english)",
    "ALTER TEXT SEARCH CONFIGURATION escouting_en ALTER MAPPING FOR hword, hword_part, word "
    "WITH unaccent, english_stem",
    # unaccent() is only STABLE; this wrapper pins the dictionary so it can be indexed.
    "CREATE FUNCTION escouting_fold(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE "
    "STRICT AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1)) $$",
    """ALTER TABLE supplier ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('escouting_it', coalesce(name, '') || ' ' || coalesce(legal_name, '')), 'A')
        || setweight(to_tsvector('escouting_en', coalesce(name, '') || ' ' || coalesce(legal_name, '')), 'A')
        || setweight(to_tsvector('escouting_it', search_extra), 'B')
        || setweight(to_tsvector('escouting_en', search_extra), 'B')
        || setweight(to_tsvector('escouting_it', description), 'C')
        || setweight(to_tsvector('escouting_en', description), 'C')
    ) STORED""",
    "CREATE INDEX ix_supplier_search_vector ON supplier USING gin (search_vector)",
    "CREATE INDEX ix_supplier_name_trgm ON supplier USING gin (escouting_fold(name) gin_trgm_ops)",
]
PG_DOWN = [
    "DROP INDEX IF EXISTS ix_supplier_name_trgm",
    "DROP INDEX IF EXISTS ix_supplier_search_vector",
    "ALTER TABLE supplier DROP COLUMN IF EXISTS search_vector",
    "DROP FUNCTION IF EXISTS escouting_fold(text)",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS escouting_en",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS escouting_it",
]

_FTS_COLUMNS = "name, legal_name, search_extra, description"
_NEW = "new.id, new.name, coalesce(new.legal_name, ''), new.search_extra, new.description"
_OLD = "old.id, old.name, coalesce(old.legal_name, ''), old.search_extra, old.description"
SQLITE_UP = [
    f"CREATE VIRTUAL TABLE supplier_fts USING fts5({_FTS_COLUMNS}, content='supplier', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='2 3 4')",
    # Column weights of the ranking: name, legal name, capability labels/programs, description.
    "INSERT INTO supplier_fts(supplier_fts, rank) VALUES ('rank', 'bm25(10.0, 8.0, 4.0, 1.0)')",
    "CREATE VIRTUAL TABLE supplier_name_trgm USING fts5(name, content='supplier', "
    "content_rowid='id', tokenize='trigram')",
    f"""CREATE TRIGGER supplier_search_ai AFTER INSERT ON supplier BEGIN
        INSERT INTO supplier_fts(rowid, {_FTS_COLUMNS}) VALUES ({_NEW});
        INSERT INTO supplier_name_trgm(rowid, name) VALUES (new.id, new.name);
    END""",
    f"""CREATE TRIGGER supplier_search_ad AFTER DELETE ON supplier BEGIN
        INSERT INTO supplier_fts(supplier_fts, rowid, {_FTS_COLUMNS}) VALUES ('delete', {_OLD});
        INSERT INTO supplier_name_trgm(supplier_name_trgm, rowid, name)
            VALUES ('delete', old.id, old.name);
    END""",
    f"""CREATE TRIGGER supplier_search_au AFTER UPDATE OF {_FTS_COLUMNS} ON supplier BEGIN
        INSERT INTO supplier_fts(supplier_fts, rowid, {_FTS_COLUMNS}) VALUES ('delete', {_OLD});
        INSERT INTO supplier_fts(rowid, {_FTS_COLUMNS}) VALUES ({_NEW});
        INSERT INTO supplier_name_trgm(supplier_name_trgm, rowid, name)
            VALUES ('delete', old.id, old.name);
        INSERT INTO supplier_name_trgm(rowid, name) VALUES (new.id, new.name);
    END""",
    "INSERT INTO supplier_fts(supplier_fts) VALUES ('rebuild')",
    "INSERT INTO supplier_name_trgm(supplier_name_trgm) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS supplier_search_au",
    "DROP TRIGGER IF EXISTS supplier_search_ad",
    "DROP TRIGGER IF EXISTS supplier_search_ai",
    "DROP TABLE IF EXISTS supplier_name_trgm",
    "DROP TABLE IF EXISTS supplier_fts",
]
COMMON_UP = [
    # Keyset paging by name and by distance (bounding box on latitude first).
    "CREATE INDEX ix_supplier_sort_name ON supplier (lower(name), id)",
    "CREATE INDEX ix_supplier_lat_lon ON supplier (lat, lon)",
    "CREATE INDEX ix_supplier_sort_updated ON supplier (updated_at, id)",
]
COMMON_DOWN = [
    "DROP INDEX IF EXISTS ix_supplier_sort_updated",
    "DROP INDEX IF EXISTS ix_supplier_lat_lon",
    "DROP INDEX IF EXISTS ix_supplier_sort_name",
]


def _backfill_search_extra() -> None:
    """Flatten capability labels (with ancestors) and programs of existing suppliers."""
    bind = op.get_bind()
    labels = {
        code: f"{en} {it}"
        for code, en, it in bind.execute(sa.text("SELECT code, name_en, name_it FROM capability"))
    }
    caps: dict[int, list[str]] = {}
    for supplier_id, code in bind.execute(
        sa.text("SELECT supplier_id, capability_code FROM supplier_capability ORDER BY 1, 2")
    ):
        caps.setdefault(supplier_id, []).append(code)
    supplier = sa.table("supplier", sa.column("id"), sa.column("programs", sa.JSON),
                        sa.column("search_extra"))
    updates = []
    for supplier_id, programs in bind.execute(sa.select(supplier.c.id, supplier.c.programs)):
        codes = dict.fromkeys(
            ".".join(c.split(".")[: i + 1]) for c in caps.get(supplier_id, [])
            for i in range(c.count(".") + 1)
        )
        words = [labels[c] for c in codes if c in labels] + list(programs or [])
        updates.append({"sid": supplier_id, "extra": " ".join(words)})
    if updates:
        bind.execute(
            supplier.update().where(supplier.c.id == sa.bindparam("sid"))
            .values(search_extra=sa.bindparam("extra")),
            updates,
        )


def upgrade() -> None:
    # Plain ALTER TABLE (SQLite >= 3.35 too): a batch copy would trip over the generated column.
    op.execute("ALTER TABLE supplier ADD COLUMN search_extra TEXT DEFAULT '' NOT NULL")
    _backfill_search_extra()
    dialect = op.get_bind().dialect.name
    for statement in COMMON_UP + (PG_UP if dialect == "postgresql" else SQLITE_UP):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in (PG_DOWN if dialect == "postgresql" else SQLITE_DOWN) + COMMON_DOWN:
        op.execute(statement)
    op.execute("ALTER TABLE supplier DROP COLUMN search_extra")
