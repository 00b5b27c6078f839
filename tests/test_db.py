"""Engine plumbing: SQLite transactions behave like PostgreSQL's."""

from sqlalchemy import text

from app.db import build_engine


def test_autocommit_statements_persist(fresh_db_url):
    """AUTOCOMMIT really commits (ANALYZE, VACUUM and CREATE DATABASE rely on it)."""
    engine = build_engine(fresh_db_url)
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("CREATE TABLE probe (id INTEGER PRIMARY KEY)"))
            conn.execute(text("INSERT INTO probe (id) VALUES (1)"))
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM probe")).scalar_one() == 1
    finally:
        engine.dispose()


def test_rolled_back_transaction_leaves_nothing(fresh_db_url):
    engine = build_engine(fresh_db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE probe (id INTEGER PRIMARY KEY)"))
        with engine.connect() as conn:
            conn.execute(text("INSERT INTO probe (id) VALUES (1)"))
            conn.rollback()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM probe")).scalar_one() == 0
    finally:
        engine.dispose()
