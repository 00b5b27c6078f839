"""The production container (issue 18, item 7): the Dockerfile, compose.yaml, and migrations
that containers starting together run one at a time (a PostgreSQL advisory lock).

Docker is not available where the suite runs: the files are checked as text and YAML, and
what they rely on (`escouting migrate` under the lock, `escouting serve` reading
WEB_CONCURRENCY) is run for real.
"""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from sqlalchemy import inspect, text
from typer.testing import CliRunner

import app.models
from app.cli import app as cli
from app.config import Settings
from app.db import build_engine, migration_lock
from app.db.postgresql import MIGRATION_LOCK_KEY
from app.main import schema_heads
from tests.conftest import PG_URL, scratch_database

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text()
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())


def _instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions (continuation lines joined, comments left out)."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    lines = [line.strip() for line in joined.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def _last(instruction: str) -> str:
    return [arg for name, arg in _instructions() if name == instruction][-1]


def test_dockerfile_runs_as_a_non_root_user():
    user = _last("USER")
    assert user not in ("root", "0")
    assert "useradd" in DOCKERFILE and user in DOCKERFILE


def test_dockerfile_declares_the_data_volume_after_giving_it_to_the_user():
    names = [name for name, _ in _instructions()]
    volume = _last("VOLUME")
    assert "/app/data" in volume
    chown = next(i for i, (n, a) in enumerate(_instructions()) if n == "RUN" and "chown" in a)
    assert chown < names.index("VOLUME") < names.index("USER")
    assert "sqlite:////app/data/" in _last("ENV")  # the embedded database lives in it


def test_dockerfile_migrates_once_then_serves_web_concurrency_workers():
    command = _last("CMD")
    assert re.search(r"escouting migrate && exec escouting serve .*--workers", command)
    assert "WEB_CONCURRENCY" in command and "WEB_CONCURRENCY=" in _last("ENV")
    assert "--host 0.0.0.0" in command


def test_dockerfile_keeps_the_healthcheck_on_liveness():
    assert "/healthz" in _last("HEALTHCHECK")


def test_serve_takes_its_worker_count_from_web_concurrency(monkeypatch):
    import uvicorn

    seen: dict = {}
    monkeypatch.setattr(uvicorn, "run", lambda target, **options: seen.update(options))
    env = {"WEB_CONCURRENCY": "3", "SECRET_KEY": "a-test-secret-long-enough-0123456789"}
    result = CliRunner().invoke(cli, ["serve"], env=env)
    assert result.exit_code == 0, result.output
    assert seen["workers"] == 3
    assert CliRunner().invoke(cli, ["serve", "--workers", "2"], env=env).exit_code == 0
    assert seen["workers"] == 2  # an explicit option wins


def test_compose_starts_the_api_with_postgresql_and_redis():
    services = COMPOSE["services"]
    assert set(services) == {"api", "db", "redis"}
    api = services["api"]
    assert api["build"] == "."
    env = api["environment"]
    # Every variable set on the service is a setting the service reads (or the worker count).
    settings = {name.upper() for name in Settings.model_fields}
    assert set(env) <= settings | {"WEB_CONCURRENCY"}, set(env) - settings
    assert env["DATABASE_URL"].startswith("postgresql+psycopg://")
    assert "@db:5432/" in env["DATABASE_URL"]
    assert env["REDIS_URL"].startswith("redis://redis:6379/")
    assert env["SECRET_KEY"].startswith("${SECRET_KEY:?")  # compose refuses to start without
    assert "WEB_CONCURRENCY" in env
    for dependency in ("db", "redis"):
        assert api["depends_on"][dependency] == {"condition": "service_healthy"}
        assert services[dependency]["healthcheck"]["test"]
    assert services["db"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    db_env = services["db"]["environment"]
    user, database = db_env["POSTGRES_USER"], db_env["POSTGRES_DB"]
    assert f"://{user}:" in env["DATABASE_URL"] and env["DATABASE_URL"].endswith(f"/{database}")
    volume = services["db"]["volumes"][0].split(":")[0]
    assert volume in COMPOSE["volumes"]


def test_the_migration_lock_is_a_no_op_on_sqlite(tmp_path):
    engine = build_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with migration_lock(engine):
        pass
    engine.dispose()


pg_only = pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL is not set")


def _migrate(url: str) -> subprocess.Popen:
    """`escouting migrate` in a process of its own, as a container's command runs it."""
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "migrate"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _assert_at_head(url: str) -> None:
    engine = build_engine(url)
    try:
        with engine.connect() as conn:
            versions = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
        assert versions == set(schema_heads())
        tables = set(inspect(engine).get_table_names())
        assert set(app.models.metadata.tables) <= tables
    finally:
        engine.dispose()


@pg_only
def test_containers_starting_together_both_migrate(tmp_path):
    """Two `escouting migrate` at once on a new database: both succeed (without the lock, the
    second fails creating what the first already created) and the schema is at head."""
    with scratch_database("postgresql", tmp_path) as url:
        processes = [_migrate(url) for _ in range(2)]
        outputs = [p.communicate(timeout=180)[0] for p in processes]
        assert [p.returncode for p in processes] == [0, 0], outputs
        _assert_at_head(url)


@pg_only
def test_migrate_waits_for_the_lock(tmp_path):
    """While another holds the migration lock, `escouting migrate` waits for it (visible in
    pg_locks), then migrates."""
    with scratch_database("postgresql", tmp_path) as url:
        engine = build_engine(url)
        try:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as holder:
                holder.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
                process = _migrate(url)
                try:
                    deadline = time.monotonic() + 60
                    while not _waiting_for_lock(holder):
                        assert process.poll() is None, process.communicate()[0]
                        assert time.monotonic() < deadline, "migrate never asked for the lock"
                        time.sleep(0.2)
                    assert process.poll() is None  # still waiting
                finally:
                    holder.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
                output = process.communicate(timeout=180)[0]
                assert process.returncode == 0, output
        finally:
            engine.dispose()
        _assert_at_head(url)


def _waiting_for_lock(conn) -> bool:
    """Someone waits for the migration lock (an advisory lock's key is split in two halves)."""
    return bool(
        conn.execute(
            text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                "AND ((classid::bigint << 32) | objid::bigint) = :k"
            ),
            {"k": MIGRATION_LOCK_KEY},
        ).scalar()
    )
