"""SECRET_KEY: no default secret in production; on SQLite one generated once, kept beside the
database file and shared by every worker."""

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app import config, signing
from app.cli import app as cli
from app.config import Settings
from app.cursors import decode_cursor, encode_cursor
from app.errors import ValidationProblem
from app.main import create_app
from app.signing import InsecureSecret, signing_key
from tests.conftest import PG_URL

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = PG_URL or "postgresql+psycopg://postgres@127.0.0.1:5432/never_connected"
INSECURE = ["", "   ", "dev-only-change-me"]


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    """Settings and resolved secrets read afresh, and the suite's restored afterwards."""
    config.get_settings.cache_clear()
    signing._signing_key.cache_clear()
    yield
    config.get_settings.cache_clear()
    signing._signing_key.cache_clear()


@pytest.fixture
def served_uvicorn(monkeypatch) -> list[dict]:
    """`uvicorn.run` recorded instead of serving (the check must come before it)."""
    calls: list[dict] = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **options: calls.append(options))
    return calls


def _resolve_in_other_processes(url: str, count: int) -> list[str]:
    """The secret `count` fresh processes resolve, all started at once (like workers)."""
    code = "from app.signing import signing_key; print(signing_key())"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": url, "SECRET_KEY": ""}
    processes = [
        subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(count)
    ]
    return [process.communicate(timeout=60)[0].strip() for process in processes]


@pytest.mark.parametrize("secret", INSECURE)
def test_postgresql_with_default_or_empty_secret_refuses_to_start(secret):
    app = create_app(Settings(database_url=POSTGRES, secret_key=secret))
    # Entering the client runs the lifespan's start-up.
    with (
        pytest.raises(InsecureSecret, match="Refusing to start: SECRET_KEY") as refused,
        TestClient(app),
    ):
        pass
    assert "token_urlsafe" in str(refused.value)  # says how to make one


@pytest.mark.parametrize("secret", ["", "dev-only-change-me"])
def test_serve_refuses_before_uvicorn_starts(secret, served_uvicorn):
    env = {"DATABASE_URL": POSTGRES, "SECRET_KEY": secret}
    result = CliRunner().invoke(cli, ["serve"], env=env)
    assert result.exit_code == 1
    assert "Refusing to start: SECRET_KEY is empty or the old development default" in (
        result.output
    )
    assert served_uvicorn == []


def test_serve_starts_uvicorn_without_its_proxy_headers(tmp_path, served_uvicorn):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}", "SECRET_KEY": ""}
    result = CliRunner().invoke(cli, ["serve"], env=env)
    assert result.exit_code == 0, result.output
    # X-Forwarded-For is the application's business (TRUSTED_PROXIES), not uvicorn's.
    assert served_uvicorn[0]["proxy_headers"] is False
    assert (tmp_path / "serve.db.secret").exists()  # generated before any worker starts


def test_explicit_secret_is_used_as_is(engine):
    """On either database an explicit secret starts the service and signs cursors."""
    url = engine.url.render_as_string(hide_password=False)
    settings = Settings(database_url=url, secret_key="an explicit secret")
    with TestClient(create_app(settings)):
        assert signing_key(settings) == "an explicit secret"
    assert not Path(f"{engine.url.database}.secret").exists()


def test_sqlite_secret_is_generated_once_beside_the_database(tmp_path, monkeypatch):
    database = tmp_path / "escouting.db"
    url = f"sqlite:///{database}"
    kept = tmp_path / "escouting.db.secret"
    settings = Settings(database_url=url, secret_key="")
    with TestClient(create_app(settings)):  # the start-up resolves it
        assert kept.exists()
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    secret = kept.read_text().strip()
    assert len(secret) >= 40 and secret != "dev-only-change-me"
    signing._signing_key.cache_clear()  # a second resolution reads the file
    assert signing_key(settings) == secret
    assert _resolve_in_other_processes(url, 1) == [secret]

    # Cursors are signed with it: accepted under it, rejected under any other secret.
    monkeypatch.setenv("DATABASE_URL", url)
    for secret_key, accepted in (("", True), (secret, True), ("some other secret", False)):
        monkeypatch.setenv("SECRET_KEY", secret_key)
        config.get_settings.cache_clear()
        if secret_key == "":
            cursor = encode_cursor({"after": [1, "x"]})
        if accepted:
            assert decode_cursor(cursor) == {"after": [1, "x"]}
        else:
            with pytest.raises(ValidationProblem):
                decode_cursor(cursor)


def test_workers_starting_together_share_one_generated_secret(tmp_path):
    url = f"sqlite:///{tmp_path / 'together.db'}"
    secrets = _resolve_in_other_processes(url, 4)
    assert len(set(secrets)) == 1 and secrets[0]
    assert (tmp_path / "together.db.secret").read_text().strip() == secrets[0]


def test_in_memory_sqlite_gets_a_secret_per_process(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = Settings(database_url="sqlite:///:memory:", secret_key="")
    first = signing_key(settings)
    assert first and signing_key(settings) == first
    assert list(tmp_path.iterdir()) == []  # nothing written anywhere


def test_importing_the_application_creates_no_secret_file(tmp_path):
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'imported.db'}",
        "SECRET_KEY": "",
    }
    subprocess.run([sys.executable, "-c", "import app.main"], env=env, check=True, timeout=60)
    assert not (tmp_path / "imported.db.secret").exists()
