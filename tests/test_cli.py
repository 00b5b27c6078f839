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


def test_serve_answers_over_http(tmp_path):
    """`escouting serve` starts the real app on a port; /readyz and the catalogue answer."""
    import os
    import socket
    import subprocess
    import sys
    import time

    import httpx

    url = f"sqlite:///{tmp_path / 'serve.db'}"
    _run(url, "migrate")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": url}
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        assert ready.status_code == 200
        chains = httpx.get(f"http://127.0.0.1:{port}/api/v1/supply-chains", timeout=5).json()
        assert len(chains) == 3
    finally:
        server.terminate()
        server.wait(timeout=10)
