"""The `escouting` command line against real databases."""

from sqlmodel import Session, select
from typer.testing import CliRunner

from app.auth.models import ApiKey
from app.auth.service import authenticate
from app.cli import app
from app.db import build_engine

runner = CliRunner()


def _run(url: str, *args: str):
    result = runner.invoke(app, list(args), env={"DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    return result


def test_migrate_then_create_admin_key_prints_key_last(fresh_db_url):
    _run(fresh_db_url, "migrate")
    result = _run(fresh_db_url, "create-api-key", "--role", "admin", "--name", "bootstrap")
    key = result.output.strip().splitlines()[-1]
    assert key.startswith("esk_") and " " not in key
    engine = build_engine(fresh_db_url)
    try:
        with Session(engine) as session:
            found = authenticate(session=session, plaintext=key)
            assert found is not None and found.role == "admin" and found.name == "bootstrap"
            assert key not in [k.key_hash for k in session.exec(select(ApiKey))]
    finally:
        engine.dispose()


def test_create_api_key_rejects_bad_role_and_binding(fresh_db_url):
    _run(fresh_db_url, "migrate")
    env = {"DATABASE_URL": fresh_db_url}
    bad_role = runner.invoke(app, ["create-api-key", "--role", "root"], env=env)
    assert bad_role.exit_code != 0
    unbound = runner.invoke(app, ["create-api-key", "--role", "supplier"], env=env)
    assert unbound.exit_code != 0
    unknown = runner.invoke(
        app, ["create-api-key", "--role", "supplier", "--supplier", "9"], env=env
    )
    assert unknown.exit_code != 0
    assert "no such supplier" in unknown.output
