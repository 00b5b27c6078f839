"""Text indexes hold live suppliers only; on PostgreSQL they move to a narrow side table.

Ranking reads each match's tsvector. Stored in `supplier` (rows of about 2.3 KB), most vectors
were pushed out of line into TOAST, so ranking 16,000 matches fetched 16,000 TOAST chunks.
`supplier_search` holds one row per live supplier: its folded name (trigram-indexed, for
typos) and its weighted tsvector (GIN-indexed), kept inline. Triggers keep it in sync with
`supplier`: a statement trigger on INSERT, a row trigger on UPDATE of the text columns or of
`deleted_at` (a soft-deleted supplier leaves the table), and ON DELETE CASCADE.

SQLite: FTS5 already keeps its index outside the table; its triggers now leave soft-deleted
suppliers out, so a text match needs no lookup in `supplier` to drop them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_VECTOR = """
    setweight(to_tsvector('escouting_it', coalesce(name, '') || ' ' || coalesce(legal_name, '')), 'A')
    || setweight(to_tsvector('escouting_en', coalesce(name, '') || ' ' || coalesce(legal_name, '')), 'A')
    || setweight(to_tsvector('escouting_it', search_extra), 'B')
    || setweight(to_tsvector('escouting_en', search_extra), 'B')
    || setweight(to_tsvector('escouting_it', description), 'C')
    || setweight(to_tsvector('escouting_en', description), 'C')
"""
_TEXT_COLUMNS = "name, legal_name, search_extra, description"

PG_UP = [
    f"""CREATE FUNCTION escouting_search_vector(
        name text, legal_name text, search_extra text, description text
    ) RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT {_VECTOR} $$""",
    # toast_tuple_target: keep every vector inline, never in TOAST, even the longest ones.
    """CREATE TABLE supplier_search (
        supplier_id integer NOT NULL,
        name_folded text NOT NULL,
        search_vector tsvector NOT NULL,
        CONSTRAINT pk_supplier_search PRIMARY KEY (supplier_id),
        CONSTRAINT fk_supplier_search_supplier_id_supplier FOREIGN KEY (supplier_id)
            REFERENCES supplier (id) ON DELETE CASCADE
    ) WITH (toast_tuple_target = 8160)""",
    f"""INSERT INTO supplier_search (supplier_id, name_folded, search_vector)
        SELECT id, escouting_fold(name), escouting_search_vector({_TEXT_COLUMNS})
        FROM supplier WHERE deleted_at IS NULL""",
    "CREATE INDEX ix_supplier_search_vector ON supplier_search USING gin (search_vector)",
    "CREATE INDEX ix_supplier_search_name_trgm ON supplier_search "
    "USING gin (name_folded gin_trgm_ops)",
    f"""CREATE FUNCTION escouting_search_added() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO supplier_search (supplier_id, name_folded, search_vector)
        SELECT id, escouting_fold(name), escouting_search_vector({_TEXT_COLUMNS})
        FROM added WHERE deleted_at IS NULL;
        RETURN NULL;
    END $$""",
    f"""CREATE FUNCTION escouting_search_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.deleted_at IS NOT NULL THEN
            DELETE FROM supplier_search WHERE supplier_id = NEW.id;
        ELSE
            INSERT INTO supplier_search (supplier_id, name_folded, search_vector)
            VALUES (NEW.id, escouting_fold(NEW.name), escouting_search_vector(
                NEW.name, NEW.legal_name, NEW.search_extra, NEW.description))
            ON CONFLICT (supplier_id) DO UPDATE
            SET name_folded = EXCLUDED.name_folded, search_vector = EXCLUDED.search_vector;
        END IF;
        RETURN NULL;
    END $$""",
    "CREATE TRIGGER supplier_search_added AFTER INSERT ON supplier "
    "REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION escouting_search_added()",
    f"""CREATE TRIGGER supplier_search_changed AFTER UPDATE OF {_TEXT_COLUMNS}, deleted_at
        ON supplier FOR EACH ROW
        WHEN ((OLD.name, OLD.legal_name, OLD.search_extra, OLD.description, OLD.deleted_at)
              IS DISTINCT FROM
              (NEW.name, NEW.legal_name, NEW.search_extra, NEW.description, NEW.deleted_at))
        EXECUTE FUNCTION escouting_search_changed()""",
    "DROP INDEX ix_supplier_name_trgm",
    "DROP INDEX ix_supplier_search_vector_old",
    "ALTER TABLE supplier DROP COLUMN search_vector",
]

PG_DOWN = [
    f"ALTER TABLE supplier ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({_VECTOR}) STORED",
    "DROP TRIGGER IF EXISTS supplier_search_changed ON supplier",
    "DROP TRIGGER IF EXISTS supplier_search_added ON supplier",
    "DROP FUNCTION IF EXISTS escouting_search_changed()",
    "DROP FUNCTION IF EXISTS escouting_search_added()",
    "DROP TABLE IF EXISTS supplier_search",
    "DROP FUNCTION IF EXISTS escouting_search_vector(text, text, text, text)",
    "CREATE INDEX ix_supplier_search_vector ON supplier USING gin (search_vector)",
    "CREATE INDEX ix_supplier_name_trgm ON supplier USING gin (escouting_fold(name) gin_trgm_ops)",
]


_NEW = "new.id, new.name, coalesce(new.legal_name, ''), new.search_extra, new.description"
_OLD = "old.id, old.name, coalesce(old.legal_name, ''), old.search_extra, old.description"
_SQLITE_TRIGGERS = ("supplier_search_ai", "supplier_search_ad", "supplier_search_au")
SQLITE_UP = [
    *(f"DROP TRIGGER {name}" for name in _SQLITE_TRIGGERS),
    f"""INSERT INTO supplier_fts(supplier_fts, rowid, {_TEXT_COLUMNS})
        SELECT 'delete', id, name, coalesce(legal_name, ''), search_extra, description
        FROM supplier WHERE deleted_at IS NOT NULL""",
    """INSERT INTO supplier_name_trgm(supplier_name_trgm, rowid, name)
        SELECT 'delete', id, name FROM supplier WHERE deleted_at IS NOT NULL""",
    f"""CREATE TRIGGER supplier_search_ai AFTER INSERT ON supplier WHEN new.deleted_at IS NULL
    BEGIN
        INSERT INTO supplier_fts(rowid, {_TEXT_COLUMNS}) VALUES ({_NEW});
        INSERT INTO supplier_name_trgm(rowid, name) VALUES (new.id, new.name);
    END""",
    f"""CREATE TRIGGER supplier_search_ad AFTER DELETE ON supplier WHEN old.deleted_at IS NULL
    BEGIN
        INSERT INTO supplier_fts(supplier_fts, rowid, {_TEXT_COLUMNS}) VALUES ('delete', {_OLD});
        INSERT INTO supplier_name_trgm(supplier_name_trgm, rowid, name)
            VALUES ('delete', old.id, old.name);
    END""",
    # One trigger, steps in order: an indexed row must leave the index before it re-enters.
    f"""CREATE TRIGGER supplier_search_au AFTER UPDATE OF {_TEXT_COLUMNS}, deleted_at
        ON supplier BEGIN
        INSERT INTO supplier_fts(supplier_fts, rowid, {_TEXT_COLUMNS})
            SELECT 'delete', {_OLD} WHERE old.deleted_at IS NULL;
        INSERT INTO supplier_name_trgm(supplier_name_trgm, rowid, name)
            SELECT 'delete', old.id, old.name WHERE old.deleted_at IS NULL;
        INSERT INTO supplier_fts(rowid, {_TEXT_COLUMNS}) SELECT {_NEW} WHERE new.deleted_at IS NULL;
        INSERT INTO supplier_name_trgm(rowid, name)
            SELECT new.id, new.name WHERE new.deleted_at IS NULL;
    END""",
]
SQLITE_DOWN = [
    *(f"DROP TRIGGER {name}" for name in _SQLITE_TRIGGERS),
    f"""CREATE TRIGGER supplier_search_ai AFTER INSERT ON supplier BEGIN
        INSERT INTO supplier_fts(rowid, {_TEXT_COLUMNS}) VALUES ({_NEW});
        INSERT INTO supplier_name_trgm(rowid, name) VALUES (new.id, new.name);
    END""",
    f"""CREATE TRIGGER supplier_search_ad AFTER DELETE ON supplier BEGIN
        INSERT INTO supplier_fts(supplier_fts, rowid, {_TEXT_COLUMNS}) VALUES ('delete', {_OLD});
        INSERT INTO supplier_name_trgm(supplier_name_trgm, rowid, name)
            VALUES ('delete', old.id, old.name);
    END""",
    f"""CREATE TRIGGER supplier_search_au AFTER UPDATE OF {_TEXT_COLUMNS} ON supplier BEGIN
        INSERT INTO supplier_fts(supplier_fts, rowid, {_TEXT_COLUMNS}) VALUES ('delete', {_OLD});
        INSERT INTO supplier_fts(rowid, {_TEXT_COLUMNS}) VALUES ({_NEW});
        INSERT INTO supplier_name_trgm(supplier_name_trgm, rowid, name)
            VALUES ('delete', old.id, old.name);
        INSERT INTO supplier_name_trgm(rowid, name) VALUES (new.id, new.name);
    END""",
    "INSERT INTO supplier_fts(supplier_fts) VALUES ('rebuild')",
    "INSERT INTO supplier_name_trgm(supplier_name_trgm) VALUES ('rebuild')",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # The old index's name moves to the side table's index.
        op.execute("ALTER INDEX ix_supplier_search_vector RENAME TO ix_supplier_search_vector_old")
        statements = PG_UP
    else:
        statements = SQLITE_UP
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    for statement in PG_DOWN if op.get_bind().dialect.name == "postgresql" else SQLITE_DOWN:
        op.execute(statement)
