"""Alembic environment: one script for SQLite (batch mode) and PostgreSQL."""

import warnings

from alembic import context
from sqlalchemy import Connection

import app.models
from app.config import get_settings
from app.db import build_engine, migration_lock

target_metadata = app.models.metadata
config = context.config

warnings.filterwarnings("ignore", message="Skipped unsupported reflection of expression-based")


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url") or get_settings().database_url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    # Callers (the CLI, tests) may hand over an open connection or a URL.
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
    engine = build_engine(url)
    try:
        # One migration at a time on PostgreSQL (several containers start together); the
        # version is read under the lock, so the later ones find the schema at head.
        with migration_lock(engine), engine.connect() as conn:
            _configure(conn)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
