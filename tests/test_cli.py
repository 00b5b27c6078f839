"""The `escouting` command line against real databases."""

import json

from sqlmodel import Session, select
from typer.testing import CliRunner

from app.auth.models import ApiKey
from app.auth.service import authenticate
from app.cli import app
from app.db import build_engine
from app.search.engine import SNAPSHOT_FILE, SearchEngine

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


def test_create_api_key_quiet_prints_only_the_key(fresh_db_url):
    _run(fresh_db_url, "migrate")
    result = _run(fresh_db_url, "create-api-key", "--role", "buyer", "--name", "readme", "--quiet")
    assert result.output.startswith("esk_") and result.output.count("\n") == 1
    engine = build_engine(fresh_db_url)
    try:
        with Session(engine) as session:
            found = authenticate(session=session, plaintext=result.output.strip())
            assert found is not None and found.role == "buyer"
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


def test_export_then_import_into_another_database(fresh_db_url, tmp_path):
    """`escouting export` writes what `escouting import` reads; a second import is a no-op."""
    source = f"sqlite:///{tmp_path / 'source.db'}"
    _run(source, "migrate")
    _run(source, "seed-demo", "--suppliers", "25")
    exported = tmp_path / "suppliers.csv"
    _run(source, "export", "--format", "csv", "--output", str(exported))
    assert exported.read_text().count("\n") >= 26

    _run(fresh_db_url, "migrate")
    dry = _run(fresh_db_url, "import", str(exported), "--dry-run")
    assert "25 rows: 25 would be created, 0 would be updated, 0 unchanged" in dry.output
    assert "25 rows: 25 created" in _run(fresh_db_url, "import", str(exported)).output
    again = _run(fresh_db_url, "import", str(exported))
    assert "25 rows: 0 created, 0 updated, 25 unchanged" in again.output
    copy = tmp_path / "copy.jsonl"
    _run(fresh_db_url, "export", "--output", str(copy))
    assert len(copy.read_text().splitlines()) == 25

    first = json.loads(copy.read_text().splitlines()[0])
    change = tmp_path / "change.csv"
    change.write_text(f"vat_number,employees,capabilities\n{first['vat_number']},9999,\n")
    dry = _run(fresh_db_url, "import", str(change), "--dry-run")
    assert f"row 2 {first['vat_number']}: employees: {first['employees']!r} -> 9999" in dry.output
    assert "1 rows: 0 would be created, 1 would be updated, 0 unchanged" in dry.output
    assert "capabilities" not in dry.output  # an empty cell leaves the list as it is


def test_import_of_a_bad_file_lists_rows_and_exits_1(fresh_db_url, tmp_path):
    _run(fresh_db_url, "migrate")
    bad = tmp_path / "bad.csv"
    bad.write_text("vat_number,name,province\nIT123,Foo,ZZ\n")
    result = runner.invoke(app, ["import", str(bad)], env={"DATABASE_URL": fresh_db_url})
    assert result.exit_code == 1
    assert "row 2, vat_number:" in result.output
    assert "row 2, address.province:" in result.output
    assert "nothing was imported" in result.output


def test_seed_demo_leaves_a_search_index_snapshot(fresh_db_url, tmp_path):
    """After a bulk write the CLI builds the index once; a starting worker loads it."""
    directory = tmp_path / "index"
    env = {"DATABASE_URL": fresh_db_url, "SEARCH_SNAPSHOT_DIR": str(directory)}
    assert runner.invoke(app, ["migrate"], env=env).exit_code == 0
    seeded = runner.invoke(app, ["seed-demo", "--suppliers", "30"], env=env)
    assert seeded.exit_code == 0, seeded.output
    assert "search index of 30 suppliers built" in seeded.output
    assert (directory / SNAPSHOT_FILE).exists()
    again = runner.invoke(app, ["index"], env=env)
    assert "search index of 30 suppliers brought up to date" in again.output

    starter = SearchEngine(directory)
    engine = build_engine(fresh_db_url)
    try:
        with Session(engine) as session, starter.current(session) as index:
            assert len(index.live) == 30
        assert (starter.restores, starter.builds) == (1, 0)
    finally:
        engine.dispose()
