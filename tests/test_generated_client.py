"""openapi-python-client generates every operation of openapi/openapi.json, without a warning,
and the generated client works: it imports CSV and JSON lines and reads scouting matches.

The generator runs offline (`--meta none`: a bare package, no project files to resolve) with
the repository's config, exactly as the README's "Generated clients" command does.
"""

import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tests.factories import make_vat, supplier_payload

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi" / "openapi.json"
CONFIG = ROOT / "openapi" / "client-config.yaml"
PACKAGE = "escouting_client"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _generator() -> str:
    beside = Path(sys.executable).with_name("openapi-python-client")
    found = str(beside) if beside.exists() else shutil.which("openapi-python-client")
    if found is None:
        pytest.fail("openapi-python-client is not installed (requirements-dev.txt)")
    return found


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated package's directory; the run must be clean."""
    out = tmp_path_factory.mktemp("client") / PACKAGE
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    command = [_generator(), "generate", "--path", str(SPEC), "--config", str(CONFIG)]
    command += ["--meta", "none", "--output-path", str(out), "--fail-on-warning"]
    run = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert not re.search(r"warning|error|unable|cannot|skipping", output, re.IGNORECASE), output
    return out


def _spec_operations() -> dict[str, tuple[str, str]]:
    """operationId -> (method, path) for every operation in the committed document."""
    spec = json.loads(SPEC.read_text())
    return {
        op["operationId"]: (method, path)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in METHODS
    }


def _generated_operations(package: Path) -> dict[str, tuple[str, str]]:
    """module name -> (method, path) for every endpoint module of the generated client."""
    found = {}
    for module in (package / "api").glob("*/*.py"):
        if module.name == "__init__.py":
            continue
        source = module.read_text()
        method = re.search(r'"method": "(\w+)"', source)
        url = re.search(r'"url": f?"([^"]+)"', source)
        assert method and url, module
        found[module.stem] = (method[1], url[1])
    return found


def test_every_operation_is_generated_without_a_warning(generated):
    expected = {
        re.sub(r"\W", "_", op_id).lower(): where for op_id, where in _spec_operations().items()
    }
    assert _generated_operations(generated) == expected
    models = {path.stem for path in (generated / "models").glob("*.py")}
    assert {"match_page", "duplicate_match_page", "import_report", "field_change"} <= models


# ---------------------------------------------------------------- using it


@pytest.fixture
def package(generated: Path) -> Iterator[ModuleType]:
    sys.path.insert(0, str(generated.parent))
    try:
        import escouting_client  # type: ignore[import-not-found]

        yield escouting_client
    finally:
        sys.path.remove(str(generated.parent))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def test_the_generated_client_imports_files_and_reads_matches(package, client, admin):
    from escouting_client.api.partners import partners_import_suppliers
    from escouting_client.api.scouting import (
        scouting_create_scouting_request,
        scouting_list_scouting_matches,
    )
    from escouting_client.models import ImportReport, MatchPage, ScoutingRequestCreate
    from escouting_client.types import File

    api = package.AuthenticatedClient(base_url="http://testserver", token="unused")
    client.headers.update(admin)
    api.set_httpx_client(client)  # the test app, in the test's transaction

    csv_body = (
        "vat_number,name,city,province,supply_chains,capabilities\r\n"
        f"{make_vat(1)},Officina Uno,Varese,VA,rotary-wing,machining.titanium\r\n"
    ).encode()
    jsonl_body = json.dumps(supplier_payload(2, capabilities=["machining.titanium"])).encode()
    for body in (csv_body, jsonl_body):
        file = File(payload=io.BytesIO(body))
        dry = partners_import_suppliers.sync(client=api, body=file, dry_run=True)
        assert isinstance(dry, ImportReport), dry
        assert [c.action for c in dry.changes] == ["created"]
        done = partners_import_suppliers.sync(client=api, body=File(payload=io.BytesIO(body)))
        assert isinstance(done, ImportReport) and done.created == 1, done

    request = scouting_create_scouting_request.sync(
        client=api,
        body=ScoutingRequestCreate(
            title="Titanium parts",
            supply_chains=["rotary-wing"],
            required_capabilities=["machining"],
        ),
    )
    page = scouting_list_scouting_matches.sync(request.id, client=api)
    assert isinstance(page, MatchPage), page
    assert {m.supplier.name for m in page.items} == {"Officina Uno", "Meccanica Test 2"}
